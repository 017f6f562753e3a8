"""End to end through unmodified discord.py over real HTTP and a websocket against the fake Discord."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from fakes.discord_server import MANAGE_CHANNELS, FakeDiscord
from fakes.telegram_server import ScaledClock

from bot.delivery.adapter import DISCORD_LIMITS
from bot.delivery.discord_adapter import DiscordAdapter
from bot.delivery.outbox import RetryPolicy, deliver
from bot.delivery.pacing import Pacer
from bot.models import (
    Button, Digest, DigestItem, DigestSection, DigestStats, Embed, OutMessage, Reply,
)

SCALE = 50.0
GUILD = "700000000000000001"
CHANNEL = "700000000000000011"
OTHER = "700000000000000012"


@pytest.fixture
async def dc():
    async with FakeDiscord(time_scale=SCALE) as server:
        yield server


def make_adapter(server: FakeDiscord, **kw) -> DiscordAdapter:
    time = ScaledClock(SCALE)
    pacer = Pacer(DISCORD_LIMITS, clock=time.clock, sleep=time.sleep, margin=0.1)
    return DiscordAdapter(server.token, api_base_url=server.api_base, gateway_url=server.gateway_url, pacer=pacer, **kw)


def messages(n: int) -> list[OutMessage]:
    return [
        OutMessage(
            text=f"**({i}/{n})** @everyone",
            embeds=(Embed(title=f"第{i}条", description="要点 " * 50, url=f"https://example.com/{i}"),),
            buttons=(Button("详情", f"more:{i}"),),
        )
        for i in range(1, n + 1)
    ]


async def test_long_digest_is_delivered_in_order_with_mentions_off(dc, store):
    adapter = make_adapter(dc)
    sub = store.subscribe("discord", CHANNEL, "08:00", "UTC", "zh")
    parts = messages(12)
    try:
        result = await deliver(store, adapter, sub, _digest(1), date="d", render=lambda d: parts)
    finally:
        await adapter.stop()
    assert result.status == "sent" and result.messages == 12
    got = dc.delivered[CHANNEL]
    assert [p.content for p in got] == [m.text for m in parts]
    assert all(p.payload["allowed_mentions"] == {"parse": []} for p in got)
    assert got[0].custom_ids == ["more:1"] and got[0].embeds[0]["title"] == "第1条"
    assert dc.stats["429"] == 0  # paced at 5 per 5 s per channel


async def test_429_with_via_is_retried_and_faults_still_deliver_everything(dc, store):
    adapter = make_adapter(dc)
    sub = store.subscribe("discord", CHANNEL, "08:00", "UTC", "zh")
    parts = messages(6)
    dc.fail(CHANNEL, "429", "503", "drop_before", "drop_after")
    try:
        result = await deliver(store, adapter, sub, _digest(1), date="d", render=lambda d: parts,
                               policy=RetryPolicy(attempts=6))
    finally:
        await adapter.stop()
    assert result.status == "sent"
    texts = [p.content for p in dc.delivered[CHANNEL]]
    deduped = [t for i, t in enumerate(texts) if i == 0 or t != texts[i - 1]]
    assert deduped == [m.text for m in parts]
    assert len(texts) - len(parts) <= 1  # one connection dropped after acceptance
    assert dc.stats["http_429"] == 1 and dc.stats["http_503"] == 1 and dc.stats["dropped"] == 2


async def test_missing_access_disables_the_subscription(dc, store):
    adapter = make_adapter(dc)
    sub = store.subscribe("discord", OTHER, "08:00", "UTC", "zh")
    dc.fail(OTHER, "missing_access")
    try:
        result = await deliver(store, adapter, sub, _digest(1), date="d", render=lambda d: messages(2))
    finally:
        await adapter.stop()
    assert result.status == "failed"
    stored = store.get_subscription(sub.id)
    assert not stored.enabled and "50001" in stored.disabled_reason
    unknown = store.subscribe("discord", "123", "08:00", "UTC", "zh")  # no such channel: 404/10003
    adapter = make_adapter(dc)
    try:
        result = await deliver(store, adapter, unknown, _digest(1), date="d", render=lambda d: messages(1))
    finally:
        await adapter.stop()
    assert "10003" in store.get_subscription(unknown.id).disabled_reason


async def test_killed_delivery_resumes_without_resending(dc, store):
    sub = store.subscribe("discord", CHANNEL, "08:00", "UTC", "zh")
    parts = messages(9)
    adapter = make_adapter(dc)
    task = asyncio.create_task(deliver(store, adapter, sub, _digest(1), date="d", render=lambda d: parts))
    await dc.wait_for(CHANNEL, 3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await adapter.stop()
    delivery = store.get_delivery(sub.id, "d")
    recorded = [m.message.text for m in store.outbox_messages(delivery.id) if m.status == "sent"]
    adapter = make_adapter(dc)
    try:
        result = await deliver(store, adapter, sub, None, date="d", render=lambda d: [])
        again = await deliver(store, adapter, sub, None, date="d", render=lambda d: [])
    finally:
        await adapter.stop()
    assert result.status == "sent" and again.reason == "already sent"
    texts = [p.content for p in dc.delivered[CHANNEL]]
    assert all(texts.count(t) == 1 for t in recorded)
    assert sorted(set(texts), key=texts.index) == [m.text for m in parts]
    assert len(texts) - len(parts) <= 1


async def test_slash_commands_and_buttons_are_answered_in_time(dc):
    adapter = make_adapter(dc, commands=[("digest", "Today's digest", [("date", "YYYY-MM-DD", False)]),
                                         ("more", "Detail", [("article_id", "Article id", True)])])
    seen = []

    async def on_request(request):
        seen.append(request)
        await asyncio.sleep(0)
        if request.command == "boom":
            raise RuntimeError("secret stack")
        return Reply(text=f"@everyone {request.command} {' '.join(request.args)}", buttons=(Button("More", "more:3"),))

    await adapter.start(on_request)
    try:
        assert {c["name"] for c in dc.commands} == {"digest", "more"}
        more = next(c for c in dc.commands if c["name"] == "more")
        assert more["options"][0]["name"] == "article_id" and more["options"][0]["required"]
        slash = await dc.inject_slash(CHANNEL, 42, "digest", {"date": "2024-05-01"}, permissions=MANAGE_CHANNELS)
        press = await dc.inject_button(CHANNEL, 43, "more:12")
        s = await dc.wait_shown(slash)
        b = await dc.wait_shown(press)
    finally:
        await adapter.stop()
    # A quick handler is answered in the interaction's own response, well within 3 s, publicly.
    assert s.callback["type"] == 4 and s.callback_after < 2.5
    assert b.callback["type"] == 4 and b.callback_after < 2.5
    first = s.shown[0]
    assert not first.ephemeral and first.body["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in first.content  # escaped, cannot ping
    assert first.body["components"][0]["components"][0]["custom_id"] == "more:3"
    by = {r.command: r for r in seen}
    assert by["digest"].args == ("2024-05-01",) and by["digest"].is_chat_admin and by["digest"].chat_type == "group"
    assert by["more"].args == ("12",) and not by["more"].is_chat_admin


def _digest(n: int) -> Digest:
    items = tuple(
        DigestItem(
            id=i, title=f"第{i}条 @everyone **粗体** 标题", emoji="📰", url=f"https://example.com/{i}",
            source="机器之心", published=datetime(2024, 5, 1, tzinfo=UTC),
            points=tuple("这是一个很长的要点句子。" * 20 for _ in range(3)),
        )
        for i in range(1, n + 1)
    )
    return Digest(
        date=date(2024, 5, 1), language="zh", title="AI 日报",
        stats=DigestStats(n, 1, 1000, 100, 1, 90, 0, 0), highlights=(),
        sections=(DigestSection("products", "产品介绍", items),),
    )


async def test_rendered_digest_passes_discord_limits_with_every_item_in_order(dc, store):
    render = pytest.importorskip("bot.digest.discord_render").render_discord
    digest = _digest(30)
    adapter = make_adapter(dc)
    sub = store.subscribe("discord", OTHER, "08:00", "UTC", "zh")
    try:
        result = await deliver(store, adapter, sub, digest, date="d", render=render)
    finally:
        await adapter.stop()
    assert result.status == "sent" and result.messages > 1
    got = dc.delivered[OTHER]
    text = "\n".join(p.content + "".join((e.get("title") or "") + (e.get("description") or "") for e in p.embeds) for p in got)
    positions = [text.find(f"第{i}条") for i in range(1, 31)]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)


async def test_slow_answers_are_deferred_privately_and_refusals_stay_private(dc, monkeypatch):
    """A handler slower than ANSWER_WITHIN: the slash command is acknowledged with a private
    "thinking…" (Discord's first follow-up would inherit it); a refusal fills it, a public answer
    closes it and follows publicly. Nothing sleeps: the handler waits for the test's go."""
    from bot.delivery import answers

    monkeypatch.setattr(answers, "ANSWER_WITHIN", 0.05)
    go = asyncio.Event()

    async def on_request(request):
        await go.wait()
        if request.args == ("refuse",):
            return Reply(text="Not for you.", ephemeral=True)
        return Reply(text=f"Public answer for {request.command}")

    adapter = make_adapter(dc, commands=[("digest", "Today's digest", [("date", "YYYY-MM-DD", False)])])
    await adapter.start(on_request)
    try:
        refused = await dc.inject_slash(CHANNEL, 42, "digest", {"date": "refuse"})
        public = await dc.inject_slash(CHANNEL, 43, "digest", {"date": "2024-05-01"})
        press = await dc.inject_button(CHANNEL, 44, "more:12")
        for interaction in (refused, public, press):
            await dc.wait_acknowledged(interaction)  # deferred before Discord's 3 s, still working
        go.set()
        r = await dc.wait_shown(refused)
        p = await dc.wait_shown(public, 2)
        b = await dc.wait_shown(press)
    finally:
        await adapter.stop()
    assert r.callback["type"] == 5 and (r.callback.get("data") or {}).get("flags", 0) & 64 and r.callback_after < 3.0
    assert [(m.content, m.ephemeral) for m in r.shown] == [("Not for you.", True)]
    assert [(m.content, m.ephemeral) for m in p.shown] == [("✅", True), ("Public answer for digest", False)]
    assert b.callback["type"] == 6 and [(m.content, m.ephemeral) for m in b.shown] == [
        ("Public answer for more", False)]
