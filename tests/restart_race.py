"""Kill-and-restart races of the service and `digest --send` on one database (issue 10).

One scenario: the service (tests/fakes/service_child.py: `digestbot run` with the fakes' scaled clock)
and the real `digestbot digest --date D --no-fetch --send --all` start together on a database whose
five subscriptions are due; at a seeded moment (a victim holding a claim with nothing sent yet,
after the N-th message, or once every message is out) the seeded victim (service, command or both)
gets SIGKILL and is started again. At the end every chat must have its whole digest, in order, and
a message may appear twice only if it was in flight at a kill (the platform-side bound in the README:
accepted by the platform, not yet recorded). Used by tests/test_restart_race.py (a few seeds) and
benchmarks/restarts.py (20 seeds).
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import signal
import sqlite3
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fakes.discord_server import FakeDiscord
from fakes.telegram_server import FakeTelegram
from fakes.web import FakeWeb
from service_harness import DIGESTBOT, TESTS, Proc, poll, service_env, start, write_config
from test_faults_sigkill import feed_xml

from bot.config import load_settings
from bot.ingest.pipeline import fetch_all
from storage import Store

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)  # the service's fixed clock: the 08:00 UTC slot is due
DAY = "2026-04-01"
SCALE = 50.0
FEEDS = 8
TG_CHATS = ("-2001", "-2002", "3003")
DC_CHANNELS = ("700000000000000011", "700000000000000012")
VICTIMS = ("service", "command", "both")
MOMENTS = ("before", "between", "after")
ORDERS = ("together", "service first", "command first")


def serve_feeds(web: FakeWeb) -> list[str]:
    for f in range(FEEDS):
        web.add(f"/feed{f}.xml", feed_xml(f), content_type="application/rss+xml")
    return [web.url(f"/feed{f}.xml") for f in range(FEEDS)]


async def make_template(directory: Path, web: FakeWeb) -> Path:
    """A database with the feeds fetched and five subscriptions due at NOW, copied per scenario."""
    urls = serve_feeds(web)
    config = write_config(directory / "template.toml", db=directory / "template.db", feed_urls=urls)
    settings = load_settings(str(config))
    store = Store(settings.storage.path)
    try:
        store.seed_feeds(settings.feed_seeds())
        outcomes = await fetch_all(store, settings, now=NOW)
        assert {o.status for o in outcomes} == {"new"}, outcomes
        for chat in TG_CHATS:
            store.subscribe("telegram", chat, "08:00", "UTC", "en")
        for channel in DC_CHANNELS:
            store.subscribe("discord", channel, "08:00", "UTC", "en")
    finally:
        store.close()
    return directory / "template.db"


class Race:
    """The two processes of one scenario and read access to their database."""

    def __init__(self, workdir: Path, config: Path, env: dict[str, str]) -> None:
        self.workdir, self.config, self.env = workdir, config, env
        self.procs: dict[str, Proc] = {}
        self.log_from: dict[str, int] = {}
        self.db = sqlite3.connect(f"file:{workdir / 'bot.db'}?mode=ro", uri=True, timeout=10,
                                  isolation_level=None)

    async def launch(self, name: str) -> Proc:
        if name == "service":
            argv = [sys.executable, "-m", "fakes.service_child", str(self.config), NOW.isoformat(), str(SCALE)]
        else:
            argv = [str(DIGESTBOT), "--config", str(self.config), "digest", "--date", DAY, "--no-fetch",
                    "--send", "--all"]
        log = self.workdir / f"{name}.err"
        self.log_from[name] = log.stat().st_size if log.exists() else 0
        self.procs[name] = proc = await start(argv, env=self.env, cwd=self.workdir, name=name)
        return proc

    def running(self, name: str) -> bool:
        """The latest start of `name` logged that it runs (its signal handlers are in place)."""
        return "app.running" in self.procs[name].err()[self.log_from[name]:]

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self.db.execute(sql, args).fetchall()

    def holds_claim(self, pid: int) -> bool:
        return bool(self.query("SELECT 1 FROM delivery_claims WHERE owner LIKE ?", (f"%:{pid}:%",)))

    def holds_unsent_claim(self, pid: int) -> bool:
        return bool(self.query(
            "SELECT 1 FROM delivery_claims c LEFT JOIN deliveries d ON d.subscription_id = c.subscription_id "
            "AND d.date = c.date WHERE c.owner LIKE ? AND NOT EXISTS (SELECT 1 FROM outbox o "
            "WHERE o.delivery_id = d.id AND o.status = 'sent')", (f"%:{pid}:%",)))

    def all_out(self, delivered: int) -> bool:
        deliveries = self.query("SELECT COUNT(*) FROM deliveries")[0][0]
        messages = self.query("SELECT COUNT(*) FROM outbox")[0][0]
        return deliveries == len(TG_CHATS) + len(DC_CHANNELS) and delivered >= messages > 0

    def all_sent(self) -> bool:
        rows = self.query("SELECT status FROM deliveries")
        return len(rows) == len(TG_CHATS) + len(DC_CHANNELS) and all(r[0] == "sent" for r in rows)

    def in_flight(self) -> set[tuple[int, int]]:
        """Messages a killed sender may have handed to the platform without recording it."""
        return set(self.query("SELECT delivery_id, seq FROM outbox WHERE status = 'pending' AND attempts > 0"))


async def run_scenario(workdir: Path, web: FakeWeb, template: Path, seed: int) -> dict[str, Any]:
    """One seeded race; raises AssertionError on any repeat beyond the bound or any missing part."""
    rng = random.Random(seed)
    victim, moment, n = rng.choice(VICTIMS), rng.choice(MOMENTS), rng.randint(1, 8)
    order = rng.choice(ORDERS)
    victims = ("service", "command") if victim == "both" else (victim,)
    began = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, workdir / "bot.db")
    async with FakeTelegram(time_scale=SCALE) as tg, FakeDiscord(time_scale=SCALE) as dc:
        config = write_config(workdir / "digestbot.toml", db=workdir / "bot.db",
                              feed_urls=[web.url(f"/feed{f}.xml") for f in range(FEEDS)],
                              tg_base=tg.base_url, dc_api=dc.api_base, dc_gateway=dc.gateway_url)
        env = service_env(tg.token, dc.token)
        env["PYTHONPATH"] = str(TESTS) + ":" + env["PYTHONPATH"]
        race = Race(workdir, config, env)

        def delivered() -> int:
            return sum(len(v) for v in tg.delivered.values()) + sum(len(v) for v in dc.delivered.values())

        if order == "together":
            await race.launch("service")
            await race.launch("command")
        else:  # one is already sending (holds a claim) when the other starts
            leader, follower = order.split(" first")[0], "command" if order.startswith("service") else "service"
            proc = await race.launch(leader)
            await _until(lambda: race.holds_claim(proc.pid), [proc])
            await race.launch(follower)
        point = {
            "before": lambda: any(race.holds_unsent_claim(race.procs[v].pid) for v in victims),
            "between": lambda: delivered() >= n,
            "after": lambda: race.all_out(delivered()),
        }[moment]
        landed = await _until(point, [race.procs[v] for v in victims])
        for name in victims:
            race.procs[name].kill()
            await race.procs[name].proc.wait()
        in_flight = race.in_flight()
        for name in victims:
            await race.launch(name)
        service = race.procs["service"]
        await poll(race.all_sent, timeout=90, what="every delivery sent", alive=[service])
        command_status = await race.procs["command"].wait(90)
        await poll(lambda: race.running("service"), timeout=60, what="the service up", alive=[service])
        service.signal(signal.SIGTERM)
        service_status = await service.wait(60)
        assert command_status == 0, race.procs["command"].err()[-3000:]
        assert service_status == 0, service.err()[-3000:]
        repeats = _check_chats(race, tg, dc, in_flight)
        race.db.close()
    return {"seed": seed, "order": order, "victim": victim, "moment": moment, "n": n, "landed": landed,
            "in_flight": len(in_flight), "repeats": repeats, "seconds": round(time.monotonic() - began, 2)}


async def _until(condition: Any, victims: list[Proc], timeout: float = 60) -> bool:
    """Poll every 2 ms; False when a victim finished first (the kill then lands on nothing)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if any(p.returncode is not None for p in victims) or time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.002)
    return True


