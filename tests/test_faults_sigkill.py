"""The pipeline killed with SIGKILL mid-fetch, mid-build and mid-delivery, then restarted.

The pipeline runs in a child process (tests/fakes/pipeline_child.py) against fakes served by this
test process on 127.0.0.1. The kill point is an observable event at a fake (the N-th feed request,
model call or delivered message, N drawn from a seeded RNG), polled with short bounded waits. After
the restart: every subscription got its digest exactly once for the date, except that a message the
platform accepted just before the kill (not yet marked sent) is sent again once on resume — at most
one duplicate per chat per kill, adjacent to its original — and the database passes integrity_check.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import string
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from fakes.discord_server import FakeDiscord
from fakes.openai_server import FakeOpenAI
from fakes.telegram_server import FakeTelegram
from fakes.web import FakeWeb

from storage import Store

TESTS = Path(__file__).resolve().parent
NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
DAY = "2026-04-01"
SCALE = 50.0
KEY_ENV = "DIGESTBOT_TEST_SIGKILL_KEY"
FEEDS, ITEMS = 12, 4
TG_CHATS = ["2001", "2002", "2003"]
DC_CHANNELS = ["700000000000000011", "700000000000000012"]
_VOCAB = ["".join(random.Random(n).choices(string.ascii_lowercase, k=random.Random(-n).randint(4, 9)))
          for n in range(400)]

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


class SlowWeb(FakeWeb):
    """FakeWeb answering each request after `delay` seconds, so a fetch run is long enough to hit."""

    delay = 0.05

    async def _handle(self, request):  # type: ignore[no-untyped-def]
        await asyncio.sleep(self.delay)
        return await super()._handle(request)


def feed_xml(f: int) -> str:
    items = []
    for i in range(ITEMS):
        rng = random.Random(f * 1000 + i)
        title = f"Report {f}.{i} on " + " ".join(rng.sample(_VOCAB, 3))
        body = " ".join(" ".join(rng.sample(_VOCAB, 10)).capitalize() + "." for _ in range(6))
        link = f"https://news{f}.example/{i}"
        items.append(f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
                     f"<pubDate>{format_datetime(NOW - timedelta(hours=1 + i))}</pubDate>"
                     f"<description>{body}</description></item>")
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {f}</title>'
            f"<link>https://news{f}.example/</link>{''.join(items)}</channel></rss>")


class World:
    """The fakes, the database and the child process of one test."""

    def __init__(self, tmp_path: Path, web: SlowWeb, tg: FakeTelegram, dc: FakeDiscord, model: FakeOpenAI):
        self.web, self.tg, self.dc, self.model = web, tg, dc, model
        self.db = str(tmp_path / "bot.db")
        self.cfg = {
            "db": self.db, "now": NOW.isoformat(), "scale": SCALE, "key_env": KEY_ENV,
            "tg_token": tg.token, "tg_base": f"http://127.0.0.1:{tg.port}",
            "dc_token": dc.token, "dc_api": dc.api_base, "dc_gateway": dc.gateway_url,
            "model": model.base_url,
        }
        self.env = {**os.environ, KEY_ENV: "sk-test",
                    "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)])}

    def seed(self) -> None:
        store = Store(self.db)
        try:
            for f in range(FEEDS):
                self.web.add(f"/feed{f}.xml", feed_xml(f), content_type="application/rss+xml")
                store.add_feed(self.web.url(f"/feed{f}.xml"), "")
            for chat in TG_CHATS:
                store.subscribe("telegram", chat, "08:00", "UTC", "en")
            for channel in DC_CHANNELS:
                store.subscribe("discord", channel, "08:00", "UTC", "en")
        finally:
            store.close()

    async def start(self) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "fakes.pipeline_child", json.dumps(self.cfg),
            env=self.env, cwd=str(TESTS.parent),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )

    def delivered(self) -> int:
        return sum(len(v) for v in self.tg.delivered.values()) + sum(len(v) for v in self.dc.delivered.values())

    def feed_hits(self) -> int:
        return sum(n for path, n in self.web.hits.items() if path.startswith("/feed"))

    def query(self, sql: str) -> list[tuple]:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()


@pytest.fixture
async def world(tmp_path: Path):
    async with (SlowWeb() as web, FakeTelegram(time_scale=SCALE) as tg, FakeDiscord(time_scale=SCALE) as dc,
                FakeOpenAI(delay=0.03) as model):
        w = World(tmp_path, web, tg, dc, model)
        w.seed()
        yield w


async def wait_until(condition: Callable[[], bool], proc: asyncio.subprocess.Process, timeout: float = 20) -> None:
    """Poll `condition` every few milliseconds until true; fail if the child exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.returncode is not None:
            _out, err = await proc.communicate()
            pytest.fail(f"child exited ({proc.returncode}) before the kill point: {err.decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("kill point not reached in time")
        await asyncio.sleep(0.002)


def kill_point(world: World, point: str, rng: random.Random) -> tuple[Callable[[], bool], int]:
    if point == "fetch":
        n = rng.randint(1, FEEDS - 2)
        return (lambda: world.feed_hits() >= n), n
    if point == "build":
        n = rng.randint(1, FEEDS * ITEMS - 2)
        return (lambda: world.model.calls >= n), n
    n = rng.randint(1, 8)
    return (lambda: world.delivered() >= n), n


def landed_in(world: World, point: str) -> bool:
    """Whether the kill really interrupted the phase it was aimed at."""
    if point == "fetch":
        return world.query("SELECT COUNT(*) FROM fetch_log")[0][0] < FEEDS
    if point == "build":
        return world.query("SELECT COUNT(*) FROM digests")[0][0] == 0
    return world.query("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")[0][0] > 0


@pytest.mark.parametrize("seed", [11, 29])
@pytest.mark.parametrize("point", ["fetch", "build", "delivery"])
async def test_sigkill_then_restart_delivers_every_digest_once(world: World, point: str, seed: int) -> None:
    rng = random.Random(f"{point}:{seed}")
    condition, n = kill_point(world, point, rng)
    child = await world.start()
    try:
        await wait_until(condition, child)
    finally:
        if child.returncode is None:
            os.kill(child.pid, signal.SIGKILL)
        await child.wait()
    assert child.returncode == -signal.SIGKILL
    assert landed_in(world, point), f"the kill at {point} #{n} came after that phase had finished"
    assert world.query("PRAGMA integrity_check") == [("ok",)]
    in_flight_at_kill = world.delivered()

    restarted = await world.start()
    out, err = await asyncio.wait_for(restarted.communicate(), 60)
    assert restarted.returncode == 0, err.decode()[-3000:]
    report = json.loads(out.decode().strip().splitlines()[-1])
    assert all(status == "sent" for _chat, status, _ in report["results"]), report

    assert world.query("PRAGMA integrity_check") == [("ok",)]
    store = Store(world.db)
    try:
        assert store.outbox_depth() == 0
        assert store.count_articles() == FEEDS * ITEMS  # nothing lost, nothing stored twice
        titles = {a.title for a in store.articles_between(NOW - timedelta(days=1), NOW)}
        duplicates = 0
        for sub in store.list_subscriptions():
            deliveries = store.deliveries_for(sub.id)
            assert [(d.date, d.status) for d in deliveries] == [(DAY, "sent")]  # one delivery per date
            expected = [m.message.text for m in store.outbox_messages(deliveries[0].id)]
            got = ([d.text for d in world.tg.delivered[sub.chat_id]] if sub.platform == "telegram"
                   else [p.content for p in world.dc.delivered[sub.chat_id]])
            collapsed = [t for i, t in enumerate(got) if i == 0 or t != got[i - 1]]
            assert collapsed == expected, sub.chat_id  # in order, nothing missing, repeats only adjacent
            assert len(got) - len(expected) <= (1 if point == "delivery" else 0), sub.chat_id
            duplicates += len(got) - len(expected)
            if sub.platform == "telegram":
                plain = "\n".join(d.plain for d in world.tg.delivered[sub.chat_id])
                assert all(title in plain for title in titles)  # the whole digest, every article
    finally:
        store.close()
    print(f"\nsigkill point={point} seed={seed} n={n} delivered_before_kill={in_flight_at_kill} "
          f"duplicates={duplicates}")
