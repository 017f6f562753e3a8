"""Outbox policy with a scripted adapter: order, resume, once per date, and each error's effect."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from bot.config import Settings
from bot.delivery.adapter import PlatformLimits
from bot.delivery.errors import ChatMigrated, ChatUnavailable, PermanentError, RetryAfter, TransientError
from bot.delivery.outbox import RetryPolicy, deliver, due_date, send_due
from bot.delivery.pacing import Pacer
from bot.models import Digest, DigestStats, OutMessage


class Instant:
    """Sleep that only records: outbox waits cost no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class ScriptedAdapter:
    """Records sends; `script[chat]` lists exceptions (or None for success) for successive sends."""

    platform = "telegram"
    limits = PlatformLimits(max_text=4096)

    def __init__(self, script: dict[str, list[Exception | None]] | None = None, gate: asyncio.Event | None = None) -> None:
        self.time = Instant()
        self.pacer = Pacer(self.limits, clock=self.time.clock, sleep=self.time.sleep)
        self.script = script or {}
        self.sent: dict[str, list[str]] = {}
        self.attempts = 0
        self.gate = gate

    async def start(self, on_request) -> None: ...
    async def stop(self) -> None: ...

    async def send(self, chat_id: str, message: OutMessage) -> str:
        self.attempts += 1
        if self.gate is not None:
            await self.gate.wait()
        steps = self.script.get(chat_id)
        if steps:
            step = steps.pop(0)
            if step is not None:
                raise step
        self.sent.setdefault(chat_id, []).append(message.text)
        return str(len(self.sent[chat_id]))


MESSAGES = [OutMessage(text=f"part {i}") for i in range(1, 6)]
TEXTS = [m.text for m in MESSAGES]
DIGEST = Digest(
    date=date(2024, 5, 1), language="zh", title="t",
    stats=DigestStats(0, 0, 0, 0, 0, 0, 0, 0), highlights=(), sections=(),
)


def render(_digest: Digest) -> list[OutMessage]:
    return list(MESSAGES)


async def test_delivers_in_order_and_marks_every_message_sent(store):
    sub = store.subscribe("telegram", "100", "08:00", "Asia/Shanghai", "zh")
    adapter = ScriptedAdapter()
    result = await deliver(store, adapter, sub, DIGEST, date="2024-05-01", render=render)
    assert (result.status, result.messages) == ("sent", 5)
    assert adapter.sent["100"] == TEXTS
    delivery = store.get_delivery(sub.id, "2024-05-01")
    assert delivery.status == "sent"
    assert [m.platform_message_id for m in store.outbox_messages(delivery.id)] == ["1", "2", "3", "4", "5"]


async def test_second_delivery_same_date_sends_nothing(store):
    sub = store.subscribe("telegram", "100", "08:00", "UTC", "zh")
    adapter = ScriptedAdapter()
    await deliver(store, adapter, sub, DIGEST, date="2024-05-01", render=render)
    again = await deliver(store, adapter, sub, DIGEST, date="2024-05-01", render=render)
    assert (again.status, again.reason) == ("skipped", "already sent")
    assert len(adapter.sent["100"]) == 5


async def test_cancelled_delivery_resumes_with_unsent_messages_only(store):
    sub = store.subscribe("telegram", "100", "08:00", "UTC", "zh")
    adapter = ScriptedAdapter()
    gate = asyncio.Event()
    gate.set()
    adapter.gate = gate
    original = adapter.send

    async def send(chat_id, message):
        if len(adapter.sent.get(chat_id, [])) == 2:
            gate.clear()  # third send hangs: the process is "killed" here
        return await original(chat_id, message)

    adapter.send = send  # type: ignore[method-assign]
    task = asyncio.create_task(deliver(store, adapter, sub, DIGEST, date="2024-05-01", render=render))
    while adapter.attempts < 3:
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    delivery = store.get_delivery(sub.id, "2024-05-01")
    assert delivery.status == "pending"
    assert [m.seq for m in store.outbox_messages(delivery.id, pending_only=True)] == [2, 3, 4]
    gate.set()
    result = await deliver(store, ScriptedAdapter(), sub, None, date="2024-05-01", render=render)
    assert result.messages == 3  # only the three unsent ones, and without a digest (resume)
    assert store.get_delivery(sub.id, "2024-05-01").status == "sent"


async def test_retry_after_waits_the_given_time_then_succeeds(store):
    sub = store.subscribe("telegram", "100", "08:00", "UTC", "zh")
    adapter = ScriptedAdapter({"100": [RetryAfter(7), None, RetryAfter(3)]})
    result = await deliver(store, adapter, sub, DIGEST, date="d", render=render)
    assert result.status == "sent" and adapter.sent["100"] == TEXTS
    assert 7 in adapter.time.sleeps and 3 in adapter.time.sleeps


