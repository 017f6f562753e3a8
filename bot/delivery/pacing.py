"""Send pacing under each platform's ceilings (per chat, per group, global) so 429s stay rare.

Each ceiling is a sliding window ("at most N sends in any T seconds"), counted the way the
platforms count; a send waits until every window that applies to its chat has room, then reserves
a slot in all of them at once. A slot counts from the request's completion (the only moment known
to be no earlier than the server's stamp), so pacing stays 429-free whatever the latency. When
several sends wait, the one whose delivery has most messages left goes first. Clock and sleep are
injectable so tests never really wait.
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

    __slots__ = ("open", "windows")

    def __init__(self, windows: list[SlidingWindow]) -> None:
        self.windows = windows
        self.open = True


class _Waiter:
    """One acquire() waiting for room; served most-remaining-first, then first come."""

    __slots__ = ("future", "key", "windows")

    def __init__(self, key: tuple[int, int], windows: list[SlidingWindow], future: asyncio.Future[Slot]) -> None:
        self.key = key
        self.windows = windows
        self.future = future


class Pacer:
    """Per-chat and global pacing for one platform; share one per adapter.

    Waiters are granted in order of most messages still to send (then arrival): a chat that has
    only started its delivery goes before another chat's last message, so per-chat spacing overlaps
    with the global windows instead of leaving one chat's tail alone at the end.
    """

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
        self._waiting: list[_Waiter] = []  # sorted by key
        self._arrivals = 0
        self._timer: asyncio.Task[None] | None = None
        self._timer_at = math.inf
        self.waited = 0.0  # total seconds the pacer slept waiting for room, for the benchmark

    def _windows(self, chat_id: str) -> list[SlidingWindow]:
        found = self._chats.get(chat_id)
        if found is None:
            windows = list(self.limits.per_chat)
            if str(chat_id).startswith("-"):  # Telegram groups and channels have negative ids
                windows += list(self.limits.per_group)
            found = [SlidingWindow(w, self.margin) for w in windows]
            self._chats[chat_id] = found
        return found + self._global

    async def acquire(self, chat_id: str, *, remaining: int = 1) -> Slot:
        """Wait until one more send to `chat_id` fits every ceiling, and reserve it.

        `remaining`: messages this delivery still has to send, this one included (the priority).
        """
        future: asyncio.Future[Slot] = asyncio.get_running_loop().create_future()
        self._arrivals += 1
        waiter = _Waiter((-remaining, self._arrivals), self._windows(str(chat_id)), future)
        bisect.insort(self._waiting, waiter, key=lambda w: w.key)
        self._pump()
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():  # reserved, never sent: give it back
                self._release(future.result())
            elif waiter in self._waiting:
                self._waiting.remove(waiter)
            raise

    def done(self, slot: Slot) -> None:
        """The request finished (sent or failed): its slot now counts from this moment."""
        if not slot.open:
            return
        slot.open = False
        now = self.clock()
        for w in slot.windows:
            w.finish(now)
        self._pump()

    def _release(self, slot: Slot) -> None:
        if slot.open:
            slot.open = False
            for w in slot.windows:
                w.inflight -= 1
            self._pump()

    def _pump(self) -> None:
        """Grant every waiter that fits now, best first; arm the timer for the next one."""
        now = self.clock()
        kept: list[_Waiter] = []
        soonest = math.inf
        for waiter in self._waiting:
            if waiter.future.done():  # cancelled while waiting
                continue
            delay = max((w.wait_time(now) for w in waiter.windows), default=0.0)
            if delay <= 0:
                for w in waiter.windows:
                    w.take()
                waiter.future.set_result(Slot(waiter.windows))
            else:
                kept.append(waiter)
                soonest = min(soonest, delay)
        self._waiting = kept
        if not math.isinf(soonest):  # otherwise only in-flight requests block: done() pumps again
            self._arm(now, soonest)

    def _arm(self, now: float, delay: float) -> None:
        at = now + delay
        if self._timer is not None and not self._timer.done():
            if self._timer_at <= at:
                return
            self._timer.cancel()
        self._timer_at = at
        self._timer = asyncio.get_running_loop().create_task(self._tick(delay))

    async def _tick(self, delay: float) -> None:
        self.waited += delay
        await self.sleep(delay)
        self._timer = None
        self._timer_at = math.inf
        self._pump()


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
            # soonest first; among equals the chat with most left (as the Pacer serves its waiters)
            if best is None or (delay, -count) < (best[0], -left[best[1]]):
                best = (delay, chat)
        assert best is not None
        now += best[0]
        for w in pacer._windows(best[1]):
            w.take()
            w.finish(now)
        left[best[1]] -= 1
        last = now
    return last
