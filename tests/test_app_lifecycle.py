"""bot.app.run with no platform configured (console only) and with a platform that fails to start."""

from __future__ import annotations

import asyncio
import io
import logging

import pytest

from bot.app import run
from bot.health import ServiceFailed
from bot.config import DiscordSettings, FeedSettings, Settings, StorageSettings, TelegramSettings, validate
from bot.delivery.adapter import CONSOLE_LIMITS
from bot.delivery.console_adapter import ConsoleAdapter
from bot.models import Request
from storage import Store


class BrokenAdapter:
    """A platform whose connection fails (bad token, network down)."""

    platform = "telegram"
    limits = CONSOLE_LIMITS
    stopped = False

    async def start(self, on_request) -> None:
        raise ConnectionError("token=123:SECRET rejected")

    async def stop(self) -> None:
        BrokenAdapter.stopped = True

    async def send(self, chat_id, message) -> str:
        raise AssertionError("never started")


def settings_for(tmp_path) -> Settings:
    return validate(
        Settings(
            storage=StorageSettings(path=str(tmp_path / "bot.db")),
            feeds=(FeedSettings(url="https://feeds.example/ai.xml", name="Example"),),
            telegram=TelegramSettings(token_env="DIGESTBOT_TEST_NO_SUCH_TOKEN"),
            discord=DiscordSettings(token_env="DIGESTBOT_TEST_NO_SUCH_TOKEN"),
        )
    )


async def test_console_only_starts_serves_a_command_and_stops(tmp_path) -> None:
    settings = settings_for(tmp_path)
    stop, ready = asyncio.Event(), asyncio.Event()
    app = asyncio.create_task(run(settings, stop_event=stop, ready=ready, fetch_at_start=False))
    await asyncio.wait_for(ready.wait(), 10)
    assert not app.done()
    stop.set()
    await asyncio.wait_for(app, 10)
    store = Store(settings.storage.path)
    try:
        assert [f.url for f in store.list_feeds()] == ["https://feeds.example/ai.xml"]  # seeded
    finally:
        store.close()


async def test_a_platform_failing_to_start_leaves_the_rest_up(tmp_path, caplog) -> None:
    settings = settings_for(tmp_path)
    console = ConsoleAdapter(io.StringIO())
    stop, ready = asyncio.Event(), asyncio.Event()
    with caplog.at_level(logging.INFO):
        app = asyncio.create_task(
            run(settings, stop_event=stop, ready=ready, fetch_at_start=False,
                adapters={"telegram": BrokenAdapter(), "console": console})
        )
        await asyncio.wait_for(ready.wait(), 10)
        assert console.on_request is not None  # the console got the dispatcher
        def local(command: str, *args: str):
            return Request(platform="console", chat_id="local", user_id="me", command=command, args=args,
                           language="en")

        before = await console.on_request(local("status"))
        assert "Next digests: none scheduled" in before.text and "Messages waiting to be sent: 0" in before.text
        assert "  telegram: unreachable, retrying (ConnectionError) since" in before.text
        assert "console" not in before.text.split("Last fetch")[0]  # not a platform anyone watches
        subscribed = await console.on_request(local("subscribe", "07:00", "UTC", "en"))
        assert subscribed.text.startswith("Subscribed") and "07:00" in subscribed.text
        after = await console.on_request(local("status"))  # the scheduler got a job for the new slot
        assert "  07:00 UTC: " in after.text
        stop.set()
        with pytest.raises(ServiceFailed) as failed:  # not all was well: the exit status says so
            await asyncio.wait_for(app, 10)
    assert failed.value.code == 1
    assert failed.value.line == "stopped while not every platform was up: telegram: retrying (ConnectionError)"
    logs = "\n".join(r.getMessage() for r in caplog.records)
    assert "platform.health platform=telegram state=retrying reason=ConnectionError" in logs
    assert "SECRET" not in logs  # the exception text (which may carry a token) is not logged
    assert "app.stopped" in logs
    assert not BrokenAdapter.stopped  # never started, so never stopped
    assert console.on_request is None  # stopped in reverse order
