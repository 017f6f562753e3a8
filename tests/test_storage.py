"""Storage: migrations, WAL, idempotent keys, and the outbox's once-per-date rule, on real SQLite."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.models import Digest, DigestStats, NewArticle, OutMessage, Summary
from storage import Store
from storage.schema import MIGRATIONS

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def _new(feed_id: int, url: str, **kw: object) -> NewArticle:
    base = dict(
        feed_id=feed_id, url=url, title="A title", source="Feed", published=NOW, language="en",
        text="Some text.", original_chars=10, content_hash="h-" + url,
    )
    base.update(kw)
    return NewArticle(**base)  # type: ignore[arg-type]


def test_file_store_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "d.db"
    s = Store(path)
    assert s.version == len(MIGRATIONS)
    assert s.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    s.close()
    again = Store(path)  # reopening applies nothing twice
    assert again.version == len(MIGRATIONS)
    assert again.integrity_check() == "ok"
    again.close()


def test_feeds_add_is_idempotent_and_remove_is_soft(store: Store) -> None:
    a = store.add_feed("https://a.example/feed", "A", "products")
    assert store.add_feed("https://a.example/feed", "other name").id == a.id
    assert store.seed_feeds([("https://a.example/feed", "A", None), ("https://b.example/rss", "B", None)]) == 1
    assert [f.url for f in store.list_feeds()] == ["https://a.example/feed", "https://b.example/rss"]
    assert store.remove_feed(a.id) and not store.remove_feed(a.id)
    assert [f.name for f in store.list_feeds()] == ["B"]
    # a removed config feed stays removed when the config is seeded again
    assert store.seed_feeds([("https://a.example/feed", "A", None)]) == 0
    assert store.add_feed("https://a.example/feed").enabled


def test_record_fetch_updates_state_and_log(store: Store) -> None:
    f = store.add_feed("https://a.example/feed")
    store.record_fetch(f.id, at=NOW, status="failed", error="HTTP 500", failures=2,
                       next_fetch_after=NOW + timedelta(hours=2), name="Feed A")
    got = store.get_feed(f.id)
    assert got and got.failures == 2 and got.last_error == "HTTP 500" and got.name == "Feed A"
    assert got.next_fetch_after == NOW + timedelta(hours=2)
    assert [x.id for x in store.failing_feeds()] == [f.id]
    store.record_fetch(f.id, at=NOW, status="new", etag='"v1"', new_articles=3)
    got = store.get_feed(f.id)
    assert got and got.etag == '"v1"' and got.failures == 0 and got.last_error is None
    assert [r["status"] for r in store.fetch_log(f.id)] == ["new", "failed"]


def test_articles_stories_and_sources(store: Store) -> None:
    fa = store.add_feed("https://a.example/feed", "A")
    fb = store.add_feed("https://b.example/feed", "B")
    first = store.add_article(_new(fa.id, "https://a.example/1", guid="g1"))
    assert first.story_id == first.id
    copy = store.add_article(_new(fb.id, "https://b.example/copy", source="B"), story_id=first.id)
    assert copy.story_id == first.id
    assert store.find_article("https://nowhere", "g1") == first
    assert store.add_sighting(first.id, fb.id, "https://a.example/1") is True
    assert store.add_sighting(first.id, fb.id, "https://a.example/1") is False
    sources = {(s.url, s.source) for s in store.story_sources(first.id)}
    assert sources == {("https://a.example/1", "A"), ("https://b.example/copy", "B"),
                       ("https://a.example/1", "B")}
    assert [a.id for a in store.articles_between(NOW, NOW + timedelta(seconds=1))] == [first.id, copy.id]
    assert store.articles_between(NOW + timedelta(seconds=1), NOW + timedelta(hours=1)) == []


def test_summary_cache_round_trip(store: Store) -> None:
    s = Summary(title="T", emoji="🚀", points=("a", "b", "c"), section="products", importance=0.5,
                provider="openai", model="m", language="zh")
    store.put_summary("hash", s)
    assert store.get_summary("hash", "openai", "m", "zh", "points") == s
    assert store.get_summary("hash", "openai", "m", "en", "points") is None
    store.record_model_call("m", True, 100, 20, at=NOW)
    store.record_model_call("m", False, error="HTTP 500", at=NOW)
    usage = store.model_usage_since(NOW - timedelta(hours=1))
    assert {k: usage[k] for k in ("calls", "failures", "prompt_tokens", "completion_tokens")} == {
        "calls": 2, "failures": 1, "prompt_tokens": 100, "completion_tokens": 20}


def test_digest_round_trip(store: Store) -> None:
    d = Digest(date=date(2026, 11, 29), language="zh", title="T",
               stats=DigestStats(1, 1, 100, 10, 1, 900, 0, 0), highlights=(), sections=())
    store.save_digest(d)
    assert store.get_digest("2026-11-29", "zh") == d
    assert store.latest_digest("zh") == d and store.latest_digest("en") is None


def test_one_delivery_per_subscription_and_date(store: Store) -> None:
    sub = store.subscribe("telegram", "-100", "08:30", "Asia/Shanghai", "zh", ["products"])
    assert store.subscribe("telegram", "-100", "09:00", "UTC", "en").id == sub.id
    msgs = [OutMessage(text="one"), OutMessage(text="two")]
    d = store.open_delivery(sub.id, "2026-11-29", msgs)
    again = store.open_delivery(sub.id, "2026-11-29", msgs + [OutMessage(text="three")])
    assert again.id == d.id
    pending = store.outbox_messages(d.id, pending_only=True)
    assert [m.message.text for m in pending] == ["one", "two"]
    store.mark_sending(pending[0].id)
    store.mark_sent(pending[0].id, "77")
    assert [m.message.text for m in store.outbox_messages(d.id, pending_only=True)] == ["two"]
    assert store.outbox_depth() == 1
    store.finish_delivery(d.id, "sent")
    assert store.get_delivery(sub.id, "2026-11-29").status == "sent"  # type: ignore[union-attr]
    store.reopen_delivery(d.id, resend_all=True)
    assert len(store.outbox_messages(d.id, pending_only=True)) == 2


def test_subscription_disable_move_remove(store: Store) -> None:
    sub = store.subscribe("telegram", "-1", "08:00", "UTC", "en")
    store.disable_subscription(sub.id, "bot was blocked")
    assert store.list_subscriptions(enabled_only=True) == []
    moved = store.move_subscription(sub.id, "-1001")
    assert moved.chat_id == "-1001" and not moved.enabled
    store.open_delivery(sub.id, "2026-11-29", [OutMessage(text="x")])
    assert store.remove_subscription(sub.id) and store.list_subscriptions() == []


def test_user_request_counts(store: Store) -> None:
    for minutes in (0, 10, 70):
        store.record_user_request("telegram", "5", "summarize", NOW - timedelta(minutes=minutes))
    assert store.count_user_requests("telegram", "5", "summarize", NOW - timedelta(hours=1)) == 2


def test_a_second_connection_sees_committed_rows(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    s = Store(path)
    s.add_feed("https://a.example/feed")
    other = sqlite3.connect(path)
    assert other.execute("SELECT COUNT(*) FROM feeds").fetchone()[0] == 1
    other.close()
    s.close()

