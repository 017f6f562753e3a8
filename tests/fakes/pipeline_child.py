"""One whole pipeline run in its own process, for the SIGKILL fault tests (tests/test_faults_sigkill.py).

    python -m fakes.pipeline_child '<json>'

The JSON names the SQLite file (feeds and subscriptions already in it), the fixed `now`, and the
fakes' addresses in the parent test process. The run is what `digestbot digest --send --all` does:
fetch_all → DigestService (model through the fake OpenAI) → send_due through the real Telegram and
Discord adapters, paced on the fakes' scaled clock. Exit 0 when every subscription ended "sent".
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from datetime import datetime
from typing import Any

from bot.config import (
    DigestSettings,
    FetchSettings,
    Settings,
    StorageSettings,
    SummarizerSettings,
    validate,
)
from bot.delivery.adapter import DISCORD_LIMITS, TELEGRAM_LIMITS
from bot.delivery.discord_adapter import DiscordAdapter
from bot.delivery.outbox import send_due
from bot.delivery.pacing import Pacer
from bot.delivery.telegram_adapter import TelegramAdapter
from bot.digest.service import DigestService
from bot.ingest.pipeline import fetch_all
from bot.summarize.service import SummaryService
from fakes.telegram_server import ScaledClock
from storage import Store

log = logging.getLogger(__name__)


def settings_for(cfg: dict[str, Any]) -> Settings:
    """The settings every child of one test uses (the parent passes the same JSON each time)."""
    return validate(Settings(
        storage=StorageSettings(path=cfg["db"]),
        fetch=FetchSettings(allow_private_addresses=True, full_text=False, timeout_seconds=10,
                            concurrency=cfg.get("fetch_concurrency", 2)),
        summarizer=SummarizerSettings(provider="openai", base_url=cfg["model"], model="fake",
                                      api_key_env=cfg["key_env"], timeout_seconds=10, max_retries=0,
                                      concurrency=cfg.get("model_concurrency", 2)),
        digest=DigestSettings(language="en", timezone="UTC", max_items=100),
    ))


async def run(cfg: dict[str, Any]) -> int:
    settings = settings_for(cfg)
    now = datetime.fromisoformat(cfg["now"])
    store = Store(settings.storage.path)
    summaries = SummaryService(store, settings)
    scale = float(cfg["scale"])
    tg_clock, dc_clock = ScaledClock(scale), ScaledClock(scale)
    adapters = {
        "telegram": TelegramAdapter(
            cfg["tg_token"], base_url=cfg["tg_base"], poll_timeout=1,
            pacer=Pacer(TELEGRAM_LIMITS, clock=tg_clock.clock, sleep=tg_clock.sleep, margin=0.1)),
        "discord": DiscordAdapter(
            cfg["dc_token"], api_base_url=cfg["dc_api"], gateway_url=cfg["dc_gateway"],
            pacer=Pacer(DISCORD_LIMITS, clock=dc_clock.clock, sleep=dc_clock.sleep, margin=0.1)),
    }
    try:
        outcomes = await fetch_all(store, settings, now=now)
        results = await send_due(store, adapters, DigestService(store, settings, summaries), settings,
                                 now=now, send_all=True)
    finally:
        for adapter in adapters.values():
            await adapter.stop()
        await summaries.aclose()
        store.close()
    print(json.dumps({
        "fetched": {o.status: sum(1 for x in outcomes if x.status == o.status) for o in outcomes},
        "results": [[r.subscription.chat_id, r.status, r.reason] for r in results],
    }))
    return 0 if all(r.status in ("sent", "skipped") for r in results) else 1


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return asyncio.run(run(json.loads(sys.argv[1])))


if __name__ == "__main__":
    sys.exit(main())
