"""The 30-stub scenario of issue 9: a feed of fresh one-line stubs linking to scrapinghub pages,
digested by `digestbot digest --format json` in child processes, counting abnormal exits.

Before the extraction worker, trafilatura ran in several default-pool threads at once and the
child died with SIGABRT (`free(): invalid pointer`) in about 2 runs of 7. The feed and pages are
built at run time from ../shared/corpus (nothing copied into the repo) and served by the tests'
FakeWeb on 127.0.0.1. Run `python -m benchmarks.stubs [--runs 20] [--pages 30]`.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from benchmarks.common import CORPUS, require_corpus

TESTS = Path(__file__).resolve().parents[1] / "tests"
PAGES = CORPUS / "articles" / "scrapinghub"
MIN_BODY = 800  # pages whose true main text is a real article, not a fragment


@dataclass(frozen=True)
class StubPage:
    """One scrapinghub page of the scenario: where it is served and what its main text is."""

    page_id: str
    path: str  # served at this path
    html: bytes
    truth: str  # the benchmark's ground-truth main text


def stub_pages(count: int = 30) -> list[StubPage]:
    """The first `count` scrapinghub pages (in id order) whose true main text is ≥ MIN_BODY chars."""
    require_corpus(PAGES)
    truth = json.loads((PAGES / "ground-truth.json").read_text(encoding="utf-8"))
    out: list[StubPage] = []
    for page_id in sorted(truth):
        body = truth[page_id].get("articleBody", "")
        if len(body) < MIN_BODY:
            continue
        html = gzip.decompress((PAGES / "html" / f"{page_id}.html.gz").read_bytes())
        out.append(StubPage(page_id, f"/a/{page_id[:16]}.html", html, body))
        if len(out) == count:
            break
    return out


def stub_feed(base: str, pages: list[StubPage], now: datetime) -> bytes:
    """An RSS feed with one fresh entry per page, each carrying only a one-line teaser."""
    items = []
    for n, page in enumerate(pages):
        when = format_datetime(now - timedelta(minutes=10 + n))
        items.append(
            f"<item><title>Story {n + 1} of the stub feed</title><link>{escape(base + page.path)}</link>"
            f"<guid>{escape(base + page.path)}</guid><pubDate>{when}</pubDate>"
            f"<description>Teaser {n + 1}: read the whole story on the site.</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Stub feed</title>'
        f"<link>{escape(base)}/</link><description>stubs</description>{''.join(items)}</channel></rss>"
    ).encode()


def write_config(folder: Path, feed_url: str, *, db: Path, extra: str = "") -> Path:
    """A config for the child: this one feed, private addresses allowed, offline summaries."""
    path = folder / "digestbot.toml"
    path.write_text(
        f'[storage]\npath = "{db}"\n\n[fetch]\nallow_private_addresses = true\n{extra}\n'
        f'[[feeds]]\nurl = "{feed_url}"\nname = "Stub feed"\n\n'
        '[summarizer]\nprovider = "extractive"\n\n'
        '[digest]\nlanguage = "en"\ntimezone = "UTC"\nlookback_hours = 24\nmax_items = 100\n',
        encoding="utf-8",
    )
    return path


@dataclass(frozen=True)
class ChildRun:
    """One `digestbot digest --format json` child: its exit code, wall time and parsed output."""

    returncode: int
    seconds: float
    digest: dict[str, Any] | None
    stderr: str


async def run_child(config: Path, *, timeout: float = 300) -> ChildRun:
    """Run the CLI in a child process (its own interpreter: a native crash cannot take us down)."""
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "--config", str(config), "digest", "--format", "json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
    seconds = time.perf_counter() - started
    code = proc.returncode if proc.returncode is not None else -9
    try:
        digest = json.loads(out) if code == 0 else None
    except json.JSONDecodeError:
        digest = None
    return ChildRun(code, seconds, digest, err.decode("utf-8", "replace")[-2000:])


async def scenario(runs: int, count: int = 30, extra_config: str = "") -> list[ChildRun]:
    """Serve the feed and pages once, then run the child `runs` times, each on a fresh store."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from fakes.web import FakeWeb

    pages = stub_pages(count)
    results: list[ChildRun] = []
    async with FakeWeb() as web:
        base = web.url("").rstrip("/")
        for page in pages:
            web.add(page.path, page.html, content_type="text/html")
        web.add("/feed.xml", stub_feed(base, pages, datetime.now(UTC)), content_type="application/rss+xml")
        with tempfile.TemporaryDirectory() as tmp:
            for n in range(runs):
                folder = Path(tmp) / f"run{n}"
                folder.mkdir()
                config = write_config(folder, web.url("/feed.xml"), db=folder / "db.sqlite",
                                      extra=extra_config)
                results.append(await run_child(config))
    return results


# ---------------------------------------------------------------- thread or processes


