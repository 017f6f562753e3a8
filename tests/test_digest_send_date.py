"""`digest --date D --send` (issue 9): the digest of D goes to the chats it targets, once, complete;
flag combinations that cannot be honoured are refused in one line with exit 2."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fakes.discord_server import FakeDiscord
from fakes.telegram_server import FakeTelegram
from fakes.web import FakeWeb
from service_harness import DIGESTBOT, service_env, start, write_config

from bot.cli import main
from bot.config import load_settings
from bot.ingest.pipeline import fetch_all
from storage import Store

DAY = "2025-07-25"
CHAT, CHANNEL = "-1001", "700000000000000011"
# The corpus feeds with stories in the 31 days before D (the others only cost fetch time here).
FEEDS = ("openai_feeds.xml", "google_ai_blog_feed.xml", "google_ai_feeds.xml", "anthropic_aggregated.xml",
         "microsoft_ai_blog_feed.xml", "google_deepmind_blog_feed.xml", "feed_the_batch.xml",
         "feed_meta_ai.xml", "anthropic_engineering.xml")


@pytest.mark.parametrize(("flags", "named"), [
    (["--resend"], "--resend only applies with --send"),
    (["--all"], "--all only applies with --send"),
    (["--send", "--format", "json"], "--format does not apply with --send"),
    (["--send", "--output", "x.md"], "--output does not apply with --send"),
    (["--send", "--lang", "en"], "--lang does not apply with --send"),
])
def test_flags_that_cannot_be_honoured_are_refused(tmp_path: Path, capsys, flags: list[str], named: str) -> None:
    config = tmp_path / "digestbot.toml"
    config.write_text(f"[storage]\npath = '{tmp_path / 'd.db'}'\n[[feeds]]\nurl = 'https://x.example/f'\nname = 'X'\n")
    assert main(["--config", str(config), "digest", "--no-fetch", "--date", DAY, *flags]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"digestbot: {named}"), err
    assert not (tmp_path / "x.md").exists()


async def test_date_send_all_delivers_that_days_digest_complete_and_only_once(corpus: Path, tmp_path: Path) -> None:
    files = [corpus / "feeds" / name for name in FEEDS if (corpus / "feeds" / name).is_file()]
    async with FakeWeb(root=corpus / "feeds") as web, FakeTelegram() as tg, FakeDiscord() as dc:
        config = write_config(tmp_path / "digestbot.toml", db=tmp_path / "d.db",
                              feed_urls=[web.url(p.name) for p in files], tg_base=tg.base_url,
                              dc_api=dc.api_base, dc_gateway=dc.gateway_url,
                              extra='[digest]\ntimezone = "UTC"\nlookback_hours = 744\nmax_items = 12\n')
        settings = load_settings(str(config))
        store = Store(settings.storage.path)
        store.seed_feeds(settings.feed_seeds())
        await fetch_all(store, settings, now=datetime(2025, 7, 26, tzinfo=UTC))  # what `digestbot fetch` does
        telegram = store.subscribe("telegram", CHAT, "08:00", "UTC", "en")
        discord_sub = store.subscribe("discord", CHANNEL, "09:30", "Asia/Shanghai", "zh")
        store.close()

        env = service_env(tg.token, dc.token)
        argv = [str(DIGESTBOT), "--config", str(config), "digest", "--date", DAY, "--no-fetch", "--send", "--all"]
        send = await start(argv, env=env, cwd=tmp_path, name="send")
        assert await send.wait(120) == 0, send.err()[-3000:]
        again = await start(argv, env=env, cwd=tmp_path, name="again")
        assert await again.wait(60) == 0, again.err()[-3000:]

    store = Store(settings.storage.path)
    try:
        got = {"telegram": tg.texts(CHAT), "discord": [p.content for p in dc.delivered[CHANNEL]]}
        lines = send.out().strip().splitlines()
        for sub in (telegram, discord_sub):
            [delivery] = store.deliveries_for(sub.id)
            assert (delivery.date, delivery.status) == (DAY, "sent")  # D, not today
            expected = [m.message for m in store.outbox_messages(delivery.id)]
            assert len(expected) >= 2
            assert f"#{sub.id} {sub.platform}:{sub.chat_id}: sent {len(expected)} messages" in lines
            if sub.platform == "telegram":
                assert got["telegram"] == [m.text for m in expected]  # all of it, in order, once
            else:
                assert got["discord"] == [m.text for m in expected]
            digest = store.get_digest(DAY, sub.language)
            assert digest is not None and digest.date == date(2025, 7, 25) and len(digest.items()) == 12
        # feed text reaches Telegram with a word joiner after @ / # $, so it never makes entities
        plain = "\n".join(d.plain for d in tg.delivered[CHAT]).replace("\u2060", "")
        assert DAY in plain
        assert all(item.title in plain for item in store.get_digest(DAY, "en").items())  # every item arrived
        linked = {e.get("url") for p in dc.delivered[CHANNEL] for e in p.embeds}
        assert {item.url for item in store.get_digest(DAY, "zh").items()} <= linked
    finally:
        store.close()
    assert again.out().strip().splitlines() == [
        f"#{telegram.id} telegram:{CHAT}: skipped: already sent",
        f"#{discord_sub.id} discord:{CHANNEL}: skipped: already sent",
    ]
