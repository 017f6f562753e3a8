"""Checking a feed URL before it is added: shape first, then one fetch through the guard and a parse.

Shared by the chat's /addfeed and `digestbot feeds add`, so both refuse the same things (an HTML
page, a 404, a closed port, a private address) with the same reasons.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import httpx

from bot.config import Settings
from bot.ingest.fetch import fetch_url
from bot.ingest.guard import make_client
from bot.ingest.parse import parse_feed
from bot.models import ParsedFeed

log = logging.getLogger(__name__)

MAX_URL_CHARS = 2048  # longer "URLs" in feed lists are pasted junk; servers refuse them anyway


def url_problem(url: str) -> str | None:
    """Why `url` cannot be fetched as a feed or page (not http(s), no host, spaces…), or None when it can."""
    if not url.lower().startswith(("http://", "https://")):
        return "not an http(s) URL"
    if len(url) > MAX_URL_CHARS:
        return f"longer than {MAX_URL_CHARS} characters"
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return "contains spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return "not a valid URL"
    if not parts.hostname:
        return "has no host name"
    return None


async def probe_feed(url: str, settings: Settings, *, client: httpx.AsyncClient | None = None) -> ParsedFeed:
    """Fetch a feed once through the network guard and parse it; FetchError says why it is unusable."""
    if client is None:
        async with make_client(settings.fetch) as own:
            return await probe_feed(url, settings, client=own)
    body = await fetch_url(client, url, settings.fetch)
    parsed = await parse_feed(
        body.body,
        url=body.url,
        content_type=body.headers.get("content-type"),
        max_bytes=settings.fetch.max_bytes,
    )
    log.info("feed.probed url=%s entries=%d", url, len(parsed.entries))
    return parsed
