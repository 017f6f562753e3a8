"""Ingest: fetch feeds safely, parse them, clean articles, link duplicate stories."""

from __future__ import annotations

import re
import socket


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


_ERRNO = re.compile(r"^\[Errno -?\d+\]\s*")
# The causes a reader of "Feeds that failed" meets most, named plainly (the first match along the
# exception's chain wins: httpx wraps anyio's "All connection attempts failed", which wraps these).
_CAUSES: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset by the server"),
    (ConnectionAbortedError, "connection aborted"),
)
_LOOKUP = {
    socket.EAI_NONAME: "no such host",
    socket.EAI_AGAIN: "the name server did not answer (temporary)",
    socket.EAI_FAIL: "the name server failed",
    getattr(socket, "EAI_NODATA", socket.EAI_NONAME): "no such host",
}


def plain_error(exc: BaseException) -> str:
    """A network or OS error in words a subscriber can read: a failed name lookup or a refused
    connection named plainly, otherwise the error's own text without its "[Errno N]" prefix."""
    seen: BaseException | None = exc
    for _ in range(6):  # the chain is short; never follow a cycle
        if seen is None:
            break
        if isinstance(seen, socket.gaierror) and seen.errno in _LOOKUP:
            return _LOOKUP[seen.errno]
        for kind, words in _CAUSES:
            if isinstance(seen, kind):
                return words
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, TimeoutError):
        return "timed out"
    return _ERRNO.sub("", str(exc)).strip() or type(exc).__name__


__all__ = ["FetchError", "plain_error"]
