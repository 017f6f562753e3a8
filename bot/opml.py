"""OPML import and export, so a feed list moves between digestbot and any feed reader.

Sections travel as folders (an outline holding the feeds, titled with the section's name), which
is what feed readers such as Feedly write and read. On import a folder, or failing that an
OPML 2.0 `category` attribute, that names a section (by key or by its name in any language) gives
the feed its section. Attribute names are read in any case (`xmlUrl`, `xmlurl`), `feed://` URLs
are accepted, and every outline that is not imported is reported with the reason.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from bot.ingest.probe import url_problem
from storage import Store

log = logging.getLogger(__name__)

MAX_FOLDER_DEPTH = 32  # readers nest one or two levels; a deeper file is hostile or broken


class OpmlError(Exception):
    """The file is not OPML we can read; the message says why."""


@dataclass(frozen=True)
class OpmlFeed:
    """One feed outline. `category` is its nearest folder (the section, on export); `labels` are
    every folder around it, nearest first, then the parts of its `category` attribute."""

    url: str
    name: str
    category: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpmlSkip:
    """An outline that was not imported, and why."""

    name: str
    url: str
    reason: str

    def line(self) -> str:
        shown = " ".join(part for part in (f'"{self.name}"' if self.name else "", self.url) if part)
        return f"skipped {shown or '(an outline with no title)'}: {self.reason}"


@dataclass(frozen=True)
class OpmlContents:
    """The feeds of a file, in order, and the outlines left out of it."""

    feeds: tuple[OpmlFeed, ...]
    skipped: tuple[OpmlSkip, ...]


def _attrs(node: ET.Element) -> dict[str, str]:
    """Attribute names folded to lower case: readers write xmlUrl, xmlurl and XMLURL alike."""
    return {key.lower(): value.strip() for key, value in node.attrib.items()}


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _outlines(node: ET.Element) -> list[ET.Element]:
    return [child for child in node if _local(child.tag) == "outline"]


def feed_url(raw: str) -> str:
    """`feed://host/x` → `http://host/x`; `feed:https://host/x` and `feed://https://host/x` →
    `https://host/x` (the feed: forms browsers and readers used to hand to a feed reader)."""
    url = raw.strip()
    if url.lower().startswith("feed:"):
        rest = url[5:]
        inner = rest.removeprefix("//")
        if inner.lower().startswith(("http://", "https://")):
            return inner
        return "http://" + rest.lstrip("/")
    return url


def _category_labels(value: str) -> list[str]:
    """OPML 2.0: comma-separated, slash-delimited paths; the innermost part is the most specific."""
    labels: list[str] = []
    for path in value.split(","):
        labels += [part.strip() for part in reversed(path.split("/")) if part.strip()]
    return labels


def scan_opml(data: bytes) -> OpmlContents:
    """Every feed outline with its folders, and every outline skipped with the reason."""
    if b"<!ENTITY" in data.upper():
        raise OpmlError("OPML files declaring entities are refused")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise OpmlError(f"not well-formed XML: {exc}") from exc
    if _local(root.tag) != "opml":
        raise OpmlError(f"the root element is <{root.tag}>, not <opml>")
    body = next((child for child in root if _local(child.tag) == "body"), None)
    if body is None:
        raise OpmlError("no <body> element")
    feeds: list[OpmlFeed] = []
    skipped: list[OpmlSkip] = []
    seen: set[str] = set()

    def walk(node: ET.Element, folders: tuple[str, ...]) -> None:
        if len(folders) > MAX_FOLDER_DEPTH:
            skipped.append(OpmlSkip(folders[0], "", f"folders nested more than {MAX_FOLDER_DEPTH} deep"))
            return
        for child in _outlines(node):
            attrs = _attrs(child)
            title = attrs.get("title") or attrs.get("text") or ""
            raw = attrs.get("xmlurl", "")
            if not raw:
                if _outlines(child):
                    walk(child, (title, *folders) if title else folders)
                else:
                    page = attrs.get("htmlurl", "")
                    why = f"no feed URL (xmlUrl), only a web page ({page})" if page else "no feed URL (xmlUrl)"
                    skipped.append(OpmlSkip(title, "", why))
                continue
            url = feed_url(raw)
            problem = url_problem(url)
            if problem:
                skipped.append(OpmlSkip(title, raw, problem))
            elif url in seen:
                skipped.append(OpmlSkip(title, url, "listed twice in this file"))
            else:
                seen.add(url)
                labels = (*folders, *_category_labels(attrs.get("category", "")))
                feeds.append(OpmlFeed(url, title, folders[0] if folders else "", tuple(labels)))

    walk(body, ())
    return OpmlContents(tuple(feeds), tuple(skipped))


def read_opml(data: bytes) -> list[OpmlFeed]:
    """The feeds of an OPML file (see `scan_opml` for what was skipped)."""
    return list(scan_opml(data).feeds)


def section_matcher(sections: Iterable[tuple[str, Iterable[str]]]) -> Callable[[Sequence[str]], str | None]:
    """A function from a feed's labels to the first section key one of them names (by key or by
    any of its names, ignoring case), or None."""
    names: dict[str, str] = {}
    for key, aliases in sections:
        for alias in (key, *aliases):
            names.setdefault(alias.strip().casefold(), key)
    return lambda labels: next((names[lb.casefold()] for lb in labels if lb.casefold() in names), None)


@dataclass
class ImportReport:
    """What an import did, line by line: added, re-enabled, skipped, and sections not found."""

    added: list[int] = field(default_factory=list)
    restored: list[int] = field(default_factory=list)
    skipped: list[OpmlSkip] = field(default_factory=list)
    unsectioned_folders: list[str] = field(default_factory=list)

    def lines(self, outlines: int) -> list[str]:
        out = [skip.line() for skip in self.skipped]
        if self.unsectioned_folders:
            out.append(
                "imported without a section (no section has this name): "
                + ", ".join(f'"{name}"' for name in self.unsectioned_folders)
            )
        restored = f", {len(self.restored)} removed feed(s) enabled again" if self.restored else ""
        out.append(
            f"imported {len(self.added)} new feed(s){restored} of {outlines} outline(s); "
            f"{len(self.skipped)} skipped"
        )
        return out


def import_feeds(
    store: Store, contents: OpmlContents, section_of: Callable[[Sequence[str]], str | None]
) -> ImportReport:
    """Add the file's feeds that the store does not poll yet (no fetch: a big reader export would
    take minutes; failures show in `feeds list` after the next fetch); report everything left out."""
    report = ImportReport(skipped=list(contents.skipped))
    for entry in contents.feeds:
        known = store.find_feed(entry.url)
        if known is not None and known.enabled:
            report.skipped.append(OpmlSkip(entry.name, entry.url, f"already present as #{known.id}"))
            continue
        section = section_of(entry.labels)
        if section is None and entry.labels and entry.labels[0] not in report.unsectioned_folders:
            report.unsectioned_folders.append(entry.labels[0])
        feed = store.add_feed(entry.url, entry.name, section)
        (report.restored if known is not None else report.added).append(feed.id)
        log.info("opml.imported feed=%d url=%s section=%s", feed.id, feed.url, section)
    return report


def write_opml(feeds: Sequence[OpmlFeed], title: str = "digestbot feeds") -> str:
    """OPML 2.0: feeds without a category at the top, the others in one folder per category."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for feed in feeds:
        parent = body
        if feed.category:
            if feed.category not in folders:
                folders[feed.category] = ET.SubElement(
                    body, "outline", {"text": feed.category, "title": feed.category}
                )
            parent = folders[feed.category]
        label = feed.name or feed.url
        ET.SubElement(parent, "outline", {"type": "rss", "text": label, "title": label, "xmlUrl": feed.url})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
