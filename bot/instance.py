"""One service per store: `digestbot run` holds an exclusive OS lock on a file beside the database.

The kernel releases an flock when its holder exits, however it exits (SIGKILL included), so a dead
holder never blocks a restart and no stale-lock guessing is needed. The file keeps the holder's pid
for the error message and for `digestbot status`. CLI commands that send do not take this lock:
they coordinate with the service through the delivery claims.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import IO, Self

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock (documented in docs/operations.md)
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


class AlreadyRunning(Exception):
    """Another live process holds the store's service lock."""

    def __init__(self, pid: int | None, path: str) -> None:
        who = f"pid {pid}" if pid else "pid unknown"
        super().__init__(f"already running ({who}) with this database ({path})")
        self.pid = pid


def lock_path(db_path: str) -> Path:
    return Path(f"{db_path}.lock")


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


class ServiceLock:
    """`with ServiceLock(db_path):` or acquire()/release(); raises AlreadyRunning when held."""

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self.path = lock_path(db_path)
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        if self.db_path == ":memory:" or fcntl is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="ascii")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise AlreadyRunning(_read_pid(self.path), self.db_path) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        log.info("instance.locked path=%s pid=%d", self.path, os.getpid())

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is None:
            return
        with contextlib.suppress(OSError):
            handle.seek(0)
            handle.truncate()  # no pid left behind: `digestbot status` then reads "not running"
        handle.close()  # closing drops the flock

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def running_pid(db_path: str) -> int | None:
    """The pid of the service running on this store, if one is (read only: never takes the lock)."""
    if db_path == ":memory:":
        return None
    pid = _read_pid(lock_path(db_path))
    if pid is None:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid
