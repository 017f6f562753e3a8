"""Chat under load: another user's /help while an old day's digest builds offline, with the
offline summaries in a worker process, a worker thread, or (the reference, as before) on the event
loop; and the peak memory of ten concurrent /summarize of a 9.5 MB page, two pages at a time
(limits.concurrent_page_fetches) beside ten at a time.

Each case runs in a fresh child process: the latency cases run the fake Telegram Bot API and the
real TelegramAdapter, handlers and services in one process (as the suite does); the memory cases
run tests/fakes/chat_burst_child.py with both chat SDKs imported, so its baseline is the service's.

    python -m benchmarks.chat [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
CORPUS = ROOT.parent / "shared" / "corpus"
FEEDS = ("36kr.xml", "leiphone.xml", "geekpark.xml")
DAY = "2016-10-26"
NOW = datetime(2016, 10, 27, 6, 0, tzinfo=UTC)
MODES = ("process", "thread", "loop")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)])}


async def _latency(mode: str, limit: int | None) -> dict[str, Any]:
    """Child: build DAY offline while users send /help one after another; their answer times."""
    from fakes.telegram_server import FakeTelegram, ScaledClock

    from bot.config import DigestSettings, Settings, StorageSettings, validate
    from bot.delivery.adapter import TELEGRAM_LIMITS
    from bot.delivery.pacing import Pacer
    from bot.delivery.telegram_adapter import TelegramAdapter
    from bot.ingest.parse import parse_feed_bytes
    from bot.ingest.urls import content_hash
    from bot.models import NewArticle, Reply, Request, Summary
    from bot.services import build_services
    from bot.summarize import extractive
    from bot.summarize.offload import OfflineRunner
    from bot.summarize.service import SummaryService
    from handlers import dispatch
    from storage import Store

    class OnTheLoop(OfflineRunner):
        """The reference: summaries computed in the event loop's own thread (the old behaviour)."""

        async def summarize(self, title: str, text: str, language: str, kind: str) -> Summary:
            self.jobs += 1
            return extractive.summarize_extractive(title, text, language, kind)

    with tempfile.TemporaryDirectory() as tmp:
        settings = validate(Settings(storage=StorageSettings(path=f"{tmp}/bot.db"),
                                     digest=DigestSettings(language="zh", timezone="UTC", lookback_hours=48)))
        store = Store(settings.storage.path)
        articles = 0
        for name in FEEDS:
            parsed = parse_feed_bytes((CORPUS / "feeds" / name).read_bytes(), url=f"https://corpus.example/{name}")
            feed = store.add_feed(f"https://corpus.example/{name}", parsed.title)
            for e in parsed.entries[: limit or None]:
                store.add_article(NewArticle(
                    feed_id=feed.id, url=e.url, title=e.title, source=parsed.title, published=e.published or NOW,
                    language="zh", text=e.text, original_chars=len(e.text), content_hash=content_hash(e.text),
                ), at=NOW)
                articles += 1
        runner = OnTheLoop("thread") if mode == "loop" else OfflineRunner(mode)
        services = build_services(settings, store, clock=lambda: NOW,
                                  summaries=SummaryService(store, settings, offline=runner))

        async def on_request(r: Request) -> Reply:
            return await dispatch(r, services)

        async with FakeTelegram(time_scale=50.0) as tg:
            clock = ScaledClock(50.0)
            adapter = TelegramAdapter(tg.token, base_url=tg.base_url, poll_timeout=1,
                                      pacer=Pacer(TELEGRAM_LIMITS, clock=clock.clock, sleep=clock.sleep, margin=0.1))
            await adapter.start(on_request)
            latencies: list[float] = []
            started = time.perf_counter()
            try:
                await tg.inject_command(500, 500, f"/digest {DAY}")
                while not tg.delivered["500"] and len(latencies) < 5000:
                    user = 600 + len(latencies)
                    t0 = time.perf_counter()
                    await tg.inject_command(user, user, "/help")
                    await tg.wait_for(user, 1, timeout=120)
                    latencies.append(time.perf_counter() - t0)
                await tg.wait_for(500, 1, timeout=300)
                build = time.perf_counter() - started
            finally:
                await adapter.stop()
                await services.summaries.aclose()
                store.close()
    latencies.sort()
    return {
        "mode": mode, "articles": articles, "build_seconds": round(build, 2), "answers": len(latencies),
        "median_ms": round(1000 * statistics.median(latencies), 1),
        "p95_ms": round(1000 * latencies[math.ceil(0.95 * len(latencies)) - 1], 1),  # nearest rank
        "max_ms": round(1000 * latencies[-1], 1),
    }


