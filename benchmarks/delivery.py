"""Delivery benchmark: one digest to 100 Telegram chats and 100 Discord channels through the fake
platforms with their rate limits on, via the real python-telegram-bot and discord.py.

Reports wall time against the floor the platform ceilings allow (Telegram 30 msg/s overall and
1 msg/s per chat; Discord 5 per 5 s per channel and 50 req/s), messages lost, duplicates and 429s.
`scale` > 1 runs the fakes' rate windows and our pacer that many times faster than real time
(documented in the result); the default 1.0 is real time (about 10 s).

    python -m benchmarks.delivery [--scale 1.0] [--chats 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.delivery.adapter import DISCORD_LIMITS, TELEGRAM_LIMITS
from bot.delivery.outbox import send_due
from bot.delivery.pacing import Pacer, floor_seconds
from bot.models import (
    AlsoSource, Digest, DigestItem, DigestSection, DigestStats, Highlight, OutMessage,
)
from storage import Store

TESTS = Path(__file__).resolve().parents[1] / "tests"
NOW = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def sample_digest(items: int = 30) -> Digest:
    """A realistic Chinese digest: 30 items with three points each, in three sections."""
    made = tuple(
        DigestItem(
            id=i, title=f"第{i}条：某公司发布新一代大模型，性能提升显著", emoji="📰",
            url=f"https://example.com/news/{i}", source="机器之心",
            published=datetime(2024, 5, 1, 6, 0, tzinfo=UTC),
            points=tuple(f"要点{j}：模型在多项基准测试中取得领先成绩，推理成本下降一半。" for j in range(1, 4)),
            also=(AlsoSource(f"https://example.org/{i}", "量子位"),),
        )
        for i in range(1, items + 1)
    )
    third = items // 3
    return Digest(
        date=date(2024, 5, 1), language="zh", title="AI 日报 2024-05-01",
        stats=DigestStats(items, 12, 400000, 9000, 6, 97, 4, 0),
        highlights=tuple(Highlight(i.id, i.title, i.emoji) for i in made[:10]),
        sections=(
            DigestSection("products", "产品介绍", made[:third]),
            DigestSection("industry", "产业资讯", made[third : 2 * third]),
            DigestSection("tutorials", "技术教程", made[2 * third :]),
        ),
    )


def renderers() -> dict[str, Any]:
    """The digest area's renderers when present, else a fixed three-message split."""
    try:
        from bot.digest.discord_render import render_discord
        from bot.digest.telegram_render import render_telegram
    except ImportError:  # pragma: no cover - renderers not written yet
        def fixed(digest: Digest) -> list[OutMessage]:
            return [OutMessage(text=f"part {i}/3") for i in range(1, 4)]

        return {"telegram": lambda s: fixed, "discord": lambda s: fixed}
    return {
        "telegram": lambda s: (lambda d: render_telegram(d, s)),
        "discord": lambda s: (lambda d: render_discord(d, s)),
    }


class _Digests:
    def __init__(self, digest: Digest) -> None:
        self.digest = digest

    async def get_or_build(self, day: date, language: str, *, now: datetime, rebuild: bool = False) -> Digest:
        return self.digest


