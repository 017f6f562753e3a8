"""Offline summaries off the event loop: the worker (process or thread) gives exactly what the
summariser gives in place, one job at a time, and a dead worker process is replaced."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from bot.summarize import extractive
from bot.summarize.offload import OfflineRunner

TITLE = "Robots sort parcels"
TEXT = " ".join(f"Warehouse robots sort parcels faster, finding {n} shows with numbers." for n in range(12))


@pytest.mark.parametrize("mode", ["thread", "process"])
async def test_the_worker_gives_what_the_summariser_gives(mode: str) -> None:
    runner = OfflineRunner(mode)
    try:
        got = await asyncio.gather(*(runner.summarize(TITLE, TEXT, "en", kind) for kind in ("points", "detail")))
    finally:
        runner.close()
    assert got == [extractive.summarize_extractive(TITLE, TEXT, "en", kind) for kind in ("points", "detail")]
    assert runner.jobs == 2


async def test_a_killed_worker_process_is_replaced() -> None:
    runner = OfflineRunner("process")
    try:
        await runner.summarize(TITLE, TEXT, "en", "points")
        pool = runner._pool
        assert pool is not None
        for pid in list(pool._processes):  # type: ignore[attr-defined]
            os.kill(pid, signal.SIGKILL)  # as the OOM killer would
        again = await runner.summarize(TITLE, TEXT, "en", "points")
        replaced = runner._pool is not None and runner._pool is not pool
    finally:
        runner.close()
    assert again == extractive.summarize_extractive(TITLE, TEXT, "en", "points") and replaced


async def test_without_processes_the_worker_is_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sandbox without /dev/shm semaphores cannot create a process pool: summaries still work."""
    from bot.summarize import offload

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(offload, "new_process_pool", refuse)
    runner = OfflineRunner("process")
    try:
        got = await runner.summarize(TITLE, TEXT, "en", "points")
    finally:
        runner.close()
    assert got == extractive.summarize_extractive(TITLE, TEXT, "en", "points") and runner.mode == "thread"