def _huge_page(megabytes: float) -> str:
    para = "<p>" + " ".join(f"Robots in warehouses sort parcels faster; finding {n} comes with details."
                            for n in range(5)) + "</p>\n"
    body = para * int(megabytes * 1_000_000 / len(para))
    return f"<html><head><title>Huge page</title></head><body><article><h1>Huge</h1>{body}</article></body></html>"


async def _memory(megabytes: float, count: int, concurrency: int) -> dict[str, Any]:
    from fakes.web import FakeWeb

    async with FakeWeb() as web:
        web.add("/huge", _huge_page(megabytes))
        web.add("/small", _huge_page(0.01))
        with tempfile.TemporaryDirectory() as tmp:
            cfg = {"url": web.url("/huge"), "small_url": web.url("/small"), "count": count,
                   "concurrency": concurrency, "db": f"{tmp}/burst.db", "sdks": True}
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "fakes.chat_burst_child", json.dumps(cfg), cwd=str(TESTS), env=_env(),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            out, err = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(err.decode(errors="replace")[-500:])
    result = json.loads(out.decode().strip().splitlines()[-1])
    result["all_answered"] = all(r.startswith("🦾 Huge page") for r in result.pop("replies"))
    result.update(megabytes=megabytes, count=count, concurrency=concurrency)
    return dict(result)


def _child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "benchmarks.chat", *args], env=_env(), cwd=str(ROOT),
                          capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-500:])
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


async def _quick() -> dict[str, Any]:
    """--quick: the same code paths in this process with tiny inputs (the figures mean nothing)."""
    from fakes.chat_burst_child import burst
    from fakes.web import FakeWeb

    latency = {"thread": await _latency("thread", 1)}
    memory = {}
    async with FakeWeb() as web:
        web.add("/huge", _huge_page(0.05))
        web.add("/small", _huge_page(0.01))
        with tempfile.TemporaryDirectory() as tmp:
            for key, concurrency in (("bounded", 2),):
                cfg = {"url": web.url("/huge"), "small_url": web.url("/small"), "count": 3,
                       "concurrency": concurrency, "db": f"{tmp}/{key}.db"}
                result = await burst(cfg)
                result["all_answered"] = all(r.startswith("🦾 Huge page") for r in result.pop("replies"))
                memory[key] = {**result, "megabytes": 0.05, "count": 3, "concurrency": concurrency}
    return {"latency": latency, "memory": memory, "quick": True}


def run(quick: bool = False) -> dict[str, Any]:
    """Every case in its own process (--quick: in this one, tiny); the figures the table shows."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    if quick:
        return asyncio.run(_quick())
    latency = {mode: _child(["--latency", mode]) for mode in MODES}
    memory = {"bounded": _child(["--memory", "9.5", "10", "2"]),
              "unbounded": _child(["--memory", "9.5", "10", "10"])}
    return {"latency": latency, "memory": memory, "quick": False}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chat", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--latency", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--memory", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    if args.latency:
        result = asyncio.run(_latency(args.latency, None))
    elif args.memory:
        mb, count, concurrency = args.memory
        result = asyncio.run(_memory(float(mb), int(count), int(concurrency)))
    else:
        result = run(args.quick)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
