"""Offline summaries computed off the event loop, one at a time, so a digest build of a past day
(a summary per story: seconds of jieba and TextRank) never stalls other users' commands.

Two modes ([limits] offline_worker): "process" runs them in one worker process (no shared
interpreter lock: the loop answers in about a millisecond during a build); "thread" in one worker
thread (no extra process; the loop still gets the lock back every few milliseconds, as CPython
switches threads). Either way one worker, so a burst queues instead of multiplying memory.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from concurrent.futures.process import BrokenProcessPool

from bot.children import new_process_pool
from bot.models import Summary
from bot.summarize import extractive

log = logging.getLogger(__name__)

MODES = ("process", "thread")


class OfflineRunner:
    """Runs `extractive.summarize_extractive` in one worker; created lazily, closed by `close`."""

    def __init__(self, mode: str = "process") -> None:
        if mode not in MODES:
            raise ValueError(f"offline worker mode must be one of {MODES}, not {mode!r}")
        self.mode = mode
        self._pool: concurrent.futures.Executor | None = None
        self.jobs = 0  # summaries computed (for tests and benchmarks)

    def _executor(self) -> concurrent.futures.Executor:
        if self._pool is None:
            if self.mode == "process":
                # spawn (a fresh interpreter, never a fork of a process holding sockets and
                # locks), and a worker that exits when this process is killed
                try:
                    self._pool = new_process_pool(1)
                except (OSError, NotImplementedError) as exc:  # no /dev/shm semaphores, a sandbox
                    log.warning("offline_worker.no_process error=%s; using a thread", type(exc).__name__)
                    self.mode = "thread"
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="offline-summary")
            log.info("offline_worker.started mode=%s", self.mode)
        return self._pool

    async def summarize(self, title: str, text: str, language: str, kind: str) -> Summary:
        """The offline summary of one text, computed in the worker while the loop stays free."""
        loop = asyncio.get_running_loop()
        for attempt in (1, 2, 3):
            pool = self._executor()
            try:
                summary = await loop.run_in_executor(
                    pool, extractive.summarize_extractive, title, text, language, kind
                )
            except BrokenProcessPool:
                # The worker died (killed, out of memory): start a new one and try once more; a
                # worker that cannot even start twice in a row means processes do not work here.
                log.warning("offline_worker.broken mode=%s attempt=%d", self.mode, attempt)
                self._discard(pool)
                if attempt == 2:
                    self.mode = "thread"
                continue
            self.jobs += 1
            return summary
        raise AssertionError("unreachable")

    def _discard(self, pool: concurrent.futures.Executor) -> None:
        if self._pool is pool:
            self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the worker; queued summaries are dropped (their callers are being cancelled too)."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=False, cancel_futures=True)
            log.info("offline_worker.stopped mode=%s jobs=%d", self.mode, self.jobs)
