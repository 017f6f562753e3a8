"""Platform health: every adapter is started under supervision and its state is recorded in the store.

A platform that refuses the bot (a rejected token) is fatal: the service stops with one line saying
which platform and why. A platform that cannot be reached is retried with a doubling backoff and shown
as "retrying" in /status and `digestbot status` meanwhile; the rest of the bot keeps working. The
console adapter is not a platform anyone watches, so it is started but not recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bot.delivery.adapter import Adapter, OnRequest
from bot.delivery.errors import DeliveryError, StartRefused

if TYPE_CHECKING:
    from storage.store import Store

log = logging.getLogger(__name__)

BACKOFF = (2.0, 300.0)  # first retry after 2 s, doubling up to 5 minutes
UNRECORDED = ("console",)


class ServiceFailed(Exception):
    """The service stopped (or must stop) because not all was well; `code` is the exit status."""

    def __init__(self, line: str, code: int) -> None:
        super().__init__(line)
        self.line = line
        self.code = code


def start_error(exc: BaseException) -> str:
    """What to say about a failed start: our own reason text, or only the exception's type."""
    if isinstance(exc, DeliveryError):
        return exc.reason
    return f"{type(exc).__name__}"  # an unknown exception's text may hold anything, a token included


class Supervisor:
    """Starts the adapters, retries the unreachable ones, records each state, stops what started."""

    def __init__(
        self,
        store: Store,
        adapters: dict[str, Adapter],
        on_request: OnRequest,
        *,
        now: Callable[[], datetime],
        backoff: tuple[float, float] = BACKOFF,
    ) -> None:
        self.store = store
        self.adapters = adapters
        self.on_request = on_request
        self.now = now
        self.backoff = backoff
        self.started: list[Adapter] = []
        self.states: dict[str, tuple[str, str | None]] = {}
        self.fatal: str | None = None
        self.failed = asyncio.Event()  # set when a platform refused the bot
        self._stopping = asyncio.Event()
        self._retries: set[asyncio.Task[None]] = set()

    def _record(self, name: str, state: str, reason: str | None = None) -> None:
        if self.states.get(name) != (state, reason):
            level = logging.INFO if state in ("up", "stopped", "starting") else logging.WARNING
            log.log(level, "platform.health platform=%s state=%s reason=%s", name, state, reason or "-")
        self.states[name] = (state, reason)
        if name in UNRECORDED:
            return
        try:
            self.store.set_platform_health(name, state, reason, at=self.now(), pid=os.getpid())
        except Exception as exc:  # noqa: BLE001 - health is a report; never let it stop the bot
            log.error("platform.health_not_recorded platform=%s error=%s", name, type(exc).__name__)

    async def _attempt(self, name: str, adapter: Adapter) -> bool | None:
        """One start: True up, False unreachable (retry), None refused (fatal)."""
        try:
            await adapter.start(self.on_request)
        except StartRefused as exc:
            self._record(name, "failed", exc.reason)
            self.fatal = f"{name}: {exc.reason}"
            self.failed.set()
            return None
        except Exception as exc:  # noqa: BLE001 - every other start failure is retried
            self._record(name, "retrying", start_error(exc))
            return False
        self.started.append(adapter)
        self._record(name, "up")
        return True

    async def start_all(self) -> None:
        """First attempt for every adapter, in order; the unreachable ones go on retrying behind."""
        for name, adapter in self.adapters.items():
            self._record(name, "starting")
            outcome = await self._attempt(name, adapter)
            if outcome is None:
                return
            if outcome is False:
                task = asyncio.create_task(self._retry(name, adapter), name=f"start-{name}")
                self._retries.add(task)
                task.add_done_callback(self._retries.discard)

    async def _retry(self, name: str, adapter: Adapter) -> None:
        delay, ceiling = self.backoff
        while not self._stopping.is_set():
            log.info("platform.retry platform=%s in_seconds=%.1f", name, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            if self._stopping.is_set():
                return
            outcome = await self._attempt(name, adapter)
            if outcome is not False:
                return
            delay = min(ceiling, delay * 2)

    def problems(self) -> list[str]:
        """Platforms that are not up now, each as "name: state (reason)"."""
        return [
            f"{name}: {state}" + (f" ({reason})" if reason else "")
            for name, (state, reason) in self.states.items()
            if state != "up"
        ]

    async def stop(self) -> None:
        """Stop retrying, then stop the started adapters in reverse order."""
        self._stopping.set()
        for task in list(self._retries):
            task.cancel()
        if self._retries:
            await asyncio.wait(self._retries, timeout=5)
        for adapter in reversed(self.started):
            try:
                await adapter.stop()
            except Exception as exc:  # noqa: BLE001 - stopping the others matters more
                log.error("adapter.stop_failed platform=%s error=%s", adapter.platform, type(exc).__name__)
        for name, (state, reason) in list(self.states.items()):
            if state == "up":
                self._record(name, "stopped")
            elif state != "failed":
                self._record(name, "stopped", f"never connected: {reason}" if reason else None)
