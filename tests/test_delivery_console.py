"""With no tokens at all: only the console adapter, and `send_due` still delivers through it."""

from __future__ import annotations

import io
import logging
from datetime import UTC, date, datetime

from bot.config import DiscordSettings, Settings, TelegramSettings
from bot.delivery import build_adapters
from bot.delivery.console_adapter import ConsoleAdapter
from bot.delivery.outbox import send_due
from bot.delivery.pacing import Pacer, floor_seconds
from bot.delivery.adapter import DISCORD_LIMITS, TELEGRAM_LIMITS
from bot.models import Button, Digest, DigestItem, DigestSection, DigestStats, Embed, OutMessage


def test_no_tokens_means_console_only_with_one_log_line_per_platform(monkeypatch, caplog):
    monkeypatch.delenv("TG_TOKEN_FOR_TEST", raising=False)
    monkeypatch.delenv("DC_TOKEN_FOR_TEST", raising=False)
    settings = Settings(telegram=TelegramSettings(token_env="TG_TOKEN_FOR_TEST"),
                        discord=DiscordSettings(token_env="DC_TOKEN_FOR_TEST"))
    with caplog.at_level(logging.INFO, logger="bot.delivery"):
        adapters = build_adapters(settings)
    assert list(adapters) == ["console"]
    off = [r.getMessage() for r in caplog.records if "platform_off" in r.getMessage()]
    assert len(off) == 2 and "TG_TOKEN_FOR_TEST" in off[0]


def test_a_set_token_turns_the_platform_on(monkeypatch):
    monkeypatch.setenv("TG_TOKEN_FOR_TEST", "1:abc")
    settings = Settings(telegram=TelegramSettings(token_env="TG_TOKEN_FOR_TEST", base_url="http://127.0.0.1:9"))
    adapters = build_adapters(settings)
    assert set(adapters) == {"console", "telegram"} and adapters["telegram"].platform == "telegram"


async def test_console_adapter_prints_and_counts_ids():
    out = io.StringIO()
    adapter = ConsoleAdapter(out)
    first = await adapter.send("me", OutMessage(text="hello", embeds=(Embed("T", "D"),), buttons=(Button("More", "more:1"),)))
    second = await adapter.send("me", OutMessage(text="again"))
    assert (first, second) == ("1", "2")
    printed = out.getvalue()
    assert "hello" in printed and "## T" in printed and "more:1" in printed and "again" in printed


class Digests:
    async def get_or_build(self, day, language, *, now, rebuild=False):
        item = DigestItem(id=7, title="Console works", emoji="📰", url="https://example.com/7", source="Example",
                          published=datetime(2024, 5, 1, tzinfo=UTC), points=("one", "two", "three"))
        return Digest(date=day, language=language, title="Digest", stats=DigestStats(1, 1, 10, 5, 1, 50, 0, 0),
                      highlights=(), sections=(DigestSection("products", "Products", (item,)),))


async def test_send_due_through_the_console_with_the_real_plain_renderer(store):
    out = io.StringIO()
    sub = store.subscribe("console", "stdout", "08:00", "UTC", "en")
    now = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    results = await send_due(store, {"console": ConsoleAdapter(out)}, Digests(), Settings(), now=now)
    assert [(r.subscription.id, r.status) for r in results] == [(sub.id, "sent")]
    assert "Console works" in out.getvalue()
    assert store.get_delivery(sub.id, date(2024, 5, 1).isoformat()).status == "sent"
    again = await send_due(store, {"console": ConsoleAdapter(out)}, Digests(), Settings(), now=now)
    assert again[0].line().endswith("skipped: already sent")


async def test_pacer_keeps_every_window_and_floor_matches_the_ceilings():
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = Pacer(TELEGRAM_LIMITS, clock=lambda: now[0], sleep=sleep, margin=0.0)
    stamps = []
    for _ in range(25):
        slot = await pacer.acquire("-100")  # a channel: 1/s and 20/min
        stamps.append(now[0])
        pacer.done(slot)
    assert all(b - a >= 1.0 for a, b in zip(stamps, stamps[1:]))
    assert stamps[20] - stamps[0] >= 60.0  # the 21st waits for the minute window
    assert floor_seconds(TELEGRAM_LIMITS, {str(i): 1 for i in range(60)}) == 1.0  # 30/s global
    assert floor_seconds(DISCORD_LIMITS, {"c": 6}) == 5.0  # 5 per 5 s per channel
