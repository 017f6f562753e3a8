"""Main text of a web page with trafilatura (fast mode), on the parse worker (never two at once)."""

from __future__ import annotations

import html as htmllib
import logging
import re

import trafilatura

from bot.ingest.junk import clean_text
from bot.ingest.parse import decode_bytes
from bot.ingest.text import clean_lines
from bot.ingest.worker import run_parser

log = logging.getLogger(__name__)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Page bytes → text: valid UTF-8 first, then the HTTP charset, then <meta charset>."""
    if not (content_type and "charset" in content_type.lower()):
        match = _META_CHARSET.search(body[:4096])
        if match:
            content_type = f"text/html; charset={match.group(1).decode('ascii', 'ignore')}"
    return decode_bytes(body, content_type)[0]


_VALUE = r"""(?:"([^"]*)"|'([^']*)')"""  # a quoted attribute value, either quote
_OG = r"""property\s*=\s*["']og:title["']"""
_OG_TITLE = (
    re.compile(r"<meta[^>]+" + _OG + r"[^>]*content\s*=\s*" + _VALUE, re.IGNORECASE),
    re.compile(r"<meta[^>]+content\s*=\s*" + _VALUE + r"[^>]*" + _OG, re.IGNORECASE),
)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)


def page_title(html: str) -> str:
    """The page's og:title, else its <title>; cheap, from the head only."""
    head = html[:65536]
    for pattern in (*_OG_TITLE, _TITLE):
        match = pattern.search(head)
        if match:
            raw = next((g for g in match.groups() if g), "")
            title = " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", raw)).split())
            if title:
                return title[:1000]
    return ""


def extract_text(html: str, url: str | None = None) -> tuple[str, str]:
    """(title, main text) of a page; empty strings when nothing article-like is found.

    trafilatura's metadata pass (dates, authors, site names) costs a third of the time and the
    bot needs only the title, which `page_title` reads from the head: 120 instead of 80 pages/s,
    same F1 (benchmarks/extraction.py).
    """
    doc = trafilatura.bare_extraction(
        html, url=url, fast=True, include_comments=False, include_tables=True, with_metadata=False
    )
    if doc is None:
        return page_title(html), ""
    data = doc if isinstance(doc, dict) else doc.as_dict()
    return page_title(html), clean_text(clean_lines(str(data.get("text") or "")))


def extract_document(body: bytes, url: str, content_type: str | None = None) -> tuple[str, str]:
    """Decode and extract page bytes synchronously: call only on the parse worker (or in a
    process where nothing else parses), since trafilatura shares one lxml parser object."""
    return extract_text(decode_html(body, content_type), url)


async def extract_page(body: bytes, *, url: str, content_type: str | None = None) -> tuple[str, str]:
    """Decode and extract on the parse worker: CPU-bound, and lxml must not run in two threads."""
    return await run_parser(extract_document, body, url, content_type)
