"""Feed bytes → ParsedFeed, never trusting the bytes: encoding repair, entity attacks refused,
HTML pages and empty bodies recognised, fields sanitised and capped. Parsing runs on the parse
worker (feedparser off the loop, and its HTML through lxml in one thread only)."""

from __future__ import annotations

import codecs
import logging
import re
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin
from xml.parsers import expat

import feedparser

from bot.ingest import FetchError
from bot.ingest.boilerplate import repeated_fragments, strip_repeated
from bot.ingest.junk import clean_text, render_math
from bot.ingest.lang import detect_language
from bot.ingest.text import clean_lines, html_to_text
from bot.ingest.urls import canonical_url, normalize_text
from bot.ingest.worker import run_parser
from bot.models import ParsedEntry, ParsedFeed

log = logging.getLogger(__name__)

MAX_TITLE_CHARS = 1000
MAX_TEXT_CHARS = 200_000
MAX_GUID_CHARS = 1000
STUB_CHARS = 500  # feed text shorter than this is a teaser: fetch the page when recent
_EARLIEST_YEAR = 1980  # 1970 and year-1 dates are placeholders, not publication times

_XML_DECL_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_XML_DECL = re.compile(r"^<\?xml[^>]*\?>")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FIRST_ELEMENT = re.compile(r"<[A-Za-z_]")
_HTML_ROOT = re.compile(r"<(?:html|head|body)[\s>]", re.IGNORECASE)
_GB = {"gb2312", "gbk", "gb18030", "gb_2312-80", "x-gbk", "euc-cn", "cp936", "hz-gb-2312"}


def _codec(label: str | None) -> str | None:
    """A Python codec for a declared charset label, widened the way browsers widen them."""
    if not label:
        return None
    label = label.strip().strip("'\"").lower()
    if label in _GB:
        return "gb18030"
    if label in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _http_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = re.search(r"charset\s*=\s*['\"]?([A-Za-z0-9._:-]+)", content_type, re.IGNORECASE)
    return match.group(1) if match else None


def _cjk_pairs(body: bytes) -> bool:
    """Whether high bytes come in pairs (double-byte CJK) rather than alone (Latin-1 accents)."""
    high = paired = 0
    i, n = 0, min(len(body), 200_000)
    while i < n:
        if body[i] >= 0x81:
            high += 1
            if i + 1 < n and (body[i + 1] >= 0x81 or 0x40 <= body[i + 1] <= 0x7E):
                paired += 1
                i += 2
                continue
        i += 1
    return high >= 4 and paired / high > 0.8


def _gb2312_share(text: str) -> float:
    chars = [c for c in text if ord(c) > 0x7F][:3000]
    if not chars:
        return 0.0
    ok = 0
    for c in chars:
        try:
            c.encode("gb2312")
            ok += 1
        except UnicodeEncodeError:
            pass
    return ok / len(chars)


