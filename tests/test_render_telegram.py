"""Telegram renderer: valid HTML for Telegram's parse mode, ≤ 4096 UTF-16 units, split in order."""

from __future__ import annotations

import re

from test_render_support import button_ids, make_digest, make_item, telegram_errors, utf16

from bot.digest.telegram_render import escape_telegram, render_telegram
from bot.models import AlsoSource


def long_points(i: int) -> tuple[str, ...]:
    return tuple(f"第{n}条：" + "某公司在发布会上宣布了新的模型与芯片路线图，" * 12 + f"（{i}）" for n in range(3))


def test_long_chinese_digest_splits_into_valid_messages_with_every_item_in_order() -> None:
    items = [make_item(i, points=long_points(i), also=(AlsoSource("https://b.example/x", "来源 B"),))
             for i in range(1, 61)]
    digest = make_digest(items)
    messages = render_telegram(digest)
    assert len(messages) > 5
    for m in messages:
        assert telegram_errors(m) == [], telegram_errors(m)
    assert button_ids(messages) == [i.id for i in digest.items()]
    total = len(messages)
    for n, m in enumerate(messages, start=1):
        assert m.text.split("\n")[0].endswith(f"</b> ({n}/{total})")
        # each article whose button is under a message is in that message, in button order
        ids = [int(x) for x in re.findall(r" · #(\d+)\n?", m.text)]
        assert ids == [int(b.payload.split(":")[1]) for b in m.buttons]
        assert all(b.label.startswith("详情 #") for b in m.buttons)
    # a section continued in the next message says so; the first message carries the header
    assert "目的" in messages[0].text and "<blockquote>" in messages[0].text
    assert any("（续）" in m.text for m in messages[1:])


def test_one_huge_article_is_cut_safely() -> None:
    monster = ("<b>&amp;\"'😀👨‍👩‍👧 " * 3000, "普通要点", "e" * 50_000)
    item = make_item(7, title="T" * 5000 + "<i>", points=monster, source="S&S" * 100)
    messages = render_telegram(make_digest([item]))
    for m in messages:
        assert telegram_errors(m) == []
        assert utf16(m.text) <= 4096
    text = "\n".join(m.text for m in messages)
    assert "…" in text and "普通要点" in text and "#7" in text
    assert button_ids(messages) == [7]


def test_feed_text_cannot_inject_markup_or_links() -> None:
    item = make_item(
        3,
        title='<a href="https://evil.example">click</a><script>x</script>',
        points=("</b></blockquote><b>bold", "&lt;already escaped&gt; & raw"),
        source='"><img src=x>',
        url="javascript:alert(1)",
        also=(AlsoSource("data:text/html,hi", "evil"), AlsoSource("https://ok.example/?a=1&b=\"2\"", "ok")),
    )
    [m, *rest] = render_telegram(make_digest([item]))
    assert not rest
    assert telegram_errors(m) == []
    assert "evil.example" not in re.findall(r'href="([^"]*)"', m.text)
    assert "javascript:" not in " ".join(re.findall(r'href="([^"]*)"', m.text))
    assert 'href="https://ok.example/?a=1&amp;b=&quot;2&quot;"' in m.text
    assert "&lt;script&gt;" in m.text and "&amp;lt;already escaped&amp;gt;" in m.text


def test_sections_filter_keeps_only_listed_sections() -> None:
    digest = make_digest([make_item(i) for i in range(1, 9)])
    messages = render_telegram(digest, sections=["industry"])
    wanted = [i.id for s in digest.sections if s.key == "industry" for i in s.items]
    assert button_ids(messages) == wanted
    text = "".join(m.text for m in messages)
    assert "产业资讯" in text and "产品介绍" not in text
    assert "第 1 代" not in text  # item 1 is in "products", not even among the highlights


def test_empty_digest_and_english_labels() -> None:
    [m] = render_telegram(make_digest([], language="en"))
    assert telegram_errors(m) == [] and "Nothing new today." in m.text and not m.buttons
    # nothing was summarised: no "0 characters, 0 min, 0 %" line, the counts line stays
    assert "reading efficiency" not in m.text and "feeds that failed to fetch: 2." in m.text
    [m] = render_telegram(make_digest([make_item(1)], language="en"))
    assert "Purpose" in m.text and "Key points:" in m.text and "reading efficiency" in m.text
    assert [b.label for b in m.buttons] == ["More detail #1"] and m.buttons[0].payload == "more:1"


def test_escape_telegram() -> None:
    assert escape_telegram("<a href='x'>&</a>\n\x00") == "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;\n"
    assert escape_telegram("\ud800") == "\ufffd"


def test_many_short_articles_stay_within_100_entities_per_message() -> None:
    also = tuple(AlsoSource(f"https://s{n}.example/x", f"S{n}") for n in range(8))
    items = [make_item(i, points=("短。",), also=also) for i in range(1, 41)]
    messages = render_telegram(make_digest(items))
    assert len(messages) > 1
    for m in messages:
        assert telegram_errors(m) == []
    assert button_ids(messages) == [i.id for i in make_digest(items).items()]
