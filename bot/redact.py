"""Secrets never reach a log line or the terminal, whatever an SDK puts in its exception text.

python-telegram-bot's InvalidToken says "The token `…` was rejected by the server", and a Bot API
URL carries the token in its path; both would land in a traceback. Every log record (message,
arguments and traceback alike) goes through `RedactingFormatter`, which removes the configured
secrets and anything shaped like a Telegram token.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from bot.config import Settings, secret

MASK = "[redacted]"
# A Telegram bot token: the bot's numeric id, a colon, 35 URL-safe characters.
_TELEGRAM_TOKEN = re.compile(r"(?<![0-9])\d{5,}:[A-Za-z0-9_-]{30,}")  # also inside ".../bot<token>/..."
_MIN_SECRET = 6  # shorter values would mask ordinary words


def settings_secrets(settings: Settings) -> list[str]:
    """The secret values the settings name (tokens, API key, webhook secret) that are set."""
    names = (
        settings.telegram.token_env, settings.discord.token_env,
        settings.summarizer.api_key_env, settings.telegram.webhook_secret_env,
    )
    return [value for name in names if name and (value := secret(name))]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every secret and every Telegram-token-shaped string replaced by a mask."""
    for value in sorted({s for s in secrets if len(s) >= _MIN_SECRET}, key=len, reverse=True):
        text = text.replace(value, MASK)
    return _TELEGRAM_TOKEN.sub(MASK, text)


class RedactingFormatter(logging.Formatter):
    """A formatter whose whole output (tracebacks included) passes through `redact`."""

    def __init__(self, fmt: str | None = None, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt)
        self.secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)