async def test_transient_errors_back_off_then_leave_the_delivery_pending(store):
    sub = store.subscribe("telegram", "100", "08:00", "UTC", "zh")
    adapter = ScriptedAdapter({"100": [None, TransientError("502")] * 1 + [TransientError("502")] * 10})
    policy = RetryPolicy(attempts=4, backoff=1.0)
    result = await deliver(store, adapter, sub, DIGEST, date="d", render=render, policy=policy)
    assert result.status == "failed" and "gave up after 4 attempts" in result.reason
    assert adapter.time.sleeps == [1.0, 2.0, 4.0]  # exponential backoff between the 4 attempts
    assert store.get_delivery(sub.id, "d").status == "pending"  # the next run resumes it
    assert store.get_subscription(sub.id).enabled
    adapter.script = {}
    resumed = await deliver(store, adapter, sub, DIGEST, date="d", render=render)
    assert resumed.status == "sent" and adapter.sent["100"] == TEXTS


async def test_blocked_bot_disables_the_subscription_with_the_reason(store):
    sub = store.subscribe("telegram", "100", "08:00", "UTC", "zh")
    adapter = ScriptedAdapter({"100": [ChatUnavailable("Forbidden: bot was blocked by the user")]})
    result = await deliver(store, adapter, sub, DIGEST, date="d", render=render)
    assert result.status == "failed"
    stored = store.get_subscription(sub.id)
    assert not stored.enabled and stored.disabled_reason == "Forbidden: bot was blocked by the user"
    assert store.get_delivery(sub.id, "d").status == "failed"


async def test_migrated_group_moves_the_subscription_and_resends_everything(store):
    sub = store.subscribe("telegram", "-100", "08:00", "UTC", "zh")
    adapter = ScriptedAdapter({"-100": [None, None, ChatMigrated("-100999")]})
    result = await deliver(store, adapter, sub, DIGEST, date="d", render=render)
    assert result.status == "sent" and result.messages == 5
    assert adapter.sent["-100999"] == TEXTS
    assert store.get_subscription(sub.id).chat_id == "-100999"


async def test_a_rejected_message_does_not_stop_the_rest(store):
    sub = store.subscribe("telegram", "100", "08:00", "UTC", "zh")
    adapter = ScriptedAdapter({"100": [None, PermanentError("can't parse entities")]})
    result = await deliver(store, adapter, sub, DIGEST, date="d", render=render)
    assert result.status == "failed" and "message 2" in result.reason
    assert adapter.sent["100"] == [t for t in TEXTS if t != "part 2"]


class Digests:
    def __init__(self) -> None:
        self.calls: list[tuple[date, str]] = []

    async def get_or_build(self, day, language, *, now, rebuild=False):
        self.calls.append((day, language))
        return DIGEST


def test_due_date_uses_the_subscription_timezone(store):
    sub = store.subscribe("telegram", "1", "08:30", "Asia/Shanghai", "zh")
    assert due_date(sub, datetime(2024, 5, 1, 0, 29, tzinfo=UTC)) is None  # 08:29 in Shanghai
    assert due_date(sub, datetime(2024, 5, 1, 0, 30, tzinfo=UTC)) == date(2024, 5, 1)
    assert due_date(sub, datetime(2024, 4, 30, 17, 0, tzinfo=UTC), send_all=True) == date(2024, 5, 1)


async def test_send_due_isolates_failures_and_sends_once_per_date(store):
    ok = store.subscribe("telegram", "1", "08:00", "UTC", "en")
    blocked = store.subscribe("telegram", "2", "08:00", "UTC", "zh")
    later = store.subscribe("telegram", "3", "23:00", "UTC", "zh")
    off = store.subscribe("discord", "4", "08:00", "UTC", "zh")
    adapter = ScriptedAdapter({"2": [ChatUnavailable("Forbidden: bot was kicked")]})
    digests = Digests()
    renderers = {"telegram": lambda sections: render}
    now = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    results = await send_due(store, {"telegram": adapter}, digests, Settings(), now=now, renderers=renderers)
    by_id = {r.subscription.id: r for r in results}
    assert by_id[ok.id].status == "sent" and by_id[ok.id].messages == 5
    assert by_id[blocked.id].status == "failed"
    assert by_id[later.id].status == "skipped" and "not due" in by_id[later.id].reason
    assert by_id[off.id].reason == "discord is not configured"
    assert digests.calls and all(day == date(2024, 5, 1) for day, _ in digests.calls)
    again = await send_due(store, {"telegram": adapter}, digests, Settings(), now=now, renderers=renderers)
    statuses = {r.subscription.id: (r.status, r.reason) for r in again}
    assert statuses[ok.id] == ("skipped", "already sent")
    assert blocked.id not in statuses  # disabled
    assert adapter.sent["1"] == TEXTS
