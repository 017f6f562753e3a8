"""The whole bot against the fake Discord (REST + gateway) with the real discord.py: slash commands,
the "More detail" button, Manage Server permissions, and a scheduled digest into a channel."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import discord
import pytest

from bot.app import run
from bot.config import DiscordSettings, FeedSettings, FetchSettings, Settings, StorageSettings, validate
from bot.delivery.discord_adapter import DiscordAdapter
from bot.ingest.pipeline import fetch_all
from bot.jobs import digest_job
from bot.scheduler import digest_trigger
from bot.services import build_services
from fakes.discord_server import MANAGE_GUILD, FakeDiscord
from fakes.web import FakeWeb
from storage import Store
from test_app_telegram import NOW, feed_xml

CHANNEL = "700000000000000011"
ADMIN = "4343"


def _text(payload: dict) -> str:
    parts = [str(payload.get("content") or "")]
    for embed in payload.get("embeds") or []:
        parts += [str(embed.get("title") or ""), str(embed.get("description") or "")]
    return "\n".join(parts)


@pytest.fixture
async def world(tmp_path):
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    site = tmp_path / "site"
    site.mkdir()
    try:
        async with FakeDiscord(time_scale=50.0) as dc, FakeWeb(root=site) as web:
            (site / "feed.xml").write_text(feed_xml(web.url("").rstrip("/")), encoding="utf-8")
            settings = validate(
                Settings(
                    storage=StorageSettings(path=str(tmp_path / "bot.db")),
                    fetch=FetchSettings(allow_private_addresses=True, full_text=False, timeout_seconds=5),
                    feeds=(FeedSettings(url=web.url("/feed.xml"), name="Local AI News"),),
                    discord=DiscordSettings(admins=(ADMIN,), api_base_url=dc.api_base, gateway_url=dc.gateway_url),
                )
            )
            store = Store(settings.storage.path)
            store.seed_feeds((f.url, f.name, None) for f in settings.feeds)
            await fetch_all(store, settings, now=NOW)
            store.close()
            yield dc, web, settings
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


def adapter_for(dc: FakeDiscord) -> DiscordAdapter:
    return DiscordAdapter(dc.token, api_base_url=dc.api_base, gateway_url=dc.gateway_url)


async def test_slash_commands_button_and_schedule_end_to_end(world) -> None:
    dc, web, settings = world
    stop = asyncio.Event()
    app = asyncio.create_task(
        run(settings, stop_event=stop, clock=lambda: NOW, adapters={"discord": adapter_for(dc)},
            fetch_at_start=False)
    )
    try:
        await asyncio.wait_for(dc.identified.wait(), 15)
        names = {c["name"] for c in dc.commands}
        assert {"digest", "more", "summarize", "subscribe", "addfeed", "status"} <= names

        digest_id = await dc.inject_slash(CHANNEL, "501", "digest")
        record = await dc.wait_shown(digest_id, 1, timeout=15)
        numbered = re.search(r"\(1/(\d+)", _text(record.shown[0].body))
        parts = int(numbered.group(1)) if numbered else 1
        record = await dc.wait_shown(digest_id, parts, timeout=15)  # "(1/4)": the digest's parts
        assert record.callback is not None and record.callback_after < 3.0  # answered in time
        assert not any(m.ephemeral for m in record.shown)  # the digest is for the whole channel
        shown = "\n".join(_text(m.body) for m in record.shown)
        assert "OpenAI releases a new reasoning model" in shown
        custom_ids = [c["custom_id"] for m in record.shown for row in m.body.get("components") or []
                      for c in row.get("components", [])]
        assert custom_ids and custom_ids[0].startswith("more:"), record.shown

        press = await dc.inject_button(CHANNEL, "501", custom_ids[0])
        detail = await dc.wait_shown(press, 1, timeout=15)
        assert detail.callback_after < 3.0
        assert "Link:" in _text(detail.shown[0].body) and "/articles/" in _text(detail.shown[0].body)

        refused_id = await dc.inject_slash(CHANNEL, "777", "addfeed", {"url": "https://example.org/feed"})
        refused = await dc.wait_shown(refused_id, 1)
        assert "administrators" in _text(refused.shown[0].body)
        assert refused.shown[0].ephemeral  # only the asker sees it (as Discord would show it)

        member_id = await dc.inject_slash(CHANNEL, "778", "subscribe", {"time": "08:30"})
        member = (await dc.wait_shown(member_id, 1)).shown[0]
        assert "administrators" in _text(member.body) and member.ephemeral
        sub_id = await dc.inject_slash(
            CHANNEL, "779", "subscribe", {"time": "08:30", "timezone": "Asia/Shanghai", "language": "en"},
            permissions=MANAGE_GUILD,
        )
        assert "08:30" in _text((await dc.wait_shown(sub_id, 1)).shown[0].body)
    finally:
        stop.set()
        await asyncio.wait_for(app, 20)

    store = Store(settings.storage.path)
    try:
        assert len(store.list_feeds(include_disabled=True)) == 1
        sub = store.find_subscription("discord", CHANNEL)
        fire = digest_trigger(sub.time, sub.timezone).get_next_fire_time(None, NOW)
        adapter = adapter_for(dc)
        services = build_services(settings, store, clock=lambda: fire, adapters={"discord": adapter})
        assert [r.status for r in await digest_job(services, fire)] == ["sent"]
        posted = await dc.wait_for(CHANNEL, 1, timeout=15)
        assert "OpenAI releases" in "\n".join(_text(p.payload) for p in posted)
        count = len(dc.delivered[CHANNEL])
        assert await digest_job(services, fire + timedelta(minutes=2)) == []
        assert len(dc.delivered[CHANNEL]) == count
        await adapter.stop()
    finally:
        store.close()
