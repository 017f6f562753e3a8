"""Telegram webhook mode without the SDK: a small aiohttp receiver that admits only updates carrying
the secret token, so an open port cannot be used to inject fake commands.

python-telegram-bot's own `start_webhook` needs tornado (the `[webhooks]` extra), which this project
does not install; aiohttp is already here (discord.py depends on it). The adapter registers the
webhook with `setWebhook(secret_token=...)` and turns each admitted JSON body into an Update.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.delivery.errors import StartRefused

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # an Update is a few KB; refuse anything near a megabyte
# Bot API setWebhook: secret_token is 1-256 characters, only A-Z, a-z, 0-9, _ and -.
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")

OnUpdate = Callable[[dict[str, Any]], Awaitable[None]]


class WebhookConfigError(StartRefused, ValueError):
    """Webhook mode is configured but cannot start safely (no secret, bad secret, no URL): the
    service stops and says so rather than retry."""


@dataclass(frozen=True)
class WebhookOptions:
    """Where Telegram posts updates and the secret it must echo back (settings.telegram.webhook_*)."""

    url: str  # public base URL (the reverse proxy's); the secret-derived path is appended
    listen: str = "127.0.0.1"
    port: int = 8443
    secret: str | None = field(default=None, repr=False)  # resolved from secret_env by the config module
    secret_env: str = "TELEGRAM_WEBHOOK_SECRET"

    def checked_secret(self) -> str:
        """The secret token, or a WebhookConfigError naming the variable to set."""
        if not self.url.startswith(("https://", "http://")):
            raise WebhookConfigError(
                "telegram.mode is 'webhook' but telegram.webhook_url is not an http(s) URL "
                "(set it to the public address Telegram should post to)"
            )
        if not self.secret:
            raise WebhookConfigError(
                f"telegram.mode is 'webhook' but the environment variable {self.secret_env} is not set: "
                "refusing to accept updates that anyone could forge"
            )
        if not _SECRET.fullmatch(self.secret):
            raise WebhookConfigError(
                f"{self.secret_env} must be 1-256 characters of A-Z, a-z, 0-9, _ or - (Telegram's rule)"
            )
        return self.secret

    def path(self) -> str:
        """A URL path derived from the secret (never the bot token), so the token stays out of URLs."""
        digest = hashlib.sha256(f"digestbot-telegram-webhook:{self.checked_secret()}".encode()).hexdigest()
        return f"/telegram/{digest[:32]}"

    def public_url(self) -> str:
        """What setWebhook registers: the public base URL plus the derived path."""
        return self.url.rstrip("/") + self.path()


class WebhookServer:
    """An aiohttp server on (listen, port) that hands each admitted update body to `on_update`."""

    def __init__(self, options: WebhookOptions, on_update: OnUpdate) -> None:
        self._secret = options.checked_secret().encode()
        self._path = options.path()
        self._listen = options.listen
        self._port = options.port
        self._on_update = on_update
        self._runner: web.AppRunner | None = None
        self.port = 0  # the bound port, known after start() (useful with port 0)
        self.refused = 0
        self.malformed = 0  # bodies with the right secret that were not a readable Update

    async def start(self) -> int:
        """Bind and serve; return the bound port."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self._path, self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        family = socket.AF_INET6 if ":" in self._listen else socket.AF_INET
        sock = socket.create_server((self._listen, self._port), family=family)
        try:
            await web.SockSite(runner, sock).start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(sock.getsockname()[1])
        log.info("telegram_webhook.listening listen=%s port=%d", self._listen, self.port)
        return self.port

    async def stop(self) -> None:
        """Stop accepting updates (idempotent)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        # compare_digest: no timing hint about how much of a guessed secret was right
        if given is None or not hmac.compare_digest(given.encode(), self._secret):
            self.refused += 1
            log.warning(
                "telegram_webhook.refused remote=%s reason=%s",
                request.remote, "no secret header" if given is None else "wrong secret",
            )
            return web.Response(status=403, text="forbidden")
        # From here on the sender is Telegram: whatever is wrong with the body, answer 200, or it
        # retries the same update for ever and holds back every update after it.
        try:
            body = await request.json()
        except ValueError:
            self.malformed += 1
            log.warning("telegram_webhook.malformed reason=not JSON length=%s", request.content_length)
            return web.Response(status=200)
        if not isinstance(body, dict) or not isinstance(body.get("update_id"), int):
            self.malformed += 1
            log.warning("telegram_webhook.malformed reason=not an Update type=%s", type(body).__name__)
            return web.Response(status=200)
        try:
            await self._on_update(body)
        except Exception as exc:  # noqa: BLE001 - a body the SDK cannot read is dropped, not retried
            self.malformed += 1
            log.warning(
                "telegram_webhook.malformed reason=unreadable update update_id=%s error=%s",
                body.get("update_id"), type(exc).__name__,
            )
        return web.Response(status=200)
