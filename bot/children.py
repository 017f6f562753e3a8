"""Worker processes that leave when the process that started them is gone.

A `ProcessPoolExecutor` worker waits on a pipe whose writing end it holds itself, so when its
parent is killed (SIGKILL, the OOM killer, a crash) it never sees end-of-file and lives on as an
orphan: every hard restart of the service left one ~90 MB summary worker behind. systemd's
default KillMode cleans a unit's whole cgroup, but a bot started by hand, from cron or in a
container without an init does not get that. So each worker watches its parent and exits when
it changes.

Use `new_process_pool(n)`: a spawn-context pool whose workers run `exit_with_parent`.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

CHECK_SECONDS = 1.0  # how soon an orphaned worker notices; one getppid() call per check


def _watch(parent_pid: int, interval: float) -> None:
    while True:
        if os.getppid() != parent_pid:
            # The parent is gone (we were re-parented to init or a subreaper). No cleanup to do:
            # a worker holds no files or locks of its own, and its job's caller no longer exists.
            os._exit(0)
        time.sleep(interval)


def exit_with_parent(parent_pid: int, interval: float = CHECK_SECONDS) -> None:
    """Pool initializer: start a daemon thread that ends this process once `parent_pid` is no
    longer its parent. Pure Python (getppid), so it works on every POSIX system."""
    if os.getppid() != parent_pid:
        os._exit(0)  # the parent died while this worker was starting
    threading.Thread(target=_watch, args=(parent_pid, interval), name="parent-watch",
                     daemon=True).start()


def new_process_pool(workers: int, interval: float | None = None) -> ProcessPoolExecutor:
    """A pool of `workers` fresh interpreters (spawn: never a fork of a process that holds
    sockets, threads and locks) that exit by themselves when this process dies (checked every
    `interval` seconds, CHECK_SECONDS unless given)."""
    every = CHECK_SECONDS if interval is None else interval
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=exit_with_parent, initargs=(os.getpid(), every))
