"""A small local web server for tests: serves a directory with ETag/Last-Modified/304 and a
set of hostile routes, on 127.0.0.1 with a free port.

Usage::

    async with FakeWeb(root=Path("feeds")) as web:
        web.add("/page", b"<html>...</html>", content_type="text/html")
        url = web.url("/feed.xml")          # a file under root
        web.hits["/feed.xml"]               # how many requests reached that path

Files under `root` are served at `/<relative path>`; `web.headers_for[path] = {...}` overrides
response headers of one path (e.g. a Content-Type with a charset). Hostile routes:

- `/_h/gzip-bomb?mb=N`: gzip body inflating to N MiB of zeros (default 4096), built while sent
- `/_h/endless`: a body that never ends
- `/_h/slow`: a few bytes every 50 ms, for ever (the client's total deadline must end it)
- `/_h/loop-a` <-> `/_h/loop-b`: redirect loop; `/_h/chain/N`: N redirects then `/_h/ok`
- `/_h/redirect?to=URL`: one 302 to any URL (e.g. http://169.254.169.254/)
- `/_h/status/CODE?retry_after=VALUE`: that status, with Retry-After when given
- `/_h/html`: an HTML page instead of a feed
"""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
import zlib
from collections import Counter
from email.utils import formatdate
from pathlib import Path

from aiohttp import web

from fakes.loopback import LoopbackServer

_LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)
_HTML = (
    b"<!DOCTYPE html><html><head><title>Not a feed</title><script>alert(1)</script></head>"
    b"<body><h1>Welcome</h1><p>This is a web page, not a feed.</p></body></html>"
)


class FakeWeb(LoopbackServer):
    """Async context manager running the server; see the module docstring."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self.extra: dict[str, tuple[int, bytes, dict[str, str]]] = {}
        self.headers_for: dict[str, dict[str, str]] = {}
        self.hits: Counter[str] = Counter()
        self.port = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def add(
        self, path: str, body: bytes | str, *, status: int = 200,
        content_type: str = "text/html; charset=utf-8", headers: dict[str, str] | None = None,
    ) -> str:
        """Serve fixed bytes at `path`; returns its URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.extra["/" + path.lstrip("/")] = (status, data, {"Content-Type": content_type, **(headers or {})})
        return self.url(path)

    def routes(self, app: web.Application) -> None:
        app.router.add_route("GET", "/{tail:.*}", self._handle)

    # ---------------------------------------------------------------- routing

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.hits[path] += 1
        if path in self.extra:
            status, body, headers = self.extra[path]
            return web.Response(status=status, body=body, headers=headers)
        if path.startswith("/_h/"):
            return await self._hostile(request, path[4:])
        return self._file(request, path)

    def _file(self, request: web.Request, path: str) -> web.StreamResponse:
        if self.root is None:
            raise web.HTTPNotFound()
        target = (self.root / path.lstrip("/")).resolve()
        if self.root.resolve() not in target.parents or not target.is_file():
            raise web.HTTPNotFound()
        data = target.read_bytes()
        etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
        headers = {
            "ETag": etag,
            "Last-Modified": _LAST_MODIFIED,
            "Content-Type": mimetypes.guess_type(target.name)[0] or "application/xml",
            **self.headers_for.get(path, {}),
        }
        if request.headers.get("If-None-Match") == etag or (
            "If-None-Match" not in request.headers
            and request.headers.get("If-Modified-Since") == _LAST_MODIFIED
        ):
            return web.Response(status=304, headers={"ETag": etag, "Last-Modified": _LAST_MODIFIED})
        return web.Response(body=data, headers=headers)

    async def _hostile(self, request: web.Request, name: str) -> web.StreamResponse:
        q = request.query
        if name == "gzip-bomb":
            return await self._gzip_bomb(request, int(q.get("mb", "4096")))
        if name == "endless":
            return await self._stream(request, b"<rss><channel>" + b"a" * 65536, delay=0.0)
        if name == "slow":
            return await self._stream(request, b"<", delay=0.05)
        if name in ("loop-a", "loop-b"):
            other = "loop-b" if name == "loop-a" else "loop-a"
            raise web.HTTPFound(f"/_h/{other}")
        if name.startswith("chain/"):
            left = int(name.split("/", 1)[1])
            raise web.HTTPFound(f"/_h/chain/{left - 1}" if left > 1 else "/_h/ok")
        if name == "ok":
            return web.Response(text="ok")
        if name == "redirect":
            raise web.HTTPFound(q["to"])
        if name.startswith("status/"):
            headers = {"Retry-After": q["retry_after"]} if "retry_after" in q else {}
            return web.Response(status=int(name.split("/", 1)[1]), text="status", headers=headers)
        if name == "html":
            return web.Response(body=_HTML, content_type="text/html")
        raise web.HTTPNotFound()

    async def _stream(self, request: web.Request, chunk: bytes, delay: float) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        try:
            for _ in range(100_000):  # ends on its own eventually, even if a client never does
                await response.write(chunk)
                await asyncio.sleep(delay)
        except (ConnectionError, asyncio.CancelledError):
            pass
        return response

    async def _gzip_bomb(self, request: web.Request, mb: int) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}
        )
        await response.prepare(request)
        first, repeat = _bomb_blocks()
        try:
            await response.write(first)
            for _ in range(mb - 1):  # the CRC trailer is never sent: clients must stop at their cap
                await response.write(repeat)
        except (ConnectionError, asyncio.CancelledError):
            pass
        return response


_BOMB: tuple[bytes, bytes] | None = None


def _bomb_blocks() -> tuple[bytes, bytes]:
    """A gzip header + 1 MiB of zeros, and the ~1 KB deflate block repeating the next MiB.

    Z_FULL_FLUSH resets the dictionary, so every later MiB compresses to identical bytes and the
    server can send gigabytes without compressing (or holding) them."""
    global _BOMB
    if _BOMB is None:
        compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        block = b"\0" * (1 << 20)
        first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
        repeat = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
        _BOMB = (first, repeat)
    return _BOMB
