"""The one place native parsers run, so lxml never parses in two threads at once.

trafilatura and htmldate parse every page with one module-level lxml parser object, and an lxml
parser used from two threads at the same time corrupts the heap (the process dies with SIGABRT,
`free(): invalid pointer`). feedparser's output goes through lxml too (`text.html_to_text`). So
every call into them from async code goes through one `ParseWorker`: either a single dedicated
thread (the default) or a small pool of processes, each single-threaded.

Lifecycle: nothing starts at import. The process-wide worker is created on first use by
`parse_worker()` and closed by whoever owns the process: the CLI's `main` (which also runs
`digestbot run`), and the tests' session fixture. `close_parse_worker()` may be called again later;
the next use starts a fresh worker.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import ParamSpec, TypeVar

from bot.children import new_process_pool
from bot.ingest import FetchError

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

THREAD_NAME = "digestbot-parse"


class ParseWorker:
    """Runs parse jobs one at a time per worker: one thread (processes=0) or N processes.

    A process pool costs each process its own imports (~40 MB) but survives a native crash: the
    job that broke the pool fails with a FetchError and the pool is started again for the rest.
    """

    def __init__(self, processes: int = 0) -> None:
        if processes < 0:
            raise ValueError("processes must be 0 (one thread) or more")
        self.processes = processes
        self._executor: Executor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def _pool(self) -> Executor:
        with self._lock:
            if self._closed:
                raise RuntimeError("the parse worker is closed")
            if self._executor is None:
                if self.processes:
                    # spawn, not fork: this process already runs threads (asyncio's, httpx's) and
                    # a forked child would inherit their locks in whatever state they were in;
                    # the workers exit by themselves if this process is killed.
                    self._executor = new_process_pool(self.processes)
                else:
                    self._executor = ThreadPoolExecutor(1, thread_name_prefix=THREAD_NAME)
                log.info("parse worker started processes=%d", self.processes)
            return self._executor

    def _restart(self, broken: Executor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """fn(*args, **kwargs) on the worker; with processes, fn and its arguments must pickle."""
        loop = asyncio.get_running_loop()
        call = partial(fn, *args, **kwargs)
        for attempt in (1, 2):
            pool = self._pool()
            try:
                return await loop.run_in_executor(pool, call)
            except BrokenProcessPool:
                # A worker process died (a native crash, or the OS killed it). Start a new pool
                # and try the job once more: it may have been another job that crashed it.
                log.error("parse worker process died fn=%s attempt=%d", getattr(fn, "__name__", fn), attempt)
                self._restart(pool)
        raise FetchError("the page parser crashed on this document")

    def close(self) -> None:
        """Stop the worker, waiting for the job in hand; later calls of `run` raise."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
            log.info("parse worker stopped processes=%d", self.processes)


_current: ParseWorker | None = None
_current_lock = threading.Lock()
_processes = 0


def configure_parse_worker(processes: int) -> None:
    """Choose thread (0) or N processes for the process-wide worker; takes effect at its next start."""
    global _processes
    if processes < 0:
        raise ValueError("processes must be 0 (one thread) or more")
    _processes = processes


def parse_worker() -> ParseWorker:
    """The process-wide worker, started on first use (never at import)."""
    global _current
    with _current_lock:
        if _current is None:
            _current = ParseWorker(_processes)
        return _current


def close_parse_worker() -> None:
    """Close the process-wide worker (the process owner's job); the next use starts a new one."""
    global _current
    with _current_lock:
        worker, _current = _current, None
    if worker is not None:
        worker.close()


async def run_parser(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """fn(*args, **kwargs) on the process-wide parse worker."""
    return await parse_worker().run(fn, *args, **kwargs)
