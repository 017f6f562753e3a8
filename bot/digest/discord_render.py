"""Discord rendering: embeds within Discord's limits, feed text escaped so it can neither format,
link nor mention anyone.

Limits (Discord API, "Embed Limits" and "Message Components"): content 2000, embed title 256,
description 4096, 10 embeds and 6000 characters in all embeds of a message, 5 rows of 5 buttons,
button label 80, custom_id 100. Lengths are counted in UTF-16 units here, never less than Discord's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from bot.digest import buttons
from bot.digest.strings import stats_lines, t
from bot.digest.text import MAX_SOURCE, MAX_TITLE, clean, clip, clip_cost, safe_url, utf16_len
from bot.models import Button, Digest, DigestItem, Embed, Headline, OutMessage

CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL_LIMIT = 6000
BUTTONS_PER_MESSAGE = 25
MAX_HREF = 512  # masked links with longer URLs are shown as plain names

_SPECIAL = re.compile(r"([\\*_~`|>\[\]()<#-])")
_URL_UNSAFE = {"(": "%28", ")": "%29", "<": "%3C", ">": "%3E", " ": "%20", "[": "%5B", "]": "%5D"}
ZWSP = "\u200b"


def escape_discord(text: str) -> str:
    """Any text as inert Discord markdown: markup characters backslash-escaped, every '@' followed
    by a zero-width space so @everyone, @here and <@id> can never ping; newlines kept."""
    out: list[str] = []
    for ch in text or "":
        cat = unicodedata.category(ch)
        if cat == "Cs":
            out.append("\ufffd")
        elif cat == "Cc" and ch not in "\n\t":
            continue
        elif ch == "@":
            out.append("@" + ZWSP)
        elif _SPECIAL.fullmatch(ch):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=4096)
def _cost(ch: str) -> int:
    return utf16_len(escape_discord(ch))


def _esc(text: str) -> str:
    return escape_discord(clean(text))


def _fit(text: str, budget: int) -> str:
    return escape_discord(clip_cost(clean(text), max(budget, 0), _cost))


def _href(url: str) -> str | None:
    safe = safe_url(url)
    if safe is None:
        return None
    href = "".join(_URL_UNSAFE.get(ch, ch) for ch in safe)
    return href if len(href) <= MAX_HREF else None


def _link(label: str, url: str) -> str:
    href = _href(url)
    return f"[{label}]({href})" if href else label


def _article_embed(item: DigestItem, language: str) -> Embed:
    """One article as one embed: title with emoji and link, key points, source and "also" links."""
    emoji = _esc(item.emoji)
    title_budget = TITLE_LIMIT - utf16_len(emoji) - 1
    untitled = escape_discord(t(language, "untitled"))
    title = _fit(clip(clean(item.title), MAX_TITLE), title_budget) or untitled
    unknown = escape_discord(t(language, "unknown_source"))
    tail = [
        f"{escape_discord(t(language, 'original_link'))}"
        f"{_link(_esc(clip(clean(item.source), MAX_SOURCE)) or unknown, item.url)} · #{item.id}"
    ]
    also = [_link(_esc(clip(clean(a.source), MAX_SOURCE)) or unknown, a.url) for a in item.also[:5]]
    if also:
        sep = escape_discord(t(language, "also_sep"))
        tail.append(escape_discord(t(language, "also")) + sep.join(also))
    points = [p for p in (clean(p) for p in item.points) if p]
    label = f"**{escape_discord(t(language, 'key_points'))}**"

    def assemble(rendered: list[str]) -> str:
        body = [label, *(f"• {p}" for p in rendered), ""] if rendered else []
        return "\n".join(body + tail)

    description = assemble([escape_discord(p) for p in points])
    if utf16_len(description) > DESCRIPTION_LIMIT and points:
        # The tail is bounded (5 links of ≤ 512-unit URLs, ≤ 60-char names): points get room.
        spare = DESCRIPTION_LIMIT - utf16_len(assemble([""] * len(points)))
        description = assemble([_fit(p, spare // len(points)) for p in points])
    if utf16_len(description) > DESCRIPTION_LIMIT:
        description = assemble([])
    return Embed(title=f"{title} {emoji}".rstrip(), description=description, url=safe_url(item.url))


def _header_embed(digest: Digest, shown: set[int], wanted: bool) -> Embed:
    lang = digest.language
    web = _href(digest.web_url) if digest.web_url else None
    lines = [f"[{escape_discord(t(lang, 'web_link'))}]({web})", ""] if web else []
    lines += [
        f"**{escape_discord(t(lang, 'purpose_header'))}**",
        escape_discord(t(lang, "purpose")),
        "",
        f"**{escape_discord(t(lang, 'highlights_header'))}**",
        *(f"> {x}" for x in stats_lines(digest.stats, lang, escape_discord, lambda s: f"**{s}**")),
        "",
    ]
    description = "\n".join(lines)
    for h in digest.highlights:
        if wanted and h.id not in shown:
            continue
        line = _fit(f"• {clip(clean(h.title), MAX_TITLE)} {clean(h.emoji)}".rstrip(), 600)
        if utf16_len(description) + 1 + utf16_len(line) > DESCRIPTION_LIMIT:
            break  # the highlights are a preview; every article still follows in full
        description += "\n" + line
    if not shown:
        description += "\n" + escape_discord(t(lang, "empty"))
    return Embed(title=_fit(digest.title, TITLE_LIMIT) or "—", description=description.rstrip(), url=web)


def _headline_embeds(headlines: Sequence[Headline], language: str) -> list[Embed]:
    """The "More headlines" list (linked title · source, one line each) as embeds that each fit
    Discord's description limit."""
    name = _fit(t(language, "headlines_header"), 100)
    lines = []
    for h in headlines:
        source = _esc(clip(clean(h.source), 40))
        title = _fit(clip(clean(h.title), MAX_TITLE), 400) or escape_discord(t(language, "untitled"))
        lines.append(f"• {_link(title, h.url)}" + (f" · {source}" if source else ""))
    descriptions: list[str] = []
    for line in lines:
        if descriptions and utf16_len(descriptions[-1]) + 1 + utf16_len(line) <= DESCRIPTION_LIMIT:
            descriptions[-1] += "\n" + line
        else:
            descriptions.append(line)
    continued = escape_discord(t(language, "continued"))
    return [
        Embed(title=name if n == 0 else _fit(name + continued, TITLE_LIMIT), description=d)
        for n, d in enumerate(descriptions)
    ]


