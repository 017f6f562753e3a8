"""Leases on deliveries, so one (subscription, date) has one sender across calls, processes and restarts.

An owner is one sending call (`new_owner()`), not a process: catch-up and resume run at the same time
in one process and must not both send. A claim lasts `LEASE_SECONDS` of wall-clock time and is renewed
before every message and every `LEASE_SECONDS / 4` while waiting (pacing, 429s, backoff). A claim whose
owner died is taken over at once when the owner was a process on this host (its pid is gone, or the pid
is ours but from an earlier run of it); otherwise it is taken when it expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from storage.store import Store

log = logging.getLogger(__name__)

LEASE_SECONDS = 120.0  # longer than any single send (request timeouts are 10-30 s)
Clock = Callable[[], float]


@functools.cache
def _incarnation() -> str:
    """A random id of this process's run (a restarted service may get its old pid back, e.g. pid 1)."""
    return uuid.uuid4().hex[:8]


def new_owner() -> str:
    """A fresh owner id for one sending call: host, pid, this process's run, the call."""
    return f"{socket.gethostname()}:{os.getpid()}:{_incarnation()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Owner:
    host: str
    pid: int
    incarnation: str
    call: str

    @classmethod
    def parse(cls, text: str) -> Owner | None:
        parts = text.split(":")
        if len(parts) < 4 or not parts[-3].isdigit():
            return None
        return cls(":".join(parts[:-3]), int(parts[-3]), parts[-2], parts[-1])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    try:  # a killed child its parent has not reaped yet still answers signal 0 (Linux: state Z)
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def owner_dead(text: str) -> bool:
    """True only when we can tell: the owner was a process on this host that no longer runs."""
    owner = Owner.parse(text)
    if owner is None or owner.host != socket.gethostname():
        return False
    if owner.pid == os.getpid():
        return owner.incarnation != _incarnation()
    return not _pid_alive(owner.pid)


def describe_owner(text: str) -> str:
    """Who holds a claim, for a result line: "another process (pid N)" or "another run in this process"."""
    owner = Owner.parse(text)
    if owner is None:
        return "another sender"
    if owner.host == socket.gethostname() and owner.pid == os.getpid():
        return "another run in this process"
    where = "" if owner.host == socket.gethostname() else f" on {owner.host}"
    return f"another process (pid {owner.pid}{where})"


class Lease:
    """A held claim on one (subscription, date): check it before each message, release it at the end."""

    def __init__(
        self, store: Store, subscription_id: int, date: str, owner: str, *, clock: Clock, ttl: float
    ) -> None:
        self.store = store
        self.subscription_id = subscription_id
        self.date = date
        self.owner = owner
        self.clock = clock
        self.ttl = ttl
        self.lost = False
        self._heartbeat: asyncio.Task[None] | None = None

    @classmethod
    def acquire(
        cls,
        store: Store,
        subscription_id: int,
        date: str,
        owner: str,
        *,
        clock: Clock = time.time,
        ttl: float = LEASE_SECONDS,
    ) -> Lease | str:
        """The lease, or (not ours) the id of the owner holding it."""
        now = clock()
        holder = store.claim_delivery(subscription_id, date, owner, now=now, ttl=ttl)
        if (
            holder
            and owner_dead(holder)
            and store.take_over_claim(subscription_id, date, owner, previous=holder, now=now, ttl=ttl)
        ):
            log.info("claim.taken_over sub=%d date=%s previous=%s", subscription_id, date, holder)
            holder = None
        if holder is not None:
            return holder
        return cls(store, subscription_id, date, owner, clock=clock, ttl=ttl)

    def begin_send(self, message_id: int) -> bool:
        """Renew the claim and count the attempt; False means another sender has it: send nothing."""
        if self.lost:
            return False
        ok = self.store.begin_send(
            message_id, self.subscription_id, self.date, self.owner, now=self.clock(), ttl=self.ttl
        )
        if not ok:
            self.lost = True
            log.warning("claim.lost sub=%d date=%s owner=%s", self.subscription_id, self.date, self.owner)
        return ok

    async def _renew_forever(self) -> None:
        while not self.lost:
            await asyncio.sleep(self.ttl / 4)
            if not self.store.renew_claim(
                self.subscription_id, self.date, self.owner, now=self.clock(), ttl=self.ttl
            ):
                self.lost = True
                log.warning("claim.lost sub=%d date=%s owner=%s", self.subscription_id, self.date, self.owner)

    async def __aenter__(self) -> Self:
        self._heartbeat = asyncio.create_task(self._renew_forever())
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        try:
            self.store.release_claim(self.subscription_id, self.date, self.owner)
        except Exception as error:  # noqa: BLE001 - a closed store at shutdown: the claim expires
            log.warning("claim.release_failed sub=%d date=%s error=%s", self.subscription_id, self.date,
                        type(error).__name__)
