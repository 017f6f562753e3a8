"""Loud failures: how a platform that cannot start is told apart (refused vs unreachable), retried,
recorded and reported, and what the service's exit says about it."""

from __future__ import annotations

import asyncio
import io
import logging
import socket
from datetime import UTC, datetime

import discord
import pytest
from fakes.discord_server import FakeDiscord
from fakes.telegram_server import FakeTelegram

from bot.app import run
from bot.config import Settings, StorageSettings, validate
from bot.delivery.adapter import CONSOLE_LIMITS
from bot.delivery.console_adapter import ConsoleAdapter
from bot.delivery.discord_adapter import DiscordAdapter
from bot.delivery.errors import StartRefused, TransientError
from bot.delivery.telegram_adapter import TelegramAdapter
from bot.health import ServiceFailed
from bot.models import OutMessage, Request
from bot.redact import RedactingFormatter, redact
from bot.status import collect_status, status_lines
from storage import Store

TOKEN = "123456:TEST-token"
WRONG = "654321:WRONGwrongWRONGwrongWRONGwrongWRONG1"


class FlakyAdapter:
    """Fails to start with the given errors in turn, then starts."""

    platform = "telegram"
    limits = CONSOLE_LIMITS

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.attempts = 0
        self.up = asyncio.Event()

    async def start(self, on_request) -> None:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        self.up.set()

    async def stop(self) -> None:
        return None

    async def send(self, chat_id: str, message: OutMessage) -> str:
        return "1"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def settings_for(tmp_path) -> Settings:
    return validate(Settings(storage=StorageSettings(path=str(tmp_path / "bot.db"))))


@pytest.fixture
def discord_globals():
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    yield
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


async def test_an_unreachable_platform_is_retried_shown_and_then_up(tmp_path, caplog) -> None:
    settings = settings_for(tmp_path)
    flaky = FlakyAdapter(TransientError("cannot reach the Bot API (NetworkError: refused)"),
                         ConnectionError("network is down"))
    console = ConsoleAdapter(io.StringIO())
    stop, ready = asyncio.Event(), asyncio.Event()
    with caplog.at_level(logging.INFO):
        app = asyncio.create_task(run(settings, stop_event=stop, ready=ready, fetch_at_start=False,
                                      adapters={"telegram": flaky, "console": console},
                                      adapter_backoff=(0.01, 0.02)))
        await asyncio.wait_for(ready.wait(), 10)  # the bot is up although Telegram is not
        store = Store(settings.storage.path)
        [health] = store.platform_health()
        assert (health.platform, health.state) == ("telegram", "retrying")
        await asyncio.wait_for(flaky.up.wait(), 10)
        assert flaky.attempts == 3
        reply = await console.on_request(Request(platform="console", chat_id="c", user_id="u", command="status",
                                                 language="en"))
        assert "  telegram: up since" in reply.text
        stop.set()
        await asyncio.wait_for(app, 10)  # all was well at the stop: returns, the CLI exits 0
    logs = "\n".join(r.getMessage() for r in caplog.records)
    assert "state=retrying reason=cannot reach the Bot API (NetworkError: refused)" in logs
    assert "state=retrying reason=ConnectionError" in logs  # an unknown error: its type only
    assert [(h.platform, h.state) for h in store.platform_health()] == [("telegram", "stopped")]
    store.close()


async def test_a_platform_that_refuses_after_a_retry_stops_the_service_with_exit_2(tmp_path) -> None:
    flaky = FlakyAdapter(TransientError("unreachable"), StartRefused("the Bot API rejected the token (Unauthorized)"))
    with pytest.raises(ServiceFailed) as failed:
        await asyncio.wait_for(run(settings_for(tmp_path), fetch_at_start=False, adapters={"telegram": flaky},
                                   adapter_backoff=(0.01, 0.02)), 10)
    assert (failed.value.code, failed.value.line) == (2, "telegram: the Bot API rejected the token (Unauthorized)")


