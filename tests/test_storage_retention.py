"""The logs stay bounded however long the bot runs: every fetch run deletes the fetch log's and the
model-call log's rows, and the text of messages already delivered, older than
`storage.keep_log_days`, in short batches; articles and deliveries are kept."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from fakes.web import FakeWeb

from bot.config import FetchSettings, Settings, StorageSettings
from bot.ingest.pipeline import fetch_all
from bot.models import OutMessage
from storage import Store

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def _log_times(store: Store) -> list[datetime]:
    return sorted(datetime.fromisoformat(r[0]) for r in store.db.execute("SELECT at FROM fetch_log"))


def _call_times(store: Store) -> list[datetime]:
    return sorted(datetime.fromisoformat(r[0]) for r in store.db.execute("SELECT at FROM model_calls"))


def test_prune_takes_only_rows_older_than_the_cut_a_batch_at_a_time(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed.xml", "A")
    days = [NOW - timedelta(days=d) for d in range(0, 200, 10)]  # 20 days of rows, 10 days apart
    for at in days:
        store.record_fetch(feed.id, at=at, status="unchanged", http_status=304)
        store.record_model_call("m", True, prompt_tokens=5, at=at)
    cut = NOW - timedelta(days=90)
    older = sum(at < cut for at in days)  # 90 days ago exactly is kept: only rows before the cut go
    assert older == 10 and cut in days
    assert store.prune_logs(cut, batch=4) == 8  # at most 4 rows from each log in one call
    removed = 8
    while done := store.prune_logs(cut, batch=4):
        removed += done
    assert removed == 2 * older
    kept = sorted(at for at in days if at >= cut)
    assert _log_times(store) == kept and _call_times(store) == kept
    assert store.last_fetch_time() == NOW


def test_sent_messages_go_and_their_delivery_stays_so_the_date_is_never_sent_again(store: Store) -> None:
    """The text of a digest already delivered goes with the logs; a delivery still pending (it may
    be resumed) or failed keeps its messages, and every delivery row stays."""
    messages = [OutMessage(text=f"part {i}") for i in range(3)]
    deliveries = {}
    for chat, outcome in (("1", "sent"), ("2", "failed"), ("3", "pending")):
        sub = store.subscribe("telegram", chat, "08:00", "UTC", "en")
        delivery = store.open_delivery(sub.id, "2026-05-01", messages)
        if outcome == "sent":
            for message in store.outbox_messages(delivery.id):
                store.mark_sent(message.id, f"m{message.seq}", at=NOW)
        if outcome != "pending":
            store.finish_delivery(delivery.id, outcome)
        deliveries[outcome] = (sub.id, delivery.id)
    # finished_at is the wall clock's, so the cut is taken from it
    assert store.prune_logs(datetime.now(UTC) - timedelta(minutes=5)) == 0  # finished after this cut
    assert store.prune_logs(datetime.now(UTC) + timedelta(minutes=5)) == 3
    assert store.prune_logs(datetime.now(UTC) + timedelta(minutes=5)) == 0
    assert store.outbox_messages(deliveries["sent"][1]) == []
    assert len(store.outbox_messages(deliveries["failed"][1])) == 3
    assert len(store.outbox_messages(deliveries["pending"][1], pending_only=True)) == 3
    # the last send a platform made is still known (`status`), from when its delivery finished
    finished = store.db.execute("SELECT finished_at FROM deliveries WHERE status = 'sent'").fetchone()[0]
    assert store.last_sent_by_platform() == {"telegram": datetime.fromisoformat(finished)}
    sub_id, delivery_id = deliveries["sent"]
    again = store.open_delivery(sub_id, "2026-05-01", messages)  # what a later send of that date does
    assert (again.id, again.status) == (delivery_id, "sent") and store.outbox_messages(delivery_id) == []


def _feed(n: int, at: datetime) -> str:
    items = "".join(
        f"<item><title>Story {n}.{i}</title><link>https://news.example/{n}/{i}</link>"
        f"<pubDate>{at:%a, %d %b %Y %H:%M:%S} +0000</pubDate><description>Text {n} {i}.</description></item>"
        for i in range(2))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>F{n}</title>{items}</channel></rss>'


async def test_a_year_of_fetch_runs_keeps_the_log_within_the_window(store: Store) -> None:
    """Twelve monthly fetch runs of three real feeds over HTTP with a 45-day window: after each run
    the log holds that run and the one before it, never older rows; every article stays."""
    keep = 45
    settings = Settings(storage=StorageSettings(keep_log_days=keep),
                        fetch=FetchSettings(allow_private_addresses=True, timeout_seconds=2, full_text=False))
    async with FakeWeb() as web:
        feeds = [store.add_feed(web.url(f"/f{n}.xml"), "").id for n in range(3)]
        articles = 0
        for month in range(12):
            now = NOW + timedelta(days=30 * month)
            for n in range(3):  # each month's feed carries new stories, so nothing answers 304
                web.add(f"/f{n}.xml", _feed(n * 100 + month, now), content_type="application/rss+xml")
            store.record_model_call("m", True, at=now)
            outcomes = await fetch_all(store, settings, now=now)
            assert [o.status for o in outcomes] == ["new"] * 3
            articles += 6
            times = _log_times(store)
            assert min(times) >= now - timedelta(days=keep), month
            assert len(times) == 3 * min(month + 1, 2)  # this run's rows and the last run's
            assert _call_times(store)[0] >= now - timedelta(days=keep)
            assert store.count_articles() == articles  # articles are never pruned
    assert all(store.fetch_log(f, limit=1)[0]["status"] == "new" for f in feeds)


async def test_zero_keeps_every_row(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed.xml", "A")
    old = NOW - timedelta(days=3650)
    store.record_fetch(feed.id, at=old, status="unchanged")
    store.record_model_call("m", False, at=old)
    store.remove_feed(feed.id)  # nothing to poll: the run only prunes (or, here, does not)
    await fetch_all(store, dataclasses.replace(Settings(), storage=StorageSettings(keep_log_days=0)), now=NOW)
    assert _log_times(store) == [old] and _call_times(store) == [old]
    await fetch_all(store, Settings(), now=NOW)  # the default, 90 days
    assert _log_times(store) == [] and _call_times(store) == []
