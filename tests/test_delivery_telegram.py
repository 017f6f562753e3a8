"""End to end through unmodified python-telegram-bot over real HTTP against the fake Bot API."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from fakes.telegram_server import FakeTelegram, ScaledClock, parse_html, utf16_len

from bot.delivery.adapter import TELEGRAM_LIMITS
from bot.delivery.outbox import RetryPolicy, deliver
from bot.delivery.pacing import Pacer
from bot.delivery.telegram_adapter import TelegramAdapter
from bot.models import (
    AlsoSource, Button, Digest, DigestItem, DigestSection, DigestStats, Highlight, OutMessage, Reply,
)

SCALE = 50.0  # 1 platform second = 20 ms of real time


@pytest.fixture
async def tg():
    async with FakeTelegram(time_scale=SCALE) as server:
        yield server


def make_adapter(server: FakeTelegram, **kw) -> TelegramAdapter:
    time = ScaledClock(SCALE)
    pacer = Pacer(TELEGRAM_LIMITS, clock=time.clock, sleep=time.sleep, margin=0.1)  # 2 ms of jitter slack
    return TelegramAdapter(server.token, base_url=f"http://127.0.0.1:{server.port}", pacer=pacer, poll_timeout=1, **kw)


def messages(n: int) -> list[OutMessage]:
    return [
        OutMessage(text=f"<b>({i}/{n})</b> 第{i}部分 &amp; more", buttons=(Button("详情", f"more:{i}"),))
        for i in range(1, n + 1)
    ]


async def test_long_digest_is_delivered_in_order_with_previews_off(tg, store):
    adapter = make_adapter(tg)
    sub = store.subscribe("telegram", "-100200", "08:00", "UTC", "zh")
    parts = messages(12)
    try:
        result = await deliver(store, adapter, sub, _digest(1), date="2024-05-01", render=lambda d: parts)
    finally:
        await adapter.stop()
    assert result.status == "sent" and result.messages == 12
    got = tg.delivered["-100200"]
    assert [d.text for d in got] == [m.text for m in parts]
    assert all(d.link_preview_disabled for d in got)
    assert got[0].buttons == [[{"text": "详情", "callback_data": "more:1"}]]
    assert tg.stats["429"] == 0  # pacing, not 429s, keeps us under 1 msg/s per chat
    gaps = [b.at - a.at for a, b in zip(got, got[1:])]
    assert min(gaps) >= 0.95  # platform seconds between messages to one chat


async def test_fault_injected_run_still_delivers_everything(tg, store):
    adapter = make_adapter(tg)
    sub = store.subscribe("telegram", "555", "08:00", "UTC", "zh")
    parts = messages(8)
    tg.fail("555", "429", "500", "drop_before")
    tg.fail("555", "drop_after")  # accepted, then the connection drops: one duplicate allowed
    try:
        result = await deliver(store, adapter, sub, _digest(1), date="d", render=lambda d: parts,
                               policy=RetryPolicy(attempts=6))
    finally:
        await adapter.stop()
    assert result.status == "sent"
    texts = tg.texts("555")
    deduped = [t for i, t in enumerate(texts) if i == 0 or t != texts[i - 1]]
    assert deduped == [m.text for m in parts]
    drops_after = 1
    assert len(texts) - len(parts) <= drops_after
    assert tg.stats["dropped"] == 2 and tg.stats["http_500"] == 1


async def test_killed_delivery_resumes_without_resending_what_was_sent(tg, store):
    sub = store.subscribe("telegram", "777", "08:00", "UTC", "zh")
    parts = messages(10)
    adapter = make_adapter(tg)
    task = asyncio.create_task(deliver(store, adapter, sub, _digest(1), date="d", render=lambda d: parts))
    await tg.wait_for("777", 4)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await adapter.stop()
    delivery = store.get_delivery(sub.id, "d")
    recorded = [m.message.text for m in store.outbox_messages(delivery.id) if m.status == "sent"]
    assert 3 <= len(recorded) < 10
    adapter = make_adapter(tg)  # "restarted process"
    try:
        result = await deliver(store, adapter, sub, None, date="d", render=lambda d: [])
    finally:
        await adapter.stop()
    assert result.status == "sent"
    texts = tg.texts("777")
    for text in recorded:
        assert texts.count(text) == 1  # recorded as sent → never sent again
    assert sorted(set(texts), key=texts.index) == [m.text for m in parts]
    assert len(texts) - len(parts) <= 1  # only the one in flight at the kill may repeat


async def test_blocked_bot_disables_the_subscription(tg, store):
    adapter = make_adapter(tg)
    sub = store.subscribe("telegram", "42", "08:00", "UTC", "zh")
    tg.fail("42", "blocked")
    try:
        result = await deliver(store, adapter, sub, _digest(1), date="d", render=lambda d: messages(2))
    finally:
        await adapter.stop()
    assert result.status == "failed"
    stored = store.get_subscription(sub.id)
    assert not stored.enabled and "blocked" in stored.disabled_reason
    assert tg.texts("42") == []


async def test_migrated_group_moves_subscription_and_resends(tg, store):
    adapter = make_adapter(tg)
    sub = store.subscribe("telegram", "-4001", "08:00", "UTC", "zh")
    parts = messages(3)
    tg.faults["-4001"].extend(["", "migrate:-1004001"])  # first send passes, second says "migrated"
    try:
        result = await deliver(store, adapter, sub, _digest(1), date="d", render=lambda d: parts)
    finally:
        await adapter.stop()
    assert result.status == "sent"
    assert store.get_subscription(sub.id).chat_id == "-1004001"
    assert tg.texts("-1004001") == [m.text for m in parts]  # everything, in the new supergroup


async def test_commands_channel_posts_and_buttons_become_requests(tg):
    tg.set_admin("-300", "42")
    adapter = make_adapter(tg, commands=[("digest", "Today's digest", ["date"]), ("more", "Detail", ["id"])])
    seen = []

    async def on_request(request):
        seen.append(request)
        if request.command == "boom":
            raise RuntimeError("handler bug with a secret traceback")
        return Reply(text=f"<{request.command}> & {' '.join(request.args)}", buttons=(Button("More", "more:7"),))

    await adapter.start(on_request)
    try:
        await tg.inject_command("-300", "42", "/digest 2024-05-01", chat_type="group")
        await tg.inject_command("-300", "43", "/digest@digest_test_bot", chat_type="group")
        await tg.inject_command("-300", "43", "/digest@some_other_bot", chat_type="group")
        await tg.inject_channel_post("-100900", "/settings")
        query = await tg.inject_callback("9", "9", "more:12")
        await tg.inject_command("9", "9", "/boom")
        answered = await tg.wait_answered(query)
        await tg.wait_for("-300", 2)
        await tg.wait_for("-100900", 1)
        await tg.wait_for("9", 2)
    finally:
        await adapter.stop()
    assert {c["command"] for c in tg.commands} == {"digest", "more"}
    assert answered["callback_query_id"] == query
    by = {(r.chat_id, r.user_id, r.command): r for r in seen}
    assert by[("-300", "42", "digest")].args == ("2024-05-01",) and by[("-300", "42", "digest")].is_chat_admin
    assert not by[("-300", "43", "digest")].is_chat_admin
    assert len([r for r in seen if r.chat_id == "-300"]) == 2  # "@some_other_bot" is not ours
    channel = by[("-100900", "-100900", "settings")]
    assert channel.chat_type == "channel" and channel.is_chat_admin
    assert by[("9", "9", "more")].args == ("12",)
    assert tg.texts("-300")[0] == "&lt;digest&gt; &amp; 2024-05-01"
    assert tg.delivered["-300"][0].buttons == [[{"text": "More", "callback_data": "more:7"}]]
    boom = [d.plain for d in tg.delivered["9"] if "Sorry" in d.plain]
    assert boom and "Traceback" not in boom[0] and "secret" not in boom[0]


def _digest(n_items: int, language: str = "zh") -> Digest:
    items = tuple(
        DigestItem(
            id=i, title=f"第{i}条：大模型<发布>&更新 " + "很长的标题" * 3, emoji="📰",
            url=f"https://example.com/a/{i}?x=1&y=2", source="机器之心",
            published=datetime(2024, 5, 1, 8, 0, tzinfo=UTC),
            points=tuple(f"要点{j}：" + "这是一个用于测试分段的中文句子，包含<特殊>字符&符号。" * 6 for j in range(3)),
            also=(AlsoSource(url=f"https://example.org/{i}", source="量子位"),),
        )
        for i in range(1, n_items + 1)
    )
    half = len(items) // 2
    return Digest(
        date=date(2024, 5, 1), language=language, title="AI 日报 2024-05-01",
        stats=DigestStats(n_items, 2, 100000, 5000, 10, 95, 3, 0),
        highlights=tuple(Highlight(i.id, i.title, i.emoji) for i in items[:10]),
        sections=(DigestSection("products", "产品介绍", items[:half]), DigestSection("industry", "产业资讯", items[half:])),
    )


async def test_long_chinese_digest_renders_into_valid_messages_with_every_item_in_order(tg, store):
    render = pytest.importorskip("bot.digest.telegram_render").render_telegram
    digest = _digest(30)
    adapter = make_adapter(tg)
    sub = store.subscribe("telegram", "-100777", "08:00", "UTC", "zh")
    try:
        result = await deliver(store, adapter, sub, digest, date="2024-05-01", render=render)
    finally:
        await adapter.stop()
    assert result.status == "sent" and result.messages > 1  # it had to split
    got = tg.delivered["-100777"]
    assert all(utf16_len(parse_html(d.text)) <= 4096 for d in got)  # the fake accepted every one
    plain = "\n".join(d.plain for d in got)
    positions = [plain.find(item.title) for item in digest.items()]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)
    payloads = [b["callback_data"] for d in got for row in d.buttons for b in row]
    assert all(len(p.encode()) <= 64 for p in payloads) and payloads
