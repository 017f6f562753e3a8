"""A digest's model bill is bounded by the digest, not by the news: only the best candidates by a
cheap ranking are summarised, fetch-time warming and the build share one bill, and what the bill
cannot pay for ranks last. The small version of `python -m benchmarks --only bill` is here too."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import CORPUS
from fakes.openai_server import FakeOpenAI
from fakes.web import FakeWeb
from test_summarize_service import KEY_ENV, article, settings_for

from bot.config import Settings
from bot.digest.builder import build_digest
from bot.digest.service import DigestService
from bot.digest.warming import BUILD_RESERVE, WarmPool
from bot.ingest.pipeline import fetch_all
from bot.models import FeedOutcome, NewArticle
from bot.summarize.service import ModelBill, SummaryService
from storage import Store

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeOpenAI]:
    monkeypatch.setenv(KEY_ENV, "sk-test")
    async with FakeOpenAI() as server:
        yield server


def test_a_bill_pays_until_spent_and_names_what_it_refused() -> None:
    bill = ModelBill(2)
    assert [bill.charge(n) for n in (1, 2, 3, 4)] == [True, True, False, False]
    assert bill.spent == 2 and bill.left == 0 and bill.refused == {3, 4}
    assert ModelBill(-5).charge(1) is False


async def test_the_service_charges_in_order_and_cached_answers_are_free(fake: FakeOpenAI, store: Store) -> None:
    service = SummaryService(store, settings_for(fake.base_url))
    try:
        arts = [article(i) for i in range(1, 7)]
        await service.summarize_many(arts[:2], "en")  # cached from here on
        fake.calls = 0
        bill = ModelBill(3)
        out = await service.summarize_many(arts, "en", bill=bill)
    finally:
        await service.aclose()
    assert fake.calls == 3 and bill.spent == 3  # articles 3, 4 and 5; 1 and 2 came from the cache
    assert bill.refused == {6} and service.stats["over_budget"] == 1
    assert [out[i].provider for i in range(1, 7)] == ["openai"] * 5 + ["extractive"]
    assert out[6].fallback and out[6].points  # offline points, counted as offline in the digest


def _add(store: Store, n: int, hours: float, text_words: int = 40) -> int:
    feed = store.add_feed(f"https://site{n}.example/feed", f"Site {n}")
    # news words, so the offline importance estimate (about 0.8) tops the fake model's 0.7
    text = " ".join(f"Sentence {k} of story {n}: a first, a record, billion funding for the launch."
                    for k in range(text_words // 8))
    return store.add_article(NewArticle(
        feed_id=feed.id, url=f"https://site{n}.example/{n}", title=f"Story {n} launches", source=f"Site {n}",
        published=NOW - timedelta(hours=hours), language="en", text=text, original_chars=len(text),
        content_hash=hashlib.sha256(text.encode()).hexdigest()), at=NOW).id


def _model_settings(base_url: str, **digest: object) -> Settings:
    s = settings_for(base_url)
    return dataclasses.replace(s, digest=dataclasses.replace(
        s.digest, timezone="UTC", event_window_hours=0, **digest))  # type: ignore[arg-type]


async def test_only_the_best_candidates_are_summarised_and_unpaid_ones_rank_last(
        fake: FakeOpenAI, store: Store) -> None:
    ids = [_add(store, n, hours=1 + n) for n in range(10)]  # story 0 the most recent
    settings = _model_settings(fake.base_url, max_items=2)  # four candidates
    service = SummaryService(store, settings)
    try:
        digest = await build_digest(store, settings, service, day=NOW.date(), language="en", now=NOW)
        assert fake.calls == 4 and len(digest.items()) == 2
        bill = ModelBill(1)  # a rebuild in a new language, with room for one call only
        fake.calls = 0
        again = await build_digest(store, settings, service, day=NOW.date(), language="zh", now=NOW,
                                   bill=bill)
    finally:
        await service.aclose()
    assert fake.calls == 1 and bill.refused == set(ids[1:4])
    (first, second) = again.items()
    # the one the model summarised comes first, although the offline estimate of the unpaid ones is
    # higher (another scale): the best unpaid one fills the digest after it
    assert (first.id, first.fallback, second.id, second.fallback) == (ids[0], False, ids[1], True)


async def test_warming_starts_a_share_as_the_fetch_goes_and_leaves_the_build_its_reserve(store: Store) -> None:
    ids = [_add(store, n, hours=1 + n) for n in range(40)]
    start, end = NOW - timedelta(days=3), NOW
    pool = WarmPool(store, Settings(), start, end, ModelBill(20))
    pool.add(ids[:1])  # the first call reads the whole window
    quarter = pool.due(0.25)
    assert [a.id for a in quarter] == ids[:5]  # the top 5 of 20, best first
    assert pool.due(0.25) == []  # each story at most once
    rest = pool.due(1.0)
    assert len(quarter) + len(rest) == 20 - int(BUILD_RESERVE * 20)  # 15: five left to the build
    assert pool.due(1.0) == []


async def test_digest_service_warming_and_build_share_one_bill(fake: FakeOpenAI, store: Store) -> None:
    for n in range(30):
        _add(store, n, hours=1 + n)
    settings = _model_settings(fake.base_url, max_items=5)  # a bill of 10 calls
    summaries = SummaryService(store, settings)
    digests = DigestService(store, settings, summaries)
    try:
        on_outcome = digests.warming(NOW.date(), "en", now=NOW)
        every = [a.id for a in store.articles_between(NOW - timedelta(days=3), NOW)]
        for n, article_id in enumerate(every):  # 30 feeds finish one after the other
            on_outcome(FeedOutcome(n + 1, f"https://site{n}.example/feed", "", "new", 1, new_ids=(article_id,)))
        await digests.settle()
        warmed = fake.calls
        digest = await digests.get_or_build(NOW.date(), "en", now=NOW)
    finally:
        await summaries.aclose()
    assert 0 < warmed <= 10 - int(BUILD_RESERVE * 10)
    assert fake.calls <= 10 and len(digest.items()) == 5 and not any(i.fallback for i in digest.items())


@pytest.mark.skipif(not (CORPUS / "feeds-bulk").is_dir(), reason="../shared/corpus is not present")
async def test_real_feeds_in_a_wide_window_cost_a_bill_bounded_by_the_digest(fake: FakeOpenAI, tmp_path: Path) -> None:
    """The small version of the benchmark: 12 real feeds, hundreds of stories, max_items = 4."""
    bulk = CORPUS / "feeds-bulk"
    names = sorted(p.name for p in bulk.iterdir() if p.is_file())[:12]
    s = _model_settings(fake.base_url, max_items=4, lookback_hours=24 * 365 * 40)
    settings = dataclasses.replace(
        s, digest=dataclasses.replace(s.digest, event_window_hours=48),
        fetch=dataclasses.replace(s.fetch, allow_private_addresses=True, full_text=False))
    store = Store(tmp_path / "d.db")
    summaries = SummaryService(store, settings)
    digests = DigestService(store, settings, summaries)
    try:
        async with FakeWeb(root=bulk) as web:
            for name in names:
                store.add_feed(web.url(name), name)
            await fetch_all(store, settings, now=NOW, progress=digests.warming(NOW.date(), "en", now=NOW))
        during_fetch = summaries.stats["model_calls"]
        digest = await digests.get_or_build(NOW.date(), "en", now=NOW)
        stories = len({a.story_id for a in store.articles_between(NOW - timedelta(days=365 * 40), NOW)})
    finally:
        await summaries.aclose()
        store.close()
    assert stories > 100 and settings.model_candidates() == 8
    assert fake.calls <= 8 and during_fetch <= 6  # the build keeps a quarter of the bill
    assert len(digest.items()) == 4 and sum(not i.fallback for i in digest.items()) >= 3
