"""Discord renderer: embeds within Discord's limits, no live mentions or injected links, in order."""

from __future__ import annotations

import re

from test_render_support import button_ids, discord_errors, make_digest, make_item

from bot.digest.discord_render import escape_discord, render_discord
from bot.models import AlsoSource


def test_long_digest_respects_every_limit_and_keeps_order() -> None:
    points = tuple("很长的要点，" * 300 + str(n) for n in range(3))
    items = [make_item(i, points=points, also=(AlsoSource("https://b.example/x", "来源 B"),) * 3)
             for i in range(1, 61)]
    digest = make_digest(items)
    messages = render_discord(digest)
    for m in messages:
        assert discord_errors(m) == [], discord_errors(m)
    assert button_ids(messages) == [i.id for i in digest.items()]
    total = len(messages)
    for n, m in enumerate(messages, start=1):
        assert m.text.endswith(escape_discord(f" ({n}/{total})"))
        assert len(m.buttons) == len(m.embeds) - (1 if n == 1 else 0)
        for embed, button in zip(m.embeds[-len(m.buttons):] if m.buttons else (), m.buttons):
            assert embed.description.rstrip().split("\n")[-2].endswith("#" + button.payload.split(":")[1])
    # the header embed carries purpose, stats and highlights
    assert "目的" in messages[0].embeds[0].description
    assert "1,147%" in messages[0].embeds[0].description


def test_mentions_and_markdown_are_neutralised() -> None:
    item = make_item(
        5,
        title="@everyone [free](https://evil.example) **now**",
        points=("ping <@123456> and <@&42> and @here", "`code` > quote ||spoiler||"),
        source="@here",
        also=(AlsoSource("https://x.example/a)b", "x"),),
    )
    messages = render_discord(make_digest([item]))
    for m in messages:
        assert discord_errors(m) == []
    embed = messages[1].embeds[0]
    assert "\\[free\\]\\(https://evil.example\\)" in embed.title
    assert "\\*\\*now\\*\\*" in embed.title
    assert "\\`code\\`" in embed.description and "\\|\\|spoiler\\|\\|" in embed.description
    assert "(https://x.example/a%29b)" in embed.description
    links = re.findall(r"(?<!\\)\[[^\]]*\]\(([^)]*)\)", embed.description)
    assert links == ["https://example.com/a/5", "https://x.example/a%29b"]


def test_huge_title_and_points_are_clipped() -> None:
    item = make_item(1, title="标" * 10_000, points=("_" * 20_000, "a" * 20_000), source="s" * 1000)
    messages = render_discord(make_digest([item], title="T" * 5000))
    for m in messages:
        assert discord_errors(m) == []
    assert button_ids(messages) == [1]


def test_sections_filter_and_empty() -> None:
    digest = make_digest([make_item(i) for i in range(1, 9)], language="en")
    messages = render_discord(digest, sections=["tutorials"])
    assert button_ids(messages) == [i.id for s in digest.sections if s.key == "tutorials" for i in s.items]
    assert messages[1].text.startswith("**Tutorials**")
    [only] = render_discord(make_digest([], language="en"))
    assert "Nothing new today." in only.embeds[0].description and not only.buttons
    assert "reading efficiency" not in only.embeds[0].description


def test_escape_discord() -> None:
    assert escape_discord("@everyone") == "@\u200beveryone"
    assert escape_discord("*a*_b_") == "\\*a\\*\\_b\\_"
    assert escape_discord("line1\nline2\x07") == "line1\nline2"
