"""fetch_all end to end over real HTTP on loopback: the corpus feeds, hostile feeds and routes."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes.web import FakeWeb

from bot.config import FetchSettings, Settings
from bot.ingest import FetchError
from bot.ingest.guard import make_client
from bot.ingest.parse import parse_feed_bytes
from bot.ingest.pipeline import fetch_all, fetch_page_text
from bot.ingest.reasons import known
from storage import Store

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
SETTINGS = Settings(fetch=FetchSettings(allow_private_addresses=True, timeout_seconds=1.0,
                                        max_bytes=3_000_000, max_redirects=3))

DEDUP_SETS = {
    "A": ["openai_news_feed.xml", "openai_feeds.xml", "feed_openai_research.xml"],
    "B": ["google_ai_blog_feed.xml", "google_ai_feeds.xml"],
    "C": ["google_deepmind_blog_feed.xml", "google_deepmind_feeds.xml"],
    "D": ["microsoft_ai_blog_feed.xml", "microsoft_feeds.xml"],
    "E": ["feed_anthropic_news.xml", "anthropic_news.xml", "anthropic_aggregated.xml"],
    "F": ["feed_anthropic_engineering.xml", "anthropic_engineering.xml"],
    "G": ["feed_the_batch.xml", "deeplearning_ai_batch.xml"],
    "H": ["feed_meta_ai.xml", "meta_ai_news.xml"],
    "I": ["large_atom.xml", "large_rss.xml"],
}


def _feed_ids(store: Store, web: FakeWeb, names: list[str]) -> dict[str, int]:
    return {n: store.add_feed(web.url(n), "").id for n in names}


async def test_corpus_feeds_stored_once_then_304_and_stories_linked(corpus: Path, store: Store) -> None:
    root = corpus / "feeds"
    names = sorted(p.name for p in root.iterdir())
    expected_urls: set[str] = set()
    for name in names:
        for entry in parse_feed_bytes((root / name).read_bytes(), url="http://x/" + name).entries:
            expected_urls.add(entry.url)
    async with FakeWeb(root) as web:
        ids = _feed_ids(store, web, names)
        seen: list[str] = []
        relaxed = dataclasses.replace(SETTINGS, fetch=dataclasses.replace(SETTINGS.fetch, timeout_seconds=10))
        first = await fetch_all(store, relaxed, now=NOW, progress=lambda o: seen.append(o.status))
        assert len(first) == len(names) == len(seen)
        assert all(o.status in ("new", "unchanged") for o in first), [o for o in first if o.error]
        stored = store.count_articles()
        # every parseable item once; URL spellings that differ only by scheme/www/slash collapse
        assert stored <= len(expected_urls) and stored >= 0.97 * len(expected_urls)
        assert sum(o.new_articles for o in first) == stored

        second = await fetch_all(store, relaxed, now=NOW + timedelta(hours=1))
        assert {o.status for o in second} == {"unchanged"}
        assert store.count_articles() == stored
        assert all(store.fetch_log(i, limit=1)[0]["http_status"] == 304 for i in ids.values())

    # same-story sets: the shared links of each set end up as one story with several sources
    for key, files in DEDUP_SETS.items():
        first_feed, other_feed = ids[files[0]], ids[files[1]]
        rows = store.db.execute(
            "SELECT a.story_id FROM sightings s JOIN articles a ON a.id = s.article_id "
            "WHERE s.feed_id = ? INTERSECT SELECT a.story_id FROM sightings s "
            "JOIN articles a ON a.id = s.article_id WHERE s.feed_id = ?",
            [first_feed, other_feed],
        ).fetchall()
        assert rows, f"set {key}: no story carried by both feeds"
        feeds = store.db.execute(
            "SELECT COUNT(DISTINCT s.feed_id) FROM sightings s JOIN articles a ON a.id = s.article_id "
            "WHERE a.story_id = ?", [rows[0][0]]).fetchone()[0]
        assert feeds >= 2 and store.story_sources(rows[0][0]), key
    shared = {"B": 20, "C": 100, "I": 25, "D": 10}
    for key, count in shared.items():
        a, b = (ids[f] for f in DEDUP_SETS[key][:2])
        both = store.db.execute(
            "SELECT COUNT(DISTINCT a.story_id) FROM articles a WHERE a.story_id IN "
            "(SELECT a2.story_id FROM sightings s JOIN articles a2 ON a2.id = s.article_id WHERE s.feed_id = ?) "
            "AND a.story_id IN (SELECT a3.story_id FROM sightings s JOIN articles a3 ON a3.id = s.article_id "
            "WHERE s.feed_id = ?)", [a, b]).fetchone()[0]
        assert both == count, key

    # negative control: the two CoolShell epochs share no story
    old, new = ids["coolshell.xml"], ids["coolshell-cn-feed.xml"]
    stories_old = {r[0] for r in store.db.execute(
        "SELECT story_id FROM articles WHERE feed_id = ?", [old]).fetchall()}
    stories_new = {r[0] for r in store.db.execute(
        "SELECT story_id FROM articles WHERE feed_id = ?", [new]).fetchall()}
    assert len(stories_old) == 15 and len(stories_new) == 15 and not stories_old & stories_new


HOSTILE_ROUTES = {
    "/_h/gzip-bomb": "response larger than",
    "/_h/endless": "response larger than",
    "/_h/slow": "timed out after 1 s",
    "/_h/loop-a": "redirect loop",
    "/_h/chain/9": "too many redirects (3)",
    "/_h/status/429?retry_after=7200": "HTTP 429",
    "/_h/html": "not a feed: HTML page",
    "/_h/redirect?to=http://127.0.0.1:1/feed": "refused: 127.0.0.1 is a loopback address",
    "/_h/redirect?to=http://169.254.169.254/latest/meta-data/": "refused: 169.254.169.254 is a cloud metadata",
    "/_h/redirect?to=http://[::1]:9/": "refused: ::1 is a loopback address",
}


async def test_hostile_routes_fail_within_limits_beside_healthy_feeds(corpus: Path, store: Store) -> None:
    guarded = dataclasses.replace(SETTINGS, fetch=dataclasses.replace(SETTINGS.fetch, allow_private_addresses=False))
    async with FakeWeb() as web:
        web.add("/healthy.xml", (corpus / "feeds" / "large_rss.xml").read_bytes(), content_type="application/rss+xml")
        routes = {path: store.add_feed(web.url(path), "").id for path in HOSTILE_ROUTES}
        healthy = store.add_feed(web.url("/healthy.xml"), "").id
        started = time.monotonic()
        async with make_client(guarded.fetch, exempt=frozenset({("127.0.0.1", web.port)})) as client:
            outcomes = {o.feed_id: o for o in await fetch_all(store, guarded, now=NOW, client=client)}
        took = time.monotonic() - started
        # a feed in backoff is skipped (not polled) on the next run; a healthy one is polled again
        again = {o.feed_id: o for o in await fetch_all(store, SETTINGS, now=NOW + timedelta(minutes=5))}
    assert took < 3 * SETTINGS.fetch.timeout_seconds
    assert outcomes[healthy].status == "new" and outcomes[healthy].new_articles == 25
    for path, reason in HOSTILE_ROUTES.items():
        outcome = outcomes[routes[path]]
        assert outcome.status == "failed" and reason in (outcome.error or ""), (path, outcome)
        assert known(outcome.error or ""), outcome.error  # a Chinese digest can say it in Chinese
        feed = store.get_feed(routes[path])
        assert feed.last_status == "failed" and feed.failures == 1 and feed.last_error == outcome.error
        assert feed.next_fetch_after == NOW + timedelta(minutes=SETTINGS.fetch.interval_minutes) or "429" in path
    assert store.get_feed(routes["/_h/status/429?retry_after=7200"]).next_fetch_after == NOW + timedelta(hours=2)
    assert {f.id for f in store.failing_feeds()} == set(routes.values())
    assert again[routes["/_h/html"]].status == "skipped" and again[healthy].status == "unchanged"


async def test_hostile_feed_files_end_in_recorded_outcomes(corpus: Path, store: Store) -> None:
    hostile = corpus / "feeds-hostile"
    relaxed = dataclasses.replace(SETTINGS, fetch=dataclasses.replace(SETTINGS.fetch, timeout_seconds=10))
    healthy = ["large_rss.xml", "36kr.xml"]
    async with FakeWeb(hostile) as web:
        for name in healthy:
            web.add("/healthy/" + name, (corpus / "feeds" / name).read_bytes(), content_type="application/rss+xml")
        web.headers_for["/http_application_atom_xml_gb2312_charset_overrides_encoding.xml"] = {
            "Content-Type": "application/atom+xml; charset=gb2312"}
        files = sorted(p.name for p in hostile.iterdir())
        ids = {name: store.add_feed(web.url(name), "").id for name in files}
        good = {name: store.add_feed(web.url("/healthy/" + name), "").id for name in healthy}
        outcomes = {o.feed_id: o for o in await fetch_all(store, relaxed, now=NOW)}

    assert len(outcomes) == len(files) + len(healthy)
    for name in ("xmlbomb.xml", "xmlbomb2.xml", "quadratic.xml", "external.xml", "external_file.xml", "cyclic.xml"):
        assert "entities" in outcomes[ids[name]].error, name
    for name in ("empty_feed.xml", "unrecognized.rss", "http-www-yuming-in-feed.xml", "rss_empty_document.xml",
                 "https-egoist-moe-atom-xml.xml"):
        assert outcomes[ids[name]].error.startswith("not a feed"), name
    for name, feed_id in ids.items():  # every file ends in a recorded outcome, none crashed
        outcome = outcomes[feed_id]
        assert outcome.status in ("new", "unchanged", "failed"), name
        assert not (outcome.error or "").startswith(("unexpected", "timed out")), (name, outcome.error)
        assert store.fetch_log(feed_id, limit=1)[0]["status"] == outcome.status
    for name, count in (("https-www-waerfa-com-feed.xml", 100), ("https-mlog-club-topic-atom-xml.xml", 185),
                        ("invalid-characters-gzipped.xml", 25), ("https-www-doyler-net-feed.xml", 10),
                        ("uolNoticias.rss", 15), ("saxerror.xml", 3), ("osm-pl.xml", 8)):
        assert outcomes[ids[name]].new_articles == count, name
    for name, feed_id in good.items():
        assert outcomes[feed_id].status == "new" and outcomes[feed_id].new_articles > 0, name
    titles = {a.title for a in store.articles_between(datetime(1990, 1, 1, tzinfo=UTC), NOW + timedelta(days=1))}
    assert "Recheck! 快速检查待办/任务的清单 APP" in titles  # UTF-8 kept despite illegal control chars
    assert not any("<script" in t.lower() for t in titles)


def _stub_feed(page_url: str, when: datetime, title: str) -> str:
    date = when.strftime("%a, %d %b %Y %H:%M:%S +0000")
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Stubs</title>'
            f"<item><title>{title}</title><link>{page_url}</link><pubDate>{date}</pubDate>"
            f"<description>A short teaser.</description></item></channel></rss>")


async def test_recent_stubs_get_full_text_old_ones_do_not(corpus: Path, store: Store) -> None:
    page = (corpus / "articles" / "newspaper4k" / "cnn_article.html").read_bytes()
    async with FakeWeb() as web:
        web.add("/page", page)
        web.add("/old-page", page)
        web.add("/gone", "missing", status=404)
        web.add("/feed.xml", _stub_feed(web.url("/page"), NOW - timedelta(hours=2), "Storm"),
                content_type="application/rss+xml")
        web.add("/old.xml", _stub_feed(web.url("/old-page"), NOW - timedelta(days=30), "Old"),
                content_type="application/rss+xml")
        web.add("/broken.xml", _stub_feed(web.url("/gone"), NOW - timedelta(hours=1), "Gone"),
                content_type="application/rss+xml")
        for path in ("/feed.xml", "/old.xml", "/broken.xml"):
            store.add_feed(web.url(path), "")
        await fetch_all(store, SETTINGS, now=NOW)
        off = dataclasses.replace(SETTINGS, fetch=dataclasses.replace(SETTINGS.fetch, full_text=False))
        store2 = Store(":memory:")
        store2.add_feed(web.url("/feed.xml"), "")
        await fetch_all(store2, off, now=NOW)
        assert web.hits["/old-page"] == 0 and web.hits["/page"] == 1
    by_title = {a.title: a for a in store.articles_between(NOW - timedelta(days=60), NOW + timedelta(days=1))}
    assert "forecasters" in by_title["Storm"].text and by_title["Storm"].original_chars > 2000
    assert by_title["Storm"].original_chars == len(by_title["Storm"].text)
    assert by_title["Old"].text == "A short teaser." and by_title["Gone"].text == "A short teaser."
    assert store2.articles_between(NOW - timedelta(days=1), NOW + timedelta(days=1))[0].text == "A short teaser."
    store2.close()


async def test_fetch_page_text(corpus: Path) -> None:
    page = (corpus / "articles" / "newspaper4k" / "cnn_article.html").read_bytes()
    async with FakeWeb() as web:
        web.add("/a", page)
        title, text = await fetch_page_text(web.url("/a"), SETTINGS)
        assert "Thanksgiving" in title and len(text) > 2000
        with pytest.raises(FetchError) as err:
            await fetch_page_text(web.url("/a"), Settings())  # default guard: loopback refused
        assert err.value.reason == "refused: 127.0.0.1 is a loopback address"
        with pytest.raises(FetchError):
            await fetch_page_text(web.url("/_h/status/500"), SETTINGS)
