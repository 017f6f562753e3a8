"""Shared factories and platform-rule checkers for the renderer tests (and tests of the checkers)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest

from bot.digest import buttons
from bot.models import (
    AlsoSource,
    Digest,
    DigestItem,
    DigestSection,
    DigestStats,
    Highlight,
    OutMessage,
)

SECTION_NAMES = {
    "zh": [("products", "产品介绍"), ("industry", "产业资讯"), ("tutorials", "技术教程"), ("other", "其他")],
    "en": [("products", "Products"), ("industry", "Industry news"), ("tutorials", "Tutorials"), ("other", "Other")],
}


def make_item(i: int, *, title: str | None = None, points: tuple[str, ...] | None = None,
              source: str | None = None, also: tuple[AlsoSource, ...] = (), emoji: str = "🚀",
              url: str | None = None) -> DigestItem:
    return DigestItem(
        id=i,
        title=title if title is not None else f"某芯片公司发布第 {i} 代推理加速卡",
        emoji=emoji,
        url=url if url is not None else f"https://example.com/a/{i}",
        source=source if source is not None else f"来源 {i % 7}",
        published=datetime(2026, 11, 28, 1, i % 60, tzinfo=UTC),
        points=points if points is not None else (
            f"第一条要点 {i}：一句话讲清是什么。", f"第二条要点 {i}：与竞品的不同。", f"第三条要点 {i}：意味着什么。"
        ),
        also=also,
        importance=0.5,
        original_chars=2000 + i,
    )


def make_digest(items: list[DigestItem], language: str = "zh", *, highlights: int = 10,
                title: str | None = None) -> Digest:
    """Items spread round-robin over the four default sections (empty ones left out)."""
    names = SECTION_NAMES[language]
    buckets: list[list[DigestItem]] = [[] for _ in names]
    for n, item in enumerate(items):
        buckets[n % len(names)].append(item)
    sections = tuple(
        DigestSection(key=k, name=name, items=tuple(b)) for (k, name), b in zip(names, buckets) if b
    )
    ordered = [i for s in sections for i in s.items]
    summary = sum(len(p) for i in ordered for p in i.points)
    return Digest(
        date=date(2026, 11, 28),
        language=language,
        title=title if title is not None else ("AI 产业日报 · 2026-11-28" if language == "zh" else "AI Daily Digest · 2026-11-28"),
        stats=DigestStats(
            articles=len(ordered), sources=7, original_chars=sum(i.original_chars for i in ordered),
            summary_chars=summary, reading_minutes=max(1, summary // 400), efficiency_percent=1147,
            duplicates_merged=5, feeds_failed=2, offline_summaries=1,
        ),
        highlights=tuple(Highlight(id=i.id, title=i.title, emoji=i.emoji) for i in ordered[:highlights]),
        sections=sections,
        failed_feeds=(("坏源", "HTTP 404"),),
    )


def utf16(s: str) -> int:
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


# ------------------------------------------------------------------ Telegram's HTML rules

TG_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
           "tg-emoji", "code", "pre", "blockquote"}
TG_ENTITIES = {"lt", "gt", "amp", "quot"}


class TelegramHTMLChecker(HTMLParser):
    """Rejects what Telegram's HTML parse mode rejects: unknown tags or attributes, unbalanced or
    misnested tags, nested links, named entities other than lt/gt/amp/quot, raw '<' '>' '&'."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.entities = 0
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.entities += 1
        if tag not in TG_TAGS:
            self.errors.append(f"unsupported tag <{tag}>")
        names = [a for a, _ in attrs]
        if tag == "a":
            if names != ["href"] or not re.match(r"https?://", dict(attrs)["href"] or ""):
                self.errors.append(f"bad link attrs {attrs}")
            if "a" in self.stack:
                self.errors.append("nested link")
        elif tag == "span":
            if attrs != [("class", "tg-spoiler")]:
                self.errors.append("bad span")
        elif attrs and tag not in ("code", "pre", "tg-emoji", "blockquote"):
            self.errors.append(f"attributes on <{tag}>")
        self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.errors.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}> with open {self.stack}")
        else:
            self.stack.pop()

    def handle_entityref(self, name):
        if name not in TG_ENTITIES:
            self.errors.append(f"unknown entity &{name};")
        self.text.append("&")

    def handle_charref(self, name):
        try:
            value = int(name[1:], 16) if name[:1] in "xX" else int(name)
            chr(value)
        except (ValueError, OverflowError):
            self.errors.append(f"bad char ref &#{name};")
        self.text.append("?")

    def handle_data(self, data):
        if any(c in data for c in "<>&"):
            self.errors.append(f"raw markup character in {data[:40]!r}")
        self.text.append(data)

    def handle_comment(self, data):
        self.errors.append("comment")

    def handle_decl(self, decl):
        self.errors.append("declaration")

    def handle_pi(self, data):
        self.errors.append("processing instruction")

    def unknown_decl(self, data):
        self.errors.append("unknown declaration")