def _serve(scale: float, channels: list[str], ports: Any, control: Any) -> None:
    """Child process: run both fakes until told to stop, then report what they saw."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from fakes.discord_server import FakeDiscord
    from fakes.telegram_server import FakeTelegram

    async def main() -> None:
        guild = "710000000000000001"
        async with FakeTelegram(time_scale=scale) as tg, FakeDiscord(time_scale=scale, guilds={guild: channels}) as dc:
            ports.put((tg.token, tg.port, dc.token, dc.api_base, dc.gateway_url))
            loop = asyncio.get_running_loop()
            while True:
                command = await loop.run_in_executor(None, control.get)
                if command == "reset":
                    for fake in (tg, dc):
                        fake.delivered.clear()
                        fake.stats.clear()
                        fake.rate_limited_at.clear()
                    ports.put(("reset", tg.now(), dc.now()))
                    continue
                seen = {
                    "telegram": {c: [m.text for m in v] for c, v in tg.delivered.items()},
                    "discord": {c: [json.dumps(m.payload, sort_keys=True) for m in v] for c, v in dc.delivered.items()},
                    "telegram_last": max((m.at for v in tg.delivered.values() for m in v), default=0.0),
                    "discord_last": max((m.at for v in dc.delivered.values() for m in v), default=0.0),
                    "telegram_429": list(tg.rate_limited_at), "discord_429": list(dc.rate_limited_at),
                    "telegram_stats": dict(tg.stats), "discord_stats": dict(dc.stats),
                }
                ports.put(seen)
                return

    asyncio.run(main())


async def _run(chats: int, scale: float) -> dict[str, Any]:
    from bot.delivery.discord_adapter import DiscordAdapter
    from bot.delivery.telegram_adapter import TelegramAdapter

    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from fakes.telegram_server import ScaledClock

    channels = [str(720000000000000001 + i) for i in range(chats)]
    tg_chats = [str(1000 + i) if i % 2 else str(-1001000000000 - i) for i in range(chats)]  # users + channels
    digest = sample_digest()
    render = renderers()
    per_chat = {p: len(render[p](())(digest)) for p in ("telegram", "discord")}
    store = Store(":memory:")
    for chat in tg_chats:
        store.subscribe("telegram", chat, "08:00", "UTC", "zh")
    for channel in channels:
        store.subscribe("discord", channel, "08:00", "UTC", "zh")
    clock = ScaledClock(scale)
    ctx = multiprocessing.get_context("spawn")
    ports, control = ctx.Queue(), ctx.Queue()
    child = ctx.Process(target=_serve, args=(scale, channels, ports, control), daemon=True)
    child.start()
    loop = asyncio.get_running_loop()
    try:
        tg_token, tg_port, dc_token, dc_api, dc_gateway = await loop.run_in_executor(None, ports.get)
        telegram = TelegramAdapter(
            tg_token, base_url=f"http://127.0.0.1:{tg_port}",
            pacer=Pacer(TELEGRAM_LIMITS, clock=clock.clock, sleep=clock.sleep),
        )
        discord_ = DiscordAdapter(
            dc_token, api_base_url=dc_api, gateway_url=dc_gateway,
            pacer=Pacer(DISCORD_LIMITS, clock=clock.clock, sleep=clock.sleep),
        )
        adapters = {"telegram": telegram, "discord": discord_}
        await telegram.send(tg_chats[1], OutMessage(text="warm-up"))  # log in outside the timing
        await discord_.send(channels[0], OutMessage(text="warm-up"))
        await asyncio.sleep(2.0 / scale if scale > 1 else 1.1)  # let the warm-up leave every window
        control.put("reset")
        _, tg_start, dc_start = await loop.run_in_executor(None, ports.get)
        start = time.monotonic()
        results = await send_due(store, adapters, _Digests(digest), Settings(), now=NOW, renderers=render)
        wall = time.monotonic() - start
        await telegram.stop()
        await discord_.stop()
        control.put("report")
        seen = await loop.run_in_executor(None, ports.get)
    finally:
        child.join(10)
        if child.is_alive():
            child.kill()
        store.close()

    def lost(delivered: dict[str, list[str]], targets: list[str], n: int) -> tuple[int, int]:
        got = sum(len(delivered.get(t, [])) for t in targets)
        unique = sum(len(set(delivered.get(t, []))) for t in targets)
        return len(targets) * n - unique, got - unique

    tg_floor = floor_seconds(TELEGRAM_LIMITS, {c: per_chat["telegram"] for c in tg_chats})
    dc_floor = floor_seconds(DISCORD_LIMITS, {c: per_chat["discord"] for c in channels})
    floor = max(tg_floor, dc_floor) / scale
    tg_lost, tg_dup = lost(seen["telegram"], tg_chats, per_chat["telegram"])
    dc_lost, dc_dup = lost(seen["discord"], channels, per_chat["discord"])
    late_429 = [t for t in seen["telegram_429"] if t - tg_start > scale] + [
        t for t in seen["discord_429"] if t - dc_start > scale
    ]
    return {
        "telegram_chats": chats,
        "discord_channels": chats,
        "messages_per_chat": per_chat,
        "messages_total": chats * (per_chat["telegram"] + per_chat["discord"]),
        "time_scale": scale,
        "wall_seconds": round(wall, 3),
        "floor_seconds": round(floor, 3),
        "ratio_to_floor": round(wall / floor, 3) if floor else None,
        "telegram_last_send_seconds": round((seen["telegram_last"] - tg_start) / scale, 3),
        "telegram_floor_seconds": round(tg_floor / scale, 3),
        "discord_last_send_seconds": round((seen["discord_last"] - dc_start) / scale, 3),
        "discord_floor_seconds": round(dc_floor / scale, 3),
        "messages_lost": tg_lost + dc_lost,
        "duplicates": tg_dup + dc_dup,
        "http_429_telegram": len(seen["telegram_429"]),
        "http_429_discord": len(seen["discord_429"]),
        "http_429_after_first_second": len(late_429),
        "results": {s: sum(1 for r in results if r.status == s) for s in ("sent", "skipped", "failed")},
    }


def run(chats: int = 100, scale: float = 1.0) -> dict[str, Any]:
    """Run the benchmark once and return its figures (see module docstring)."""
    logging.getLogger("discord").setLevel(logging.ERROR)
    return asyncio.run(_run(chats, scale))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--scale", type=float, default=1.0, help="run rate windows this many times faster")
    args = parser.parse_args()
    print(json.dumps(run(args.chats, args.scale), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
