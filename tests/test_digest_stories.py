"""One story, one best representative, every run: chosen by content (never by id or fetch order),
"also reported by" other URLs only, no key point twice in a digest, title-only stories as headlines,
reading time by each point's own language."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, date, datetime, timedelta

from conftest import digest_without_ids
from test_digest_builder import FakeSummaries

from bot.config import Settings
from bot.digest.builder import build_digest
from bot.digest.stats import reading_minutes
from bot.models import Article, Digest, NewArticle
from bot.summarize.service import SummaryService
from storage import Store

DAY = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
FULL = ("Acme released a reasoning model on Monday. It beats last year's model on every benchmark. "
        "The model runs on a single graphics card. Developers can download the weights today. "
        "Acme says a larger version follows in spring. Prices start at two dollars per million tokens.")
TEASER = "Acme released a reasoning model on Monday. Read the full story on our site today."

# (feed url, feed name, article url, title, text, hours ago, story key)
ENTRIES = [
    ("https://aggregator.example/acme.xml", "Aggregator", "https://aggregator.example/p/1",
     "Acme releases a reasoning model", TEASER, 3.0, "acme"),
    ("https://acme.example/feed", "Acme blog", "https://acme.example/blog/reasoning",
     "Acme releases a reasoning model", FULL, 3.0, "acme"),
    # a feed hub relaying another site's article: not its publisher, and a few characters longer
    ("https://feedhub.example/tech.xml", "Hub", "https://news.example/acme-model",
     "Acme ships its reasoning model", FULL.replace("Monday", "Monday morning"), 2.5, "acme"),
    ("https://news.example/rss", "News", "https://news.example/beta",
     "Beta Corp raises money", ("Beta Corp raised fifty million dollars from investors. "
     "The round values the company at one billion dollars. Beta builds robots for warehouses."), 5.0, "beta"),
    ("https://news.example/rss", "News", "https://news.example/title-only",
     "A conference announces its speakers", "", 4.0, "conf"),
]


def fill(store: Store, order: list[int]) -> None:
    """Store ENTRIES in `order`, linking each story's later articles to its first one stored, and
    repeat the Acme blog URL in the aggregator's feed as a second sighting."""
    feeds = {}
    for n in order:
        url = ENTRIES[n][0]
        if url not in feeds:
            feeds[url] = store.add_feed(url, ENTRIES[n][1])
    heads: dict[str, int] = {}
    for n in order:
        feed_url, name, url, title, text, hours, key = ENTRIES[n]
        new = NewArticle(
            feed_id=feeds[feed_url].id, url=url, title=title, source=name,
            published=NOW - timedelta(hours=hours), language="en", text=text, original_chars=len(text),
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
        )
        stored = store.add_article(new, story_id=heads.get(key), at=NOW - timedelta(hours=hours))
        heads.setdefault(key, stored.id)
    blog = store.find_article("https://acme.example/blog/reasoning")
    assert blog is not None
    store.add_sighting(blog.id, feeds["https://aggregator.example/acme.xml"].id, blog.url)


async def build(order: list[int], summaries: object | None = None) -> tuple[Digest, Store]:
    store = Store(":memory:")
    fill(store, order)
    service = summaries or SummaryService(store, Settings())
    digest = await build_digest(store, Settings(), service, day=DAY, language="en", now=NOW)  # type: ignore[arg-type]
    return digest, store




async def test_the_publishers_full_text_represents_the_story_whatever_the_order() -> None:
    forward, store = await build([0, 1, 2, 3, 4])
    backward, other = await build([4, 3, 2, 1, 0])
    store.close()
    other.close()
    assert digest_without_ids(forward) == digest_without_ids(backward)
    acme = next(i for i in forward.items() if "Acme" in i.title)
    # the blog and the news site carry texts of nearly the same length: the publisher wins
    assert acme.url == "https://acme.example/blog/reasoning" and acme.source == "Acme blog"
    assert acme.points[0] == "Acme released a reasoning model on Monday."
    # other URLs only: the aggregator's repeat of the blog URL is the same source, not another
    assert [(a.url, a.source) for a in acme.also] == [
        ("https://aggregator.example/p/1", "Aggregator"), ("https://news.example/acme-model", "Hub")]
    assert forward.stats.duplicates_merged == 3  # two more URLs and one repeated sighting