def telegram_errors(message: OutMessage) -> list[str]:
    """Every way `message` would be refused by Telegram (empty list: it would be accepted)."""
    errors: list[str] = []
    text = message.text
    if utf16(text) > 4096:
        errors.append(f"too long: {utf16(text)} UTF-16 units")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        errors.append("lone surrogate")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        errors.append("not UTF-8 encodable")
    checker = TelegramHTMLChecker()
    checker.feed(text)
    checker.close()
    if checker.rawdata:
        errors.append(f"unparsed trailing markup {checker.rawdata[:40]!r}")
    errors += checker.errors
    if checker.stack:
        errors.append(f"unclosed tags {checker.stack}")
    if checker.entities > 100:  # Telegram silently drops formatting past the 100th entity
        errors.append(f"{checker.entities} entities > 100")
    if not "".join(checker.text).strip():
        errors.append("empty text")
    for b in message.buttons:
        if len(b.payload.encode("utf-8")) > 64 or buttons.decode(b.payload) is None:
            errors.append(f"bad callback_data {b.payload!r}")
        if not b.label.strip():
            errors.append("empty button label")
    return errors


# ------------------------------------------------------------------ Discord's limits

MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")


def discord_errors(message: OutMessage) -> list[str]:
    errors: list[str] = []
    if utf16(message.text) > 2000:
        errors.append("content over 2000")
    if not message.text.strip() and not message.embeds:
        errors.append("empty message")
    if len(message.embeds) > 10:
        errors.append("more than 10 embeds")
    total = 0
    for e in message.embeds:
        if utf16(e.title) > 256:
            errors.append(f"embed title {utf16(e.title)} > 256")
        if utf16(e.description) > 4096:
            errors.append(f"embed description {utf16(e.description)} > 4096")
        if not (e.title.strip() or e.description.strip()):
            errors.append("empty embed")
        if e.url is not None and (not re.match(r"https?://", e.url) or any(c.isspace() for c in e.url)):
            errors.append(f"bad embed url {e.url[:40]!r}")
        total += utf16(e.title) + utf16(e.description)
    if total > 6000:
        errors.append(f"embeds total {total} > 6000")
    if len(message.buttons) > 25:
        errors.append("more than 25 buttons")
    for b in message.buttons:
        if len(b.payload) > 100 or buttons.decode(b.payload) is None:
            errors.append(f"bad custom_id {b.payload!r}")
        if not 0 < len(b.label) <= 80:
            errors.append("bad button label")
    for text in [message.text] + [x for e in message.embeds for x in (e.title, e.description)]:
        if MENTION.search(text):
            errors.append(f"live mention in {text[:60]!r}")
        if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
            errors.append("lone surrogate")
    return errors


def button_ids(messages: list[OutMessage]) -> list[int]:
    out = []
    for m in messages:
        for b in m.buttons:
            decoded = buttons.decode(b.payload)
            assert decoded is not None and decoded.command == "more"
            out.append(int(decoded.args[0]))
    return out


# ------------------------------------------------------------------ the checkers must be able to fail


@pytest.mark.parametrize(
    "html",
    [
        "<b>x</i>", "<b>x", "<div>x</div>", "a < b", "x &nbsp; y", "<a href=\"javascript:x\">x</a>",
        "<a href=\"https://a\"><a href=\"https://b\">x</a></a>", "<br/>", "<span>x</span>", "&#xZZ;",
        "", "<b></b>",
    ],
)
def test_telegram_checker_rejects_what_telegram_rejects(html: str) -> None:
    assert telegram_errors(OutMessage(text=html))


def test_telegram_checker_accepts_valid_html() -> None:
    ok = '<b>标题</b> &lt;x&gt; &amp; &quot; &#39; <a href="https://e.com/?a=1&amp;b=2">链接</a>\n<blockquote>q</blockquote>'
    assert telegram_errors(OutMessage(text=ok)) == []
    assert telegram_errors(OutMessage(text="字" * 4097))
    assert telegram_errors(OutMessage(text="<b>x</b>" * 101))


def test_discord_checker_rejects_mentions_and_oversize() -> None:
    from bot.models import Embed

    assert discord_errors(OutMessage(text="hi @everyone"))
    assert discord_errors(OutMessage(text="<@123>"))
    assert discord_errors(OutMessage(text="x", embeds=(Embed(title="t" * 257, description=""),)))
    assert discord_errors(OutMessage(text="x", embeds=tuple(Embed(title="t", description="d" * 1000) for _ in range(7))))
    assert discord_errors(OutMessage(text="x" * 2001))
    assert discord_errors(OutMessage(text="ok")) == []
