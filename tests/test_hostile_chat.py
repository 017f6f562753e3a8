"""Hostile chat users through the fake platforms: the real adapters (python-telegram-bot, discord.py),
the real handlers and services, a fake model that counts calls, and a local web server.

Floods of /more, anonymous senders sharing one Telegram account, forged button payloads on both
platforms, URLs pointing inside the bot's network, absurd and old dates, and feed text trying to
become Telegram mentions, commands and hashtags.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
import pytest
from fakes.discord_server import FakeDiscord
from fakes.openai_server import FakeOpenAI
from fakes.telegram_server import FakeTelegram, ScaledClock
from fakes.web import FakeWeb

from bot.config import (
    DigestSettings,
    DiscordSettings,
    FetchSettings,
    LimitsSettings,
    Settings,
    StorageSettings,
    SummarizerSettings,
    TelegramSettings,
    validate,
)
from bot.delivery.adapter import DISCORD_LIMITS, TELEGRAM_LIMITS
from bot.delivery.discord_adapter import DiscordAdapter
from bot.delivery.pacing import Pacer
from bot.delivery.telegram_adapter import TelegramAdapter
from bot.ingest import guard
from bot.models import NewArticle, Reply, Request
from bot.services import Services, build_services
from handlers import dispatch
from storage import Store

NOW = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
SCALE = 100.0  # the fakes' rate windows and our pacer run this much faster than real time
KEY_ENV = "DIGESTBOT_TEST_HOSTILE_CHAT_KEY"
ADMIN = "4242"
GROUP, OTHER_GROUP, CHANNEL = "-1001", "-1002", "-1003"
DC_CHANNEL = "700000000000000011"
ANONYMOUS_ADMIN, CHANNEL_BOT = 1087968824, 136817688  # Telegram's shared sender accounts
RETRY = "try again in"


@dataclass
class Clock:
    """The bot's clock, moved by the test (never slept on)."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    tg: FakeTelegram
    dc: FakeDiscord
    model: FakeOpenAI
    web: FakeWeb
    store: Store
    settings: Settings
    clock: Clock
    services: Services
    articles: list[int] = field(default_factory=list)

    async def ask_tg(self, chat: str | int, text: str, *, user: str | int | None = None, **kw: object) -> str:
        """Send a command and return the plain text of the one reply it gets."""
        seen = len(self.tg.delivered[str(chat)])
        await self.tg.inject_command(chat, user if user is not None else chat, text, **kw)  # type: ignore[arg-type]
        return (await self.tg.wait_for(chat, seen + 1, timeout=15))[seen].plain


def add_articles(store: Store, count: int, day: datetime) -> list[int]:
    feed = store.add_feed("https://news.example/feed.xml", "Example News")
    ids = []
    for i in range(count):
        text = " ".join(f"Report {i} sentence {n} describes one more verified finding." for n in range(8))
        ids.append(store.add_article(NewArticle(
            feed_id=feed.id, url=f"https://news.example/{i}", title=f"Story {i}", source="Example News",
            published=day, language="en", text=text, original_chars=len(text), content_hash=f"hash-{i}",
        ), at=day).id)
    return ids


