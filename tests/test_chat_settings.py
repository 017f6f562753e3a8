"""/settings (with its section, language and pause buttons), /filter, /time, /lang and /search through
the fake Telegram and Discord servers, with the real adapters (python-telegram-bot, discord.py), the
real handlers and a store on disk: panels edited in place, refusals, forged payloads."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
import pytest
from fakes.discord_server import MANAGE_GUILD, FakeDiscord
from fakes.telegram_server import Delivered, FakeTelegram, ScaledClock

from bot.config import (
    DigestSettings,
    DiscordSettings,
    LimitsSettings,
    Settings,
    StorageSettings,
    TelegramSettings,
    validate,
)
from bot.delivery import answers
from bot.delivery.adapter import DISCORD_LIMITS, TELEGRAM_LIMITS
from bot.delivery.discord_adapter import DiscordAdapter
from bot.delivery.pacing import Pacer
from bot.delivery.telegram_adapter import TelegramAdapter
from bot.models import NewArticle, Reply, Request
from bot.services import Services, build_services
from handlers import dispatch
from storage import Store

NOW = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
SCALE = 100.0
GROUP, ADMIN, MEMBER = "-1001", 4242, 5151
CHANNEL = "700000000000000011"
EXPIRED = "This button has expired."
NOT_ADMIN = "Only this chat's administrators may change its subscription."


@dataclass
class World:
    tg: FakeTelegram
    dc: FakeDiscord
    store: Store
    services: Services
    telegram: TelegramAdapter
    discord: DiscordAdapter

    async def say(self, text: str, *, user: int = ADMIN, chat: str = GROUP) -> Delivered:
        """A user types in the group; the one message the bot answers with."""
        seen = len(self.tg.delivered[chat])
        await self.tg.inject_command(chat, user, text, chat_type="supergroup")
        return (await self.tg.wait_for(chat, seen + 1, timeout=15))[seen]

    async def press(self, message: Delivered, data: str, *, user: int = ADMIN) -> dict[str, object]:
        """A user presses a button (`data`) under `message`; the callback query's answer."""
        query = await self.tg.inject_callback(GROUP, user, data, chat_type="supergroup", message_id=message.message_id)
        return await self.tg.wait_answered(query)

    async def slash(self, name: str, options: dict[str, str] | None = None, *, admin: bool = True):  # type: ignore[no-untyped-def]
        interaction = await self.dc.inject_slash(
            CHANNEL, ADMIN if admin else MEMBER, name, options, permissions=MANAGE_GUILD if admin else 0)
        return (await self.dc.wait_shown(interaction, timeout=15)).shown[0]

    def sub(self, platform: str = "telegram", chat: str = GROUP):  # type: ignore[no-untyped-def]
        return self.store.find_subscription(platform, chat)


def pacer(limits):  # type: ignore[no-untyped-def]
    clock = ScaledClock(SCALE)
    return Pacer(limits, clock=clock.clock, sleep=clock.sleep, margin=0.1)


def add_articles(store: Store, count: int) -> None:
    feed = store.add_feed("https://news.example/feed.xml", "@robots_daily #news")
    for i in range(count):
        text = " ".join(f"Robot report {i} sentence {n} adds a finding." for n in range(8))
        store.add_article(NewArticle(
            feed_id=feed.id, url=f"https://news.example/{i}", title=f"Robot arm {i} ping @admin_team /start #win",
            source="@robots_daily #news", published=NOW - timedelta(hours=i + 1), language="en", text=text,
            original_chars=len(text), content_hash=f"hash-{i}"), at=NOW)
    store.index_pending()  # as the service's fetch job does after storing


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    try:
        async with FakeTelegram(time_scale=SCALE) as tg, FakeDiscord(time_scale=SCALE) as dc:
            settings = validate(Settings(
                storage=StorageSettings(path=str(tmp_path / "bot.db")),
                digest=DigestSettings(language="en", timezone="UTC"),
                telegram=TelegramSettings(base_url=tg.base_url),
                discord=DiscordSettings(api_base_url=dc.api_base, gateway_url=dc.gateway_url),
                limits=LimitsSettings(offline_worker="thread"),
            ))
            store = Store(settings.storage.path)
            services = build_services(settings, store, clock=lambda: NOW)
            add_articles(store, 12)
            tg.set_admin(GROUP, ADMIN)

            async def on_request(r: Request) -> Reply:
                return await dispatch(r, services)

            telegram = TelegramAdapter(tg.token, base_url=tg.base_url, pacer=pacer(TELEGRAM_LIMITS), poll_timeout=1)
            dcl = DiscordAdapter(dc.token, api_base_url=dc.api_base, gateway_url=dc.gateway_url,
                                 pacer=pacer(DISCORD_LIMITS))
            await telegram.start(on_request)
            await dcl.start(on_request)
            try:
                yield World(tg, dc, store, services, telegram, dcl)
            finally:
                await dcl.stop()
                await telegram.stop()
                await services.summaries.aclose()
                store.close()
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


