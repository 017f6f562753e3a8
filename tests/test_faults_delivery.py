"""Platform faults during a fan-out (send_due → real renderers → real adapters → fakes).

Seeded random mixes of 429s, 5xx and connections dropped before or after the platform accepted a
message hit several Telegram chats and Discord channels at once. Every message must arrive, in
order, and a message is repeated only when its connection dropped after acceptance (at most once
per such drop). A run that gives up on a chat leaves it pending, and the next run finishes it
without resending what was already recorded as sent.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from fakes.discord_server import FakeDiscord
from fakes.telegram_server import FakeTelegram, ScaledClock
from test_render_support import make_digest, make_item

from bot.config import Settings
from bot.delivery.adapter import DISCORD_LIMITS, TELEGRAM_LIMITS
from bot.delivery.discord_adapter import DiscordAdapter
from bot.delivery.outbox import RetryPolicy, send_due
from bot.delivery.pacing import Pacer
from bot.delivery.telegram_adapter import TelegramAdapter
from bot.models import AlsoSource

SCALE = 50.0
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
DAY = "2026-11-28"
TG_CHATS = ["3001", "3002", "-1003003"]
DC_CHANNELS = ["700000000000000011", "700000000000000012"]
# discord.py itself sleeps 1-9 real seconds on 500/502, so Discord gets 503 (ours to retry, scaled)
TG_FAULTS = ["429", "500", "502", "drop_before", "drop_after"]
DC_FAULTS = ["429", "503", "drop_before", "drop_after"]


class Digests:
    """The day's digest: 40 items with long points, so each chat gets several messages."""

    def __init__(self) -> None:
        items = [make_item(i, points=tuple(f"要点 {i}.{j}：" + "很长的一句话，" * 30 for j in range(3)),
                           also=(AlsoSource(f"https://also.example/{i}", "另一来源"),)) for i in range(1, 41)]
        self.digest = make_digest(items)

    async def get_or_build(self, day, language, *, now, rebuild=False):  # type: ignore[no-untyped-def]
        return self.digest


def adapters(tg: FakeTelegram, dc: FakeDiscord) -> dict:
    tclock, dclock = ScaledClock(SCALE), ScaledClock(SCALE)
    return {
        "telegram": TelegramAdapter(tg.token, base_url=f"http://127.0.0.1:{tg.port}", poll_timeout=1,
                                    pacer=Pacer(TELEGRAM_LIMITS, clock=tclock.clock, sleep=tclock.sleep, margin=0.1)),
        "discord": DiscordAdapter(dc.token, api_base_url=dc.api_base, gateway_url=dc.gateway_url,
                                  pacer=Pacer(DISCORD_LIMITS, clock=dclock.clock, sleep=dclock.sleep, margin=0.1)),
    }


def schedule(rng: random.Random, kinds: list[str], faults: int) -> list[str]:
    """`faults` faults in random order, each followed by a success with probability 0.6."""
    out: list[str] = []
    for _ in range(faults):
        out.append(rng.choice(kinds))
        if rng.random() < 0.6:
            out.append("")  # an empty fault is a normal answer
    return out


def sent_texts(tg: FakeTelegram, dc: FakeDiscord, platform: str, chat: str) -> list[str]:
    if platform == "telegram":
        return tg.texts(chat)
    return [p.content for p in dc.delivered[chat]]


@pytest.fixture
async def fakes():
    async with FakeTelegram(time_scale=SCALE) as tg, FakeDiscord(time_scale=SCALE) as dc:
        yield tg, dc