async def test_telegram_start_tells_a_rejected_token_from_an_unreachable_api() -> None:
    async with FakeTelegram(token=TOKEN) as tg:
        with pytest.raises(StartRefused) as refused:
            await TelegramAdapter(WRONG, base_url=tg.base_url).start(_no_requests)
    assert refused.value.reason == "the Bot API rejected the token (Unauthorized)"
    assert refused.value.__suppress_context__  # the SDK's exception, which names the token, is not chained
    with pytest.raises(TransientError) as unreachable:
        await TelegramAdapter(WRONG, base_url=f"http://127.0.0.1:{closed_port()}").start(_no_requests)
    assert unreachable.value.reason.startswith("cannot reach the Bot API (NetworkError")
    assert WRONG.split(":")[1] not in unreachable.value.reason


async def test_discord_start_tells_a_rejected_token_from_an_unreachable_api(discord_globals) -> None:
    async with FakeDiscord() as dc:
        adapter = DiscordAdapter("not-the-token", api_base_url=dc.api_base, gateway_url=dc.gateway_url)
        with pytest.raises(StartRefused) as refused:
            await adapter.start(_no_requests)
    assert refused.value.reason == "Discord refused the login (LoginFailure)"
    port = closed_port()
    adapter = DiscordAdapter("x", api_base_url=f"http://127.0.0.1:{port}/api/v10", gateway_url=f"ws://127.0.0.1:{port}/")
    with pytest.raises(TransientError) as unreachable:
        await adapter.start(_no_requests)
    assert unreachable.value.reason.startswith("cannot reach Discord (")


async def _no_requests(request: Request):  # pragma: no cover - never called: start fails first
    raise AssertionError(request)


def test_status_counts_waiting_messages_of_enabled_subscriptions_only(store: Store) -> None:
    on = store.subscribe("telegram", "-1", "08:00", "UTC", "en")
    off = store.subscribe("telegram", "-2", "08:00", "UTC", "en")
    for sub, count in ((on, 2), (off, 8)):
        store.open_delivery(sub.id, "2026-12-01", [OutMessage(text=f"m{i}") for i in range(count)])
    store.disable_subscription(off.id, "bot was blocked")
    at = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    store.set_platform_health("telegram", "retrying", "cannot reach the Bot API (NetworkError: x)", at=at, pid=1)
    report = collect_status(store, ":memory:", "UTC", at)
    assert report.pending_messages == 2
    assert (report.subscriptions_active, report.subscriptions_disabled) == (1, 1)
    assert report.well  # no service runs on ":memory:", so "retrying" is history, not an alarm
    lines = status_lines(report)
    assert lines[:2] == ["service: not running", ("telegram: retrying (cannot reach the Bot API (NetworkError: x)) "
                                                  "since 2026-12-02 08:00 UTC; last sent never")]
    assert "messages waiting (enabled subscriptions): 2" in lines
    store.set_platform_health("telegram", "failed", "the Bot API rejected the token (Unauthorized)", at=at)
    assert not collect_status(store, ":memory:", "UTC", at).well


def test_log_lines_and_tracebacks_lose_tokens() -> None:
    formatter = RedactingFormatter("%(message)s", secrets=["sk-live-abcdef123456"])
    try:
        raise RuntimeError(f"The token `{WRONG}` was rejected; key sk-live-abcdef123456")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed url=%s", (f"/bot{WRONG}/getMe",),
                                   exc_info=__import__("sys").exc_info())
    text = formatter.format(record)
    assert "WRONGwrong" not in text and "sk-live" not in text
    assert "failed url=/bot[redacted]/getMe" in text  # the Bot API URL form
    assert "RuntimeError: The token `[redacted]` was rejected; key [redacted]" in text  # in the traceback
    assert redact("chat 12345 at 10:30", ["ab"]) == "chat 12345 at 10:30"  # short values and ids stay
