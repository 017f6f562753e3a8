"""The real `digestbot run` process against the fake Telegram and Discord: the shipped systemd unit's
command line serves and stops with 0 on SIGTERM, one service per database, and a token the platform
rejects stops it with one line (exit 2) that never shows the token."""

from __future__ import annotations

import shlex
import signal
import time
from pathlib import Path

import pytest
from fakes.discord_server import FakeDiscord
from fakes.telegram_server import FakeTelegram
from fakes.web import FakeWeb
from service_harness import DIGESTBOT, EMPTY_RSS, Proc, poll, service_env, start, write_config
from test_app_unit_file import _parse

from storage import Store

pytestmark = pytest.mark.skipif(not DIGESTBOT.exists(), reason="the digestbot console script is not installed")
BAD_TOKEN = "987654321:AAbadBADbadBADbadBADbadBADbadBADbad"  # shaped like a real one


def unit_command(config: Path) -> tuple[list[str], dict[str, str]]:
    """ExecStart of deploy/digestbot.service with our binary and config, and its Environment= pairs."""
    service = _parse()["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[0].endswith("/digestbot")
    argv[0] = str(DIGESTBOT)
    argv = [str(config) if a.endswith(".toml") else a for a in argv]
    env = dict(pair.split("=", 1) for pair in shlex.split(service.get("Environment", "")))
    return argv, env


@pytest.fixture
async def platforms(tmp_path: Path):
    async with FakeTelegram() as tg, FakeDiscord() as dc, FakeWeb() as web:
        web.add("/quiet.xml", EMPTY_RSS, content_type="application/rss+xml")
        config = write_config(tmp_path / "digestbot.toml", db=tmp_path / "state" / "bot.db",
                              feed_urls=[web.url("/quiet.xml")], tg_base=tg.base_url,
                              dc_api=dc.api_base, dc_gateway=dc.gateway_url)
        (tmp_path / "state").mkdir()
        yield tg, dc, config


async def served(tg: FakeTelegram, proc: Proc, user: int, before: int = 0) -> str:
    """Ask the running service for /help in a private chat; its answer proves it serves."""
    await tg.inject_command(user, user, "/help")
    await poll(lambda: len(tg.delivered[str(user)]) > before, timeout=30, what="a reply to /help", alive=[proc])
    return tg.delivered[str(user)][before].plain


async def test_the_units_execstart_serves_a_second_service_exits_2_and_sigterm_exits_0(
    platforms, tmp_path: Path
) -> None:
    tg, dc, config = platforms
    argv, unit_env = unit_command(config)
    env = {**service_env(tg.token, dc.token), **unit_env}
    first = await start(argv, env=env, cwd=tmp_path / "state", name="unit")
    try:
        assert "/digest" in await served(tg, first, 601)
        await poll(dc.identified.is_set, timeout=30, what="the Discord gateway", alive=[first])

        # One service per database: a second `run` is refused at once, the first keeps serving.
        began = time.monotonic()
        second = await start([str(DIGESTBOT), "--config", str(config), "run"], env=env, cwd=tmp_path,
                             name="second")
        assert await second.wait(10) == 2
        assert time.monotonic() - began < 10
        db = tmp_path / "state" / "bot.db"
        assert second.err().strip().splitlines()[-1] == (
            f"digestbot: already running (pid {first.pid}) with this database ({db})")
        assert "Traceback" not in second.err()
        await served(tg, first, 601, before=1)

        status = await start([str(DIGESTBOT), "--config", str(config), "status"], env=env, cwd=tmp_path,
                             name="status")
        assert await status.wait(30) == 0, status.err()
        lines = status.out().splitlines()
        assert lines[0] == f"service: running (pid {first.pid})"
        assert any(line.startswith("telegram: up since") for line in lines), lines
        assert any(line.startswith("discord: up since") for line in lines), lines
    finally:
        first.signal(signal.SIGTERM)
    assert await first.wait(60) == 0, first.err()[-3000:]
    assert "Traceback" not in first.err() and "Conflict" not in first.err() and "app.stopped" in first.err()


async def test_a_rejected_token_stops_the_service_with_one_line_and_never_shows_the_token(
    platforms, tmp_path: Path
) -> None:
    _tg, _dc, config = platforms
    env = service_env(BAD_TOKEN)  # Telegram only; the fake answers 401 to any other token
    began = time.monotonic()
    proc = await start([str(DIGESTBOT), "--config", str(config), "run"], env=env, cwd=tmp_path, name="bad")
    assert await proc.wait(30) == 2
    assert time.monotonic() - began < 30
    err = proc.err()
    assert err.strip().splitlines()[-1] == "digestbot: telegram: the Bot API rejected the token (Unauthorized)"
    assert "Traceback" not in err
    secret_part = BAD_TOKEN.split(":")[1]
    assert secret_part not in err and secret_part not in proc.out()
    for leftover in (tmp_path / "state").iterdir():  # nor in the database, its WAL or the lock file
        assert secret_part.encode() not in leftover.read_bytes(), leftover

    status = await start([str(DIGESTBOT), "--config", str(config), "status"], env=env, cwd=tmp_path,
                         name="status")
    assert await status.wait(30) == 1  # a platform needs attention
    lines = status.out().splitlines()
    assert lines[0] == "service: not running"
    assert any(line.startswith("telegram: failed (the Bot API rejected the token (Unauthorized)) since")
               for line in lines), lines
    assert secret_part not in status.out() + status.err()


async def test_digest_send_with_a_rejected_token_says_so_without_the_token(platforms, tmp_path: Path) -> None:
    """The one-shot path too: python-telegram-bot's InvalidToken text (with the token) must not leak."""
    _tg, _dc, config = platforms
    store = Store(tmp_path / "state" / "bot.db")
    store.subscribe("telegram", "-1001", "08:00", "UTC", "en")
    store.close()
    proc = await start([str(DIGESTBOT), "--config", str(config), "digest", "--no-fetch", "--send", "--all"],
                       env=service_env(BAD_TOKEN), cwd=tmp_path, name="send")
    assert await proc.wait(60) == 1
    assert proc.out().strip() == "#1 telegram:-1001: failed: the Bot API rejected the token (Unauthorized)"
    secret_part = BAD_TOKEN.split(":")[1]
    assert secret_part not in proc.out() + proc.err()