def pacer(limits):  # type: ignore[no-untyped-def]
    clock = ScaledClock(SCALE)
    return Pacer(limits, clock=clock.clock, sleep=clock.sleep, margin=0.1)


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> AsyncIterator[World]:
    limits: LimitsSettings = getattr(request, "param", LimitsSettings(offline_worker="thread"))
    monkeypatch.setenv(KEY_ENV, "sk-test")
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    try:
        async with (FakeTelegram(time_scale=SCALE) as tg, FakeDiscord(time_scale=SCALE) as dc,
                    FakeOpenAI() as model, FakeWeb() as web):
            settings = validate(Settings(
                storage=StorageSettings(path=str(tmp_path / "bot.db")),
                # The operator lets feeds reach private addresses; users' URLs must still never.
                fetch=FetchSettings(allow_private_addresses=True, timeout_seconds=2),
                summarizer=SummarizerSettings(provider="openai", base_url=model.base_url, model="fake",
                                              api_key_env=KEY_ENV, max_retries=0, timeout_seconds=5),
                digest=DigestSettings(language="en", timezone="UTC"),
                telegram=TelegramSettings(admins=(ADMIN,), base_url=tg.base_url),
                discord=DiscordSettings(admins=(ADMIN,), api_base_url=dc.api_base, gateway_url=dc.gateway_url),
                limits=limits,
            ))
            store = Store(settings.storage.path)
            clock = Clock()
            services = build_services(settings, store, clock=clock)
            w = World(tg, dc, model, web, store, settings, clock, services)
            w.articles = add_articles(store, 120, NOW - timedelta(hours=2))

            async def on_request(r: Request) -> Reply:
                return await dispatch(r, services)

            telegram = TelegramAdapter(tg.token, base_url=tg.base_url, pacer=pacer(TELEGRAM_LIMITS), poll_timeout=1)
            dcl = DiscordAdapter(dc.token, api_base_url=dc.api_base, gateway_url=dc.gateway_url,
                                 pacer=pacer(DISCORD_LIMITS))
            await telegram.start(on_request)
            await dcl.start(on_request)
            try:
                yield w
            finally:
                await dcl.stop()
                await telegram.stop()
                await services.summaries.aclose()
                store.close()
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


# ------------------------------------------------------------------ budgets


@pytest.mark.parametrize("world", [LimitsSettings(user_answers_per_hour=20, answers_per_hour=30)], indirect=True)
async def test_a_flood_of_more_costs_the_budget_and_no_more(world: World) -> None:
    user, other = 601, 602
    for article_id in world.articles[:100]:
        await world.tg.inject_command(user, user, f"/more {article_id}")
    replies = await world.tg.wait_for(user, 100, timeout=30)
    answered = [r.plain for r in replies if "Link: https://news.example/" in r.plain]
    refused = [r.plain for r in replies if RETRY in r.plain]
    assert world.model.calls == 20 and len(answered) == 20 and len(refused) == 80
    assert set(refused) == {"You have used this hour's allowance for that; try again in 60 min."}

    # A cached answer is free: the same article again is answered at once, with no model call.
    done = int(re.search(r"news\.example/(\d+)", answered[0]).group(1))  # type: ignore[union-attr]
    again = await world.ask_tg(user, f"/more {world.articles[done]}")
    assert "Link:" in again and world.model.calls == 20

    # A real "More detail" button of an article not summarised yet: refused in the button's own
    # notification (seen by the presser alone), nothing posted in the chat.
    shown = len(world.tg.delivered[str(user)])
    pressed = await world.tg.inject_callback(user, user, f"more:{world.articles[110]}")
    assert (await world.tg.wait_answered(pressed))["text"].endswith(RETRY + " 60 min.")
    assert "Commands you can use here" in await world.ask_tg(user, "/help")  # the next message is this
    assert len(world.tg.delivered[str(user)]) == shown + 1 and world.model.calls == 20

    # Another user has a budget of their own, until the bot-wide one (30) runs out.
    for article_id in world.articles[100:115]:
        await world.tg.inject_command(other, other, f"/more {article_id}")
    theirs = [r.plain for r in await world.tg.wait_for(other, 15, timeout=30)]
    assert world.model.calls == 30
    assert sum("Link:" in t for t in theirs) == 10
    assert sum(t == "I have done as much of that as I may this hour; try again in 60 min." for t in theirs) == 5

    # The budget is in the store and slides: 61 minutes later the first user may ask again.
    assert world.store.budget_used("answer", NOW - timedelta(hours=1)) == 30
    world.clock.now = NOW + timedelta(minutes=61)
    later = await world.ask_tg(user, f"/more {world.articles[119]}")
    assert "Link:" in later and world.model.calls == 31


