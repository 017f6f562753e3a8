"""`digestbot run` in its own process for the kill-and-restart tests (tests/test_restart_race.py).

    python -m fakes.service_child CONFIG NOW SCALE

What `digestbot --config CONFIG run` does (bot.cli.run_command → bot.app.run: the store lock,
supervised adapters, the scheduler, catch-up and fetch-then-resume at start), except that the jobs
see the fixed instant NOW and the Telegram and Discord adapters pace on the fakes' clock, which runs
SCALE times faster than real time. Exits with `digestbot run`'s status.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

from bot.cli import run_command, setup_logging
from bot.config import load_settings, secret
from bot.delivery.adapter import DISCORD_LIMITS, TELEGRAM_LIMITS
from bot.delivery.console_adapter import ConsoleAdapter
from bot.delivery.discord_adapter import DiscordAdapter
from bot.delivery.pacing import Pacer
from bot.delivery.telegram_adapter import TelegramAdapter
from fakes.telegram_server import ScaledClock


def main() -> int:
    config, now_text, scale_text = sys.argv[1:4]
    settings = load_settings(config)
    setup_logging(settings, service=True)
    now = datetime.fromisoformat(now_text)
    tg_clock, dc_clock = ScaledClock(float(scale_text)), ScaledClock(float(scale_text))
    adapters = {
        "console": ConsoleAdapter(sys.stdout),
        "telegram": TelegramAdapter(
            secret(settings.telegram.token_env) or "", base_url=settings.telegram.base_url, poll_timeout=1,
            pacer=Pacer(TELEGRAM_LIMITS, clock=tg_clock.clock, sleep=tg_clock.sleep, margin=0.1)),
        "discord": DiscordAdapter(
            secret(settings.discord.token_env) or "", api_base_url=settings.discord.api_base_url,
            gateway_url=settings.discord.gateway_url,
            pacer=Pacer(DISCORD_LIMITS, clock=dc_clock.clock, sleep=dc_clock.sleep, margin=0.1)),
    }
    return asyncio.run(run_command(settings, clock=lambda: now, adapters=adapters))


if __name__ == "__main__":
    sys.exit(main())
