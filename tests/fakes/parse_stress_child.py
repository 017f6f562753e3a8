"""Stress driver for the parse worker (tests/test_ingest_worker.py, benchmarks/stubs.py).

    python -m fakes.parse_stress_child '<json>'

JSON: {"pages": [...paths of .html.gz pages...], "feed": "path of a feed or null", "bursts": N,
"per_burst": K, "parallel": P, "timeout": seconds, "mode": "worker" (default) or "to_thread"}.
"to_thread" is the code before the parse worker (each page in `asyncio.to_thread`), kept as the
benchmark's reference. This process imports the extraction code and
reads the pages, parses nothing and starts no thread; then it forks N short-lived children, P at a
time. Each child sends K pages (and the feed, when given) through `extract_page` / `parse_feed` all
at once, then exits 0. Heap corruption from two threads inside lxml shows up mostly in a fresh
process (measured: about 3 % of forked bursts with the old `asyncio.to_thread` code, none in
hundreds of bursts repeated inside one process), hence one fork per burst. Prints one JSON line:
{"bursts": N, "abnormal": [[burst, exit code], ...]} (a negative code is the signal that killed it;
a child still running after `timeout` is killed and counted too).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from bot.ingest.extract import extract_document, extract_page
from bot.ingest.parse import parse_feed, parse_feed_bytes


def _burst(pages: list[bytes], feed: bytes | None, mode: str) -> None:
    """One child's work: every page (and the feed) through the async entry points at once."""
    sys.setswitchinterval(1e-5)  # switch threads often: races show up sooner

    async def go() -> None:
        jobs: list[Any] = []
        for n, body in enumerate(pages):
            url = f"https://stress.example/{n}"
            if mode == "to_thread":
                jobs.append(asyncio.to_thread(extract_document, body, url, "text/html"))
            else:
                jobs.append(extract_page(body, url=url, content_type="text/html"))
        if feed is not None:
            if mode == "to_thread":
                jobs.append(asyncio.to_thread(parse_feed_bytes, feed, url="https://stress.example/feed"))
            else:
                jobs.append(parse_feed(feed, url="https://stress.example/feed"))
        await asyncio.gather(*jobs)

    asyncio.run(go())


def run(cfg: dict[str, Any]) -> dict[str, Any]:
    pages = [gzip.decompress(Path(p).read_bytes()) for p in cfg["pages"]]
    feed = Path(cfg["feed"]).read_bytes() if cfg.get("feed") else None
    bursts, per, parallel = int(cfg["bursts"]), int(cfg["per_burst"]), int(cfg["parallel"])
    timeout = float(cfg.get("timeout", 60))
    mode = str(cfg.get("mode", "worker"))
    running: dict[int, tuple[int, float]] = {}
    abnormal: list[list[int]] = []
    started = 0

    def kill_hung(_signum: int, _frame: FrameType | None) -> None:
        for other, (_, since) in list(running.items()):
            if time.monotonic() - since > timeout:
                os.kill(other, signal.SIGKILL)  # hung: counted as abnormal when reaped

    signal.signal(signal.SIGALRM, kill_hung)
    signal.setitimer(signal.ITIMER_REAL, 1.0, 1.0)  # not inherited by the forked children
    while started < bursts or running:
        while started < bursts and len(running) < parallel:
            chosen = [pages[(started * per + j) % len(pages)] for j in range(per)]
            pid = os.fork()
            if pid == 0:  # the child: never return into the driver's loop
                signal.signal(signal.SIGALRM, signal.SIG_DFL)
                code = 1
                try:
                    _burst(chosen, feed, mode)
                    code = 0
                finally:
                    os._exit(code)
            running[pid] = (started, time.monotonic())
            started += 1
        pid, status = os.waitpid(-1, 0)  # the timer's handler interrupts, Python resumes the wait
        n, _ = running.pop(pid)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            abnormal.append([n, code])
    signal.setitimer(signal.ITIMER_REAL, 0)
    return {"bursts": bursts, "abnormal": abnormal}


def main() -> int:
    print(json.dumps(run(json.loads(sys.argv[1]))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
