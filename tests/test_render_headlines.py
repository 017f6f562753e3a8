"""The "More headlines" list: stories with nothing beyond a title, last in every rendering, one line
each, within each platform's limits, counted in the header, and read back from stored JSON."""

from __future__ import annotations

import dataclasses
import json

from test_render_markdown import check_schema
from test_render_support import discord_errors, make_digest, make_item, telegram_errors, utf16

from bot.digest.discord_render import render_discord
from bot.digest.json_render import DIGEST_JSON_SCHEMA, render_json
from bot.digest.markdown import render_markdown
from bot.digest.plain import render_plain
from bot.digest.telegram_render import render_telegram
from bot.models import Digest, Headline


def with_headlines(count: int, *, title_chars: int = 30, language: str = "zh") -> Digest:
    digest = make_digest([make_item(i) for i in range(1, 9)], language)
    headlines = tuple(
        Headline(id=1000 + n, title=f"H{n:04d}标" + "题很长标" * (title_chars // 4) + " <b>&@everyone",
                 url=f"https://example.com/headline/{n}?a=1&b=2", source=f"来源 {n % 5}")
        for n in range(count)
    )
    stats = dataclasses.replace(digest.stats, headlines=count)
    return dataclasses.replace(digest, headlines=headlines, stats=stats)


def markers(count: int) -> list[str]:
    return [f"H{n:04d}标" for n in range(count)]


def test_markdown_ends_with_one_line_per_headline() -> None:
    md = render_markdown(with_headlines(3))
    tail = md[md.index("## 更多标题"):]
    lines = [line for line in tail.splitlines() if line.startswith("- ")]
    assert len(lines) == 3 and tail.rstrip().endswith(lines[-1])
    assert lines[0].startswith("- [H0000标") and "(https://example.com/headline/0?a=1&b=2) · 来源 0" in lines[0]
    assert "\\<b\\>" in lines[0]  # feed text stays inert
    assert "另有 3 条报道只列标题，见文末。" in md
    assert "## 更多标题" not in render_markdown(with_headlines(0))


def test_json_lists_headlines_and_reads_old_digests_without_them() -> None:
    digest = with_headlines(2)
    data = json.loads(render_json(digest))
    assert check_schema(data, DIGEST_JSON_SCHEMA) == []
    assert data["stats"]["headlines"] == 2
    assert data["headlines"][1] == {"id": 1001, "title": digest.headlines[1].title,
                                    "url": "https://example.com/headline/1?a=1&b=2", "source": "来源 1"}
    assert Digest.from_dict(data) == digest
    old = json.loads(render_json(with_headlines(0)))
    del old["headlines"], old["stats"]["headlines"]  # a digest stored before the key existed
    back = Digest.from_dict(old)
    assert back.headlines == () and back.stats.headlines == 0


def test_telegram_lists_every_headline_within_its_limits() -> None:
    count = 300
    messages = render_telegram(with_headlines(count, title_chars=120))
    assert all(telegram_errors(m) == [] for m in messages)
    text = "".join(m.text for m in messages)
    assert all(text.count(mark) == 1 for mark in markers(count))
    first = next(n for n, m in enumerate(messages) if "<b>更多标题</b>" in m.text)
    assert all("H0" not in m.text for m in messages[:first])  # the list comes last
    assert all(not m.buttons for m in messages[first + 1:])
    assert "@\u2060everyone" in text and "&lt;b&gt;" in text  # escaped, and inert: no mention
    assert '<a href="https://example.com/headline/7?a=1&amp;b=2">' in text
    assert "H0000标" not in "".join(m.text for m in render_telegram(with_headlines(count), ("products",)))


def test_telegram_headlines_fill_the_last_message_before_opening_another() -> None:
    without = render_telegram(with_headlines(0))
    for count in (3, 40, 120):
        messages = render_telegram(with_headlines(count, title_chars=60))
        assert all(telegram_errors(m) == [] for m in messages)
        # the list starts in the message the articles end in, which had room for its title
        assert "<b>更多标题</b>" in messages[len(without) - 1].text
        text = "".join(m.text for m in messages)
        assert all(text.count(mark) == 1 for mark in markers(count))
        # every message but the last is full enough that the next line could not have joined it
        for m, after in zip(messages[len(without) - 1:], messages[len(without):], strict=False):
            first_line = next(line for line in after.text.split("\n") if line.startswith("• "))
            joined = m.text + "\n" + first_line  # within the renderer's margin for "(n/total)"
            assert utf16(joined) > 4096 - 30 or joined.count("<") - joined.count("</") > 100 - 10
    small = render_telegram(with_headlines(3))
    assert len(small) == len(without)  # three short lines need no message of their own


def test_discord_lists_every_headline_within_its_limits() -> None:
    count = 300
    messages = render_discord(with_headlines(count, title_chars=120))
    assert all(discord_errors(m) == [] for m in messages)
    descriptions = "".join(e.description for m in messages for e in m.embeds)
    assert all(descriptions.count(mark) == 1 for mark in markers(count))
    assert messages[-1].embeds[0].title.startswith("更多标题")
    assert "H0000标" not in "".join(
        e.description for m in render_discord(with_headlines(count), ("products",)) for e in m.embeds
    )


def test_console_lists_every_headline_last() -> None:
    parts = render_plain(with_headlines(4, language="en"))
    assert parts[-1].text.startswith("== More headlines ==")
    assert all(mark in parts[-1].text for mark in markers(4))
    assert "https://example.com/headline/3?a=1&b=2" in parts[-1].text
    assert "4 more stories are listed by headline only, at the end." in parts[0].text
