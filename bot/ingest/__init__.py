"""Ingest: fetch feeds safely, parse them, clean articles, link duplicate stories."""

from __future__ import annotations


class FetchError(Exception):
    """A fetch or parse failed; `.reason` is one readable sentence for logs and chat replies."""

    def __init__(self, reason: str, *, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.status = status

    def __reduce__(self) -> tuple[object, ...]:
        # Crosses process boundaries (the parse worker's pool): keep the keyword fields too.
        return (_rebuild, (self.reason, self.retry_after, self.status))


def _rebuild(reason: str, retry_after: float | None, status: int | None) -> FetchError:
    return FetchError(reason, retry_after=retry_after, status=status)


__all__ = ["FetchError"]