def keyboard(message: Delivered) -> list[tuple[str, str]]:
    return [(b["text"], b["callback_data"]) for row in message.buttons for b in row]


# ------------------------------------------------------------------ Telegram


async def test_telegram_settings_buttons_edit_the_panel_and_refuse_members(world: World) -> None:
    world.store.subscribe("telegram", GROUP, "08:00", "UTC", "en", at=NOW)
    panel = await world.say("/settings", user=MEMBER)  # anyone may look
    assert panel.plain.startswith("⚙️ This chat's settings") and "Sections: all" in panel.plain
    assert keyboard(panel) == [
        ("✅ Products", "sec:products:off"), ("✅ Industry news", "sec:industry:off"),
        ("✅ Tutorials", "sec:tutorials:off"), ("✅ Other", "sec:other:off"),
        ("Switch to 中文", "lang:zh"), ("⏸ Pause", "pause")]
    shown = len(world.tg.delivered[GROUP])

    # A member's press: a refusal only they see (the query's answer); nothing changes anywhere.
    refused = await world.press(panel, "sec:industry:off", user=MEMBER)
    assert refused["text"] == NOT_ADMIN
    assert world.sub().sections == () and panel.edits == 0

    # The admin's presses edit the panel in place: no new message, the new state on the buttons.
    await world.press(panel, "sec:industry:off")
    edited = await world.tg.wait_edited(GROUP, panel.message_id, 1)
    assert "Sections: Products, Tutorials, Other" in edited.plain and edited.plain.startswith("✅ Saved.")
    assert ("▫️ Industry news", "sec:industry:on") in keyboard(edited)
    assert world.sub().sections == ("products", "tutorials", "other")
    await world.press(panel, "lang:zh")
    assert "语言：中文" in (await world.tg.wait_edited(GROUP, panel.message_id, 2)).plain
    await world.press(panel, "pause")
    paused = await world.tg.wait_edited(GROUP, panel.message_id, 3)
    assert "状态：已暂停" in paused.plain and ("▶️ 恢复", "resume") in keyboard(paused)
    assert not world.sub().enabled
    # The same stale button again shows what is already saved: Telegram's "not modified", no new
    # message, no further edit.
    await world.press(panel, "pause")
    await asyncio.gather(*world.telegram.answers._inflight)  # that press's whole answer is done
    assert world.tg.stats["http_400"] == 1 and len(world.tg.delivered[GROUP]) == shown
    await world.press(panel, "resume")
    assert "状态：正常发送" in (await world.tg.wait_edited(GROUP, panel.message_id, 4)).plain
    assert len(world.tg.delivered[GROUP]) == shown and panel.edits == 4
    assert world.sub().enabled and world.sub().schedule_from == NOW


