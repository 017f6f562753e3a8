"""Markdown rendering in the shape of /work/shared/examples/digest-zh.md, with feed text escaped."""

from __future__ import annotations

import re

from bot.digest.strings import fill, stats_lines, t
from bot.digest.text import MAX_POINT, MAX_SOURCE, MAX_TITLE, clean, clip, safe_url
from bot.models import Digest, DigestItem, Headline

# Backslash-escaped everywhere: every character that can open emphasis, code, a link, an image, raw
# HTML, an entity, a table cell or strikethrough (CommonMark allows escaping any ASCII punctuation).
_SPECIAL = re.compile(r"([\\`*_\[\]()<>#!|~&{}])")
# At the start of a line these begin a list, a quote or a heading even inside our own list items.
_LEADING = re.compile(r"^([-+=>]|\d+(?=[.)]))")
_URL_UNSAFE = {"(": "%28", ")": "%29", "<": "%3C", ">": "%3E", "\\": "%5C", " ": "%20", "`": "%60"}


def escape_inline(text: str) -> str:
    """Markup characters escaped, nothing else touched (for our own template wording)."""
    return _SPECIAL.sub(r"\\\1", text)


def escape_markdown(text: str) -> str:
    """Feed text as inert Markdown: one line, every markup character escaped."""
    text = escape_inline(clean(text))
    match = _LEADING.match(text)
    if match:
        if match.group(1).isdigit():
            end = match.end()
            text = text[:end] + "\\" + text[end:]
        else:
            text = "\\" + text
    return text


def _href(url: str) -> str | None:
    safe = safe_url(url)
    if safe is None:
        return None
    return "".join(_URL_UNSAFE.get(ch, ch) for ch in safe)


def link(label: str, url: str) -> str:
    """[label](url) for http(s) URLs; just the escaped label otherwise."""
    href = _href(url)
    return f"[{label}]({href})" if href else label


def _item(item: DigestItem, language: str) -> list[str]:
    title = escape_markdown(clip(clean(item.title), MAX_TITLE)) or escape_inline(t(language, "untitled"))
    lines = [f"### {title} {escape_markdown(item.emoji)}".rstrip(), ""]
    if item.points:
        lines += [f"> {escape_inline(t(language, 'key_points'))}", ""]
        lines += [f"- {escape_markdown(clip(clean(p), MAX_POINT))}" for p in item.points]
        lines.append("")
    url_text = escape_markdown(item.url)
    lines.append(escape_inline(t(language, "original_link")) + link(url_text, item.url))
    if item.also:
        sep = escape_inline(t(language, "also_sep"))
        links = [
            link(escape_markdown(clip(clean(a.source), MAX_SOURCE)) or escape_markdown(a.url), a.url)
            for a in item.also
        ]
        lines.append(escape_inline(t(language, "also")) + sep.join(links))
    lines.append("")
    return lines


def render_markdown(digest: Digest) -> str:
    """The whole digest as one Markdown document (CLI output, files, the README sample)."""
    lang = digest.language
    esc = escape_markdown
    out = [f"# {esc(digest.title)}", ""]
    if digest.web_url and _href(digest.web_url):
        out += [link(escape_inline(t(lang, "web_link")), digest.web_url), ""]
    out += [f"## {escape_inline(t(lang, 'purpose_header'))}", escape_inline(t(lang, "purpose")), ""]
    out += [f"## {escape_inline(t(lang, 'highlights_header'))}"]
    out += [f"> {line}" for line in stats_lines(digest.stats, lang, escape_inline, lambda s: f"**{s}**")]
    out.append("")
    if digest.highlights:
        out += [f"- {esc(clip(clean(h.title), MAX_TITLE))} {esc(h.emoji)}".rstrip() for h in digest.highlights]
        out.append("")
    if not digest.items():
        out += [escape_inline(t(lang, "empty")), ""]
    for section in digest.sections:
        if not section.items:
            continue
        out += [f"## {esc(section.name)}", ""]
        for item in section.items:
            out += _item(item, lang)
    if digest.failed_feeds:
        out += [f"## {escape_inline(t(lang, 'failed_feeds_header'))}", ""]
        out += [
            "- " + fill(lang, "failed_feed_line", escape_inline, name=esc(name), reason=esc(reason))
            for name, reason in digest.failed_feeds
        ]
        out.append("")
    if digest.headlines:  # last: stories with nothing beyond a title, one line each
        out += [f"## {escape_inline(t(lang, 'headlines_header'))}", ""]
        out += [_headline(h, lang) for h in digest.headlines]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _headline(headline: Headline, language: str) -> str:
    title = escape_markdown(clip(clean(headline.title), MAX_TITLE)) or escape_inline(t(language, "untitled"))
    source = escape_markdown(clip(clean(headline.source), MAX_SOURCE))
    return f"- {link(title, headline.url)}" + (f" · {source}" if source else "")