@pytest.mark.parametrize("seed", [3, 17, 41])
async def test_random_faults_still_deliver_everything_with_bounded_repeats(fakes, store, seed: int) -> None:
    tg, dc = fakes
    rng = random.Random(seed)
    planned: dict[str, list[str]] = {}
    for chat in TG_CHATS:
        store.subscribe("telegram", chat, "08:00", "UTC", "zh")
        planned[chat] = schedule(rng, TG_FAULTS, 6)
        tg.fail(chat, *planned[chat])
    for channel in DC_CHANNELS:
        store.subscribe("discord", channel, "08:00", "UTC", "zh")
        planned[channel] = schedule(rng, DC_FAULTS, 5)
        dc.fail(channel, *planned[channel])
    digests = Digests()
    ads = adapters(tg, dc)
    try:
        results = await send_due(store, ads, digests, Settings(), now=NOW, send_all=True,
                                 policy=RetryPolicy(attempts=8, backoff=1.0))
    finally:
        for adapter in ads.values():
            await adapter.stop()

    assert [(r.status, r.reason) for r in results] == [("sent", None)] * 5
    repeats = 0
    for sub in store.list_subscriptions():
        delivery = store.get_delivery(sub.id, DAY)
        expected = [m.message.text for m in store.outbox_messages(delivery.id)]
        assert len(expected) > 2 and delivery.status == "sent"
        got = sent_texts(tg, dc, sub.platform, sub.chat_id)
        collapsed = [t for i, t in enumerate(got) if i == 0 or t != got[i - 1]]
        assert collapsed == expected, sub.chat_id  # nothing lost, order kept, repeats adjacent only
        assert not (tg.faults.get(sub.chat_id) or dc.faults.get(sub.chat_id))  # every fault was hit
        extra = len(got) - len(expected)
        assert 0 <= extra <= planned[sub.chat_id].count("drop_after"), (sub.chat_id, planned[sub.chat_id])
        repeats += extra
    drops_after = sum(p.count("drop_after") for p in planned.values())
    print(f"\nseed={seed} drop_after={drops_after} repeats={repeats}")
    assert tg.stats["http_400"] == 0 and dc.stats["http_400"] == 0


async def test_a_chat_given_up_on_is_finished_next_run_without_resending(fakes, store) -> None:
    tg, dc = fakes
    for chat in TG_CHATS:
        store.subscribe("telegram", chat, "08:00", "UTC", "zh")
    store.subscribe("discord", DC_CHANNELS[0], "08:00", "UTC", "zh")
    flaky = TG_CHATS[1]
    tg.fail(flaky, "", "", "500", "502", "drop_before")  # two messages in, then three failures in a row
    dc.fail(DC_CHANNELS[0], "", "503", "503", "503")
    digests = Digests()
    policy = RetryPolicy(attempts=3, backoff=1.0)
    ads = adapters(tg, dc)
    try:
        first = {r.subscription.chat_id: r for r in await send_due(
            store, ads, digests, Settings(), now=NOW, send_all=True, policy=policy)}
        assert first[flaky].status == "failed" and "gave up after 3 attempts" in first[flaky].reason
        assert first[DC_CHANNELS[0]].status == "failed"
        assert all(first[c].status == "sent" for c in TG_CHATS if c != flaky)
        assert len(tg.texts(flaky)) == 2 and len(dc.delivered[DC_CHANNELS[0]]) == 1
        second = {r.subscription.chat_id: r for r in await send_due(
            store, ads, digests, Settings(), now=NOW, send_all=True, policy=policy)}
    finally:
        for adapter in ads.values():
            await adapter.stop()
    assert second[flaky].status == "sent" and second[DC_CHANNELS[0]].status == "sent"
    assert all(second[c].reason == "already sent" for c in TG_CHATS if c != flaky)
    reference = tg.texts(TG_CHATS[0])
    assert tg.texts(flaky) == reference  # each message exactly once, in order, across the two runs
    sub = store.find_subscription("discord", DC_CHANNELS[0])
    expected = [m.message.text for m in store.outbox_messages(store.get_delivery(sub.id, DAY).id)]
    assert [p.content for p in dc.delivered[DC_CHANNELS[0]]] == expected
    assert store.outbox_depth() == 0 and store.integrity_check() == "ok"