async def test_telegram_filter_time_and_lang_answer_with_the_settings_or_one_line(world: World) -> None:
    assert (await world.say("/time 09:30")).plain == "This chat has no subscription; send /subscribe to start one."
    world.store.subscribe("telegram", GROUP, "08:00", "UTC", "en", at=NOW)
    saved = await world.say('/filter +GPT +"open source" -Microsoft')
    assert saved.plain.startswith("✅ Saved.") and 'GPT, "open source"' in saved.plain and saved.payloads
    assert world.sub().include == ("GPT", "open source") and world.sub().exclude == ("Microsoft",)
    many = await world.say("/filter " + " ".join(f"+w{i}" for i in range(200)))
    assert many.plain == "At most 50 include keywords are allowed, not 202." and many.buttons == []
    huge = await world.say("/filter -" + "k" * 3900)  # a ~4 KB keyword (Telegram's message limit)
    assert huge.plain.startswith("A keyword is at most 64 characters") and len(huge.plain) < 120
    sign = await world.say("/filter GPT")
    assert sign.plain.startswith("'GPT' is not +word or -word")
    assert (await world.say("/filter +nope", user=MEMBER)).plain == NOT_ADMIN
    assert world.sub().include == ("GPT", "open source")
    listed = await world.say("/filter", user=MEMBER)  # looking is for everyone
    assert "Include (keep only items that mention one): GPT" in listed.plain

    assert (await world.say("/time 25:00")).plain.startswith("'25:00' is not a time")
    assert "'Mars/Olympus' is not a time zone" in (await world.say("/time 07:00 Mars/Olympus")).plain
    moved = await world.say("/time 07:15 Asia/Shanghai")
    assert "Time: every day at 07:15 (Asia/Shanghai)" in moved.plain
    assert "Next digest: 2026-05-05 07:15 CST" in moved.plain  # 14:00 there now: tomorrow
    assert (await world.say("/lang fr")).plain == "Use /lang zh or /lang en."
    zh = await world.say("/lang zh")
    assert zh.plain.startswith("✅ 已保存。") and world.sub().language == "zh"
    assert (await world.say("/settings section nosuch on")).plain.startswith("没有“nosuch”这个栏目")


async def test_telegram_channels_and_private_chats_manage_themselves(world: World) -> None:
    """Channel posts come from the channel's admins; a private chat is its user's own."""
    channel, private = "-1005005", "6161"
    world.store.subscribe("telegram", channel, "08:00", "UTC", "en", at=NOW)
    world.store.subscribe("telegram", private, "08:00", "UTC", "en", at=NOW)
    await world.tg.inject_channel_post(channel, "/time 06:45")
    panel = (await world.tg.wait_for(channel, 1, timeout=15))[0]
    assert "every day at 06:45 (UTC)" in panel.plain and world.sub(chat=channel).time == "06:45"
    world.tg.set_admin(channel, ADMIN)
    outsider = await world.tg.inject_callback(channel, MEMBER, "pause", chat_type="channel", message_id=panel.message_id)
    assert (await world.tg.wait_answered(outsider))["text"] == NOT_ADMIN
    admin = await world.tg.inject_callback(channel, ADMIN, "pause", chat_type="channel", message_id=panel.message_id)
    await world.tg.wait_answered(admin)
    assert "Status: paused" in (await world.tg.wait_edited(channel, panel.message_id)).plain
    await world.tg.inject_command(private, private, "/filter -crypto")
    mine = (await world.tg.wait_for(private, 1, timeout=15))[0]
    assert mine.plain.startswith("✅ Saved.") and world.sub(chat=private).exclude == ("crypto",)


async def test_telegram_search_pages_with_more_and_keeps_feed_text_inert(world: World) -> None:
    first = await world.say("/search robot arm", user=MEMBER)
    assert first.plain.startswith("Results 1–5 for “robot arm”:")
    assert first.plain.count("https://news.example/") == 5 and first.auto_entities == []
    ((label, payload),) = keyboard(first)
    assert label == "More results" and payload.startswith("srch:") and len(payload.encode()) <= 64
    seen = len(world.tg.delivered[GROUP])
    await world.press(first, payload, user=MEMBER)
    second = (await world.tg.wait_for(GROUP, seen + 1, timeout=15))[seen]
    assert second.plain.startswith("Results 6–10") and first.edits == 0  # a new message, the first stays
    # The same query id pressed in another chat: expired, and no results leak there.
    other = await world.tg.inject_callback("-1002", MEMBER, payload, chat_type="supergroup")
    assert (await world.tg.wait_answered(other))["text"] == EXPIRED
    assert world.tg.delivered["-1002"] == []
    assert (await world.say("/search submarine")).plain == "Nothing found for “submarine”."
    assert (await world.say("/search " + "x" * 300)).plain == "A search is at most 200 characters long."


