"""Issue 14's corpus checks: per-subscription filters on the 2025-07-25 digest through the real
delivery path (console adapter, outbox), and `digestbot search` over the stored corpus articles.

The feeds with entries in the 744-hour window before 2025-07-25 (AI-News-Direct's caches and the
scrapers of set A-H), plus two Chinese feeds for search, are served on loopback and fetched once;
the digest is built offline (extractive summaries) and stored, so every subscription shares it.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fakes.web import FakeWeb

from bot.cli import main, open_store
from bot.config import load_settings
from bot.delivery.console_adapter import ConsoleAdapter
from bot.delivery.outbox import send_due
from bot.digest.filters import matches
from bot.digest.service import DigestService
from bot.ingest.pipeline import fetch_all
from bot.summarize.service import SummaryService
from storage import Store

DAY = date(2025, 7, 25)
NOW = datetime(2025, 7, 25, 23, 0, tzinfo=UTC)
FEEDS = (
    "anthropic_aggregated.xml", "anthropic_engineering.xml", "feed_anthropic_engineering.xml",
    "feed_anthropic_news.xml", "feed_meta_ai.xml", "feed_the_batch.xml", "google_ai_blog_feed.xml",
    "google_ai_feeds.xml", "google_deepmind_blog_feed.xml", "google_deepmind_feeds.xml",
    "microsoft_ai_blog_feed.xml", "microsoft_feeds.xml", "openai_feeds.xml", "openai_news_feed.xml",
    "leiphone.xml", "iteye_news.xml",
)
_ITEM_ID = re.compile(r"\[#(\d+)\]")  # the plain renderer writes each item's id after its title


async def _fetch_and_build(corpus: Path, folder: Path) -> Path:
    async with FakeWeb(root=corpus / "feeds") as web:
        feeds = "".join(f'[[feeds]]\nurl = "{web.url(name)}"\nname = "{name}"\n' for name in FEEDS)
        cfg = folder / "digestbot.toml"
        cfg.write_text(
            f'[storage]\npath = "{folder / "d.db"}"\n'
            "[fetch]\nallow_private_addresses = true\nfull_text = false\ntimeout_seconds = 30.0\n"
            '[digest]\ntimezone = "UTC"\nlookback_hours = 744\nmax_items = 500\nhighlights = 5\n' + feeds
        )
        settings = load_settings(str(cfg))
        store = open_store(settings)
        try:
            outcomes = await fetch_all(store, settings, now=NOW)
            assert not [o for o in outcomes if o.status == "failed"], outcomes
            summaries = SummaryService(store, settings)
            await DigestService(store, settings, summaries).get_or_build(DAY, "en", now=NOW)
            await summaries.aclose()
        finally:
            store.close()
    return cfg


@pytest.fixture(scope="module")
def corpus_cfg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    if not corpus.is_dir():
        pytest.skip("../shared/corpus is not present")
    return asyncio.run(_fetch_and_build(corpus, tmp_path_factory.mktemp("corpus14")))


def _delivered_ids(store: Store, chat_id: str) -> tuple[list[int], str]:
    sub = store.find_subscription("console", chat_id)
    assert sub is not None
    delivery = store.get_delivery(sub.id, DAY.isoformat())
    assert delivery is not None and delivery.status == "sent", delivery
    text = "\n".join(m.message.text for m in store.outbox_messages(delivery.id))
    return [int(i) for i in _ITEM_ID.findall(text)], text


def test_exclude_and_sections_filters_through_the_real_delivery_path(corpus_cfg: Path) -> None:
    cfg = str(corpus_cfg)
    common = ["--time", "00:00", "--tz", "UTC", "--lang", "en"]
    assert main(["--config", cfg, "subscriptions", "add", "console", "all", *common]) == 0
    assert main(["--config", cfg, "subscriptions", "add", "console", "no-ms", "--exclude", "Microsoft", *common]) == 0
    assert main(["--config", cfg, "subscriptions", "add", "console", "products", "--sections", "products", *common]) == 0

    async def send() -> list[str]:
        settings = load_settings(cfg)
        store = open_store(settings)
        summaries = SummaryService(store, settings)
        try:
            results = await send_due(store, {"console": ConsoleAdapter(io.StringIO())},
                                     DigestService(store, settings, summaries), settings, now=NOW,
                                     send_all=True, day=DAY)
        finally:
            await summaries.aclose()
            store.close()
        return [r.line() for r in results]

    lines = asyncio.run(send())
    assert all(": sent " in line for line in lines), lines

    store = Store(corpus_cfg.parent / "d.db")
    try:
        digest = store.get_digest(DAY.isoformat(), "en")
        assert digest is not None
        everything = [i.id for i in digest.items()]
        by_id = {i.id: i for i in digest.items()}
        microsoft_titles = [i for i in digest.items() if "microsoft" in i.title.lower()]
        assert microsoft_titles, "the window holds Microsoft stories, so the filter has work to do"

        all_ids, _ = _delivered_ids(store, "all")
        assert sorted(all_ids) == sorted(everything)  # no filter: the whole digest

        kept, text = _delivered_ids(store, "no-ms")
        assert all("microsoft" not in by_id[i].title.lower() for i in kept)
        wanted = [i.id for i in digest.items() if not matches([i.title, *i.points, i.source], ["Microsoft"])]
        assert kept == wanted  # every other item, in the digest's order
        assert set(everything) - set(kept) >= {i.id for i in microsoft_titles}

        products, text = _delivered_ids(store, "products")
        section = next(s for s in digest.sections if s.key == "products")
        assert products == [i.id for i in section.items] and products
        others = [s.name for s in digest.sections if s.key != "products"]
        assert others and not any(f"== {name} ==" in text for name in others)
    finally:
        store.close()


def test_search_finds_phi4_and_chinese_articles(corpus_cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(corpus_cfg)
    assert main(["--config", cfg, "search", "Phi-4"]) == 0
    out = capsys.readouterr().out
    titles = [line for line in out.splitlines() if line.startswith("#")]
    assert any("Phi-4-mini-flash-reasoning" in line for line in titles[:3]), out  # among the first
    assert all("Phi-4" in line for line in titles[:3]), out  # and what outranks it says Phi-4 too

    assert main(["--config", cfg, "search", "人工智能", "--limit", "20", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["query"] == "人工智能" and len(doc["results"]) >= 10
    store = Store(corpus_cfg.parent / "d.db")
    try:
        for hit in doc["results"]:
            article = store.get_article(hit["id"])
            assert article is not None and hit["language"] == "zh"
            assert "人工智能" in article.title + article.text
    finally:
        store.close()
