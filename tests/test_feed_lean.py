"""The feed's lean: what kind of feed an article comes from, read off the feed's latest articles by
the section model itself, and weighed beside the article's own words (bot/digest/section_model.py).
A small hand-made model keeps these tests about the mechanism, not about the shipped weights."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, date, datetime, timedelta

import pytest
from test_digest_builder import FakeSummaries

from bot.config import DEFAULT_SECTIONS, Settings
from bot.digest import sections
from bot.digest.builder import build_digest
from bot.digest.section_model import LEAN_PRIOR, LEAN_WEIGHT, SectionModel, lean_of
from bot.digest.sections import classify
from bot.models import NewArticle
from storage import Store

LABELS = ("products", "industry", "tutorials", "other")
# "guide" says tutorials and "launch" says products; any other word says nothing, so an article
# without either ties, and ties go to the label listed first (products).
TOY = SectionModel(LABELS, {"t:guide": {"tutorials": 2.0}, "t:launch": {"products": 2.0}},
                   dict.fromkeys(LABELS, 0.0))
NOW = datetime(2030, 3, 31, tzinfo=UTC)


def test_the_lean_is_the_mean_probability_mixed_with_equal_shares() -> None:
    assert lean_of(LABELS, []) == pytest.approx(dict.fromkeys(LABELS, 0.25))
    sure = {"products": 0.0, "industry": 0.0, "tutorials": 1.0, "other": 0.0}
    few, many = lean_of(LABELS, [sure] * 2), lean_of(LABELS, [sure] * 30)
    assert few["tutorials"] == pytest.approx((2 + LEAN_PRIOR / 4) / (2 + LEAN_PRIOR))
    assert many["tutorials"] == pytest.approx((30 + LEAN_PRIOR / 4) / (30 + LEAN_PRIOR))
    assert 0.25 < few["tutorials"] < many["tutorials"] < 1.0, "a feed seen a few times leans little"
    assert sum(many.values()) == pytest.approx(1.0)
    # the model's own probabilities feed it, one article at a time
    guide = TOY.probabilities("A guide to indexes", "")
    assert max(guide, key=guide.__getitem__) == "tutorials" and sum(guide.values()) == pytest.approx(1.0)
    assert TOY.lean([("A guide to indexes", "")] * 3) == pytest.approx(lean_of(LABELS, [guide] * 3))


def test_an_ambiguous_article_goes_where_its_feed_leans_and_clear_words_still_win() -> None:
    tutorial_feed = TOY.lean([(f"A guide to part {n}", "") for n in range(30)])
    assert TOY.predict("Widget notes", "") == "products"  # a tie: the first label
    assert TOY.predict("Widget notes", "", lean=tutorial_feed) == "tutorials"
    # the lean moves each score by LEAN_WEIGHT x log(share), no more
    plain, leaned = TOY.scores("Widget notes", ""), TOY.scores("Widget notes", "", lean=tutorial_feed)
    for label in LABELS:
        assert leaned[label] - plain[label] == pytest.approx(LEAN_WEIGHT * math.log(tutorial_feed[label]))
    # an article whose own words are clear keeps its section in a feed that leans the other way
    assert TOY.predict("Launch day", "", lean=tutorial_feed) == "products"
    assert TOY.predict("Widget notes", "", lean=None) == TOY.predict("Widget notes", "")


def test_classify_passes_the_lean_to_the_model_and_the_hint_still_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sections, "shipped_model", lambda: TOY)
    lean = TOY.lean([(f"A guide to part {n}", "") for n in range(30)])
    assert classify("Widget notes", "", None, DEFAULT_SECTIONS) == "products"
    assert classify("Widget notes", "", None, DEFAULT_SECTIONS, "", lean) == "tutorials"
    assert classify("Widget notes", "", "other", DEFAULT_SECTIONS, "", lean) == "other"
    assert sections.feed_lean([("A guide", "")]) == pytest.approx(TOY.lean([("A guide", "")]))
    monkeypatch.setattr(sections, "shipped_model", lambda: None)
    assert sections.feed_lean([("A guide", "")]) is None


def _add(store: Store, feed_id: int, url: str, title: str, published: datetime, text: str = "") -> None:
    body = text or f"{title}. Notes from the week, with details for anyone who follows along."
    store.add_article(NewArticle(
        feed_id=feed_id, url=url, title=title, source="s", published=published, language="en",
        text=body, original_chars=len(body), content_hash=url), at=published)


def test_the_store_gives_a_feeds_latest_articles_before_a_time(store: Store) -> None:
    a = store.add_feed("https://a.example/feed", "A")
    b = store.add_feed("https://b.example/feed", "B")
    for n in range(5):
        _add(store, a.id, f"https://a.example/{n}", f"A{n}", NOW - timedelta(days=n), text=f"text {n} " * 50)
    _add(store, a.id, "https://a.example/same-time", "Asame", NOW - timedelta(days=1))
    _add(store, a.id, "https://a.example/future", "Afuture", NOW + timedelta(hours=1))
    _add(store, b.id, "https://b.example/0", "B0", NOW - timedelta(hours=1))
    latest = store.feed_latest(a.id, NOW, 3, 20)
    # newest first, nothing at or after `before`, another feed's article never, ties by URL
    assert [title for title, _ in latest] == ["Asame", "A1", "A2"]
    assert all(len(text) <= 20 for _, text in latest)
    assert latest[1][1] == ("text 1 " * 50)[:20]
    assert store.feed_latest(a.id, NOW + timedelta(days=1), 10, 5)[0][0] == "Afuture"
    assert store.feed_latest(b.id, NOW - timedelta(days=1), 10, 5) == []
    plan = " ".join(str(r) for r in store.db.execute(
        "EXPLAIN QUERY PLAN SELECT title FROM articles WHERE feed_id = 1 AND published < '2030' "
        "ORDER BY published DESC LIMIT 3").fetchall())
    assert "articles_feed_published" in plan


async def test_the_digest_sections_an_ambiguous_item_by_its_feeds_lean(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two items with the same kind of uninformative title: the one from a feed of guides is
    filed under tutorials, the one from a feed of launches under products; the feeds' older
    articles (outside the digest's window) are what tells them apart."""
    monkeypatch.setattr(sections, "shipped_model", lambda: TOY)
    guides = store.add_feed("https://guides.example/feed", "Guides")
    launches = store.add_feed("https://launches.example/feed", "Launches")
    for n in range(12):
        old = NOW - timedelta(days=60 + n)
        _add(store, guides.id, f"https://guides.example/{n}", f"A guide to part {n}", old)
        _add(store, launches.id, f"https://launches.example/{n}", f"Launch of widget {n}", old)
    _add(store, guides.id, "https://guides.example/new", "Notes on widgets", NOW - timedelta(hours=3),
         "Widgets came up again this week. Three readers wrote in about the colour of the box.")
    _add(store, launches.id, "https://launches.example/new", "Notes on gadgets", NOW - timedelta(hours=2),
         "Gadgets sold out in Lisbon on Monday. A shop in Porto had two left by the evening.")
    settings = Settings()
    settings = dataclasses.replace(settings, digest=dataclasses.replace(
        settings.digest, timezone="UTC", lookback_hours=24, max_items=10))
    digest = await build_digest(store, settings, FakeSummaries(), day=date(2030, 3, 31),
                                language="en", now=NOW)
    where = {item.url: sec.key for sec in digest.sections for item in sec.items}
    assert where == {"https://guides.example/new": "tutorials", "https://launches.example/new": "products"}
