"""Property tests: for any feed text, Telegram and Discord accept every message and no item is lost
(headlines included: the list that ends a digest must fit the platforms' limits too)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_render_support import button_ids, discord_errors, telegram_errors

from bot.digest.discord_render import render_discord
from bot.digest.telegram_render import render_telegram
from bot.models import (
    AlsoSource,
    Digest,
    DigestItem,
    DigestSection,
    DigestStats,
    Headline,
    Highlight,
)

HOSTILE = [
    "@everyone", "@here", "<@123>", "<b>", "</blockquote>", "&amp;", "&", "<", ">", '"', "'",
    "\u202e", "مرحبا بالعالم", "שלום", "👨‍👩‍👧‍👦", "🇨🇳", "\x00", "\x1b[31m", "\ud7ff", "\ufeff",
    "[x](https://evil.example)", "||s||", "`", "*", "_", "\n", "\r\n", "\u2028", "e\u0301", "\U0010fffd",
]

piece = st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE))
text = st.one_of(
    st.lists(piece, max_size=8).map("".join),
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=8) | st.sampled_from(HOSTILE), st.integers(50, 2500)),
)
urls = st.one_of(
    st.just("https://example.com/a"),
    st.builds(lambda s: "https://example.com/" + s, st.text(max_size=30)),
    st.sampled_from(["javascript:alert(1)", "", "http://x", "https://e.com/" + "a" * 3000, "ftp://x"]),
)


@st.composite
def digests(draw: st.DrawFn) -> Digest:
    n = draw(st.integers(0, 14))
    ids = draw(st.lists(st.integers(1, 2**62), min_size=n, max_size=n, unique=True))
    items = [
        DigestItem(
            id=i,
            title=draw(text),
            emoji=draw(st.sampled_from(["🚀", "", "<", "👨‍👩‍👧", "&"])),
            url=draw(urls),
            source=draw(text),
            published=datetime(2026, 1, 1, tzinfo=UTC),
            points=tuple(draw(st.lists(text, max_size=4))),
            also=tuple(AlsoSource(url=draw(urls), source=draw(text)) for _ in range(draw(st.integers(0, 3)))),
        )
        for i in ids
    ]
    keys = ["products", "industry", "tutorials", "other"]
    cuts = sorted(draw(st.lists(st.integers(0, n), min_size=3, max_size=3)))
    bounds = [0, *cuts, n]
    sections = tuple(
        DigestSection(key=k, name=draw(text), items=tuple(items[bounds[j]:bounds[j + 1]]))
        for j, k in enumerate(keys)
        if bounds[j + 1] > bounds[j]
    )
    headlines = tuple(
        Headline(id=10**6 + k, title=draw(text), url=draw(urls), source=draw(text))
        for k in range(draw(st.integers(0, 40)))
    )
    return Digest(
        date=date(2026, 1, 1),
        language=draw(st.sampled_from(["zh", "en"])),
        title=draw(text),
        stats=DigestStats(n, 1, 10**9, 1, 1, 10**6, 3, 2, 1, len(headlines)),
        highlights=tuple(Highlight(id=i.id, title=i.title, emoji=i.emoji) for i in items[:10]),
        sections=sections,
        web_url=draw(st.one_of(st.none(), urls)),  # the "read on the web" link of [site] base_url
        headlines=headlines,
    )


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
section_filter = st.sampled_from([(), ("industry",), ("products", "other"), ("nope",)])


def expected_ids(digest: Digest, wanted: tuple[str, ...]) -> list[int]:
    return [i.id for s in digest.sections if not wanted or s.key in wanted for i in s.items]


@FAST
@given(digests(), section_filter)
def test_telegram_accepts_every_message_and_keeps_every_item(digest: Digest, wanted: tuple[str, ...]) -> None:
    messages = render_telegram(digest, wanted)
    assert messages
    for m in messages:
        assert telegram_errors(m) == []
    assert button_ids(messages) == expected_ids(digest, wanted)
    for m in messages:
        for b in m.buttons:
            assert f"#{b.payload.split(':')[1]}" in m.text


@FAST
@given(digests(), section_filter)
def test_discord_accepts_every_message_and_keeps_every_item(digest: Digest, wanted: tuple[str, ...]) -> None:
    messages = render_discord(digest, wanted)
    assert messages
    for m in messages:
        assert discord_errors(m) == []
    assert button_ids(messages) == expected_ids(digest, wanted)
    for m in messages:
        descriptions = [e.description for e in m.embeds]
        for b in m.buttons:
            assert any(f"#{b.payload.split(':')[1]}" in d for d in descriptions)
