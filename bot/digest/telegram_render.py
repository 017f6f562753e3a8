"""Telegram rendering: HTML parse mode, every text escaped, each message within 4096 UTF-16 units.

Telegram's rules (Bot API, "Formatting options"): only b/strong/i/em/u/ins/s/strike/del/span
class="tg-spoiler"/tg-spoiler/a href/tg-emoji/code/pre/blockquote; entities &lt; &gt; &amp; &quot;
and numeric ones; a message is at most 4096 characters after entity parsing (we count the whole
HTML in UTF-16 units, which is never less); callback_data at most 64 bytes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from bot.digest import buttons
from bot.digest.inert import inert_entities
from bot.digest.strings import stats_lines, t
from bot.digest.text import MAX_SOURCE, MAX_TITLE, clean, clip, clip_cost, safe_url, utf16_len
from bot.models import Button, Digest, DigestItem, Headline, OutMessage

LIMIT = 4096  # Telegram's message length, in UTF-16 code units to be safe
MAX_ITEMS_PER_MESSAGE = 30  # keeps the inline keyboard (one button per article) usable
# Telegram applies only the first 100 formatting entities of a message and silently drops the rest
# (tdlib/telegram-bot-api#820, rubenlagus/TelegramBots#854), so a message carries at most 100 tags.
MAX_ENTITIES = 100
MAX_HREF = 1024  # a longer link is shown without its href rather than eat the message
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}


def escape_telegram(text: str) -> str:
    """Any text as inert Telegram HTML (newlines kept; controls dropped; quotes escaped too)."""
    out: list[str] = []
    for ch in text or "":
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch in "\n\t":
            out.append(ch)
        else:
            cat = unicodedata.category(ch)
            if cat == "Cs":
                out.append("\ufffd")
            elif cat != "Cc":
                out.append(ch)
    return "".join(out)


@lru_cache(maxsize=4096)
def _cost(ch: str) -> int:
    return utf16_len(escape_telegram(ch))


def _feed(text: str) -> str:
    """Feed text, cleaned, that Telegram cannot turn into a mention, command or hashtag."""
    return inert_entities(clean(text))


def _esc(text: str) -> str:
    return escape_telegram(_feed(text))


def _b(html: str) -> str:
    return f"<b>{html}</b>"


def _a(label_html: str, url: str) -> str:
    """A link only for short plain http(s) URLs; otherwise just the label."""
    href = safe_url(url)
    if href is None or utf16_len(escape_telegram(href)) > MAX_HREF:
        return label_html
    return f'<a href="{escape_telegram(href)}">{label_html}</a>'


def _fit(text: str, budget: int) -> str:
    """Escaped `text`, cut (with an ellipsis) so that its escaped form fits `budget` units."""
    return escape_telegram(clip_cost(_feed(text), max(budget, 0), _cost))


def _article_parts(
    item: DigestItem, language: str, title_max: int, source_max: int, also_max: int
) -> tuple[str, str, list[str]]:
    """(title line, key-points label, link lines) of one article at one level of shrinking."""
    unknown = escape_telegram(t(language, "unknown_source"))
    title = _esc(clip(clean(item.title), title_max)) or escape_telegram(t(language, "untitled"))
    head = _b(f"{title} {_esc(item.emoji)}".rstrip())
    source = _esc(clip(clean(item.source), source_max)) or unknown
    tail = [f"{escape_telegram(t(language, 'original_link'))}{_a(source, item.url)} · #{item.id}"]
    also = [_a(_esc(clip(clean(a.source), source_max)) or unknown, a.url) for a in item.also[:also_max]]
    if also:
        sep = escape_telegram(t(language, "also_sep"))
        tail.append(escape_telegram(t(language, "also")) + sep.join(also))
    return head, f"<i>{escape_telegram(t(language, 'key_points'))}</i>", tail


def _article(item: DigestItem, language: str, budget: int) -> str:
    """One article block, shrunk until it fits `budget`: first long points are cut (never inside an
    entity), then title, source names and "also" links get shorter, and only then points go."""
    stages = ((MAX_TITLE, MAX_SOURCE, 8), (120, 40, 3), (60, 30, 0))
    points = [p for p in (clean(p) for p in item.points) if p]

    def assemble(parts: tuple[str, str, list[str]], rendered: list[str]) -> str:
        head, label, tail = parts
        body = [head, label, *(f"• {p}" for p in rendered)] if rendered else [head]
        return "\n".join(body + tail)

    for stage in stages:
        parts = _article_parts(item, language, *stage)
        block = assemble(parts, [escape_telegram(inert_entities(p)) for p in points])
        if utf16_len(block) <= budget:
            return block
        if points:
            spare = budget - utf16_len(assemble(parts, [""] * len(points)))
            if spare >= 16 * len(points):
                block = assemble(parts, [_fit(p, spare // len(points)) for p in points])
                if utf16_len(block) <= budget:
                    return block
    for stage in stages:
        block = assemble(_article_parts(item, language, *stage), [])
        if utf16_len(block) <= budget:
            return block
    return _fit(item.title, budget)  # unreachable with sane budgets; still never too long


def _headline_chunks(
    headlines: Sequence[Headline], language: str, budget: int, first: tuple[int, int] | None = None
) -> list[str]:
    """The "More headlines" lines (linked title · source), grouped into blocks that each fit
    `budget` units and leave room under Telegram's 100 entities for the message's own tags.
    `first` (units, entities) is the room left in the message the list starts in: the first
    block fills it, so the list does not open a new message while the last one has space."""
    lines = []
    for h in headlines:
        source = _esc(clip(clean(h.source), 40))
        tail = f" · {source}" if source else ""
        title = _fit(clip(clean(h.title), MAX_TITLE), 400) or escape_telegram(t(language, "untitled"))
        line = f"• {_a(title, h.url)}{tail}"
        if utf16_len(line) > budget:  # an absurd budget: never let one line break the message
            line = _fit(f"• {clean(h.title)}", budget)
        lines.append(line)
    chunks: list[str] = []
    current: list[str] = []
    units, tags = first or (budget, MAX_ENTITIES - 10)
    for line in lines:
        candidate = "\n".join([*current, line])
        if utf16_len(candidate) > units or entities(candidate) > tags:
            if current or first is not None:
                chunks.append("\n".join(current))  # "" when not one line fits the first room
            current = [line]
            units, tags, first = budget, MAX_ENTITIES - 10, None
        else:
            current.append(line)
    if current:
        chunks.append("\n".join(current))
    return chunks


def entities(html: str) -> int:
    """Formatting entities in our HTML: feed text has every '<' escaped, so each tag is ours."""
    return html.count("<") - html.count("</")


def _message_head(digest: Digest) -> str:
    return _b(_esc(clip(clean(digest.title), MAX_TITLE)))


def _section_head(name: str, language: str, continued: bool) -> str:
    text = _esc(clip(clean(name), 100))
    if continued:
        text += escape_telegram(t(language, "continued"))
    return _b(text)


def render_telegram(digest: Digest, sections: Sequence[str] = ()) -> list[OutMessage]:
    """The digest as Telegram HTML messages with one "more detail" button per article."""
    lang = digest.language
    wanted = set(sections)
    chosen = [s for s in digest.sections if s.items and (not wanted or s.key in wanted)]
    shown_ids = {item.id for s in chosen for item in s.items}

    head = _message_head(digest)
    part_reserve = utf16_len(escape_telegram(t(lang, "part", n=999, total=999)))
    # Room for the body of one message: the title line, its numbering and the blank line after it.
    room = LIMIT - utf16_len(head) - part_reserve - 2

    bodies: list[tuple[list[str], list[DigestItem]]] = [([], [])]

    def used(blocks: list[str]) -> int:
        return sum(utf16_len(b) for b in blocks) + 2 * max(0, len(blocks) - 1)

    def over(blocks: list[str]) -> bool:
        """Too long, or too many entities with the title line's one (every '<' we emit is a tag)."""
        return used(blocks) > room or 1 + sum(entities(b) for b in blocks) > MAX_ENTITIES

    def add(block: str, item: DigestItem | None = None, *, lead: str | None = None) -> None:
        """Append a block; start a new message (repeating `lead`, a section title) when full."""
        blocks, items = bodies[-1]
        full = item is not None and len(items) >= MAX_ITEMS_PER_MESSAGE
        if blocks and (full or over(blocks + [block])):
            bodies.append(([lead] if lead else [], []))
            blocks, items = bodies[-1]
        blocks.append(block)
        if item is not None:
            items.append(item)

    if digest.web_url:
        label = escape_telegram(t(lang, "web_link"))
        web = _a(label, digest.web_url)
        if web != label:  # only a link that passed the URL checks is worth a line
            add(web)
    add(_b(escape_telegram(t(lang, "purpose_header"))) + "\n" + escape_telegram(t(lang, "purpose")))
    lines = [
        _b(escape_telegram(t(lang, "highlights_header")))
        + "\n<blockquote>" + "\n".join(stats_lines(digest.stats, lang, escape_telegram, _b))
        + "</blockquote>"
    ]
    for h in digest.highlights:
        if not wanted or h.id in shown_ids:
            lines.append(_fit(f"• {clip(clean(h.title), MAX_TITLE)} {clean(h.emoji)}".rstrip(), room))
    chunk = lines[0]
    for line in lines[1:]:  # highlights stay one list, split only when a message is full
        if utf16_len(chunk) + 1 + utf16_len(line) > room:
            add(chunk)
            chunk = line
        else:
            chunk += "\n" + line
    add(chunk)
    if not chosen:
        add(escape_telegram(t(lang, "empty")))

    for section in chosen:
        first_head = _section_head(section.name, lang, continued=False)
        cont_head = _section_head(section.name, lang, continued=True)
        # An article must fit a message that also carries the section title.
        budget = room - utf16_len(cont_head) - 2
        for index, item in enumerate(section.items):
            block = _article(item, lang, budget)
            if index == 0:
                blocks, items = bodies[-1]
                crowded = len(items) >= MAX_ITEMS_PER_MESSAGE
                if blocks and (crowded or over(blocks + [first_head, block])):
                    bodies.append(([], []))  # never leave a section title alone at the end
                add(first_head)
            add(block, item, lead=cont_head)

    if digest.headlines and not wanted:  # last; a subscription to some sections gets only those
        first_head = _section_head(t(lang, "headlines_header"), lang, continued=False)
        cont_head = _section_head(t(lang, "headlines_header"), lang, continued=True)
        blocks, _ = bodies[-1]
        spare = None
        if blocks:  # what the last message can still take after the list's title
            spare = (room - used([*blocks, first_head]) - 2,
                     MAX_ENTITIES - 1 - sum(entities(b) for b in [*blocks, first_head]))
        chunks = _headline_chunks(digest.headlines, lang, room - utf16_len(cont_head) - 2, spare)
        if chunks and not chunks[0]:  # not one line fits: the list opens the next message
            bodies.append(([], []))  # never leave the list's title alone at the end
            chunks = chunks[1:]
        for index, chunk in enumerate(chunks):
            if index == 0:
                add(first_head)
            add(chunk, lead=cont_head)

    total = len(bodies)
    messages: list[OutMessage] = []
    for n, (blocks, items) in enumerate(bodies, start=1):
        top = head + (escape_telegram(t(lang, "part", n=n, total=total)) if total > 1 else "")
        text = "\n\n".join([top, *blocks])
        assert utf16_len(text) <= LIMIT, "telegram message over the limit"
        messages.append(
            OutMessage(
                text=text,
                buttons=tuple(
                    Button(label=t(lang, "more_button", id=i.id), payload=buttons.encode("more", i.id))
                    for i in items
                ),
            )
        )
    return messages
