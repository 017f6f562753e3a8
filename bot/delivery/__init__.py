"""Delivery: platform adapters (Telegram, Discord, console), pacing and the outbox.

`build_adapters(settings)` turns on each platform whose token variable is set; the console adapter
is always there, so everything works with no tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, TextIO

from bot.config import Settings, secret
from bot.delivery.adapter import Adapter, PlatformLimits
from bot.delivery.console_adapter import ConsoleAdapter
from bot.delivery.telegram_webhook import WebhookOptions

log = logging.getLogger(__name__)

__all__ = ["Adapter", "ConsoleAdapter", "PlatformLimits", "build_adapters"]


def build_adapters(
    settings: Settings, *, stream: TextIO | None = None, commands: Sequence[Any] | None = None
) -> dict[str, Adapter]:
    """Adapters for every configured platform (token env var set) plus the console, keyed by platform.

    Nothing connects here: call `await adapter.start(on_request)` to receive commands; `send()`
    works without start() (it logs in lazily), which is what `digestbot digest --send` uses.
    """
    adapters: dict[str, Adapter] = {"console": ConsoleAdapter(stream)}
    token = secret(settings.telegram.token_env)
    if token:
        from bot.delivery.telegram_adapter import TelegramAdapter

        tg = settings.telegram
        webhook = None
        if tg.mode == "webhook":  # the secret is checked when the adapter starts, naming its variable
            webhook = WebhookOptions(
                url=tg.webhook_url, listen=tg.webhook_listen, port=tg.webhook_port,
                secret=secret(tg.webhook_secret_env), secret_env=tg.webhook_secret_env,
            )
        adapters["telegram"] = TelegramAdapter(token, base_url=tg.base_url, commands=commands, webhook=webhook)
    else:
        log.info("delivery.platform_off platform=telegram reason=%s is not set", settings.telegram.token_env)
    token = secret(settings.discord.token_env)
    if token:
        from bot.delivery.discord_adapter import DiscordAdapter

        adapters["discord"] = DiscordAdapter(
            token,
            api_base_url=settings.discord.api_base_url,
            gateway_url=settings.discord.gateway_url,
            commands=commands,
        )
    else:
        log.info("delivery.platform_off platform=discord reason=%s is not set", settings.discord.token_env)
    return adapters
