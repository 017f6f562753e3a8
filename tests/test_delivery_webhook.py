"""Telegram webhook mode through unmodified python-telegram-bot: only updates carrying the secret
token are handled; without a secret the adapter refuses to start."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import aiohttp
import pytest
from fakes.telegram_server import FakeTelegram, ScaledClock

from bot.config import Settings, TelegramSettings
from bot.delivery import build_adapters
from bot.delivery.adapter import TELEGRAM_LIMITS
from bot.delivery.pacing import Pacer
from bot.delivery.telegram_adapter import TelegramAdapter
from bot.delivery.telegram_webhook import SECRET_HEADER, WebhookConfigError, WebhookOptions
from bot.models import Reply

SCALE = 50.0
SECRET = "s3cret_Webhook-token"
PUBLIC = "https://bot.example.org/tg/"


@pytest.fixture
async def tg():
    async with FakeTelegram(time_scale=SCALE) as server:
        yield server


def make_adapter(server: FakeTelegram, secret: str | None = SECRET, port: int = 0) -> TelegramAdapter:
    clock = ScaledClock(SCALE)
    options = WebhookOptions(url=PUBLIC, listen="127.0.0.1", port=port, secret=secret, secret_env="TG_HOOK_SECRET_T")
    return TelegramAdapter(
        server.token, base_url=server.base_url, webhook=options,
        pacer=Pacer(TELEGRAM_LIMITS, clock=clock.clock, sleep=clock.sleep, margin=0.1),
    )


def update(update_id: int, chat_id: int, text: str) -> dict:
    """A real Bot API Update: a user's command in a private chat."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id, "date": int(time.time()), "text": text,
            "chat": {"id": chat_id, "type": "private", "first_name": "U"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "U", "language_code": "zh-hans"},
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        },
    }


async def test_webhook_handles_updates_with_the_secret_and_refuses_the_rest(tg, caplog):
    seen = []

    async def on_request(request):
        seen.append(request)
        return Reply(text=f"handled {request.command} {' '.join(request.args)}")

    adapter = make_adapter(tg)
    caplog.set_level(logging.DEBUG, logger="bot")
    await adapter.start(on_request)
    try:
        assert adapter.webhook_server is not None
        registered = tg.webhook
        path = adapter.webhook.path()
        assert registered["url"] == PUBLIC.rstrip("/") + path and registered["secret_token"] == SECRET
        assert set(registered["allowed_updates"]) == {"message", "channel_post", "callback_query"}
        assert tg.token not in registered["url"] and SECRET not in registered["url"]
        assert "getUpdates" not in tg.calls  # no polling in webhook mode
        url = f"http://127.0.0.1:{adapter.webhook_server.port}{path}"
        async with aiohttp.ClientSession() as http:
            async def post(body, headers=None, target=url):
                async with http.post(target, json=body, headers=headers or {}) as r:
                    return r.status

            assert await post(update(1, 501, "/digest 2024-05-01")) == 403  # no header
            assert await post(update(2, 502, "/digest"), {SECRET_HEADER: SECRET + "x"}) == 403
            assert await post(update(3, 503, "/digest"), {SECRET_HEADER: "wrong"}) == 403
            # With the right secret the sender is Telegram: a body it cannot read is logged and
            # answered 200, or Telegram would retry it for ever and hold back every later update.
            for malformed in ({"no": "update"}, [1, 2], {"update_id": 7, "message": {"chat": "x"}},
                              {"update_id": 8, "message": 5}):
                assert await post(malformed, {SECRET_HEADER: SECRET}) == 200
            async with http.post(url, data=b"{not json", headers={SECRET_HEADER: SECRET}) as r:
                assert r.status == 200
            assert adapter.webhook_server.malformed == 5
            assert await post(update(4, 504, "/digest"), {SECRET_HEADER: SECRET},
                              f"http://127.0.0.1:{adapter.webhook_server.port}/bot{tg.token}") == 404
            assert await post(update(5, 505, "/more 12"), {SECRET_HEADER: SECRET}) == 200
            delivered = await tg.wait_for("505", 1)
    finally:
        await adapter.stop()
    assert [d.plain for d in delivered] == ["handled more 12"]
    assert [(r.chat_id, r.command, r.args, r.language) for r in seen] == [("505", "more", ("12",), "zh")]
    assert all(not tg.delivered[str(c)] for c in (501, 502, 503, 504))
    assert adapter.webhook_server is None  # stopped: the port is closed
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "telegram_webhook.refused" in logged and "telegram_webhook.malformed" in logged
    assert tg.token not in logged and SECRET not in logged


async def test_webhook_mode_without_a_secret_refuses_to_start_naming_the_variable(tg, caplog):
    adapter = make_adapter(tg, secret=None)
    with pytest.raises(WebhookConfigError, match="TG_HOOK_SECRET_T"):
        await adapter.start(lambda r: asyncio.sleep(0, Reply(text="x")))
    await adapter.stop()
    assert tg.calls == [] and tg.webhook is None  # nothing connected, nothing registered
    assert any("TG_HOOK_SECRET_T" in r.getMessage() for r in caplog.records)


async def test_a_port_in_use_fails_the_start_and_leaves_nothing_running(tg):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        adapter = make_adapter(tg, port=taken.getsockname()[1])
        with pytest.raises(OSError):
            await adapter.start(lambda r: asyncio.sleep(0, Reply(text="x")))
    assert not adapter.app.running and adapter.webhook_server is None
    assert tg.webhook is None  # never registered a webhook nobody listens on


def test_a_secret_telegram_would_reject_is_refused_too():
    bad = WebhookOptions(url=PUBLIC, secret="has spaces/and:colons", secret_env="TG_HOOK_SECRET_T")
    with pytest.raises(WebhookConfigError, match="TG_HOOK_SECRET_T"):
        bad.checked_secret()
    with pytest.raises(WebhookConfigError, match="webhook_url"):
        WebhookOptions(url="", secret=SECRET).checked_secret()


def test_the_path_comes_from_the_secret_not_the_token():
    a = WebhookOptions(url=PUBLIC, secret=SECRET).path()
    b = WebhookOptions(url=PUBLIC, secret=SECRET + "2").path()
    assert a != b and a.startswith("/telegram/") and SECRET not in a


def test_build_adapters_passes_the_webhook_settings(monkeypatch):
    monkeypatch.setenv("TG_TOKEN_FOR_TEST", "1:abc")
    monkeypatch.setenv("TG_HOOK_SECRET_T", SECRET)
    settings = Settings(telegram=TelegramSettings(
        token_env="TG_TOKEN_FOR_TEST", mode="webhook", webhook_url=PUBLIC, webhook_listen="0.0.0.0",
        webhook_port=8443, webhook_secret_env="TG_HOOK_SECRET_T",
    ))
    adapter = build_adapters(settings)["telegram"]
    assert adapter.webhook == WebhookOptions(
        url=PUBLIC, listen="0.0.0.0", port=8443, secret=SECRET, secret_env="TG_HOOK_SECRET_T"
    )
    polling = build_adapters(Settings(telegram=TelegramSettings(token_env="TG_TOKEN_FOR_TEST")))["telegram"]
    assert polling.webhook is None