def _embed_size(embed: Embed) -> int:
    return utf16_len(embed.title) + utf16_len(embed.description)


def render_discord(digest: Digest, sections: Sequence[str] = ()) -> list[OutMessage]:
    """The digest as Discord messages: a header embed, then each section's articles as embeds."""
    lang = digest.language
    wanted = set(sections)
    chosen = [s for s in digest.sections if s.items and (not wanted or s.key in wanted)]
    shown = {item.id for s in chosen for item in s.items}

    # (content heading, embeds, items) per message; the heading gets its "(n/N)" at the end.
    parts: list[tuple[str, list[Embed], list[DigestItem]]] = [
        (f"**{_fit(digest.title, 1000)}**", [_header_embed(digest, shown, bool(wanted))], [])
    ]
    for section in chosen:
        name = _fit(section.name, 100)
        heading = f"**{name}**"
        embeds: list[Embed] = []
        items: list[DigestItem] = []
        for item in section.items:
            embed = _article_embed(item, lang)
            size = sum(_embed_size(e) for e in embeds) + _embed_size(embed)
            if embeds and (
                len(embeds) >= EMBEDS_PER_MESSAGE
                or size > EMBED_TOTAL_LIMIT
                or len(items) >= BUTTONS_PER_MESSAGE
            ):
                parts.append((heading, embeds, items))
                heading = f"**{name}{escape_discord(t(lang, 'continued'))}**"
                embeds, items = [], []
            embeds.append(embed)
            items.append(item)
        parts.append((heading, embeds, items))

    if digest.headlines and not wanted:  # last; a subscription to some sections gets only those
        for embed in _headline_embeds(digest.headlines, lang):
            parts.append((f"**{embed.title}**", [embed], []))

    total = len(parts)
    messages = []
    for n, (heading, embeds, items) in enumerate(parts, start=1):
        content = heading + (escape_discord(t(lang, "part", n=n, total=total)) if total > 1 else "")
        messages.append(
            OutMessage(
                text=content,
                embeds=tuple(embeds),
                buttons=tuple(
                    Button(label=t(lang, "more_button", id=i.id), payload=buttons.encode("more", i.id))
                    for i in items
                ),
            )
        )
    return messages
