"""A flaky model (30 % 5xx, timeouts, or down) under a real digest build over HTTP.

The digest is always complete (every story an item with key points), each article the model failed
on is summarised offline, the header of every renderer states how many, failures are not cached,
and a rebuild once the model recovers asks again only for the ones that failed.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import string
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from fakes.openai_server import FakeOpenAI

from bot.config import DigestSettings, Settings, SummarizerSettings, validate
from bot.digest.discord_render import render_discord
from bot.digest.markdown import render_markdown
from bot.digest.service import DigestService
from bot.digest.strings import t
from bot.digest.telegram_render import render_telegram
from bot.models import NewArticle
from bot.summarize.service import SummaryService

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
DAY = date(2026, 5, 4)
KEY_ENV = "DIGESTBOT_TEST_FAULTS_MODEL_KEY"
ARTICLES = 20
TIMEOUT = 1.0  # far above a fake call (milliseconds) even on a loaded machine: a 0.3 s limit
# timed out one healthy call in a two-worker run (3 Dec 2026), and the count of failures went off by one
_VOCAB = ["".join(random.Random(n).choices(string.ascii_lowercase, k=6)) for n in range(300)]


class FlakyModel(FakeOpenAI):
    """FakeOpenAI whose calls numbered in `slow` (arrival order) answer after the client gave up."""

    def __init__(self, slow: set[int], **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.slow = slow
        self.arrived = 0
        self.answered: list[int] = []  # HTTP status of every answer actually sent

    async def _handle(self, request):  # type: ignore[no-untyped-def]
        n = self.arrived
        self.arrived += 1
        if n in self.slow:
            await asyncio.sleep(TIMEOUT * 4)
        response = await super()._handle(request)
        self.answered.append(response.status)
        return response


def fill(store) -> None:  # type: ignore[no-untyped-def]
    feed = store.add_feed("https://feeds.example/a.xml", "Example")
    for i in range(ARTICLES):
        rng = random.Random(i)
        text = " ".join(" ".join(rng.sample(_VOCAB, 9)).capitalize() + "." for _ in range(6))
        store.add_article(NewArticle(
            feed_id=feed.id, url=f"https://news.example/{i}", title=f"Story {i} " + " ".join(rng.sample(_VOCAB, 2)),
            source="Example", published=NOW - timedelta(hours=1 + i / 10), language="en", text=text,
            original_chars=len(text), content_hash=hashlib.sha256(text.encode()).hexdigest(),
        ), at=NOW - timedelta(hours=1))


def settings_for(base_url: str) -> Settings:
    return validate(Settings(
        summarizer=SummarizerSettings(provider="openai", base_url=base_url, model="fake", api_key_env=KEY_ENV,
                                      timeout_seconds=TIMEOUT, max_retries=0, concurrency=4),
        digest=DigestSettings(language="en", timezone="UTC"),
    ))


@pytest.mark.parametrize(
    "failure_ratio,slow,mode",
    [(0.3, set(), "valid"), (0.0, {1, 5, 9, 13, 17}, "valid"), (0.3, {0, 7, 14}, "valid"), (0.0, set(), "500")],
    ids=["30%-5xx", "25%-timeouts", "5xx-and-timeouts", "model-down"],
)
async def test_flaky_model_still_gives_a_complete_digest_with_offline_count(
    store, monkeypatch: pytest.MonkeyPatch, failure_ratio: float, slow: set[int], mode: str
) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-test")
    fill(store)
    async with FlakyModel(slow, failure_ratio=failure_ratio, mode=mode) as model:
        settings = settings_for(model.base_url)
        summaries = SummaryService(store, settings)
        started = time.monotonic()
        digest = await DigestService(store, settings, summaries).get_or_build(DAY, "en", now=NOW)
        took = time.monotonic() - started
        failed_calls = ARTICLES - model.answered.count(200)
        first_stats = dict(summaries.stats)

        model.failure_ratio, model.slow, model.mode = 0.0, set(), "valid"  # the model recovers
        calls_before = model.arrived
        healed = await DigestService(store, settings, summaries).get_or_build(DAY, "en", now=NOW, rebuild=True)
        second_calls = model.arrived - calls_before
        await summaries.aclose()

    items = digest.items()
    assert len(items) == ARTICLES and all(len(i.points) == 3 for i in items)  # complete, every item summarised
    assert failed_calls > 0 and first_stats["model_calls"] == ARTICLES
    assert digest.stats.offline_summaries == failed_calls == first_stats["fallbacks"]
    assert sum(i.fallback for i in items) == failed_calls
    # each slow call costs at most one client timeout (even if they all ran one after another)
    assert took < TIMEOUT * len(slow) + 2.0
    note = t("en", "offline_note", n=failed_calls)  # "...(the model was unavailable): 6."
    escaped = note.replace("(", "\\(").replace(")", "\\)")  # markdown escapes the brackets
    assert note in "\n".join(m.text for m in render_telegram(digest))
    assert escaped in render_markdown(digest)
    assert escaped in "\n".join((e.description or "") for m in render_discord(digest) for e in m.embeds)

    # failures were not cached: the rebuild asks only for them, and nothing is offline any more
    assert second_calls == failed_calls
    assert healed.stats.offline_summaries == 0 and len(healed.items()) == ARTICLES
    assert store.get_digest(DAY.isoformat(), "en").stats.offline_summaries == 0
