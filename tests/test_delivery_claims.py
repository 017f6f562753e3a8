"""Claims on deliveries: one sender per (subscription, date), whichever path or process sends.

The store's claim statements, the lease's dead-owner rule, and the paths that used to race in one
process (catch-up and the periodic resume, issue 10) driven together with an injected `now`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime

import pytest

from bot.config import Settings, StorageSettings, validate
from bot.delivery import claims
from bot.delivery.adapter import CONSOLE_LIMITS
from bot.delivery.claims import Lease, new_owner, owner_dead
from bot.delivery.outbox import deliver, send_due
from bot.jobs import catch_up, fetch_and_resume
from bot.models import Digest, DigestItem, DigestSection, DigestStats, OutMessage
from bot.services import Services
from storage import Store

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
DAY = date(2026, 4, 1)


def big_digest(day: date = DAY, items: int = 40) -> Digest:
    """Enough items that the Telegram renderer splits the digest into several messages."""
    made = tuple(
        DigestItem(
            id=i, title=f"Story {i}: a lab ships a model that reads long documents", emoji="📰",
            url=f"https://news.example/{i}", source="Example News", published=NOW,
            points=tuple(f"Point {j} of story {i} says one concrete thing in a long enough sentence to count."
                         for j in range(3)),
        )
        for i in range(1, items + 1)
    )
    return Digest(date=day, language="en", title=f"Digest {day}", stats=DigestStats(items, 1, 1, 1, 1, 1, 0, 0),
                  highlights=(), sections=(DigestSection("other", "Other", made),))


class YieldingAdapter:
    """Records sends and yields to the loop inside each one, as a real network send does."""

    platform = "telegram"
    limits = CONSOLE_LIMITS

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.on_send = None

    async def start(self, on_request) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, chat_id: str, message: OutMessage) -> str:
        await asyncio.sleep(0)
        if self.on_send is not None:
            self.on_send(len(self.sent))
        self.sent.append((chat_id, message.text))
        await asyncio.sleep(0)
        return str(len(self.sent))


class Digests:
    async def get_or_build(self, day, language, *, now, rebuild=False):
        await asyncio.sleep(0)
        return big_digest(day)


def services_for(tmp_path, adapter) -> Services:
    settings = validate(Settings(storage=StorageSettings(path=str(tmp_path / "bot.db"))))
    store = Store(settings.storage.path)
    return Services(settings=settings, store=store, summaries=None, digests=Digests(),  # type: ignore[arg-type]
                    adapters={"telegram": adapter}, clock=lambda: NOW)


def repeats(sent: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    return {key: n for key, n in Counter(sent).items() if n > 1}


# ---------------------------------------------------------------- the store's claim statements


def test_one_claimant_wins_until_the_claim_expires_or_is_released(store: Store) -> None:
    assert store.claim_delivery(1, "d", "a", now=100.0, ttl=60) is None
    assert store.claim_delivery(1, "d", "b", now=130.0, ttl=60) == "a"  # held: b is told who holds it
    assert store.claim_delivery(1, "d", "a", now=130.0, ttl=60) is None  # renewing our own
    assert store.claim_delivery(1, "d", "b", now=189.0, ttl=60) == "a"  # a's renewal moved expiry to 190
    assert store.claim_delivery(2, "d", "b", now=130.0, ttl=60) is None  # another subscription is free
    assert store.claim_delivery(1, "d", "b", now=190.0, ttl=60) is None  # expired: b takes it
    assert not store.renew_claim(1, "d", "a", now=191.0, ttl=60)  # a learns it lost it
    store.release_claim(1, "d", "a")  # releasing someone else's claim does nothing
    assert [c["owner"] for c in store.claims()] == ["b", "b"]
    store.release_claim(1, "d", "b")
    assert store.claim_delivery(1, "d", "c", now=191.0, ttl=60) is None


def test_begin_send_counts_an_attempt_only_under_the_claim(store: Store) -> None:
    sub = store.subscribe("telegram", "1", "08:00", "UTC", "en")
    delivery = store.open_delivery(sub.id, "d", [OutMessage(text="one")])
    message = store.outbox_messages(delivery.id)[0]
    assert store.claim_delivery(sub.id, "d", "a", now=0.0, ttl=60) is None
    assert store.begin_send(message.id, sub.id, "d", "a", now=1.0, ttl=60)
    assert store.take_over_claim(sub.id, "d", "b", previous="a", now=2.0, ttl=60)
    assert not store.take_over_claim(sub.id, "d", "c", previous="a", now=2.0, ttl=60)  # a no longer holds it
    assert not store.begin_send(message.id, sub.id, "d", "a", now=3.0, ttl=60)
    assert store.outbox_messages(delivery.id)[0].attempts == 1


def test_a_dead_local_owner_is_recognised_and_a_live_one_is_not() -> None:
    mine = new_owner()
    assert not owner_dead(mine)  # this very call
    host, pid, _run, call = mine.rsplit(":", 3)
    assert owner_dead(f"{host}:{pid}:deadbeef:{call}")  # our pid, an earlier run of it (pid reuse)
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True, check=True)
    assert owner_dead(f"{host}:{int(child.stdout)}:abcd1234:x")  # exited and reaped
    assert not owner_dead(f"{host}:{os.getppid()}:abcd1234:x")  # our parent is alive
    assert not owner_dead(f"elsewhere.example:{int(child.stdout)}:abcd1234:x")  # another host: cannot tell
    assert not owner_dead("garbage")


def test_a_claim_of_a_dead_process_is_taken_over_at_once(store: Store) -> None:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True, check=True)
    dead = f"{new_owner().rsplit(':', 3)[0]}:{int(child.stdout)}:abcd1234:x"
    live = f"{new_owner().rsplit(':', 3)[0]}:{os.getppid()}:abcd1234:y"
    assert store.claim_delivery(1, "d", dead, now=0.0, ttl=600) is None
    assert store.claim_delivery(2, "d", live, now=0.0, ttl=600) is None
    assert isinstance(Lease.acquire(store, 1, "d", "me:1:a:b", clock=lambda: 10.0), Lease)
    assert Lease.acquire(store, 2, "d", "me:1:a:b", clock=lambda: 10.0) == live


# ---------------------------------------------------------------- the paths that used to race


async def test_catch_up_and_resume_at_once_send_each_part_once(tmp_path) -> None:
    adapter = YieldingAdapter()
    services = services_for(tmp_path, adapter)
    for chat in ("-1", "-2", "-3"):
        services.store.subscribe("telegram", chat, "08:00", "UTC", "en")
    # What `digestbot run` does at start: catch-up and the first fetch-then-resume, concurrently.
    await asyncio.gather(catch_up(services, NOW), fetch_and_resume(services, NOW))
    parts = [m for m in services.store.outbox_messages(1)]
    assert len(parts) >= 3, "the digest is split, so sends of two callers could interleave"
    assert repeats(adapter.sent) == {}
    for chat in ("-1", "-2", "-3"):
        assert [text for c, text in adapter.sent if c == chat] == [p.message.text for p in parts]
    assert services.store.claims() == []  # every claim released
    services.store.close()


async def test_two_sending_calls_one_delivery_the_second_skips_and_says_why(tmp_path) -> None:
    adapter = YieldingAdapter()
    services = services_for(tmp_path, adapter)
    services.store.subscribe("telegram", "-1", "08:00", "UTC", "en")
    args = (services.store, {"telegram": adapter}, Digests(), services.settings)
    first, second = await asyncio.gather(send_due(*args, now=NOW, send_all=True),
                                         send_due(*args, now=NOW, send_all=True))
    lines = sorted([first[0].line(), second[0].line()])
    assert lines[0].endswith("messages") and "sent" in lines[0]
    assert lines[1].endswith("skipped: being sent by another run in this process"), lines
    assert repeats(adapter.sent) == {}
    services.store.close()


async def test_a_sender_that_loses_its_claim_stops_before_the_next_part(tmp_path) -> None:
    adapter = YieldingAdapter()
    services = services_for(tmp_path, adapter)
    sub = services.store.subscribe("telegram", "-1", "08:00", "UTC", "en")
    taken: list[str] = []

    def steal(count: int) -> None:  # during the second part, another sender takes the claim over
        if count == 1:
            holder = services.store.claims()[0]["owner"]
            assert services.store.take_over_claim(sub.id, DAY.isoformat(), "other:1:a:b", previous=holder,
                                                  now=0.0, ttl=claims.LEASE_SECONDS)
            taken.append(holder)

    adapter.on_send = steal
    result = await deliver(services.store, adapter, sub, big_digest(), date=DAY.isoformat(),
                           render=lambda d: [OutMessage(text=f"part {i}") for i in range(4)])
    assert taken and [t for _, t in adapter.sent] == ["part 0", "part 1"]  # the one in flight, then stop
    assert result.status == "skipped" and "took the claim over" in (result.reason or "")
    delivery = services.store.get_delivery(sub.id, DAY.isoformat())
    assert delivery.status == "pending"  # left for the new owner
    assert [c["owner"] for c in services.store.claims()] == ["other:1:a:b"]
    services.store.close()


@pytest.mark.parametrize("resend", [False, True])
async def test_resend_sends_again_only_when_asked(tmp_path, resend: bool) -> None:
    adapter = YieldingAdapter()
    services = services_for(tmp_path, adapter)
    services.store.subscribe("telegram", "-1", "08:00", "UTC", "en")
    args = (services.store, {"telegram": adapter}, Digests(), services.settings)
    [first] = await send_due(*args, now=NOW, day=DAY, send_all=True)
    [again] = await send_due(*args, now=NOW, day=DAY, send_all=True, resend=resend)
    assert first.status == "sent"
    if resend:
        assert again.status == "sent" and again.messages == first.messages
        assert len(adapter.sent) == 2 * first.messages
    else:
        assert again.line().endswith("skipped: already sent") and len(adapter.sent) == first.messages
    services.store.close()
