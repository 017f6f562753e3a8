"""The "网页版 / Read on the web" link each chat digest carries when [site] base_url is set: in the
header, escaped for each platform, within its limits, and only ever to an http(s) page."""

from __future__ import annotations

import dataclasses

import pytest
from test_render_support import discord_errors, make_digest, make_item, telegram_errors

from bot.digest.discord_render import render_discord
from bot.digest.markdown import render_markdown
from bot.digest.plain import render_plain
from bot.digest.telegram_render import render_telegram

PAGE = "https://digest.example.org/ai/2026-11-28/"


@pytest.fixture
def digest():
    return dataclasses.replace(make_digest([make_item(i) for i in range(1, 40)]), web_url=PAGE)


def test_telegram_first_message_links_to_the_day_page(digest) -> None:
    messages = render_telegram(digest)
    assert len(messages) > 1
    assert f'<a href="{PAGE}">网页版</a>' in messages[0].text
    assert all(PAGE not in m.text for m in messages[1:])  # once, in the header
    assert all(telegram_errors(m) == [] for m in messages)


def test_discord_header_embed_links_to_the_day_page(digest) -> None:
    messages = render_discord(dataclasses.replace(digest, language="en"))
    header = messages[0].embeds[0]
    assert header.url == PAGE and header.description.startswith(f"[Read on the web]({PAGE})")
    assert all(discord_errors(m) == [] for m in messages)


def test_plain_and_markdown_say_where_the_page_is(digest) -> None:
    assert render_plain(digest)[0].text.splitlines()[1] == f"网页版: {PAGE}"
    assert f"[网页版]({PAGE})" in render_markdown(digest).splitlines()[2]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "https://x.example/a b", ""])
def test_no_link_unless_the_url_is_a_plain_http_one(digest, url: str) -> None:
    hostile = dataclasses.replace(digest, web_url=url)
    tg = render_telegram(hostile)
    assert "网页版" not in tg[0].text and all(telegram_errors(m) == [] for m in tg)
    assert "网页版" not in render_plain(hostile)[0].text and "网页版" not in render_markdown(hostile)
    assert render_discord(hostile)[0].embeds[0].url is None


def test_a_quote_in_the_url_stays_inside_the_href(digest) -> None:
    hostile = dataclasses.replace(digest, web_url='https://x.example/"><b>')
    tg = render_telegram(hostile)
    assert '<a href="https://x.example/&quot;&gt;&lt;b&gt;">网页版</a>' in tg[0].text
    assert telegram_errors(tg[0]) == []
    dc = render_discord(hostile)[0]
    assert discord_errors(dc) == [] and "%3E%3Cb%3E" in dc.embeds[0].description


def test_without_a_page_nothing_changes(digest) -> None:
    bare = dataclasses.replace(digest, web_url=None)
    assert "网页版" not in render_telegram(bare)[0].text and "网页版" not in render_markdown(bare)
    assert render_discord(bare)[0].embeds[0].url is None
