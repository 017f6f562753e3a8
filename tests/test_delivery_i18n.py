"""Command menus in both languages (Telegram setMyCommands per language_code, Discord
description_localizations) and the adapters' own apology in the asker's language."""

from __future__ import annotations

import pytest
from fakes.discord_server import FakeDiscord
from fakes.telegram_server import FakeTelegram, ScaledClock

from bot.delivery.adapter import DISCORD_LIMITS, TELEGRAM_LIMITS
from bot.delivery.discord_adapter import DiscordAdapter
from bot.delivery.pacing import Pacer
from bot.delivery.telegram_adapter import TelegramAdapter
from bot.digest.discord_render import escape_discord
from handlers.catalog import CATALOG
from handlers.errors import apology

SCALE = 50.0
CHANNEL = "700000000000000011"


def pacer(limits):
    clock = ScaledClock(SCALE)
    return Pacer(limits, clock=clock.clock, sleep=clock.sleep, margin=0.1)


async def broken_handler(request):
    raise RuntimeError("a handler bug whose text must not reach the chat")


async def test_telegram_registers_one_menu_per_language_and_apologises_in_the_users_language():
    async with FakeTelegram(time_scale=SCALE) as tg:
        adapter = TelegramAdapter(tg.token, base_url=tg.base_url, pacer=pacer(TELEGRAM_LIMITS), poll_timeout=1)
        await adapter.start(broken_handler)
        try:
            await tg.inject_command("11", "11", "/digest", language="zh-hans")
            await tg.inject_command("12", "12", "/digest", language="en")
            zh = await tg.wait_for("11", 1)
            en = await tg.wait_for("12", 1)
        finally:
            await adapter.stop()
        menus = tg.commands_by_language
    assert set(menus) == {"", "zh"}  # default scope without language_code, plus Chinese
    assert {c["command"]: c["description"] for c in menus[""]} == {n: i.description["en"] for n, i in CATALOG.items()}
    assert {c["command"]: c["description"] for c in menus["zh"]} == {n: i.description["zh"] for n, i in CATALOG.items()}
    assert [d.plain for d in zh] == [apology("zh")] and [d.plain for d in en] == [apology("en")]
    assert apology("zh") != apology("en")


async def test_discord_slash_commands_carry_chinese_localizations_and_apologise_in_chinese():
    async with FakeDiscord(time_scale=SCALE) as dc:
        adapter = DiscordAdapter(dc.token, api_base_url=dc.api_base, gateway_url=dc.gateway_url,
                                 pacer=pacer(DISCORD_LIMITS))
        await adapter.start(broken_handler)
        try:
            registered = {c["name"]: c for c in dc.commands}
            zh = await dc.inject_slash(CHANNEL, 42, "more", {"article_id": "3"}, locale="zh-CN")
            en = await dc.inject_slash(CHANNEL, 43, "more", {"article_id": "3"}, locale="en-US")
            zh_record = await dc.wait_shown(zh)
            en_record = await dc.wait_shown(en)
        finally:
            await adapter.stop()
    assert set(registered) == set(CATALOG)
    for name, info in CATALOG.items():
        command = registered[name]
        assert command["description"] == info.description["en"]
        assert command["description_localizations"] == {"zh-CN": info.description["zh"]}
        options = {o["name"]: o for o in command["options"]}
        for param in info.params:
            assert options[param.name]["description"] == param.description["en"]
            assert options[param.name]["description_localizations"] == {"zh-CN": param.description["zh"]}
    assert zh_record.shown[0].content == escape_discord(apology("zh")) and zh_record.shown[0].ephemeral
    assert en_record.shown[0].content == escape_discord(apology("en")) and en_record.shown[0].ephemeral


@pytest.mark.parametrize("language", [None, "fr"])
def test_the_apology_falls_back_to_english(language):
    from bot.delivery.adapter import apology as adapter_apology

    assert adapter_apology(language) == apology("en")
