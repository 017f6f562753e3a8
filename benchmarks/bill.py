"""The model bill of one digest: 250 real feeds (../shared/corpus/feeds-bulk/) in a window wide enough
to hold every entry (about 6,500 stories), `max_items = 60`, fetched and built the way
`digestbot digest` does it (each feed's stories may start summarising as it lands), against the
fake model server; beside the same run with the bound lifted (every story summarised, as before).

Reported: model calls for fetch plus digest (goal ≤ 150), how many warming made and how many of
those the digest used, the items that carry the model's points; and, offline, the build's time
with the bound and without it (every story summarised offline), plus where a bounded build spends
its time (stories, same-event grouping, the cheap ranking). Run `python -m benchmarks.bill`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import CORPUS, require_corpus
from bot.config import Settings, SummarizerSettings
from bot.digest.bill import shortlist
from bot.digest.builder import digest_window, window_stories
from bot.digest.service import DigestService
from bot.digest.stories import merge_events
from bot.ingest.pipeline import fetch_all
from bot.summarize.openai_provider import default_client
from bot.summarize.service import SummaryService
from storage import Store

TESTS = Path(__file__).resolve().parents[1] / "tests"
BULK = CORPUS / "feeds-bulk"
NOW = datetime(2026, 12, 1, tzinfo=UTC)  # after every dated entry of feeds-bulk
WIDE_HOURS = 24 * 365 * 40  # a window that holds them all (the oldest are from 2001)
UNBOUNDED = 10**6  # max_model_candidates for the reference: every story is a candidate


def settings_for(base_url: str, provider: str, max_items: int, candidates: int = 0) -> Settings:
    """The benchmark's settings: local fakes, no page fetches, the wide window, UTC days."""
    s = Settings()
    return dataclasses.replace(
        s,
        fetch=dataclasses.replace(s.fetch, allow_private_addresses=True, full_text=False,
                                  timeout_seconds=60.0),
        digest=dataclasses.replace(s.digest, timezone="UTC", lookback_hours=WIDE_HOURS,
                                   max_items=max_items),
        summarizer=SummarizerSettings(provider=provider, base_url=base_url, model="fake-model",
                                      concurrency=8, max_model_candidates=candidates),
    )


def _factory(cfg: SummarizerSettings, key: str | None) -> Any:
    return default_client(cfg, "sk-benchmark-fake")  # the fake accepts any key


async def fetch_and_build(store: Store, settings: Settings, fake: Any) -> dict[str, Any]:
    """`digestbot digest`'s path: fetch with warming, then build; the fake's calls per phase."""
    summaries = SummaryService(store, settings, client_factory=_factory)
    digests = DigestService(store, settings, summaries)
    day = NOW.date()
    fake.calls = 0
    try:
        t0 = time.perf_counter()
        await fetch_all(store, settings, now=NOW, progress=digests.warming(day, "zh", now=NOW))
        t1 = time.perf_counter()
        warm = digests._warm.get((day.isoformat(), "zh"))
        warmed = {warm.ranked[s][1].id for s in warm.started if s in warm.ranked} if warm else set()
        started_during_fetch = summaries.stats["model_calls"]
        digest = await digests.get_or_build(day, "zh", now=NOW)
        t2 = time.perf_counter()
        stats = summaries.stats
    finally:
        await summaries.aclose()
    items = digest.items()
    return {
        "calls": fake.calls,
        "calls_started_during_fetch": started_during_fetch,
        "warmed": len(warmed),
        "warmed_in_digest": len(warmed & {i.id for i in items}),
        "warm_cache_hits": stats["cache_hits"],
        "over_budget": stats["over_budget"],
        "items": len(items),
        "items_with_model_points": sum(1 for i in items if not i.fallback),
        "fetch_seconds": t1 - t0,
        "build_seconds": t2 - t1,
        "articles": len(store.articles_between(NOW - timedelta(hours=WIDE_HOURS), NOW)),
    }


async def build_only(store: Store, settings: Settings) -> tuple[float, int]:
    """Seconds for one offline build on a fetched store; the items it made."""
    summaries = SummaryService(store, settings)
    try:
        t0 = time.perf_counter()
        digest = await DigestService(store, settings, summaries).get_or_build(NOW.date(), "zh", now=NOW,
                                                                             rebuild=True)
        return time.perf_counter() - t0, len(digest.items())
    finally:
        await summaries.aclose()


def stages(store: Store, settings: Settings) -> dict[str, float]:
    """Where a bounded build's time goes before any summary: stories, events, cheap ranking."""
    start, end = digest_window(settings, NOW.date(), NOW)
    feeds = {f.id: f for f in store.list_feeds(include_disabled=True)}
    t0 = time.perf_counter()
    told = window_stories(store, start, end, feeds)
    t1 = time.perf_counter()
    events = merge_events(told, feeds, timedelta(hours=settings.digest.event_window_hours))
    t2 = time.perf_counter()
    shortlist([s for s in events if s.usable_chars > 0], settings.model_candidates(), end, {})
    t3 = time.perf_counter()
    return {"stories": len(told), "events": len(events), "stories_seconds": t1 - t0,
            "events_seconds": t2 - t1, "shortlist_seconds": t3 - t2}


async def _run(max_items: int, feeds: int | None, reference: bool, tmp: Path) -> dict[str, Any]:
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from fakes.openai_server import FakeOpenAI
    from fakes.web import FakeWeb

    require_corpus(BULK)
    names = sorted(p.name for p in BULK.iterdir() if p.is_file())[:feeds]
    out: dict[str, Any] = {"feeds": len(names), "max_items": max_items}
    async with FakeWeb(root=BULK) as web, FakeOpenAI() as fake:
        def fresh(label: str) -> Store:
            store = Store(tmp / f"{label}.db")
            for name in names:
                store.add_feed(web.url(name), name)
            return store

        bounded = settings_for(fake.base_url, "openai", max_items)
        out["limit"] = bounded.model_candidates()
        store = fresh("bounded")
        out["bounded"] = await fetch_and_build(store, bounded, fake)
        store.close()
        if reference:
            store = fresh("unbounded")
            out["unbounded"] = await fetch_and_build(
                store, settings_for(fake.base_url, "openai", max_items, UNBOUNDED), fake)
            store.close()
    # Offline: the same fetched store, built with the bound and without it.
    shutil.copy(tmp / "bounded.db", tmp / "offline.db")
    store = Store(tmp / "offline.db")
    try:
        offline = settings_for("http://127.0.0.1:9/v1", "extractive", max_items)
        out["stages"] = stages(store, offline)
        seconds, items = await build_only(store, offline)
        out["offline_bounded_seconds"], out["offline_bounded_items"] = seconds, items
        if reference:
            seconds, items = await build_only(
                store, settings_for("http://127.0.0.1:9/v1", "extractive", max_items, UNBOUNDED))
            out["offline_unbounded_seconds"], out["offline_unbounded_items"] = seconds, items
    finally:
        store.close()
    return out


def run(max_items: int = 60, feeds: int | None = None, reference: bool = True) -> dict[str, Any]:
    """Figures for `max_items` over the first `feeds` bulk feeds (None: all 250)."""
    logging.disable(logging.WARNING)  # 39 of the bulk feeds are not well-formed: one line each
    try:
        with tempfile.TemporaryDirectory() as tmp:
            return asyncio.run(_run(max_items, feeds, reference, Path(tmp)))
    finally:
        logging.disable(logging.NOTSET)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20 feeds, max_items 10, no reference")
    args = parser.parse_args()
    result = run(10, 20, reference=False) if args.quick else run()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