@pytest.mark.parametrize("world", [LimitsSettings(user_answers_per_hour=2, answers_per_hour=100)], indirect=True)
async def test_anonymous_admins_and_channel_senders_are_counted_per_chat(world: World) -> None:
    """Telegram sends every anonymous group admin as one account and every post "as a channel" as
    another: counted per user these would share one budget across all of Telegram."""
    ids = iter(world.articles)
    as_group = {"user": ANONYMOUS_ADMIN, "chat_type": "supergroup", "sender_chat": (GROUP, "supergroup")}
    first = [await world.ask_tg(GROUP, f"/more {next(ids)}", **as_group) for _ in range(3)]
    assert [RETRY in t for t in first] == [False, False, True]
    # An anonymous admin of another group, and a user posting as their channel, are not refused.
    other = {"user": ANONYMOUS_ADMIN, "chat_type": "supergroup", "sender_chat": (OTHER_GROUP, "supergroup")}
    assert "Link:" in await world.ask_tg(OTHER_GROUP, f"/more {next(ids)}", **other)
    as_channel = {"user": CHANNEL_BOT, "chat_type": "supergroup", "sender_chat": (CHANNEL, "channel")}
    assert "Link:" in await world.ask_tg(OTHER_GROUP, f"/more {next(ids)}", **as_channel)
    assert world.model.calls == 4
    assert world.store.budget_used("answer", NOW - timedelta(hours=1), "telegram", GROUP) == 2


# ------------------------------------------------------------------ forged button payloads

FORGED = ["unsubscribe", "subscribe:en", "status", "addfeed:http://x", "digest:2017-06-30", "more", "more:abc",
          "more:1:2", "more:-1", "removefeed:1", "help", "x" * 64,
          # issue 14's settings and search payloads, malformed (test_chat_settings.py has more)
          "sec:products:maybe", "secs", "lang:fr", "pause:1", "srch:0:5", "filter:clear", "time:09:00"]


def _state(world: World) -> tuple[object, ...]:
    return (world.store.list_subscriptions(), [f.url for f in world.store.list_feeds()],
            world.store.get_digest("2017-06-30", "en"), world.store.budget_used("answer", NOW - timedelta(days=1)))


async def test_forged_telegram_buttons_run_nothing(world: World) -> None:
    world.store.subscribe("telegram", GROUP, "08:00", "UTC", "en")
    world.tg.set_admin(GROUP, ADMIN)
    before = _state(world)
    queries = [await world.tg.inject_callback(GROUP, ADMIN, data, chat_type="supergroup") for data in FORGED]
    answers = [await world.tg.wait_answered(q) for q in queries]
    # The admin of the bot and the group pressed them: still nothing ran, nothing was posted.
    assert [a.get("text") for a in answers] == ["This button has expired."] * len(FORGED)
    genuine = await world.tg.inject_callback(GROUP, ADMIN, f"more:{world.articles[0]}", chat_type="supergroup")
    await world.tg.wait_answered(genuine)
    shown = await world.tg.wait_for(GROUP, 1)
    assert len(shown) == 1 and "Link: https://news.example/0" in shown[0].plain  # only the real button did
    assert world.model.calls == 1 and _state(world)[:3] == before[:3]


async def test_forged_discord_buttons_run_nothing_and_post_nothing(world: World) -> None:
    world.store.subscribe("discord", DC_CHANNEL, "08:00", "UTC", "en")
    before = _state(world)
    ids = [await world.dc.inject_button(DC_CHANNEL, ADMIN, data, permissions=1 << 5) for data in FORGED]
    records = [await world.dc.wait_shown(i) for i in ids]
    assert all(len(r.shown) == 1 and r.shown[0].ephemeral for r in records)  # only the presser sees it
    assert {r.shown[0].content for r in records} == {"This button has expired."}
    assert not world.dc.delivered[DC_CHANNEL]  # no forged digest posted to the channel
    assert world.model.calls == 0 and _state(world) == before


# ------------------------------------------------------------------ URLs pointing inside

LEAKS = re.compile(r"127\.|10\.1|::1|localhost|0x7f|resolv|errno|loopback|private|refused|name or service", re.IGNORECASE)


