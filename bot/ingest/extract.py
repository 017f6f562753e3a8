"""Main text of a web page with trafilatura (fast mode), off the event loop."""

from __future__ import annotations

import asyncio
import logging
import re

import trafilatura

from bot.ingest.parse import decode_bytes
from bot.ingest.text import clean_lines

log = logging.getLogger(__name__)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.I)


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Page bytes → text: valid UTF-8 first, then the HTTP charset, then <meta charset>."""
    if not (content_type and "charset" in content_type.lower()):
        match = _META_CHARSET.search(body[:4096])
        if match:
            content_type = f"text/html; charset={match.group(1).decode('ascii', 'ignore')}"
    return decode_bytes(body, content_type)[0]


def extract_text(html: str, url: str | None = None) -> tuple[str, str]:
    """(title, main text) of a page; empty strings when nothing article-like is found."""
    doc = trafilatura.bare_extraction(
        html, url=url, fast=True, include_comments=False, include_tables=True, with_metadata=True
    )
    if doc is None:
        return "", ""
    data = doc if isinstance(doc, dict) else doc.as_dict()
    title = " ".join(str(data.get("title") or "").split())
    return title, clean_lines(str(data.get("text") or ""))


async def extract_page(body: bytes, *, url: str, content_type: str | None = None) -> tuple[str, str]:
    """Decode and extract in a worker thread: trafilatura is CPU-bound."""

    def work() -> tuple[str, str]:
        return extract_text(decode_html(body, content_type), url)

    return await asyncio.to_thread(work)
