"""Worker processes leave with their parent: when the process that started a summary worker or a
parse worker is killed outright (SIGKILL: no atexit, no pool shutdown), its workers exit by
themselves instead of living on as orphans (before: one ~90 MB process left per hard restart)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# A parent that starts the worker of `kind`, makes it do one job, prints the workers' pids and
# then waits to be killed. Check interval 0.1 s, so the test waits about that long.
PARENT = """
import asyncio, sys, time
import bot.children
bot.children.CHECK_SECONDS = 0.1
kind = sys.argv[1]
if kind == "summary":
    from bot.summarize.offload import OfflineRunner
    runner = OfflineRunner("process")
    asyncio.run(runner.summarize("t", "Robots sort parcels. They do it fast. Faster than people.", "en", "points"))
    pool = runner._pool
else:
    from bot.ingest.worker import ParseWorker
    worker = ParseWorker(processes=2)
    asyncio.run(worker.run(len, "abc"))
    pool = worker._executor
print(" ".join(str(pid) for pid in pool._processes), flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    """True while pid exists and is not a zombie waiting for a reaper."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


@pytest.mark.skipif(not (Path("/proc/self/stat").exists() and hasattr(os, "pidfd_open")),
                    reason="needs Linux (/proc and pidfd_open) to watch processes that are not its children")
@pytest.mark.parametrize("kind", ["summary", "parse"])
def test_workers_exit_when_their_parent_is_killed(kind: str) -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, kind], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    workers: list[int] = []
    try:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert workers and all(_alive(pid) for pid in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        # wait for each worker's exit as an event (a pidfd turns readable when the process ends);
        # the deadline is only reached by a failure
        deadline = time.monotonic() + 20
        for pid in workers:
            try:
                fd = os.pidfd_open(pid)
            except ProcessLookupError:
                continue  # already gone
            try:
                select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            finally:
                os.close(fd)
        left = [pid for pid in workers if _alive(pid)]
        assert not left, f"orphaned workers still running: {left}"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for pid in workers:  # only the processes this test started
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