def _vm_hwm_mb(pid: int | str = "self") -> float:
    """Peak resident memory of one process (Linux /proc), in MB; 0 when unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _measure_worker(processes: int, feed_url: str, rounds: int, out: Any) -> None:
    """Fresh process: extraction pages/s and the stub feed's fetch time through one worker mode."""
    import logging

    from benchmarks.extraction import load_pages
    from bot.config import DigestSettings, FetchSettings, Settings, StorageSettings
    from bot.ingest.extract import extract_document
    from bot.ingest.pipeline import fetch_all
    from bot.ingest.worker import (
        ParseWorker,
        close_parse_worker,
        configure_parse_worker,
        parse_worker,
    )
    from storage import Store

    logging.disable(logging.WARNING)
    pages = [(html.encode("utf-8"), url) for html, url, _ in load_pages()]
    configure_parse_worker(processes)
    worker: ParseWorker = parse_worker()
    result: dict[str, float] = {"processes": float(processes)}

    async def extract_all() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(worker.run(extract_document, body, url, "text/html") for body, url in pages))
        return time.perf_counter() - started

    async def fetch_once(db: Path) -> float:
        settings = Settings(storage=StorageSettings(path=str(db)),
                            fetch=FetchSettings(allow_private_addresses=True),
                            digest=DigestSettings(lookback_hours=24, timezone="UTC"))
        store = Store(str(db))
        store.add_feed(feed_url, "Stub feed")
        started = time.perf_counter()
        await fetch_all(store, settings, now=datetime.now(UTC))
        seconds = time.perf_counter() - started
        assert store.count_articles() > 0
        store.close()
        return seconds

    async def main() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            result["first_fetch_seconds"] = await fetch_once(Path(tmp) / "cold.db")  # includes start-up
            fetches = [await fetch_once(Path(tmp) / f"f{n}.db") for n in range(rounds)]
        result["fetch_seconds_median"] = statistics.median(fetches)
        timings = [await extract_all() for _ in range(rounds)]
        result["pages_per_s"] = len(pages) / statistics.median(timings)

    asyncio.run(main())
    pool = getattr(worker, "_executor", None)
    children = list(getattr(pool, "_processes", {}) or {})
    result["parent_peak_mb"] = _vm_hwm_mb()
    result["workers_peak_mb"] = sum(_vm_hwm_mb(pid) for pid in children)
    close_parse_worker()
    out.put(result)


async def compare_workers(modes: tuple[int, ...] = (0, 1, 2), rounds: int = 5) -> list[dict[str, float]]:
    """Each worker mode (0 = one thread, N = N processes) measured in its own fresh process, one
    after another against the same local server."""
    import multiprocessing

    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from fakes.web import FakeWeb

    pages = stub_pages(30)
    ctx = multiprocessing.get_context("spawn")
    results = []
    async with FakeWeb() as web:
        base = web.url("").rstrip("/")
        for page in pages:
            web.add(page.path, page.html, content_type="text/html")
        web.add("/feed.xml", stub_feed(base, pages, datetime.now(UTC)), content_type="application/rss+xml")
        loop = asyncio.get_running_loop()
        for processes in modes:
            queue = ctx.Queue()
            child = ctx.Process(target=_measure_worker, args=(processes, web.url("/feed.xml"), rounds, queue))
            child.start()
            results.append(await loop.run_in_executor(None, queue.get))
            await loop.run_in_executor(None, child.join)
    return results


def stress(bursts: int, mode: str, *, per_burst: int = 3, feed: bool = True) -> dict[str, Any]:
    """Forked bursts of concurrent extraction (tests/fakes/parse_stress_child.py) in `mode`
    ("worker" or the old "to_thread"); returns the driver's report and its wall time."""
    import subprocess

    pages = sorted(str(p) for p in (PAGES / "html").glob("*.html.gz"))
    cfg = {"pages": pages, "feed": str(CORPUS / "feeds" / "microsoft_ai_blog_feed.xml") if feed else None,
           "bursts": bursts, "per_burst": per_burst, "parallel": 2, "timeout": 60, "mode": mode}
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "fakes.parse_stress_child", json.dumps(cfg)], cwd=TESTS, check=True,
        capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent)])},
    )
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    return {**report, "seconds": time.perf_counter() - started}


def run(runs: int = 20, count: int = 30, bursts: int = 300, compare: bool = True,
        reference: bool = True) -> dict[str, Any]:
    """The 30-stub scenario `runs` times (abnormal exits, wall time); forked extraction bursts with
    the parse worker and with the old to_thread code; thread vs 2-process worker, side by side."""
    results = asyncio.run(scenario(runs, count))
    aborts = [r for r in results if r.returncode != 0]
    for r in aborts:
        print(f"child exit {r.returncode}: {r.stderr[-400:]}", file=sys.stderr)
    items = [sum(len(s["items"]) for s in r.digest.get("sections", [])) if r.digest else 0 for r in results]
    out: dict[str, Any] = {
        "runs": runs, "pages": count, "aborts": len(aborts), "min_items": min(items),
        "median_seconds": statistics.median(r.seconds for r in results),
        "stress_worker": stress(bursts, "worker"),
        "stress_to_thread": stress(bursts, "to_thread") if reference else {"bursts": 0, "abnormal": []},
    }
    if compare:
        rows = asyncio.run(compare_workers((0, 2, 0, 2, 0, 2), rounds=3))
        for processes in (0, 2):
            mine = [r for r in rows if r["processes"] == processes]
            out[f"worker_{processes}"] = {k: statistics.median(r[k] for r in mine) for k in mine[0]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--compare", action="store_true", help="thread vs process pool instead")
    args = parser.parse_args()
    if args.compare:
        for row in asyncio.run(compare_workers()):
            print(json.dumps(row))
        return
    print(json.dumps(run(args.runs, args.pages, compare=False), indent=2))


if __name__ == "__main__":
    main()