def _mostly_utf8(body: bytes) -> str | None:
    """The UTF-8 text when the bytes are UTF-8, tolerating a cut-off last character and the odd
    stray byte among many valid multi-byte characters (truncated or sloppily built feeds)."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = body.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - body.count("\ufffd".encode())
    multibyte = sum(1 for c in text if ord(c) > 0x7F and c != "\ufffd")
    if bad <= max(2, multibyte // 1000) and multibyte >= 20 * bad:
        return text
    return None


def decode_bytes(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding used). BOM and UTF-16 patterns first, then valid UTF-8 over any label,
    then the HTTP charset, then the XML declaration, then GB18030/Big5 detection, then cp1252."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"),
                      (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                      (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            return body[len(bom):].decode(name, errors="replace"), name
    head = body[:4]
    if head.startswith(b"\0<") or head[:4] in (b"\0\0\0<",) or (head[:1] == b"\0" and head[1:2] != b"\0"):
        return body.decode("utf-16-be", errors="replace"), "utf-16-be"
    if head.startswith(b"<\0") and not head.startswith(b"<\0\0\0"):
        return body.decode("utf-16-le", errors="replace"), "utf-16-le"
    utf8 = _mostly_utf8(body)
    if utf8 is not None:
        return utf8, "utf-8"
    match = _XML_DECL_ENCODING.match(body[:500])
    for label in (_http_charset(content_type), match.group(1).decode() if match else None):
        codec = _codec(label)
        if codec and not codec.startswith(("utf-8", "utf_8", "utf-16", "utf_16")):
            try:
                return body.decode(codec), codec
            except (UnicodeDecodeError, LookupError):
                pass
    if _cjk_pairs(body):
        gb = body.decode("gb18030", errors="replace")
        if _gb2312_share(gb) >= 0.9:
            return gb, "gb18030"
        big5 = body.decode("big5", errors="replace")
        if big5.count("\ufffd") <= gb.count("\ufffd"):
            return big5, "big5"
        return gb, "gb18030"
    try:
        return body.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return body.decode("latin-1"), "latin-1"


def _gunzip(body: bytes, limit: int) -> bytes:
    obj = zlib.decompressobj(wbits=47)
    try:
        out = obj.decompress(body, limit + 1)
    except zlib.error as exc:
        raise FetchError(f"corrupt gzip body: {exc}") from exc
    if len(out) > limit:
        raise FetchError(f"response larger than {limit} bytes")
    return out


class _PrologVerdict(Exception):
    """Stops expat at the first entity declaration (True) or at the root element (False)."""

    def __init__(self, declares: bool) -> None:
        super().__init__(declares)
        self.declares = declares


def _declares_entities(text: str) -> bool:
    """Whether the DTD declares any entity, asked of expat itself and stopped at the root element:
    a comment, processing instruction or quoted '<' before or inside the DTD cannot hide one, and
    nothing is expanded (expat's own amplification limit costs seconds of CPU and varies by version)."""

    def verdict(declares: bool) -> Callable[..., None]:
        def handler(*_args: object) -> None:
            raise _PrologVerdict(declares)

        return handler

    parser = expat.ParserCreate()
    parser.EntityDeclHandler = verdict(True)
    parser.StartElementHandler = verdict(False)
    try:
        parser.Parse(text, True)  # a str is parsed as UTF-8 whatever the declaration says
    except _PrologVerdict as found:
        return found.declares
    except expat.ExpatError:
        return False  # malformed before any declaration: feedparser's loose parser expands nothing
    return False


def prepare(body: bytes, content_type: str | None = None, *, max_bytes: int = 10_000_000) -> tuple[str, str]:
    """Decoded, cleaned document text ready for feedparser, or FetchError saying why not."""
    if body.startswith(b"\x1f\x8b"):
        body = _gunzip(body, max_bytes)
    if not body.strip():
        raise FetchError("not a feed: empty response")
    text, encoding = decode_bytes(body, content_type)
    text = _ILLEGAL.sub("", text.lstrip("\ufeff \t\r\n"))
    if not text:
        raise FetchError("not a feed: empty response")
    first = _FIRST_ELEMENT.search(text)
    prolog = text[: first.start()] if first else text
    if ("<!ENTITY" in prolog.upper() and "<!DOCTYPE" in prolog.upper()) or (
        "<!DOCTYPE" in text and _declares_entities(text)
    ):
        raise FetchError("refused: the document declares XML entities (entity-expansion/XXE risk)")
    if first and _HTML_ROOT.match(text, first.start()):
        raise FetchError("not a feed: HTML page")
    # The text is UTF-8 from here on: the declaration must not claim anything else.
    text = _XML_DECL.sub('<?xml version="1.0" encoding="utf-8"?>', text, count=1)
    return text, encoding


def _published(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = dict.get(entry, key)  # plain dict lookup: skips feedparser's deprecated key aliasing
        if value:
            try:
                year, month, day, hour, minute, second = value[:6]
                when = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
            except (TypeError, ValueError):
                continue
            if when.year >= _EARLIEST_YEAR:
                return when
    return None


def _link(entry: Any, base: str) -> str | None:
    candidates = [entry.get("link")]
    candidates += [l.get("href") for l in entry.get("links", []) if l.get("rel", "alternate") == "alternate"]
    guid = entry.get("id")
    if guid and entry.get("guidislink", True):
        candidates.append(guid)
    for href in candidates:
        if not href or not isinstance(href, str):
            continue
        absolute = urljoin(base, href.strip())
        if absolute.lower().startswith(("http://", "https://")):
            return canonical_url(absolute)
    return None


def _text(entry: Any) -> str:
    bodies = [c.get("value", "") for c in entry.get("content", []) or []]
    bodies.append(entry.get("summary", "") or "")
    best = max(bodies, key=len)
    return html_to_text(best[: MAX_TEXT_CHARS * 4])[:MAX_TEXT_CHARS]


def _title(raw: str) -> str:
    return " ".join(render_math(html_to_text(raw[: MAX_TITLE_CHARS * 4])).split())[:MAX_TITLE_CHARS]


def is_stub(title: str, text: str) -> bool:
    """A teaser: short feed text (once cleaned), or little beyond the title it starts with."""
    body = normalize_text(text)
    head = normalize_text(title)
    if head and body.startswith(head):
        body = body[len(head):].strip()
    return len(body) < STUB_CHARS


def clean_entry_texts(pairs: list[tuple[str, str]]) -> list[str]:
    """Each (title, text) of one feed's entries → its text without junk lines, rendered math and
    the feed's own boilerplate (fragments repeated across its entries: see boilerplate.py)."""
    cleaned = [clean_text(text) for _, text in pairs]
    repeated = repeated_fragments(zip((t for t, _ in pairs), cleaned, strict=True))
    return [strip_repeated(text, title, repeated) for (title, _), text in zip(pairs, cleaned, strict=True)]


def parse_feed_bytes(body: bytes, *, url: str, content_type: str | None = None,
                     max_bytes: int = 10_000_000) -> ParsedFeed:
    """Parse feed bytes synchronously (call `parse_feed` from async code)."""
    text, encoding = prepare(body, content_type, max_bytes=max_bytes)
    result = feedparser.parse(
        text.encode("utf-8"),
        response_headers={"content-type": "application/xml; charset=utf-8", "content-location": url},
        sanitize_html=True,
        resolve_relative_uris=True,
    )
    feed = result.get("feed", {})
    raw_entries = result.get("entries", [])
    if not result.get("version") and not raw_entries:
        why = result.get("bozo_exception")
        raise FetchError("not a feed: no RSS or Atom content" + (f" ({str(why)[:120]})" if why else ""))
    warnings: list[str] = []
    if result.get("bozo"):
        warnings.append(f"malformed feed: {str(result.get('bozo_exception'))[:200]}")
    if encoding not in ("utf-8", "ascii"):
        warnings.append(f"decoded as {encoding}")
    link = feed.get("link") if isinstance(feed.get("link"), str) else None
    base = urljoin(url, link) if link else url
    kept: list[tuple[Any, str, str, str]] = []  # (raw entry, url, title, text as the feed gave it)
    skipped = 0
    for raw in raw_entries:
        entry_url = _link(raw, base)
        if entry_url is None:
            skipped += 1
            continue
        entry_text = _text(raw)
        title = _title(raw.get("title", "") or "") or clean_lines(entry_text)[:80] or entry_url
        kept.append((raw, entry_url, title, entry_text))
    texts = clean_entry_texts([(title, text) for _, _, title, text in kept])
    entries: list[ParsedEntry] = []
    for (raw, entry_url, title, _), entry_text in zip(kept, texts, strict=True):
        guid = raw.get("id")
        entries.append(
            ParsedEntry(
                url=entry_url,
                title=title,
                text=entry_text,
                guid=guid[:MAX_GUID_CHARS] if isinstance(guid, str) and guid.strip() else None,
                published=_published(raw),
                language=detect_language(title + "\n" + entry_text[:3000]),
                is_stub=is_stub(title, entry_text),
            )
        )
    if skipped:
        warnings.append(f"{skipped} entries without a usable http(s) link skipped")
    feed_title = _title(feed.get("title", "") or "")
    sample = feed_title + " " + " ".join(e.title for e in entries[:20])
    return ParsedFeed(
        title=feed_title,
        link=canonical_url(base) if base.lower().startswith("http") else None,
        language=detect_language(sample) if sample.strip() else None,
        entries=tuple(entries),
        warnings=tuple(warnings),
    )


async def parse_feed(body: bytes, *, url: str, content_type: str | None = None,
                     max_bytes: int = 10_000_000) -> ParsedFeed:
    """Parse on the parse worker: feedparser is CPU-bound (a big feed would stall the bot) and
    entry HTML goes through lxml, which must never parse in two threads at once."""
    return await run_parser(
        parse_feed_bytes, body, url=url, content_type=content_type, max_bytes=max_bytes
    )
