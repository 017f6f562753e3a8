"""fetch_url against hostile servers on loopback: every limit ends in a FetchError with a reason."""

from __future__ import annotations

import gzip
import time
import zlib
from datetime import UTC, datetime

import pytest
from fakes.web import FakeWeb

from bot.config import FetchSettings
from bot.ingest import FetchError
from bot.ingest.fetch import fetch_url, parse_retry_after
from bot.ingest.guard import make_client
from bot.ingest.reasons import known

SETTINGS = FetchSettings(timeout_seconds=0.7, max_bytes=1_000_000, max_redirects=3,
                         allow_private_addresses=True)


async def _fail(web: FakeWeb, path: str, settings: FetchSettings = SETTINGS) -> tuple[FetchError, float]:
    started = time.monotonic()
    async with make_client(settings) as client:
        with pytest.raises(FetchError) as err:
            await fetch_url(client, web.url(path), settings)
    return err.value, time.monotonic() - started


async def test_gzip_bomb_stops_at_the_decompressed_cap() -> None:
    async with FakeWeb() as web:
        err, took = await _fail(web, "/_h/gzip-bomb")
    assert err.reason == "response larger than 1000000 bytes"
    assert took < SETTINGS.timeout_seconds


async def test_endless_body_stops_at_the_cap() -> None:
    async with FakeWeb() as web:
        err, _ = await _fail(web, "/_h/endless")
    assert err.reason == "response larger than 1000000 bytes"


async def test_slow_drip_ends_at_the_total_deadline() -> None:
    async with FakeWeb() as web:
        err, took = await _fail(web, "/_h/slow")
    assert err.reason == "timed out after 0.7 s"
    assert 0.6 < took < 2.0


async def test_redirect_loop_and_redirect_cap() -> None:
    async with FakeWeb() as web:
        loop, _ = await _fail(web, "/_h/loop-a")
        many, _ = await _fail(web, "/_h/chain/4")
        async with make_client(SETTINGS) as client:
            ok = await fetch_url(client, web.url("/_h/chain/3"), SETTINGS)
    assert loop.reason.startswith("redirect loop at http://127.0.0.1")
    assert many.reason == "too many redirects (3)"
    assert ok.status == 200 and ok.url.endswith("/_h/ok")


async def test_retry_after_seconds_and_http_errors() -> None:
    async with FakeWeb() as web:
        limited, _ = await _fail(web, "/_h/status/429?retry_after=120")
        unavailable, _ = await _fail(web, "/_h/status/503")
        missing, _ = await _fail(web, "/nothing-here")
    assert limited.retry_after == 120 and limited.reason == "HTTP 429 (retry after 120 s)"
    assert unavailable.reason == "HTTP 503" and unavailable.retry_after is None
    assert missing.reason == "HTTP 404"


def test_retry_after_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("Thu, 01 Jan 2026 12:05:00 GMT", now=now) == 300
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


async def test_conditional_get_gives_not_modified(tmp_path) -> None:
    (tmp_path / "feed.xml").write_bytes(b"<rss><channel><title>t</title></channel></rss>")
    async with FakeWeb(tmp_path) as web, make_client(SETTINGS) as client:
        first = await fetch_url(client, web.url("feed.xml"), SETTINGS)
        again = await fetch_url(client, web.url("feed.xml"), SETTINGS, etag=first.etag)
        by_date = await fetch_url(client, web.url("feed.xml"), SETTINGS, last_modified=first.last_modified)
    assert first.status == 200 and first.etag and not first.not_modified
    assert again.not_modified and again.status == 304 and again.body == b""
    assert by_date.not_modified


async def test_compressed_bodies_are_inflated() -> None:
    text = b"<rss>" + b"x" * 5000 + b"</rss>"
    async with FakeWeb() as web, make_client(SETTINGS) as client:
        web.add("/gz", gzip.compress(text), content_type="application/xml",
                headers={"Content-Encoding": "gzip"})
        web.add("/magic", gzip.compress(text), content_type="application/xml")  # no Content-Encoding
        web.add("/deflate", zlib.compress(text), content_type="application/xml",
                headers={"Content-Encoding": "deflate"})
        for path in ("/gz", "/magic", "/deflate"):
            assert (await fetch_url(client, web.url(path), SETTINGS)).body == text


async def test_connection_refused_is_a_readable_error() -> None:
    async with make_client(SETTINGS) as client:
        with pytest.raises(FetchError) as err:
            await fetch_url(client, "http://127.0.0.1:1/feed", SETTINGS)
    # the cause under httpx's "All connection attempts failed", without its "[Errno 111]"
    assert err.value.reason == "network error: connection refused" and known(err.value.reason)