def _shape(message: dict[str, Any]) -> str:
    """What a reader sees of one message: its text and its embeds' titles and descriptions."""
    embeds = [f"{e.get('title') or ''}|{e.get('description') or ''}" for e in message.get("embeds") or []]
    return "\n".join([str(message.get("text") or ""), *embeds])


def _check_chats(race: Race, tg: FakeTelegram, dc: FakeDiscord, in_flight: set[tuple[int, int]]) -> int:
    """Every chat got its recorded digest in order; a repeat only of a message in flight at the kill."""
    repeats = 0
    subs = race.query("SELECT s.id, s.platform, s.chat_id, d.id FROM subscriptions s "
                      "JOIN deliveries d ON d.subscription_id = s.id AND d.date = ?", (DAY,))
    assert len(subs) == len(TG_CHATS) + len(DC_CHANNELS)
    for _sub_id, platform, chat, delivery_id in subs:
        rows = race.query("SELECT payload FROM outbox WHERE delivery_id = ? ORDER BY seq", (delivery_id,))
        expected = [_shape(json.loads(payload)) for (payload,) in rows]
        got = ([_shape({"text": d.text}) for d in tg.delivered[chat]] if platform == "telegram"
               else [_shape({"text": p.content, "embeds": p.embeds}) for p in dc.delivered[chat]])
        collapsed = [t for i, t in enumerate(got) if i == 0 or t != got[i - 1]]
        assert collapsed == expected, f"{platform}:{chat} got {len(got)} messages, expected {len(expected)}"
        for text, count in Counter(got).items():
            if count > 1:
                seq = expected.index(text)
                assert count == 2 and (delivery_id, seq) in in_flight, (
                    f"{platform}:{chat} part {seq + 1} arrived {count} times and was not in flight at a kill")
                repeats += 1
    return repeats
