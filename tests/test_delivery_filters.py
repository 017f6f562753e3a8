"""Filters at delivery, end to end: send_due through unmodified python-telegram-bot and discord.py
to the fake platforms; each chat gets the shared digest as its filters leave it, and a chat whose
filters leave nothing gets one short line, once."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime

from fakes.discord_server import FakeDiscord
from fakes.telegram_server import FakeTelegram, ScaledClock

from bot.config import Settings
from bot.delivery.adapter import DISCORD_LIMITS, TELEGRAM_LIMITS
from bot.delivery.discord_adapter import DiscordAdapter
from bot.delivery.outbox import send_due
from bot.delivery.pacing import Pacer
from bot.delivery.telegram_adapter import TelegramAdapter
from bot.digest.builder import compute_stats
from bot.models import Digest, DigestItem, DigestSection, Highlight

SCALE = 50.0
NOW = datetime(2025, 7, 25, 9, 0, tzinfo=UTC)
CHANNEL, OTHER = "700000000000000011", "700000000000000012"
_ID = re.compile(r"(?<![&\w])#(\d+)")  # "· #12" after each item; not HTML's "&#39;"


def _item(i: int, title: str, section_points: str) -> DigestItem:
    return DigestItem(id=100 + i, title=title, emoji="📰", url=f"https://example.com/{i}", source="Example",
                      published=datetime(2025, 7, 24, 8, tzinfo=UTC), points=(section_points,),
                      importance=1 - i / 10, original_chars=2000)


ITEMS = {
    "products": [_item(1, "Microsoft ships Phi-4-mini", "A small model."),
                 _item(2, "A phone with an on-device model", "Runs offline.")],
    "industry": [_item(3, "Chip makers raise prices", "Memory is scarce."),
                 _item(4, "国内厂商发布超大模型", "参数规模超过千亿。")],
}


class Digests:
    """The shared build every subscription of the run gets (as DigestService would serve it)."""

    def __init__(self) -> None:
        items = [i for its in ITEMS.values() for i in its]
        self.digests: dict[str, Digest] = {}
        self.digest = Digest(
            date=date(2025, 7, 25), language="en", title="AI Daily", stats=compute_stats(items, 0, 0, "en"),
            highlights=tuple(Highlight(i.id, i.title, i.emoji) for i in items[:3]),
            sections=tuple(DigestSection(k, k.title(), tuple(v)) for k, v in ITEMS.items()),
        )

    async def get_or_build(self, day: date, language: str, *, now: datetime, rebuild: bool = False) -> Digest:
        return self.digests.setdefault(language, dataclasses.replace(self.digest, language=language))


def _ids(texts: list[str]) -> set[int]:
    return {int(n) for t in texts for n in _ID.findall(t)}


async def test_each_chat_gets_its_filtered_digest_on_both_platforms(store) -> None:
    no_ms = store.subscribe("telegram", "-1001", "08:00", "UTC", "en", exclude=["microsoft"])
    nothing = store.subscribe("telegram", "-1002", "08:00", "UTC", "zh", include=["quantum"])
    everything = store.subscribe("telegram", "-1003", "08:00", "UTC", "en")
    industry = store.subscribe("discord", CHANNEL, "08:00", "UTC", "en", ["industry"], include=["大模型"])
    shh = store.subscribe("discord", OTHER, "08:00", "UTC", "en", ["tutorials"])
    clock = ScaledClock(SCALE)
    async with FakeTelegram(time_scale=SCALE) as tg, FakeDiscord(time_scale=SCALE) as dc:
        adapters = {
            "telegram": TelegramAdapter(tg.token, base_url=f"http://127.0.0.1:{tg.port}", poll_timeout=1,
                                        pacer=Pacer(TELEGRAM_LIMITS, clock=clock.clock, sleep=clock.sleep, margin=0.1)),
            "discord": DiscordAdapter(dc.token, api_base_url=dc.api_base, gateway_url=dc.gateway_url,
                                      pacer=Pacer(DISCORD_LIMITS, clock=clock.clock, sleep=clock.sleep, margin=0.1)),
        }
        try:
            results = await send_due(store, adapters, Digests(), Settings(), now=NOW)
            again = await send_due(store, adapters, Digests(), Settings(), now=NOW)
        finally:
            for adapter in adapters.values():
                await adapter.stop()
        assert [r.status for r in results] == ["sent"] * 5, [r.line() for r in results]
        assert {r.reason for r in again} == {"already sent"}

        texts = {chat: [m.text for m in tg.delivered[chat]] for chat in ("-1001", "-1002", "-1003")}
        assert _ids(texts["-1003"]) == {101, 102, 103, 104}
        assert _ids(texts["-1001"]) == {102, 103, 104}
        assert not any("Microsoft" in t for t in texts["-1001"])
        assert texts["-1002"] == ["今天没有符合筛选条件的内容"]  # once: the rerun sent nothing

        posted = dc.delivered[CHANNEL]
        discord_text = [p.content for p in posted] + [e["title"] + e["description"] for p in posted for e in p.embeds]
        assert _ids(discord_text) == {104}
        assert not any("Chip makers" in t for t in discord_text)
        assert [p.content for p in dc.delivered[OTHER]] == ["Nothing matched your filters today"]
    for sub in (no_ms, nothing, everything, industry, shh):
        assert store.get_delivery(sub.id, "2025-07-25").status == "sent"

