"""OPML import and export, so a feed list moves between digestbot and any feed reader."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass


class OpmlError(Exception):
    """The file is not OPML we can read; the message says why."""


@dataclass(frozen=True)
class OpmlFeed:
    url: str
    name: str
    category: str


def read_opml(data: bytes) -> list[OpmlFeed]:
    """Every outline with an xmlUrl, with the title of the outline folder it sits in."""
    if b"<!ENTITY" in data:
        raise OpmlError("OPML files declaring entities are refused")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise OpmlError(f"not well-formed XML: {exc}") from exc
    if root.tag != "opml":
        raise OpmlError(f"the root element is <{root.tag}>, not <opml>")
    body = root.find("body")
    if body is None:
        raise OpmlError("no <body> element")
    feeds: list[OpmlFeed] = []

    def walk(node: ET.Element, category: str) -> None:
        for child in node.findall("outline"):
            url = (child.get("xmlUrl") or "").strip()
            title = (child.get("title") or child.get("text") or "").strip()
            if url:
                feeds.append(OpmlFeed(url=url, name=title, category=category))
            else:
                walk(child, title or category)

    walk(body, "")
    return feeds


def write_opml(feeds: list[OpmlFeed], title: str = "digestbot feeds") -> str:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for feed in feeds:
        attrs = {"type": "rss", "text": feed.name or feed.url, "title": feed.name or feed.url,
                 "xmlUrl": feed.url}
        if feed.category:
            attrs["category"] = feed.category
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
