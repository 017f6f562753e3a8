"""The console adapter: prints messages to a stream, so the bot works with no tokens at all."""

from __future__ import annotations

import itertools
import logging
import sys
from typing import TextIO

from bot.delivery.adapter import CONSOLE_LIMITS, OnRequest, PlatformLimits
from bot.delivery.pacing import Pacer
from bot.models import OutMessage

log = logging.getLogger(__name__)


class ConsoleAdapter:
    """Prints each message (text, embeds, buttons) with a separator; ids count up from 1."""

    platform = "console"
    limits: PlatformLimits = CONSOLE_LIMITS

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.pacer = Pacer(self.limits)
        self._ids = itertools.count(1)
        self.on_request: OnRequest | None = None

    async def start(self, on_request: OnRequest) -> None:
        """Nothing to connect; keeps the callback so a REPL could feed requests in."""
        self.on_request = on_request

    async def stop(self) -> None:
        self.on_request = None

    async def send(self, chat_id: str, message: OutMessage) -> str:
        """Write the message; never fails."""
        out = self.stream or sys.stdout
        parts = [f"── console:{chat_id} ──"]
        if message.text:
            parts.append(message.text)
        for embed in message.embeds:
            parts.append(f"## {embed.title}" + (f" <{embed.url}>" if embed.url else ""))
            parts.append(embed.description)
        if message.buttons:
            parts.append("  ".join(f"[{b.label} → {b.payload}]" for b in message.buttons))
        out.write("\n".join(parts) + "\n")
        out.flush()
        return str(next(self._ids))
