"""Fetching one URL with hard limits: decompressed-size cap, total deadline, hand-followed
redirects (each hop re-checked by the guard), conditional GET and Retry-After."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from bot.config import FetchSettings
from bot.ingest import FetchError, plain_error

log = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"
_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchedBody:
    """A finished response: the final URL, its status and the (decompressed, capped) body."""

    url: str
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class _Inflater:
    """Incremental gzip/zlib/raw-deflate decoder that never produces more than `limit` bytes."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.parts: list[bytes] = []
        self.encoding = encoding  # "gzip", "deflate", "identity" or "sniff"
        self._obj: zlib._Decompress | None = None  # type: ignore[name-defined]
        self._started = False
        self._pending = b""

    def _start(self, first: bytes) -> None:
        if self.encoding == "sniff":
            self.encoding = "gzip" if first.startswith(GZIP_MAGIC) else "identity"
        if self.encoding == "gzip":
            self._obj = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            # RFC 9110 says zlib-wrapped, but many servers send raw deflate: look at the header.
            zlib_header = len(first) >= 2 and (first[0] & 0x0F) == 8 and (first[0] * 256 + first[1]) % 31 == 0
            self._obj = zlib.decompressobj(wbits=zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)

    def _add(self, data: bytes) -> None:
        if not data:
            return
        if self.size + len(data) > self.limit:
            raise FetchError(f"response larger than {self.limit} bytes")
        self.size += len(data)
        self.parts.append(data)

    def feed(self, chunk: bytes) -> None:
        if not self._started:
            self._pending += chunk
            if len(self._pending) < 2:
                return
            chunk, self._pending = self._pending, b""
            self._started = True
            self._start(chunk)
        self._process(chunk)

    def _process(self, data: bytes) -> None:
        if self._obj is None:
            self._add(data)
            return
        while data and not self._obj.eof:
            # max_length bounds every step, so a bomb never allocates more than the cap.
            out = self._obj.decompress(data, self.limit - self.size + 1)
            self._add(out)
            data = self._obj.unconsumed_tail
        if self._obj.eof and self.encoding == "gzip" and self._obj.unused_data.startswith(GZIP_MAGIC):
            rest = self._obj.unused_data  # a multi-member gzip stream
            self._obj = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            self._process(rest)

    def finish(self) -> bytes:
        if not self._started:
            self._started = True
            if self.encoding == "sniff":
                self.encoding = "identity"
            self._start(self._pending)
            self._process(self._pending)
        if self._obj is not None and not self._obj.eof:
            try:
                self._add(self._obj.flush())
            except zlib.error:
                pass
        return b"".join(self.parts)


def _content_encoding(headers: httpx.Headers) -> str:
    value = headers.get("content-encoding", "").strip().lower()
    if value in ("gzip", "x-gzip"):
        return "gzip"
    if value == "deflate":
        return "deflate"
    if value in ("", "identity"):
        return "sniff"  # gzip served without Content-Encoding is common enough to detect
    raise FetchError(f"unsupported content encoding {value!r}")


async def _read_body(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length")
    encoding = _content_encoding(response.headers)
    if declared and declared.isdigit() and encoding == "sniff" and int(declared) > limit:
        raise FetchError(f"response larger than {limit} bytes")
    inflater = _Inflater(encoding, limit)
    try:
        async for chunk in response.aiter_raw(_CHUNK):
            inflater.feed(chunk)
        return inflater.finish()
    except zlib.error as exc:
        raise FetchError(f"corrupt compressed body: {exc}") from exc


def _network_reason(exc: httpx.HTTPError, timeout: float) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"unsupported URL: {exc}"
    return f"network error: {plain_error(exc)}"


async def fetch_url(
    client: httpx.AsyncClient,
    url: str,
    fetch: FetchSettings,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchedBody:
    """GET a URL within every limit of `fetch`; raise FetchError with a readable reason."""
    timeout = fetch.timeout_seconds
    started = time.monotonic()
    try:
        async with asyncio.timeout(timeout):
            return await _fetch(client, url, fetch, etag=etag, last_modified=last_modified)
    except TimeoutError as exc:
        raise FetchError(f"timed out after {timeout:g} s") from exc
    except httpx.HTTPError as exc:
        raise FetchError(_network_reason(exc, timeout)) from exc
    finally:
        log.debug("fetched url=%s ms=%d", url, (time.monotonic() - started) * 1000)


async def _fetch(
    client: httpx.AsyncClient,
    url: str,
    fetch: FetchSettings,
    *,
    etag: str | None,
    last_modified: str | None,
) -> FetchedBody:
    seen: set[str] = set()
    current = url
    for _hop in range(fetch.max_redirects + 1):
        if not current.lower().startswith(("http://", "https://")):
            raise FetchError(f"refused: only http and https URLs are fetched, not {current[:100]!r}")
        if current in seen:
            raise FetchError(f"redirect loop at {current}")
        seen.add(current)
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        request = client.build_request("GET", current, headers=headers)
        response = await client.send(request, stream=True)
        try:
            status = response.status_code
            if status in _REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise FetchError(f"HTTP {status} redirect without a Location header")
                current = str(response.url.join(location))
                continue
            if status == 304:
                return FetchedBody(
                    url=current, status=304, body=b"", headers=dict(response.headers),
                    etag=response.headers.get("etag") or etag,
                    last_modified=response.headers.get("last-modified") or last_modified,
                    not_modified=True,
                )
            if status in (429, 503):
                retry = parse_retry_after(response.headers.get("retry-after"))
                extra = f" (retry after {retry:g} s)" if retry is not None else ""
                raise FetchError(f"HTTP {status}{extra}", retry_after=retry, status=status)
            if status >= 400 or status < 200:
                raise FetchError(f"HTTP {status}", status=status)
            body = await _read_body(response, fetch.max_bytes)
            return FetchedBody(
                url=current, status=status, body=body, headers=dict(response.headers),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
            )
        finally:
            await response.aclose()
    raise FetchError(f"too many redirects ({fetch.max_redirects})")
