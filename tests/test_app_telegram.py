"""The whole bot (bot.app.run) against the fake Telegram Bot API, a local web server and the real
python-telegram-bot: commands, buttons, permissions, a scheduled digest and a stop mid-delivery."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.app import run
from bot.config import (
    FeedSettings,
    FetchSettings,
    LimitsSettings,
    Settings,
    StorageSettings,
    TelegramSettings,
    validate,
)
from bot.delivery.adapter import TELEGRAM_LIMITS
from bot.delivery.pacing import Pacer
from bot.delivery.telegram_adapter import TelegramAdapter
from bot.ingest.pipeline import fetch_all
from bot.jobs import digest_job
from bot.scheduler import digest_trigger
from bot.services import build_services
from fakes.telegram_server import FakeTelegram
from fakes.web import FakeWeb
from storage import Store

NOW = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai
SCALE = 50.0  # the fake's clock runs 50x faster; the adapter's pacer uses the same scale
ADMIN = 4242
TOPICS = [
    ("OpenAI releases a new reasoning model", "The model solves harder maths problems than before"),
    ("Startup raises 200 million dollars for AI chips", "Investors bet on inference hardware demand"),
    ("How to fine-tune a small language model", "A step by step guide with code and benchmarks"),
]


def feed_xml(base: str) -> str:
    items = []
    for i, (title, lead) in enumerate(TOPICS):
        published = format_datetime(NOW - timedelta(hours=i + 1))
        body = " ".join(
            f"{lead}, sentence {n} adds one more concrete detail about {title.lower()}." for n in range(1, 7)
        )
        items.append(
            f"<item><title>{title}</title><link>{base}/articles/{i}.html</link>"
            f"<guid>{base}/articles/{i}.html</guid><pubDate>{published}</pubDate>"
            f"<description>{body}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Local AI News</title>'
        f"<link>{base}/</link><description>test</description>{''.join(items)}</channel></rss>"
    )


PAGE = (
    "<html><head><title>Local page about robots</title></head><body><article><h1>Local page about robots</h1>"
    + "".join(
        f"<p>Robots in warehouses now sort parcels faster, paragraph {n} explains one more result "
        f"from the study with numbers and a quote from the lead researcher.</p>"
        for n in range(1, 9)
    )
    + "</article></body></html>"
)


def make_settings(tmp_path: Path, tg: FakeTelegram, web: FakeWeb) -> Settings:
    return validate(
        Settings(
            storage=StorageSettings(path=str(tmp_path / "bot.db")),
            fetch=FetchSettings(allow_private_addresses=True, full_text=False, timeout_seconds=5),
            feeds=(FeedSettings(url=web.url("/feed.xml"), name="Local AI News"),),
            telegram=TelegramSettings(admins=(str(ADMIN),), base_url=tg.base_url),
            # the test page is served on 127.0.0.1: users' URLs may reach it only with this setting
            limits=LimitsSettings(user_urls_may_reach_private=True),
        )
    )


def make_adapter(tg: FakeTelegram, scale: float = SCALE) -> TelegramAdapter:
    pacer = Pacer(
        TELEGRAM_LIMITS,
        clock=lambda: time.monotonic() * scale,
        sleep=lambda seconds: asyncio.sleep(seconds / scale),
    )
    return TelegramAdapter(tg.token, base_url=tg.base_url, pacer=pacer, poll_timeout=1)


async def prefetch(settings: Settings) -> None:
    """What the start-up fetch job would do, done before the app starts so the test is deterministic."""
    store = Store(settings.storage.path)
    try:
        store.seed_feeds(settings.feed_seeds())
        outcomes = await fetch_all(store, settings, now=NOW)
        assert [o.status for o in outcomes] == ["new"], outcomes
    finally:
        store.close()


@pytest.fixture
async def world(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    async with FakeTelegram(time_scale=SCALE) as tg, FakeWeb(root=site) as web:
        (site / "feed.xml").write_text(feed_xml(web.url("").rstrip("/")), encoding="utf-8")
        web.add("/page", PAGE)
        settings = make_settings(tmp_path, tg, web)
        await prefetch(settings)
        yield tg, web, settings


async def start_app(settings: Settings, tg: FakeTelegram, clock=lambda: NOW, shutdown_timeout: float = 20.0,
                    scale: float = SCALE):
    stop = asyncio.Event()
    task = asyncio.create_task(
        run(settings, stop_event=stop, clock=clock, adapters={"telegram": make_adapter(tg, scale)},
            fetch_at_start=False, shutdown_timeout=shutdown_timeout)
    )
    return stop, task


async def stop_app(stop: asyncio.Event, task: asyncio.Task) -> None:
    stop.set()
    await asyncio.wait_for(task, 20)


async def test_commands_buttons_and_permissions_end_to_end(world) -> None:
    tg, web, settings = world
    stop, app = await start_app(settings, tg)
    try:
        user = 501
        await tg.inject_command(user, user, "/digest")
        digest = await tg.wait_for(user, 1, timeout=15)
        text = "\n".join(d.plain for d in digest)
        assert "OpenAI releases a new reasoning model" in text
        payloads = [b["callback_data"] for d in digest for row in d.buttons for b in row]
        assert payloads and all(p.startswith("more:") for p in payloads)
        shown = len(tg.delivered[str(user)])

        query = await tg.inject_callback(user, user, payloads[0])
        await tg.wait_answered(query)
        detail = (await tg.wait_for(user, shown + 1, timeout=15))[shown]
        assert "/articles/" in detail.plain and "Link:" in detail.plain
        assert "Traceback" not in detail.plain

        await tg.inject_command(user, user, f"/summarize {web.url('/page')}")
        summary = (await tg.wait_for(user, shown + 2, timeout=15))[shown + 1]
        assert "robots" in summary.plain.lower() and "•" in summary.plain
        assert web.hits["/page"] == 1

        group = -2001
        await tg.inject_command(group, 777, f"/addfeed {web.url('/feed.xml')}x", chat_type="group")
        refused = (await tg.wait_for(group, 1))[0]
        assert refused.plain == "Only the bot's administrators may use /addfeed."

        tg.set_admin(group, 888)
        await tg.inject_command(group, 888, "/subscribe 08:30 Asia/Shanghai", chat_type="group")
        confirmed = (await tg.wait_for(group, 2))[1]
        assert "08:30" in confirmed.plain and "2025-03-11 08:30" in confirmed.plain

        channel = -1005005
        await tg.inject_channel_post(channel, "/subscribe 07:30 UTC en")  # commands in a channel
        assert (await tg.wait_for(channel, 1))[0].plain.startswith("Subscribed")
    finally:
        await stop_app(stop, app)

    store = Store(settings.storage.path)
    try:
        assert [f.url for f in store.list_feeds(include_disabled=True)] == [web.url("/feed.xml")]
        sub = store.find_subscription("telegram", str(group))
        assert (sub.time, sub.timezone) == ("08:30", "Asia/Shanghai")
        channel_sub = store.find_subscription("telegram", str(channel))
        assert (channel_sub.time, channel_sub.timezone, channel_sub.language) == ("07:30", "UTC", "en")
        store.disable_subscription(channel_sub.id, "test: only the group is checked below")

        # The scheduler's trigger says 08:30 Shanghai; firing the job at that instant delivers once.
        fire = digest_trigger(sub.time, sub.timezone).get_next_fire_time(None, NOW)
        assert fire == datetime(2025, 3, 11, 0, 30, tzinfo=UTC)
        adapter = make_adapter(tg)
        services = build_services(settings, store, clock=lambda: fire, adapters={"telegram": adapter})
        before = len(tg.delivered[str(group)])
        results = await digest_job(services, fire)
        assert [r.status for r in results] == ["sent"]
        after = len(tg.delivered[str(group)])
        assert after > before and "OpenAI releases" in "\n".join(tg.texts(group)[before:])
        assert await digest_job(services, fire + timedelta(minutes=1)) == []
        assert len(tg.delivered[str(group)]) == after
        await adapter.stop()
    finally:
        store.close()


@pytest.mark.parametrize("shutdown_timeout", [20.0, 0.0], ids=["graceful", "cut-short"])
async def test_sigterm_mid_delivery_loses_nothing_and_sends_nothing_twice(world, shutdown_timeout) -> None:
    import os
    import signal

    tg, web, settings = world
    chats = [-3000 - i for i in range(6)]
    store = Store(settings.storage.path)
    for chat in chats:
        store.subscribe("telegram", str(chat), "12:30", "Asia/Shanghai", "en")
    store.close()
    slow = chats[-1]
    tg.fail(slow, "500", "500", "500", "500")  # four server errors: 15 s of backoff, 1.5 s scaled
    restart = datetime(2025, 3, 10, 5, 0, tzinfo=UTC)  # 13:00 Shanghai: 12:30 was missed while down

    stop, app = await start_app(settings, tg, clock=lambda: restart, shutdown_timeout=shutdown_timeout,
                                scale=10.0)
    for chat in chats[:-1]:
        await tg.wait_for(chat, 1, timeout=15)  # catch-up is delivering; the slow chat is in backoff
    await tg.inject_command(77, 77, "/help")  # responsive while busy: answered during the delivery
    assert "/digest" in (await tg.wait_for(77, 1, timeout=5))[0].plain
    assert tg.texts(slow) == []
    loop = asyncio.get_running_loop()
    assert signal.SIGTERM in getattr(loop, "_signal_handlers", {}), "app.run installs a SIGTERM handler"
    os.kill(os.getpid(), signal.SIGTERM)  # the real signal; app.run turns it into a clean stop
    await asyncio.wait_for(app, 20)
    assert stop.is_set()
    assert signal.SIGTERM not in getattr(loop, "_signal_handlers", {})  # handler removed on exit

    store = Store(settings.storage.path)
    try:
        states = {s.chat_id: store.get_delivery(s.id, "2025-03-10") for s in store.list_subscriptions()}
    finally:
        store.close()
    # Nothing lost: every delivery is recorded, sent or (when the stop cut it short) still pending.
    assert {k: v.status for k, v in states.items() if k != str(slow)} == {str(c): "sent" for c in chats[:-1]}
    expected_slow = "sent" if shutdown_timeout else "pending"
    assert states[str(slow)].status == expected_slow

    stop, app = await start_app(settings, tg, clock=lambda: restart + timedelta(minutes=5))
    try:
        await tg.wait_for(slow, 1, timeout=15)
    finally:
        await stop_app(stop, app)

    store = Store(settings.storage.path)
    try:
        for sub in store.list_subscriptions():
            assert store.get_delivery(sub.id, "2025-03-10").status == "sent", sub.chat_id
        assert store.outbox_depth() == 0
    finally:
        store.close()
    reference = tg.texts(chats[0])
    assert reference and "OpenAI releases" in "\n".join(reference)
    for chat in chats:
        assert tg.texts(chat) == reference, chat  # every message exactly once, in order