async def test_inward_urls_are_refused_without_a_word_about_the_network(world: World, monkeypatch) -> None:
    real = guard.resolve

    async def dns(host: str, port: int) -> list[str]:
        if host == "db.corp.example":
            return ["10.1.2.3"]
        if host == "nowhere.example":
            raise OSError("[Errno -2] Name or service not known")
        return await real(host, port)

    monkeypatch.setattr(guard, "resolve", dns)
    world.web.add("/secret", "<html><body><p>internal page</p></body></html>")
    port = world.web.port
    targets = [f"http://localhost:{port}/secret", f"http://127.0.0.1:{port}/secret", f"http://[::1]:{port}/secret",
               f"http://0x7f.0.0.1:{port}/secret", f"http://2130706433:{port}/secret",
               f"http://db.corp.example:{port}/secret", f"http://nowhere.example:{port}/secret"]
    replies = [await world.ask_tg(700 + i, f"/summarize {url}") for i, url in enumerate(targets)]
    assert set(replies) <= {"That address is not allowed.", "I could not fetch that page."}, replies
    assert replies[:3] == ["That address is not allowed."] * 3  # what the user typed names it already
    assert not any(LEAKS.search(r) for r in replies)
    assert world.web.hits["/secret"] == 0 and world.model.calls == 0
    # Discord: the same refusal, and only the asker sees it.
    slash = await world.dc.inject_slash(DC_CHANNEL, "990", "summarize", {"target": targets[0]})
    shown = (await world.dc.wait_shown(slash)).shown[0]
    assert shown.content == "That address is not allowed." and shown.ephemeral


# ------------------------------------------------------------------ dates


async def test_absurd_and_old_dates_are_one_line_refusals(world: World) -> None:
    old_stored = (NOW - timedelta(days=200)).date()
    await world.services.digests.get_or_build(old_stored, "en", now=NOW)  # an old day stored earlier
    too_old = (NOW - timedelta(days=31)).date()
    cases = {
        "/digest 0001-01-01": "0001-01-01 is outside the dates I have digests for.",
        "/digest 9999-12-31": "9999-12-31 is in the future; there is no digest for it yet.",
        "/digest 2026-02-30": "'2026-02-30' is not a date; write it as YYYY-MM-DD, e.g. 2025-01-31.",
        f"/digest {too_old}": f"I keep no digest for {too_old} and build them only for the last 30 days.",
    }
    for text, expected in cases.items():
        assert await world.ask_tg(800, text) == expected
    assert world.store.get_digest(too_old.isoformat(), "en") is None  # nothing built
    stored = await world.ask_tg(800, f"/digest {old_stored}")  # already stored: served, however old
    assert str(old_stored) in stored
    slash = await world.dc.inject_slash(DC_CHANNEL, "991", "digest", {"date": "0001-01-01"})
    shown = (await world.dc.wait_shown(slash)).shown[0]
    assert "outside the dates" in shown.content and shown.ephemeral and shown.via == "response"
    assert not world.dc.delivered[DC_CHANNEL]


# ------------------------------------------------------------------ feed text in Telegram


async def test_feed_text_cannot_become_telegram_mentions_commands_or_tags(world: World) -> None:
    feed = world.store.add_feed("https://evil.example/feed.xml", "@evil_admin #promo")
    text = " ".join(["Ping @everyone_here and /start_payment now, #Giveaway for $BTC holders."] * 6)
    article = world.store.add_article(NewArticle(
        feed_id=feed.id, url="https://evil.example/1", title="@support_team says /reset #urgent", source="@evil_admin",
        published=NOW - timedelta(hours=1), language="en", text=text, original_chars=len(text), content_hash="evil",
    ), at=NOW)
    world.model.point_suffix = " — contact @scam_desk or send /refund_now #win $ETH"
    await world.tg.inject_command(900, 900, "/digest")
    messages = await world.tg.wait_for(900, 1, timeout=15)
    summary = await world.ask_tg(901, f"/summarize {article.id}")
    rendered = [m.plain for m in messages] + [summary]
    assert any("support_team" in m and "scam_desk" in m for m in rendered)  # the words are all there…
    found = [e for m in [*messages, world.tg.delivered["901"][-1]] for e in m.auto_entities]
    assert found == []  # …but Telegram finds no mention, command, hashtag or cashtag in them
    help_text = await world.ask_tg(902, "/help")  # the bot's own commands stay tappable
    assert ("bot_command", "/digest") in world.tg.delivered["902"][-1].auto_entities and help_text
