"""HTML → plain text for feed fields: scripts and styles dropped, block structure kept as lines."""

from __future__ import annotations

import re

import lxml.etree
import lxml.html

_DROP = ("script", "style", "noscript", "iframe", "object", "embed", "template", "svg", "head")
_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
    "tr", "table", "section", "article", "header", "footer", "figure", "figcaption", "hr", "dd",
    "dt", "dl", "aside", "nav", "main",
}
_MARKUP = re.compile(r"<[A-Za-z/!?]|&[#A-Za-z0-9]+;")
_SPACES = re.compile(r"[ \t\u00a0\u200b\u3000\f\v]+")
_BLANKS = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_lines(text: str) -> str:
    """Collapse runs of spaces, trim lines, keep at most one blank line between paragraphs."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment; plain text passes through (only whitespace cleaned)."""
    if not html:
        return ""
    if not _MARKUP.search(html):
        return clean_lines(html)
    try:
        root = lxml.html.fragment_fromstring(_CONTROL.sub("", html), create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return clean_lines(re.sub(r"<[^>]*>", " ", html))
    for bad in list(root.iter(*_DROP)):
        parent = bad.getparent()
        if parent is not None:
            bad.drop_tree()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag in _BLOCK:
            el.tail = "\n" + (el.tail or "")
            if el.tag in ("p", "div", "li", "blockquote", "pre", "tr") or el.tag.startswith("h"):
                el.text = "\n" + (el.text or "")
    return clean_lines(root.text_content())
