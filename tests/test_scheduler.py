"""Scheduler wiring and the digest jobs, driven with an injected `now` (no sleeping, no clock patching)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.config import SchedulerSettings, Settings, StorageSettings, validate
from bot.delivery.adapter import CONSOLE_LIMITS
from bot.delivery.outbox import last_slot
from bot.jobs import catch_up, digest_job
from bot.models import Digest, DigestStats, OutMessage, Request, Subscription
from bot.scheduler import Scheduler, digest_trigger
from bot.services import Services
from handlers import dispatch
from storage import Store


class RecordingAdapter:
    """An Adapter that records sends; sending to `fail_chats` raises an unexpected error."""

    limits = CONSOLE_LIMITS

    def __init__(self, platform: str = "telegram", fail_chats: tuple[str, ...] = ()) -> None:
        self.platform = platform
        self.sent: list[tuple[str, OutMessage]] = []
        self.fail_chats = fail_chats

    async def start(self, on_request) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, chat_id: str, message: OutMessage) -> str:
        if chat_id in self.fail_chats:
            raise RuntimeError("adapter bug")
        self.sent.append((chat_id, message))
        return str(len(self.sent))

    def chats(self) -> list[str]:
        return [c for c, _ in self.sent]


class StubDigests:
    """Stores one digest per (day, language) like DigestService; the title says when it was built."""

    def __init__(self) -> None:
        self.builds: list[tuple[date, str]] = []
        self.stored: dict[tuple[date, str], Digest] = {}

    async def get_or_build(self, day, language, *, now, rebuild=False):
        if not rebuild and (day, language) in self.stored:
            return self.stored[(day, language)]
        self.builds.append((day, language))
        stats = DigestStats(0, 0, 0, 0, 0, 0, 0, 0)
        title = f"digest {day} built {now:%H:%M}"
        digest = Digest(date=day, language=language, title=title, stats=stats, highlights=(), sections=())
        self.stored[(day, language)] = digest
        return digest


def make_services(path, adapter, clock, grace_minutes: int = 360) -> Services:
    settings = validate(
        Settings(
            storage=StorageSettings(path=str(path)),
            scheduler=SchedulerSettings(catch_up_grace_minutes=grace_minutes),
        )
    )
    store = Store(settings.storage.path)
    return Services(settings=settings, store=store, summaries=None, digests=StubDigests(),  # type: ignore[arg-type]
                    adapters={adapter.platform: adapter}, clock=clock)


async def _noop(now: datetime) -> None:
    return None


def attach_scheduler(services: Services) -> Scheduler:
    scheduler = Scheduler(services.settings, services.store, fetch=_noop, digest=_noop,
                          clock=services.now, fetch_at_start=False)
    services.refresh_schedule = scheduler.refresh
    services.next_runs = scheduler.next_runs
    return scheduler


def admin_request(command: str, *args: str, chat: str = "-1001") -> Request:
    return Request(platform="telegram", chat_id=chat, user_id="5", command=command, args=args,
                   is_chat_admin=True, chat_type="group", language="en")


@pytest.fixture
def adapter() -> RecordingAdapter:
    return RecordingAdapter()


async def test_subscribe_0830_shanghai_fires_at_0030_utc_and_sends_once(tmp_path, adapter) -> None:
    created = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
    services = make_services(tmp_path / "bot.db", adapter, lambda: created)
    scheduler = attach_scheduler(services)
    reply = await dispatch(admin_request("subscribe", "08:30", "Asia/Shanghai"), services)
    assert "08:30" in reply.text

    trigger = scheduler.triggers()["digest 08:30 Asia/Shanghai"]
    fire = trigger.get_next_fire_time(None, created)
    assert fire == datetime(2025, 3, 11, 0, 30, tzinfo=UTC)
    assert services.next_runs() == [("08:30 Asia/Shanghai", fire)]

    assert await digest_job(services, fire - timedelta(minutes=1)) == []  # not yet due
    results = await digest_job(services, fire)
    assert [r.status for r in results] == ["sent"]
    assert adapter.chats() == ["-1001"]
    assert services.digests.builds == [(date(2025, 3, 11), "en")]
    assert await digest_job(services, fire + timedelta(seconds=30)) == []  # a second firing sends nothing
    assert adapter.chats() == ["-1001"]
    sub = services.store.find_subscription("telegram", "-1001")
    assert services.store.get_delivery(sub.id, "2025-03-11").status == "sent"
    services.store.close()


async def test_restart_after_a_missed_time_sends_once(tmp_path, adapter) -> None:
    path = tmp_path / "bot.db"
    first = make_services(path, adapter, lambda: datetime(2025, 3, 10, 4, 0, tzinfo=UTC))
    await dispatch(admin_request("subscribe", "08:30", "Asia/Shanghai"), first)
    first.store.close()  # down from before 08:30 until 09:00 on the 11th

    nine = datetime(2025, 3, 11, 1, 0, tzinfo=UTC)  # 09:00 Shanghai
    second = make_services(path, adapter, lambda: nine)  # a new process on the same file
    assert [r.status for r in await catch_up(second, nine)] == ["sent"]
    assert await catch_up(second, nine + timedelta(minutes=5)) == []
    second.store.close()

    third = make_services(path, adapter, lambda: nine)  # and one more restart: still once
    assert await catch_up(third, nine + timedelta(minutes=10)) == []
    assert await digest_job(third, nine + timedelta(minutes=10)) == []
    assert adapter.chats() == ["-1001"]
    third.store.close()


async def test_no_stale_digest_outside_the_grace_window(tmp_path, adapter) -> None:
    services = make_services(tmp_path / "bot.db", adapter, lambda: datetime(2025, 3, 10, 4, 0, tzinfo=UTC))
    await dispatch(admin_request("subscribe", "08:30", "Asia/Shanghai"), services)
    late = datetime(2025, 3, 11, 15, 0, tzinfo=UTC)  # 23:00 Shanghai: 14.5 h late, grace is 6 h
    assert await catch_up(services, late) == []
    assert await digest_job(services, late) == []
    assert adapter.sent == []
    services.store.close()


async def test_catch_up_across_midnight_sends_the_previous_day(tmp_path, adapter) -> None:
    services = make_services(tmp_path / "bot.db", adapter, lambda: datetime(2025, 3, 10, 12, 0, tzinfo=UTC))
    await dispatch(admin_request("subscribe", "23:30", "UTC"), services)
    after_midnight = datetime(2025, 3, 11, 0, 10, tzinfo=UTC)
    assert [r.status for r in await catch_up(services, after_midnight)] == ["sent"]
    assert services.digests.builds == [(date(2025, 3, 10), "en")]
    services.store.close()


async def test_dst_change_keeps_the_local_time(tmp_path, adapter) -> None:
    # Europe/Berlin moves from UTC+1 to UTC+2 on 2025-03-30.
    trigger = digest_trigger("08:30", "Europe/Berlin")
    before = trigger.get_next_fire_time(None, datetime(2025, 3, 28, 12, 0, tzinfo=UTC))
    after = trigger.get_next_fire_time(None, datetime(2025, 3, 29, 12, 0, tzinfo=UTC))
    assert before == datetime(2025, 3, 29, 7, 30, tzinfo=UTC)
    assert after == datetime(2025, 3, 30, 6, 30, tzinfo=UTC)

    services = make_services(tmp_path / "bot.db", adapter, lambda: datetime(2025, 3, 28, 12, 0, tzinfo=UTC))
    await dispatch(admin_request("subscribe", "08:30", "Europe/Berlin"), services)
    assert [r.status for r in await digest_job(services, before)] == ["sent"]
    assert await digest_job(services, after - timedelta(minutes=1)) == []  # 07:29 UTC would be wrong
    assert [r.status for r in await digest_job(services, after)] == ["sent"]
    assert services.digests.builds == [(date(2025, 3, 29), "en"), (date(2025, 3, 30), "en")]
    services.store.close()


def test_last_slot_is_dst_aware() -> None:
    sub = Subscription(id=1, platform="telegram", chat_id="1", time="08:30", timezone="Europe/Berlin",
                       language="en")
    day, at = last_slot(sub, datetime(2025, 3, 30, 6, 45, tzinfo=UTC))
    assert day == date(2025, 3, 30) and at.astimezone(UTC) == datetime(2025, 3, 30, 6, 30, tzinfo=UTC)
    assert last_slot(sub, datetime(2025, 3, 30, 6, 29, tzinfo=UTC))[0] == date(2025, 3, 29)


async def test_one_job_per_distinct_slot_and_refresh_follows_subscriptions(tmp_path, adapter) -> None:
    services = make_services(tmp_path / "bot.db", adapter, lambda: datetime(2025, 3, 10, 4, 0, tzinfo=UTC))
    scheduler = attach_scheduler(services)
    for chat in ("-1", "-2"):
        await dispatch(admin_request("subscribe", "08:30", "Asia/Shanghai", chat=chat), services)
    await dispatch(admin_request("subscribe", "08:30", "Europe/Berlin", chat="-3"), services)
    slots = sorted(k for k in scheduler.triggers() if k.startswith("digest"))
    assert slots == ["digest 08:30 Asia/Shanghai", "digest 08:30 Europe/Berlin"]
    await dispatch(admin_request("unsubscribe", chat="-3"), services)
    await dispatch(admin_request("unsubscribe", chat="-1"), services)
    assert sorted(k for k in scheduler.triggers() if k.startswith("digest")) == ["digest 08:30 Asia/Shanghai"]
    assert "fetch" in scheduler.triggers()
    services.store.close()


async def test_a_digest_stored_earlier_that_day_is_rebuilt_once_for_the_slot(tmp_path, adapter) -> None:
    services = make_services(tmp_path / "bot.db", adapter, lambda: datetime(2025, 3, 10, 4, 0, tzinfo=UTC))
    early = datetime(2025, 3, 10, 0, 5, tzinfo=UTC)
    await services.digests.get_or_build(date(2025, 3, 10), "en", now=early)  # e.g. a /digest at 00:05
    for chat in ("-1", "-2", "-3"):
        services.store.subscribe("telegram", chat, "08:00", "UTC", "en")
    await digest_job(services, datetime(2025, 3, 10, 8, 0, tzinfo=UTC))
    assert services.digests.builds == [(date(2025, 3, 10), "en")] * 2  # the early one, then one rebuild
    titles = {message.text for _, message in adapter.sent}
    assert len(adapter.sent) == 3 and all("built 08:00" in t for t in titles), titles
    services.store.close()


async def test_one_failing_chat_does_not_stop_the_others(tmp_path) -> None:
    adapter = RecordingAdapter(fail_chats=("-2",))
    services = make_services(tmp_path / "bot.db", adapter, lambda: datetime(2025, 3, 10, 4, 0, tzinfo=UTC))
    for chat in ("-1", "-2", "-3"):
        services.store.subscribe("telegram", chat, "08:00", "UTC", "en")
    services.store.subscribe("discord", "99", "08:00", "UTC", "en")  # no discord adapter here
    results = await digest_job(services, datetime(2025, 3, 10, 8, 0, tzinfo=UTC))
    by_chat = {r.subscription.chat_id: r.status for r in results}
    assert by_chat == {"-1": "sent", "-2": "failed", "-3": "sent", "99": "skipped"}
    assert sorted(adapter.chats()) == ["-1", "-3"]
    services.store.close()


async def test_running_scheduler_runs_jobs_and_shutdown_waits_for_inflight_work(tmp_path) -> None:
    settings = validate(Settings())
    store = Store(":memory:")
    started = asyncio.Event()
    release = asyncio.Event()
    finished: list[datetime] = []

    async def slow_fetch(now: datetime) -> None:
        started.set()
        await release.wait()
        finished.append(now)

    clock_value = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)
    scheduler = Scheduler(settings, store, fetch=slow_fetch, digest=_noop, clock=lambda: clock_value)
    scheduler.start()
    await asyncio.wait_for(started.wait(), 5)  # fetch_at_start: the first fetch runs right away
    scheduler.shutdown()
    await asyncio.sleep(0)  # let the scheduler's own shutdown callback (call_soon) run
    assert len(scheduler.inflight) == 1  # the executor cancelled its coroutine, not our work
    release.set()
    assert await scheduler.wait_inflight(5) == 0
    assert finished == [clock_value]  # the job got the injected clock's time
    store.close()
