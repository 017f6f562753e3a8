"""The parse worker: native parsers (lxml via trafilatura, feedparser) never run in two threads."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.ingest import FetchError
from bot.ingest.worker import ParseWorker, close_parse_worker, parse_worker, run_parser

TESTS = Path(__file__).resolve().parent


class _Overlap:
    """Counts how many calls are inside `work` at once (the worker must keep it at 1)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.inside = 0
        self.most = 0
        self.threads: set[int] = set()

    def work(self, n: int) -> int:
        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
            self.threads.add(threading.get_ident())
        total = sum(i * i for i in range(20_000))  # long enough for a second thread to step in
        with self.lock:
            self.inside -= 1
        return n + total % 7


async def test_thread_worker_runs_one_job_at_a_time_off_the_loop() -> None:
    worker = ParseWorker()
    probe = _Overlap()
    try:
        results = await asyncio.gather(*(worker.run(probe.work, n) for n in range(40)))
    finally:
        worker.close()
    assert results == [n + sum(i * i for i in range(20_000)) % 7 for n in range(40)]
    assert probe.most == 1
    assert len(probe.threads) == 1 and threading.get_ident() not in probe.threads


async def test_the_process_wide_worker_serialises_every_caller() -> None:
    """Two callers that know nothing of each other (a fetch and a chat command) share one worker."""
    close_parse_worker()
    probe = _Overlap()
    try:
        await asyncio.gather(*(run_parser(probe.work, n) for n in range(10)),
                             *(parse_worker().run(probe.work, n) for n in range(10)))
    finally:
        close_parse_worker()
    assert probe.most == 1 and len(probe.threads) == 1


async def test_closed_worker_refuses_and_the_next_use_starts_a_new_one() -> None:
    worker = parse_worker()
    close_parse_worker()
    with pytest.raises(RuntimeError, match="closed"):
        await worker.run(len, "abc")
    assert await run_parser(len, "abcd") == 4  # a fresh process-wide worker
    assert parse_worker() is not worker
    close_parse_worker()


def test_nothing_starts_at_import() -> None:
    code = (
        "import threading, bot.ingest.pipeline, bot.ingest.worker as w, handlers, bot.cli;"
        "print(threading.active_count(), w._current is None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "True"]


def _crash() -> None:
    os.abort()


def _pid() -> int:
    return os.getpid()


async def test_process_worker_survives_a_native_crash() -> None:
    worker = ParseWorker(processes=1)
    try:
        first = await worker.run(_pid)
        with pytest.raises(FetchError, match="crashed"):
            await worker.run(_crash)
        second = await worker.run(_pid)  # a new pool answers
    finally:
        worker.close()
    assert first != os.getpid() and second != os.getpid() and first != second


def test_fetch_error_keeps_its_fields_across_processes() -> None:
    error = pickle.loads(pickle.dumps(FetchError("too many requests", retry_after=30.0, status=429)))
    assert (error.reason, error.retry_after, error.status) == ("too many requests", 30.0, 429)


@pytest.mark.timeout(90)
def test_extraction_at_high_concurrency_never_kills_the_process(corpus: Path) -> None:
    """Forked children each push three pages through `extract_page` at once. With the old
    `asyncio.to_thread` extraction 3-5 % of such children died of heap corruption (SIGABRT or
    SIGSEGV; measured 8 of 150), so 120 bursts catch it with near certainty; with the worker none may.
    (The benchmark's longer run adds a full-text feed through `parse_feed` to every burst.)"""
    pages = sorted(str(p) for p in (corpus / "articles" / "scrapinghub" / "html").glob("*.html.gz"))
    assert len(pages) > 100
    cfg = {"pages": pages, "feed": None, "bursts": 120, "per_burst": 3, "parallel": 2, "timeout": 60}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "fakes.parse_stress_child", json.dumps(cfg)],
        cwd=TESTS, capture_output=True, text=True, timeout=85, check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent)])},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["bursts"] == 120
    assert report["abnormal"] == [], f"children died: {report['abnormal']} after {time.monotonic() - started:.0f} s"