FORGED = ["sec", "sec:products", "sec:products:maybe", "sec:PRODUCTS:on", "secs", "secs:products", "lang",
          "lang:fr", "lang:zh:1", "pause:1", "resume:now", "srch", "srch:1", "srch:0:5", "srch:1:0", "srch:1:3",
          "srch:01:5", "srch:1:10000", "settings:pause", "filter:clear", "time:09:00", "search:x"]


def snapshot(world: World) -> tuple[object, ...]:
    return (world.store.list_subscriptions(), world.store.budget_used("search", NOW - timedelta(hours=1)))


async def test_forged_settings_and_search_payloads_run_nothing_on_telegram(world: World) -> None:
    world.store.subscribe("telegram", GROUP, "08:00", "UTC", "en", at=NOW)
    before = snapshot(world)
    panel = await world.say("/settings")
    answers_ = [await world.press(panel, data) for data in FORGED]  # by the group's admin
    assert [a.get("text") for a in answers_] == [EXPIRED] * len(FORGED)
    # Well-formed but not this chat's: a query id nobody issued here.
    assert (await world.press(panel, "srch:987654:5")).get("text") == EXPIRED
    assert snapshot(world) == before and panel.edits == 0


# ------------------------------------------------------------------ Discord


def text(shown) -> str:  # type: ignore[no-untyped-def]
    """A Discord message as its reader sees it: markdown escapes undone."""
    return re.sub(r"\\(.)", r"\1", shown.content)


def options_of(shown) -> list[tuple[str, bool]]:  # type: ignore[no-untyped-def]
    (menu,) = [c for c in shown.components if c["type"] == 3]
    return [(o["value"], bool(o.get("default"))) for o in menu["options"]]


async def test_discord_settings_menu_and_buttons_update_the_panel(world: World) -> None:
    world.store.subscribe("discord", CHANNEL, "08:00", "UTC", "en", at=NOW)
    panel = await world.slash("settings", admin=False)
    assert text(panel).startswith("⚙️ This chat's settings") and not panel.ephemeral
    menu = next(c for c in panel.components if c["type"] == 3)
    assert (menu["custom_id"], menu["min_values"], menu["max_values"]) == ("secs", 1, 4)
    assert options_of(panel) == [("products", True), ("industry", True), ("tutorials", True), ("other", True)]
    assert [c["custom_id"] for c in panel.components if c["type"] == 2] == ["lang:zh", "pause"]

    # A member's choice: refused privately, the panel and the subscription unchanged.
    refused = await world.dc.inject_select(CHANNEL, MEMBER, "secs", ["products"], message_id=panel.message_id)
    shown = (await world.dc.wait_shown(refused)).shown[0]
    assert text(shown) == NOT_ADMIN and shown.ephemeral and world.dc.stats["updates"] == 0
    assert world.sub("discord", CHANNEL).sections == ()

    # The admin's choice edits the panel itself (an UPDATE_MESSAGE answer), menu defaults included.
    chosen = await world.dc.inject_select(CHANNEL, ADMIN, "secs", ["tutorials", "products"],
                                          permissions=MANAGE_GUILD, message_id=panel.message_id)
    update = (await world.dc.wait_shown(chosen)).shown[0]
    assert update.via == "update" and update.message_id == panel.message_id
    assert "Sections: Products, Tutorials" in text(update)
    assert options_of(update) == [("products", True), ("industry", False), ("tutorials", True), ("other", False)]
    assert world.sub("discord", CHANNEL).sections == ("products", "tutorials")
    pause = await world.dc.inject_button(CHANNEL, ADMIN, "pause", permissions=MANAGE_GUILD, message_id=panel.message_id)
    paused = (await world.dc.wait_shown(pause)).shown[0]
    assert paused.via == "update" and "Status: paused" in text(paused)
    assert [c["custom_id"] for c in paused.components if c["type"] == 2] == ["lang:zh", "resume"]
    assert not world.sub("discord", CHANNEL).enabled and not world.dc.delivered[CHANNEL]


