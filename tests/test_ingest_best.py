"""One URL, one best text: whatever order feeds are fetched in, the article keeps the same text,
source and size (through the real pipeline, on loopback)."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes.web import FakeWeb
from hypothesis import given
from hypothesis import strategies as st

from bot.config import FetchSettings, Settings
from bot.ingest.best import Candidate, better, is_publisher, registrable_domain
from bot.ingest.pipeline import fetch_all
from storage import Store

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
SETTINGS = Settings(fetch=FetchSettings(allow_private_addresses=True, timeout_seconds=5.0))
NO_PAGES = dataclasses.replace(SETTINGS, fetch=dataclasses.replace(SETTINGS.fetch, full_text=False))


@pytest.mark.parametrize(("url", "domain"), [
    ("https://news.example.com/a", "example.com"),
    ("https://www.example.co.uk/x", "example.co.uk"),
    ("http://127.0.0.1:8080/feed", "127.0.0.1"),
    ("https://example.org", "example.org"),
])
def test_registrable_domain(url: str, domain: str) -> None:
    assert registrable_domain(url) == domain


def test_publisher_is_the_feed_whose_site_shares_the_article_domain() -> None:
    assert is_publisher("https://www.example.com/blog/", "https://news.example.com/story")
    assert not is_publisher("https://aggregator.example.net/", "https://news.example.com/story")
    assert not is_publisher(None, "https://news.example.com/story")


def test_near_ties_go_to_the_publisher_and_origins_come_first() -> None:
    full = Candidate("x" * 1000, "feed", False, "https://b/")
    page = Candidate("x" * 5000, "page", True, "https://a/")
    teaser = Candidate("x" * 300, "teaser", True, "https://a/")
    near = Candidate("x" * 950, "feed", True, "https://c/")  # within 10 %: the publisher wins
    far = Candidate("x" * 2000, "feed", False, "https://d/")
    assert better(full, page) and better(page, teaser) and better(near, full)
    assert better(far, near) and not better(near, far)


_candidates = st.lists(
    st.builds(lambda origin, length, publisher, n: Candidate("x" * length, origin, publisher, f"https://f{n}/"),
              st.sampled_from(["feed", "page", "teaser"]), st.integers(0, 3000), st.booleans(),
              st.integers(0, 10**6)),
    min_size=1, max_size=6, unique_by=lambda c: c.feed_url)


@given(_candidates, st.randoms(use_true_random=False))
def test_the_kept_text_does_not_depend_on_arrival_order(candidates: list[Candidate], rnd: random.Random) -> None:
    """Keeping only the best so far gives one answer for every order the carriers arrive in."""

    def keep(order: list[Candidate]) -> Candidate:
        best = order[0]
        for c in order[1:]:
            best = c if better(c, best) else best
        return best

    first = keep(candidates)
    for _ in range(6):
        shuffled = candidates[:]
        rnd.shuffle(shuffled)
        assert keep(shuffled) == first


# ---------------------------------------------------------------- through the pipeline


async def _fetch_in_order(web: FakeWeb, feeds: list[tuple[str, str]], settings: Settings,
                          together: bool = False) -> Store:
    """A fresh store; feeds (path, name) fetched one after another (or all in one run)."""
    store = Store(":memory:")
    if together:
        for path, name in feeds:
            store.add_feed(web.url(path), name)
        await fetch_all(store, settings, now=NOW)
        return store
    for n, (path, name) in enumerate(feeds):
        store.add_feed(web.url(path), name)
        await fetch_all(store, settings, now=NOW + timedelta(minutes=n))
    return store


def _by_url(store: Store) -> dict[str, tuple[str, str, int]]:
    articles = store.articles_between(datetime(2000, 1, 1, tzinfo=UTC), NOW + timedelta(days=30))
    return {a.url: (a.text, a.source, a.original_chars) for a in articles}


async def test_corpus_pair_gives_the_same_text_in_both_orders(corpus: Path) -> None:
    """Microsoft's own full-text feed and an aggregator's 284-character teasers of the same items."""
    feeds = [("microsoft_ai_blog_feed.xml", "Microsoft AI Blogs"), ("microsoft_feeds.xml", "Aggregator")]
    async with FakeWeb(corpus / "feeds") as web:
        first = await _fetch_in_order(web, feeds, NO_PAGES)
        second = await _fetch_in_order(web, feeds[::-1], NO_PAGES)
        both = await _fetch_in_order(web, feeds, NO_PAGES, together=True)
    a, b, c = _by_url(first), _by_url(second), _by_url(both)
    assert len(a) == 10 and a == b == c
    assert {source for _, source, _ in a.values()} == {"Microsoft AI Blogs"}
    # nine full texts, never the teaser; the tenth item has no text in either feed (tags only)
    assert sorted(chars > 1500 for _, _, chars in a.values()) == [False] + [True] * 9
    for store in (first, second, both):
        for article in store.articles_between(datetime(2000, 1, 1, tzinfo=UTC), NOW):
            assert len(store.story_sources(article.story_id)) == 2  # the other carrier is a sighting
        store.close()


def _rss(site: str, items: list[tuple[str, str, str]]) -> str:
    when = (NOW - timedelta(hours=2)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    body = "".join(f"<item><title>{t}</title><link>{link}</link><pubDate>{when}</pubDate>"
                   f"<description><![CDATA[{text}]]></description></item>" for t, link, text in items)
    return f'<rss version="2.0"><channel><title>f</title><link>{site}</link>{body}</channel></rss>'


def _paragraphs(word: str, count: int) -> str:
    return "".join(f"<p>Paragraph {i} explains how the {word} works in some detail, step by step.</p>"
                   for i in range(count))


async def test_feed_text_beats_a_page_and_a_teaser_whatever_the_order(corpus: Path) -> None:
    page = (corpus / "articles" / "newspaper4k" / "cnn_article.html").read_bytes()
    async with FakeWeb() as web:
        story, stub_story = web.add("/story", page), web.add("/stub-story", page)
        own_site = web.url("/")
        # the publisher: full text for /story, a stub for /stub-story
        web.add("/pub.xml", _rss(own_site, [("Story", story, _paragraphs("engine", 12)),
                                            ("Stub story", stub_story, "A teaser.")]),
                content_type="application/rss+xml")
        # an aggregator: stubs of both (its site is elsewhere)
        web.add("/agg.xml", _rss("https://aggregator.example.net/", [("Story", story, "Teaser one."),
                                                                    ("Stub story", stub_story, "Teaser two.")]),
                content_type="application/rss+xml")
        feeds = [("/pub.xml", "Publisher"), ("/agg.xml", "Aggregator")]
        first = await _fetch_in_order(web, feeds, SETTINGS)
        second = await _fetch_in_order(web, feeds[::-1], SETTINGS)
        both = await _fetch_in_order(web, feeds, SETTINGS, together=True)
        a, b, c = _by_url(first), _by_url(second), _by_url(both)
    assert a == b == c
    text, source, _ = a[story]
    assert source == "Publisher" and text.startswith("Paragraph 0 explains how the engine works")
    text, source, chars = a[stub_story]
    assert source == "Publisher" and chars > 2000  # the page, named after its publisher
    for store in (first, second, both):
        store.close()


async def test_a_clearly_longer_aggregator_text_wins_a_near_tie_does_not() -> None:
    async with FakeWeb() as web:
        site = "https://pub.example.com/"
        near, far = "https://pub.example.com/near", "https://pub.example.com/far"
        web.add("/pub.xml", _rss(site, [("Near", near, _paragraphs("pump", 10)),
                                        ("Far", far, _paragraphs("valve", 10))]),
                content_type="application/rss+xml")
        web.add("/agg.xml", _rss("https://agg.example.org/", [("Near", near, _paragraphs("pumps", 10)),
                                                              ("Far", far, _paragraphs("valve", 25))]),
                content_type="application/rss+xml")
        feeds = [("/pub.xml", "Publisher"), ("/agg.xml", "Aggregator")]
        first = await _fetch_in_order(web, feeds, SETTINGS)
        second = await _fetch_in_order(web, feeds[::-1], SETTINGS)
    a, b = _by_url(first), _by_url(second)
    assert a == b
    assert a[near][1] == "Publisher" and "pump works" in a[near][0]
    assert a[far][1] == "Aggregator" and a[far][2] > 2 * len(_paragraphs("valve", 10)) * 0.8
    first.close()
    second.close()
