"""Pacer: windows count from completion, waiters served most-remaining-first; injected time, no waiting."""

from __future__ import annotations

import asyncio

import pytest

from bot.delivery.adapter import DISCORD_LIMITS, TELEGRAM_LIMITS, PlatformLimits, Window
from bot.delivery.pacing import Pacer, floor_seconds


class Instant:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


LIMITS = PlatformLimits(max_text=10, per_chat=(Window(1, 1.0),), global_=(Window(2, 1.0),))


async def test_chat_with_more_left_goes_first_when_a_window_reopens() -> None:
    time = Instant()
    pacer = Pacer(LIMITS, clock=time.clock, sleep=time.sleep, margin=0.0)
    for chat in ("a", "b"):  # fill the global window at t=0
        pacer.done(await pacer.acquire(chat))
    order: list[tuple[str, float]] = []

    async def send(chat: str, remaining: int) -> None:
        slot = await pacer.acquire(chat, remaining=remaining)
        order.append((chat, time.now))
        pacer.done(slot)

    await asyncio.wait_for(asyncio.gather(send("c", 1), send("d", 2), send("e", 3)), 5)
    # first come would be c, d at 1 s and e at 2 s; the chats with most left go first instead
    assert order == [("e", 1.0), ("d", 1.0), ("c", 2.0)]


async def test_window_counts_from_completion_not_reservation() -> None:
    time = Instant()
    pacer = Pacer(LIMITS, clock=time.clock, sleep=time.sleep, margin=0.0)
    slot = await pacer.acquire("a")
    time.now = 0.4  # the request took 0.4 s; the server may have stamped it at any point up to here
    pacer.done(slot)
    await asyncio.wait_for(pacer.acquire("a"), 5)
    assert time.now == pytest.approx(1.4)


async def test_margin_stretches_the_window() -> None:
    time = Instant()
    pacer = Pacer(LIMITS, clock=time.clock, sleep=time.sleep, margin=0.01)
    pacer.done(await pacer.acquire("a"))
    await asyncio.wait_for(pacer.acquire("a"), 5)
    assert time.now == pytest.approx(1.01)


async def test_in_flight_slot_blocks_until_done_and_cancelled_waiter_leaks_nothing() -> None:
    time = Instant()
    pacer = Pacer(PlatformLimits(max_text=10, global_=(Window(1, 1.0),)), clock=time.clock, sleep=time.sleep)
    held = await pacer.acquire("a")
    waiting = asyncio.create_task(pacer.acquire("b"))
    await asyncio.sleep(0)
    assert not waiting.done()  # the only slot is in flight: no amount of time frees it
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    pacer.done(held)
    await asyncio.wait_for(pacer.acquire("c"), 5)
    assert time.now == pytest.approx(1.0 * 1.005)
    assert pacer._waiting == []


def test_floor_matches_the_documented_ceilings() -> None:
    chats = [str(1000 + i) if i % 2 else str(-1001000000000 - i) for i in range(100)]
    # 200 Telegram messages at 30/s fit in seconds 0..6 when every chat starts before any finishes
    assert floor_seconds(TELEGRAM_LIMITS, {c: 2 for c in chats}) == pytest.approx(6.0)
    # 400 Discord messages at 50/s: seconds 0..7 (5 per 5 s per channel never binds at 4 each)
    assert floor_seconds(DISCORD_LIMITS, {c: 4 for c in chats}) == pytest.approx(7.0)
    # one chat alone is bound by its own window: 3 messages at 1/s
    assert floor_seconds(TELEGRAM_LIMITS, {"1": 3}) == pytest.approx(2.0)
