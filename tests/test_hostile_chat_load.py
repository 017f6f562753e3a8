"""Hostile chat load: another user's /help while an old day's digest builds offline, the memory of a
burst of huge pages, and SIGTERM while a flood's replies are still queued.

The service runs with the real adapters against the fakes; the memory burst and the SIGTERM run are
child processes (RSS is measured where the work happens; a signal needs a process of its own).
Nothing sleeps: waits are on the fakes' events, bounded by timeouts.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from fakes.telegram_server import FakeTelegram, ScaledClock
from fakes.web import FakeWeb

from bot.config import (
    DigestSettings,
    LimitsSettings,
    Settings,
    StorageSettings,
    SummarizerSettings,
    validate,
)
from bot.delivery.adapter import TELEGRAM_LIMITS
from bot.delivery.pacing import Pacer
from bot.delivery.telegram_adapter import TelegramAdapter
from bot.ingest.parse import parse_feed_bytes
from bot.ingest.urls import content_hash
from bot.models import NewArticle, Reply, Request, Summary
from bot.services import build_services
from bot.summarize.offload import OfflineRunner
from bot.summarize.service import SummaryService
from handlers import dispatch
from storage import Store

TESTS = Path(__file__).resolve().parent
SCALE = 50.0
DAY = "2016-10-26"  # 130 Chinese articles of the corpus fall in this 48-hour window
NOW = datetime(2016, 10, 27, 6, 0, tzinfo=UTC)
CORPUS_FEEDS = ("36kr.xml", "leiphone.xml", "geekpark.xml")


class WatchedRunner(OfflineRunner):
    """The real offline worker, counting what reaches it."""

    async def summarize(self, title: str, text: str, language: str, kind: str) -> Summary:
        self.asked = getattr(self, "asked", 0) + 1
        return await super().summarize(title, text, language, kind)


def seed_corpus(store: Store, corpus: Path) -> int:
    count = 0
    for name in CORPUS_FEEDS:
        parsed = parse_feed_bytes((corpus / "feeds" / name).read_bytes(), url=f"https://corpus.example/{name}")
        feed = store.add_feed(f"https://corpus.example/{name}", parsed.title)
        for e in parsed.entries:
            assert e.published is not None
            store.add_article(NewArticle(
                feed_id=feed.id, url=e.url, title=e.title, source=parsed.title, published=e.published,
                language="zh", text=e.text, original_chars=len(e.text), content_hash=content_hash(e.text),
                guid=e.guid,
            ), at=NOW)
            count += 1
    return count


async def test_help_answers_quickly_while_an_old_day_builds_offline(tmp_path: Path, corpus: Path) -> None:
    settings = validate(Settings(
        storage=StorageSettings(path=str(tmp_path / "bot.db")),
        digest=DigestSettings(language="zh", timezone="UTC", lookback_hours=48),
        limits=LimitsSettings(offline_worker="process"),  # the default, spelled out
        # every story a candidate, so the build summarises all 130 (a long build to answer during)
        summarizer=SummarizerSettings(max_model_candidates=130),
    ))
    store = Store(settings.storage.path)
    assert seed_corpus(store, corpus) == 130
    runner = WatchedRunner("process")
    services = build_services(settings, store, clock=lambda: NOW,
                              summaries=SummaryService(store, settings, offline=runner))

    async def on_request(r: Request) -> Reply:
        return await dispatch(r, services)

    async with FakeTelegram(time_scale=SCALE) as tg:
        clock = ScaledClock(SCALE)
        adapter = TelegramAdapter(tg.token, base_url=tg.base_url, poll_timeout=1,
                                  pacer=Pacer(TELEGRAM_LIMITS, clock=clock.clock, sleep=clock.sleep, margin=0.1))
        await adapter.start(on_request)
        try:
            await tg.inject_command(500, 500, f"/digest {DAY}")  # stopped once measured: not awaited
            overlapping: list[float] = []  # every /help answered while the build was going on
            busy: list[float] = []  # those sent once the worker was well into it
            while len(busy) < 25 and not tg.delivered["500"] and len(overlapping) < 1000:
                user, worker_busy = 600 + len(overlapping), runner.jobs >= 5
                started = time.perf_counter()
                await tg.inject_command(user, user, "/help")
                await tg.wait_for(user, 1, timeout=60)
                overlapping.append(time.perf_counter() - started)
                if worker_busy:
                    busy.append(overlapping[-1])
            building = not tg.delivered["500"]
        finally:
            await adapter.stop()
            await services.summaries.aclose()
            store.close()
    # The old day was being built offline: every story queued for the worker (a few of the day's
    # stories report one event and are summarised once), some done already.
    assert 120 <= runner.asked <= 130 and runner.jobs >= 5
    busy.sort()
    print(f"/help during the build: {len(overlapping)} answered, median {busy[len(busy) // 2] * 1000:.0f} ms "
          f"and max {max(overlapping) * 1000:.0f} ms")
    # Summarising on the loop made a /help wait for the whole build (5 s here, 3 s in the issue).
    # The suite shares two cores with other work, so its bound is loose; the 300 ms figure (every
    # answer, this very setup) is measured by benchmarks/chat.py, beside the on-the-loop reference.
    assert max(overlapping) < 1.5, sorted(overlapping)[-5:]
    assert building and len(busy) == 25, f"only {len(busy)} answers overlapped the build"
    assert busy[len(busy) // 2] < 0.1, busy


def huge_page(megabytes: float) -> str:
    """An article page of that many megabytes of real paragraphs (an element-heavy page)."""
    para = "<p>" + " ".join(f"Robots in warehouses sort parcels faster; finding {n} comes with details."
                            for n in range(5)) + "</p>\n"
    body = para * int(megabytes * 1_000_000 / len(para))
    return f"<html><head><title>Huge page</title></head><body><article><h1>Huge</h1>{body}</article></body></html>"


async def run_burst(tmp_path: Path, web: FakeWeb, *, count: int, concurrency: int, sdks: bool = False) -> dict:
    cfg = {"url": web.url("/huge"), "small_url": web.url("/small"), "count": count, "concurrency": concurrency,
           "db": str(tmp_path / f"burst-{concurrency}.db"), "sdks": sdks}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)])}
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fakes.chat_burst_child", json.dumps(cfg), cwd=str(TESTS), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(child.communicate(), 120)
    assert child.returncode == 0, err.decode()[-3000:]
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


async def test_a_burst_of_big_pages_keeps_memory_bounded(tmp_path: Path) -> None:
    """Eight users /summarize the same 1 MB page at once. Two pages are worked on at a time
    (limits.concurrent_page_fetches), so the process grows by about two pages' worth, not eight
    (measured: +30 MB with the bound, +80 MB without). benchmarks/chat.py runs the issue's ten
    9.5 MB pages."""
    async with FakeWeb() as web:
        web.add("/huge", huge_page(1.0))
        web.add("/small", huge_page(0.01))
        result = await run_burst(tmp_path, web, count=8, concurrency=2)
    assert all(r.startswith("🦾 Huge page") for r in result["replies"]), result["replies"]
    assert result["peak_mb"] - result["baseline_mb"] < 55, result


async def test_sigterm_during_a_flood_stops_the_service_within_30_s(tmp_path: Path) -> None:
    """`digestbot run` gets 60 /help from one user: their replies are paced at one a second, so a
    minute of them is queued when SIGTERM comes. The service drops the queued replies and exits 0."""
    async with FakeTelegram() as tg, FakeWeb() as web:  # real time: the child paces in real seconds
        web.add("/feed.xml", "<rss version='2.0'><channel><title>Local</title></channel></rss>",
                content_type="application/rss+xml")
        config = tmp_path / "digestbot.toml"
        config.write_text(
            f'[storage]\npath = "{tmp_path / "bot.db"}"\n'
            f'[fetch]\nallow_private_addresses = true\ntimeout_seconds = 2.0\n'
            f'[[feeds]]\nurl = "{web.url("/feed.xml")}"\n'
            f'[telegram]\ntoken_env = "DIGESTBOT_TEST_SIGTERM_TOKEN"\nbase_url = "http://127.0.0.1:{tg.port}"\n'
            f'[discord]\ntoken_env = "DIGESTBOT_TEST_SIGTERM_NO_DISCORD"\n',
            encoding="utf-8",
        )
        env = {**os.environ, "DIGESTBOT_TEST_SIGTERM_TOKEN": tg.token, "PYTHONPATH": str(TESTS.parent)}
        env.pop("DIGESTBOT_TEST_SIGTERM_NO_DISCORD", None)
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "--config", str(config), "run", cwd=str(tmp_path), env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            for _ in range(60):
                await tg.inject_command(77, 77, "/help")
            await tg.wait_for(77, 2, timeout=60)  # the service is up and answering, one a second
            stopped_at = time.monotonic()
            child.send_signal(signal.SIGTERM)
            _out, err = await asyncio.wait_for(child.communicate(), 45)
            took = time.monotonic() - stopped_at
        finally:
            if child.returncode is None:
                child.kill()
                await child.wait()
    log = err.decode(errors="replace")
    assert child.returncode == 0, log[-3000:]
    assert took < 30, f"took {took:.1f} s to stop"
    assert len(tg.delivered["77"]) < 60  # the rest of the queued replies were dropped, not sent
    assert "answers.dropped" in log and "Traceback" not in log
