"""Send pacing under each platform's ceilings (per chat, per group, global) so 429s stay rare.

Each ceiling is a sliding window ("at most N sends in any T seconds"), counted the way the
platforms count; a send waits until every window that applies to its chat has room, then reserves
a slot in all of them at once. Clock and sleep are injectable so tests never really wait.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import math
import time
from collections.abc import Awaitable, Callable

from bot.delivery.adapter import PlatformLimits, Window

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class SlidingWindow:
    """Recent sends for one ceiling: finished ones by completion time, plus those still in flight.

    A request in flight holds its slot until it finishes: the server stamps it somewhere between
    our reservation and the response, so only the completion time is safely "not earlier".
    """

    def __init__(self, window: Window, margin: float) -> None:
        self.limit = window.limit
        # a little slack absorbs clock granularity between our stamps and the server's count
        self.period = window.period * (1.0 + margin)
        self.stamps: list[float] = []  # completion times, sorted
        self.inflight = 0

    def wait_time(self, now: float) -> float:
        """0 when a send fits now; else seconds until one may (inf: wait for an in-flight send)."""
        expired = bisect.bisect_right(self.stamps, now - self.period)
        if expired:
            del self.stamps[:expired]
        if len(self.stamps) + self.inflight < self.limit:
            return 0.0
        if self.stamps:
            return self.stamps[0] + self.period - now
        return math.inf

    def take(self) -> None:
        self.inflight += 1

    def finish(self, now: float) -> None:
        self.inflight -= 1
        bisect.insort(self.stamps, now)


class Slot:
    """A reservation returned by Pacer.acquire; pass it to Pacer.done once the request finished."""

    __slots__ = ("windows", "open")

    def __init__(self, windows: list[SlidingWindow]) -> None:
        self.windows = windows
        self.open = True


class Pacer:
    """Per-chat and global pacing for one platform; share one per adapter."""

    def __init__(
        self,
        limits: PlatformLimits,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        margin: float = 0.005,
    ) -> None:
        self.limits = limits
        self.clock = clock
        self.sleep = sleep
        self.margin = margin
        self._global = [SlidingWindow(w, margin) for w in limits.global_]
        self._chats: dict[str, list[SlidingWindow]] = {}
        self._finished: asyncio.Event | None = None
        self.waited = 0.0  # total seconds spent waiting, for the benchmark

    def _windows(self, chat_id: str) -> list[SlidingWindow]:
        found = self._chats.get(chat_id)
        if found is None:
            windows = list(self.limits.per_chat)
            if str(chat_id).startswith("-"):  # Telegram groups and channels have negative ids
                windows += list(self.limits.per_group)
            found = [SlidingWindow(w, self.margin) for w in windows]
            self._chats[chat_id] = found
        return found + self._global

    async def acquire(self, chat_id: str) -> Slot:
        """Wait until one more send to `chat_id` fits every ceiling, and reserve it."""
        windows = self._windows(str(chat_id))
        while True:
            now = self.clock()
            delay = max((w.wait_time(now) for w in windows), default=0.0)
            if delay <= 0:
                for w in windows:
                    w.take()
                return Slot(windows)
            if math.isinf(delay):  # every slot is held by a request in flight: wait for one to end
                if self._finished is None:
                    self._finished = asyncio.Event()
                await self._finished.wait()
                continue
            self.waited += delay
            await self.sleep(delay)

    def done(self, slot: Slot) -> None:
        """The request finished (sent or failed): its slot now counts from this moment."""
        if not slot.open:
            return
        slot.open = False
        now = self.clock()
        for w in slot.windows:
            w.finish(now)
        if self._finished is not None:
            self._finished.set()
            self._finished = None


def floor_seconds(limits: PlatformLimits, sends: dict[str, int]) -> float:
    """The shortest time the ceilings allow for `sends` (chat → message count), zero latency.

    Simulated with the same windows and no margin; the benchmark divides wall time by this.
    """
    now = 0.0
    pacer = Pacer(limits, clock=lambda: now, margin=0.0)
    left = dict(sends)
    last = 0.0
    while any(left.values()):
        best: tuple[float, str] | None = None
        for chat, count in left.items():
            if count <= 0:
                continue
            windows = pacer._windows(chat)
            delay = max((w.wait_time(now) for w in windows), default=0.0)
            if best is None or delay < best[0]:
                best = (delay, chat)
            if delay == 0:
                break
        assert best is not None
        now += best[0]
        for w in pacer._windows(best[1]):
            w.take()
            w.finish(now)
        left[best[1]] -= 1
        last = now
    return last