async def test_a_title_only_story_is_a_headline_and_costs_no_summary() -> None:
    fake = FakeSummaries()
    digest, store = await build([0, 1, 2, 3, 4], fake)
    conf = store.find_article("https://news.example/title-only")
    store.close()
    assert conf is not None and all(conf.id not in call for call in fake.calls)
    assert [(h.title, h.url, h.source) for h in digest.headlines] == [
        ("A conference announces its speakers", "https://news.example/title-only", "News")]
    assert digest.stats.headlines == 1 and digest.stats.articles == len(digest.items()) == 2
    assert all(item.points for item in digest.items())


async def test_no_key_point_appears_twice_and_a_story_left_without_points_is_a_headline(store: Store) -> None:
    feed = store.add_feed("https://x.example/feed", "X")

    def add(title: str, text: str, hours: float, importance_rank: int) -> Article:
        new = NewArticle(feed_id=feed.id, url=f"https://x.example/{importance_rank}", title=title, source="X",
                         published=NOW - timedelta(hours=hours), language="zh", text=text,
                         original_chars=len(text), content_hash=str(importance_rank))
        return store.add_article(new, at=NOW - timedelta(hours=hours))

    first = add("甲", "共同的一句话。甲自己的话。", 1, 1)
    second = add("乙", "共同的一句话。乙自己的话。", 2, 2)
    third = add("丙", "同一段描述。", 3, 3)
    fourth = add("丁", "同一段描述。", 4, 4)  # a different story whose feed gave it the same text
    fake = FakeSummaries(importance={"甲": 0.9, "乙": 0.8, "丙": 0.7, "丁": 0.6})
    settings = Settings()  # one site telling two stories in the same words would be one event
    settings = dataclasses.replace(settings, digest=dataclasses.replace(settings.digest, event_window_hours=0))
    digest = await build_digest(store, settings, fake, day=DAY, language="zh", now=NOW)
    points = {i.id: i.points for i in digest.items()}
    assert points[first.id] == ("共同的一句话。", "甲自己的话。")
    assert points[second.id] == ("乙自己的话。",)  # the shared point stays with the higher-ranked item
    assert points[third.id] == ("同一段描述。",)
    assert fourth.id not in points and [h.id for h in digest.headlines] == [fourth.id]
    assert digest.stats.headlines == 1 and digest.stats.articles == 3
    every = [p for ps in points.values() for p in ps]
    assert len(every) == len(set(every))


def test_reading_time_counts_each_point_in_its_own_language() -> None:
    english = "word " * 460  # 460 words: 2 minutes at 230 words a minute
    assert reading_minutes([english], "zh") == 2  # not 2,300 characters at 400 a minute
    assert reading_minutes(["字" * 4000], "en") == 10  # 4,000 characters at 400 a minute
    assert reading_minutes([english, "字" * 4000], "zh") == 12


async def test_the_digest_header_counts_a_chinese_digest_of_english_points(store: Store) -> None:
    settings = Settings()
    settings = dataclasses.replace(settings, digest=dataclasses.replace(settings.digest, max_items=50))
    feed = store.add_feed("https://en.example/feed", "EN")
    for n in range(12):
        text = " ".join(f"Sentence {k} of story {n} has exactly eight words." for k in range(3))
        store.add_article(NewArticle(
            feed_id=feed.id, url=f"https://en.example/{n}", title=f"Story {n}", source="EN",
            published=NOW - timedelta(hours=1), language="en", text=text, original_chars=len(text),
            content_hash=str(n)), at=NOW)
    digest = await build_digest(store, settings, SummaryService(store, settings), day=DAY, language="zh", now=NOW)
    words = sum(len(p.split()) for i in digest.items() for p in i.points)
    assert digest.stats.reading_minutes == max(1, round(words / 230))


async def test_warming_summarises_each_storys_representative_and_skips_title_only_ones() -> None:
    from bot.digest.service import DigestService

    store = Store(":memory:")
    fill(store, [0, 1, 2, 3, 4])
    fake = FakeSummaries()
    fake.provider = "openai"  # type: ignore[attr-defined]  # warming only pays off with a model
    service = DigestService(store, Settings(), fake)
    every = [a.id for a in store.articles_between(NOW - timedelta(days=1), NOW)]
    assert service.warm(every, DAY, "en", now=NOW) == 2  # Acme and Beta; the title-only story costs nothing
    await service.settle()
    blog, beta = store.find_article("https://acme.example/blog/reasoning"), store.find_article("https://news.example/beta")
    store.close()
    assert blog is not None and beta is not None
    assert sorted(fake.calls[0]) == sorted([blog.id, beta.id])
