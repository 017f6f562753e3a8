"""Checks a person would make of a generated site: every page parses as HTML5 without one error,
every link lands inside the site (on an existing id) or on an http(s) URL the digest holds, nothing
in a page can run, and the feeds meet their specifications."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import feedparser
import html5lib
import jsonschema
from html5lib.html5parser import ParseError

from bot.models import Digest

ATOM = "{http://www.w3.org/2005/Atom}"

# JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/), the fields we emit and their rules,
# written from the specification: version, title and items required; each item has a string id and
# content_html or content_text; dates are RFC 3339; unknown top-level keys must start with "_".
_RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
JSON_FEED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "title": {"type": "string", "minLength": 1},
        "home_page_url": {"type": "string", "pattern": "^https?://"},
        "feed_url": {"type": "string", "pattern": "^https?://"},
        "description": {"type": "string"},
        "language": {"type": "string", "pattern": "^[a-zA-Z]{2,3}(-[a-zA-Z0-9]+)*$"},
        "authors": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "anyOf": [{"required": ["content_html"]}, {"required": ["content_text"]}],
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "url": {"type": "string"},
                    "title": {"type": "string"},
                    "summary": {"type": "string"},
                    "content_html": {"type": "string"},
                    "date_published": {"type": "string", "pattern": _RFC3339},
                    "date_modified": {"type": "string", "pattern": _RFC3339},
                    "language": {"type": "string"},
                },
                "additionalProperties": False,
            },
        },
    },
    "patternProperties": {"^_": {}},
    "additionalProperties": False,
}


def parse_page(data: bytes) -> ET.Element:
    """The page through html5lib's WHATWG parser in strict mode: the first parse error raises."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(data)


def digest_urls(digests: Iterable[Digest]) -> set[str]:
    """Every URL a digest holds (stories, "also reported by", headlines when the model has them)."""
    urls: set[str] = set()
    for d in digests:
        for item in d.items():
            urls.add(item.url)
            urls |= {a.url for a in item.also}
        urls |= {h.url for h in getattr(d, "headlines", ())}
    return urls


@dataclass
class SiteCheck:
    """What walking the site found; `problems` must be empty."""

    pages: dict[str, ET.Element] = field(default_factory=dict)
    external: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def _target(site: Path, path: str) -> Path:
    target = site / unquote(path).lstrip("/")
    return target / "index.html" if path.endswith("/") or target.is_dir() else target


def check_site(site: Path, allowed: set[str], base_url: str | None = None) -> SiteCheck:
    """Parse every page strictly and follow every href and src: inside the site the file (and the
    #id) must exist; outside it only http(s) URLs from `allowed` may appear."""
    out = SiteCheck()
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site).as_posix()
        try:
            out.pages[rel] = parse_page(path.read_bytes())
        except ParseError as exc:
            out.problems.append(f"{rel}: not valid HTML5: {exc}")
    ids = {rel: [e.get("id") for e in doc.iter() if e.get("id")] for rel, doc in out.pages.items()}
    for rel, found in ids.items():
        if len(found) != len(set(found)):
            out.problems.append(f"{rel}: duplicate ids")
    for rel, doc in out.pages.items():
        page_url = "http://site.invalid/" + rel
        for element in doc.iter():
            for attr in ("href", "src"):
                value = element.get(attr)
                if value is None:
                    continue
                out.problems += _check_link(site, rel, page_url, value, allowed, base_url, ids)
    return out


def _check_link(site: Path, rel: str, page_url: str, value: str, allowed: set[str],
                base_url: str | None, ids: dict[str, list[str | None]]) -> list[str]:
    if base_url and value.startswith(base_url):
        value = "http://site.invalid/" + value[len(base_url):]
    elif urlsplit(value).scheme:
        if value.startswith(("http://", "https://")) and value in allowed:
            return []
        return [f"{rel}: link outside the site that the digest does not hold: {value[:120]!r}"]
    absolute, fragment = urldefrag(urljoin(page_url, value))
    if not absolute.startswith("http://site.invalid/"):
        return [f"{rel}: link escapes the site: {value!r}"]
    path = absolute[len("http://site.invalid/"):]
    target = _target(site, path)
    if not target.is_file():
        return [f"{rel}: broken link {value!r} (no {target.relative_to(site)})"]
    if fragment:
        target_rel = target.relative_to(site).as_posix()
        if fragment not in ids.get(target_rel, []):
            return [f"{rel}: link {value!r} names no id in {target_rel}"]
    return []


def inert_problems(doc: ET.Element) -> list[str]:
    """Anything that could run or load from elsewhere: script-ish elements, event handlers, inline
    styles, non-http(s) link schemes."""
    problems = []
    for element in doc.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in ("script", "iframe", "object", "embed", "img", "form", "base", "svg", "math"):
            problems.append(f"<{tag}> element")
        for name, value in element.attrib.items():
            if name.lower().startswith("on") or name.lower() == "style":
                problems.append(f"{name}= attribute on <{tag}>")
            if name in ("href", "src", "action") and urlsplit(value).scheme not in ("", "http", "https"):
                problems.append(f"{name}={value[:60]!r}")
    return problems


def text_of(doc: ET.Element) -> str:
    return "".join(doc.itertext())


def check_atom(data: bytes) -> tuple[Any, ET.Element]:
    """feed.xml parsed twice: strictly as XML (ElementTree), and by feedparser with no bozo."""
    root = ET.fromstring(data)
    assert root.tag == f"{ATOM}feed"
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed, root


def check_json_feed(data: bytes) -> dict[str, Any]:
    feed = json.loads(data)
    jsonschema.validate(feed, JSON_FEED_SCHEMA)
    return feed