async def test_discord_commands_refusals_and_forged_menus(world: World) -> None:
    world.store.subscribe("discord", CHANNEL, "08:00", "UTC", "en", at=NOW)
    saved = await world.slash("filter", {"words": '+GPT -"Big Tech"'})
    assert text(saved).startswith("✅ Saved.") and world.sub("discord", CHANNEL).exclude == ("Big Tech",)
    member = await world.slash("filter", {"words": "+x"}, admin=False)
    assert text(member) == NOT_ADMIN and member.ephemeral
    bad_time = await world.slash("time", {"time": "8h", "timezone": "UTC"})
    assert text(bad_time).startswith("'8h' is not a time") and bad_time.ephemeral
    moved = await world.slash("time", {"time": "18:45", "timezone": "Europe/Berlin"})
    assert "every day at 18:45 (Europe/Berlin)" in text(moved)
    assert text(await world.slash("lang", {"language": "fr"})) == "Use /lang zh or /lang en."
    assert "语言：中文" in text(await world.slash("lang", {"language": "zh"}))

    results = await world.slash("search", {"words": "robot"}, admin=False)
    assert text(results).startswith("“robot”的搜索结果（第 1–5 条）：")  # the chat is Chinese now
    (more,) = [c["custom_id"] for c in results.components]
    page = await world.dc.inject_button(CHANNEL, MEMBER, more, message_id=results.message_id)
    second = (await world.dc.wait_shown(page)).shown[0]
    assert second.via == "response" and "第 6–10 条" in text(second)  # a new message below the first

    before = snapshot(world)
    forged = [("secs", []), ("secs", ["products", "products"]), ("secs", ["x" * 40]), ("secs", ["Products"]),
              ("more:1", ["products"]), ("pause", ["products"]), ("secs", ["products"] * 26)]
    for custom_id, values in forged:
        interaction = await world.dc.inject_select(CHANNEL, ADMIN, custom_id, values, permissions=MANAGE_GUILD)
        shown = (await world.dc.wait_shown(interaction)).shown[0]
        assert text(shown) == EXPIRED, (custom_id, values)  # in the presser's own language
        assert shown.ephemeral
    unknown = await world.dc.inject_select(CHANNEL, ADMIN, "secs", ["gossip"], permissions=MANAGE_GUILD)
    assert text((await world.dc.wait_shown(unknown)).shown[0]).startswith("没有“gossip”这个栏目")
    assert snapshot(world) == before and world.dc.stats["updates"] == 0


async def test_a_slow_answer_still_edits_the_pressed_message(world: World, monkeypatch) -> None:
    """Past the quick-answer window each platform is acknowledged first (Discord: a deferred update,
    type 6, then PATCH @original; Telegram: the callback answer, then editMessageText)."""
    monkeypatch.setattr(answers, "ANSWER_WITHIN", 0.05)
    world.store.subscribe("discord", CHANNEL, "08:00", "UTC", "en", at=NOW)
    world.store.subscribe("telegram", GROUP, "08:00", "UTC", "en", at=NOW)
    tg_panel = await world.say("/settings")
    dc_panel = await world.slash("settings")

    async def slow(r: Request) -> Reply:
        if r.press:
            await asyncio.sleep(0.3)  # well past the (shortened) quick window
        return await dispatch(r, world.services)

    monkeypatch.setattr(world.telegram, "_on_request", slow)
    monkeypatch.setattr(world.discord, "_on_request", slow)
    pressed = await world.dc.inject_button(CHANNEL, ADMIN, "pause", permissions=MANAGE_GUILD,
                                           message_id=dc_panel.message_id)
    record = await world.dc.wait_shown(pressed, timeout=15)
    assert record.callback is not None and record.callback["type"] == 6  # acknowledged, nothing shown yet
    assert record.shown[0].via == "update" and record.shown[0].message_id == dc_panel.message_id
    assert "Status: paused" in text(record.shown[0])
    answer = await world.press(tg_panel, "pause")
    assert answer.get("text") is None  # the query is answered at once, empty
    assert "Status: paused" in (await world.tg.wait_edited(GROUP, tg_panel.message_id, 1)).plain
    assert len(world.tg.delivered[GROUP]) == 1
