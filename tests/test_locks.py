"""Per-key locks: one key at a time, other keys free, nothing kept once released."""

from __future__ import annotations

import asyncio

from bot.locks import KeyedLocks


async def test_keyed_locks_serialise_one_key_and_forget_it_after() -> None:
    locks = KeyedLocks()
    order: list[str] = []
    gate = asyncio.Event()

    async def worker(key: str, name: str, wait: bool) -> None:
        async with locks.hold(key):
            order.append(f"{name}+")
            if wait:
                await gate.wait()
            order.append(f"{name}-")

    first = asyncio.create_task(worker("a", "1", True))
    await asyncio.sleep(0)
    second = asyncio.create_task(worker("a", "2", False))
    other = asyncio.create_task(worker("b", "3", False))
    await asyncio.sleep(0)
    assert locks.busy("a") and order == ["1+", "3+", "3-"]  # another key is not held up
    gate.set()
    await asyncio.gather(first, second, other)
    assert order == ["1+", "3+", "3-", "1-", "2+", "2-"]
    assert len(locks) == 0 and not locks.busy("a")
