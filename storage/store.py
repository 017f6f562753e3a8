"""The store: the only module that writes SQL; it takes and returns the project's own types."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.models import (
    AlsoSource,
    Article,
    Delivery,
    Digest,
    Feed,
    NewArticle,
    OutboxMessage,
    OutMessage,
    Subscription,
    Summary,
)
from storage.schema import migrate


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _now() -> datetime:
    return datetime.now(UTC)


class Store:
    """One SQLite file (or ':memory:'), WAL mode, migrated on open."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self.db = sqlite_utils.Database(conn)
        if self.path != ":memory:":
            self.db.enable_wal()
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.version = migrate(self.db)

    def close(self) -> None:
        self.db.conn.close()

    def integrity_check(self) -> str:
        return str(self.db.execute("PRAGMA integrity_check").fetchone()[0])

    def _one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        cur = self.db.execute(sql, params)
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([c[0] for c in cur.description], row, strict=True))  # type: ignore[return-value]

    def _all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        cur = self.db.execute(sql, params)
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    # ------------------------------------------------------------ feeds

    @staticmethod
    def _feed(row: dict[str, Any]) -> Feed:
        return Feed(
            id=row["id"],
            url=row["url"],
            name=row["name"],
            section=row["section"] or None,
            etag=row["etag"],
            last_modified=row["last_modified"],
            failures=row["failures"],
            next_fetch_after=_dt(row["next_fetch_after"]),
            last_error=row["last_error"],
            last_fetched=_dt(row["last_fetched"]),
            last_status=row["last_status"],
            enabled=bool(row["enabled"]),
        )

    def add_feed(
        self, url: str, name: str = "", section: str | None = None, origin: str = "command"
    ) -> Feed:
        """Add a feed, or re-enable it when it was removed; an existing feed is returned as is."""
        existing = self._one("SELECT * FROM feeds WHERE url = ?", [url])
        with self.db.conn:
            if existing is None:
                self.db.execute(
                    "INSERT INTO feeds (url, name, section, origin, created_at) VALUES (?,?,?,?,?)",
                    [url, name, section or None, origin, _iso(_now())],
                )
            elif not existing["enabled"]:
                self.db.execute(
                    "UPDATE feeds SET enabled = 1, name = COALESCE(NULLIF(?, ''), name), "
                    "section = COALESCE(?, section) WHERE id = ?",
                    [name, section or None, existing["id"]],
                )
        row = self._one("SELECT * FROM feeds WHERE url = ?", [url])
        assert row is not None
        return self._feed(row)

    def seed_feeds(self, feeds: Iterable[tuple[str, str, str | None]]) -> int:
        """Insert config feeds not yet known (removed ones stay removed); return how many."""
        added = 0
        for url, name, section in feeds:
            if self._one("SELECT id FROM feeds WHERE url = ?", [url]) is None:
                self.add_feed(url, name, section, origin="config")
                added += 1
        return added

    def get_feed(self, feed_id: int) -> Feed | None:
        row = self._one("SELECT * FROM feeds WHERE id = ?", [feed_id])
        return self._feed(row) if row else None

    def list_feeds(self, include_disabled: bool = False) -> list[Feed]:
        where = "" if include_disabled else "WHERE enabled = 1"
        return [self._feed(r) for r in self._all(f"SELECT * FROM feeds {where} ORDER BY id")]

    def remove_feed(self, feed_id: int) -> bool:
        """Stop polling a feed; its articles stay (digests and ids keep working)."""
        with self.db.conn:
            cur = self.db.execute(
                "UPDATE feeds SET enabled = 0 WHERE id = ? AND enabled = 1", [feed_id]
            )
        return cur.rowcount > 0

    def record_fetch(
        self,
        feed_id: int,
        *,
        at: datetime,
        status: str,
        http_status: int | None = None,
        new_articles: int = 0,
        error: str | None = None,
        duration_ms: int | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        failures: int = 0,
        next_fetch_after: datetime | None = None,
        name: str | None = None,
    ) -> None:
        """Log one poll and update the feed's conditional-GET and backoff state."""
        with self.db.conn:
            self.db.execute(
                "INSERT INTO fetch_log (feed_id, at, status, http_status, new_articles, error, "
                "duration_ms) VALUES (?,?,?,?,?,?,?)",
                [feed_id, _iso(at), status, http_status, new_articles, error, duration_ms],
            )
            self.db.execute(
                "UPDATE feeds SET last_fetched = ?, last_status = ?, last_error = ?, failures = ?, "
                "next_fetch_after = ?, etag = COALESCE(?, etag), "
                "last_modified = COALESCE(?, last_modified), "
                "name = CASE WHEN name = '' AND ? IS NOT NULL THEN ? ELSE name END WHERE id = ?",
                [
                    _iso(at), status, error, failures, _iso(next_fetch_after), etag,
                    last_modified, name, name, feed_id,
                ],
            )

    def fetch_log(self, feed_id: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
        if feed_id is None:
            return self._all("SELECT * FROM fetch_log ORDER BY id DESC LIMIT ?", [limit])
        return self._all(
            "SELECT * FROM fetch_log WHERE feed_id = ? ORDER BY id DESC LIMIT ?", [feed_id, limit]
        )

    def last_fetch_time(self) -> datetime | None:
        row = self._one("SELECT MAX(at) AS at FROM fetch_log")
        return _dt(row["at"]) if row else None

    def failing_feeds(self) -> list[Feed]:
        return [
            self._feed(r)
            for r in self._all(
                "SELECT * FROM feeds WHERE enabled = 1 AND last_status = 'failed' ORDER BY id"
            )
        ]

    # ------------------------------------------------------------ articles

    @staticmethod
    def _article(row: dict[str, Any]) -> Article:
        published = _dt(row["published"])
        fetched = _dt(row["fetched_at"])
        assert published is not None and fetched is not None
        return Article(
            id=row["id"],
            feed_id=row["feed_id"],
            url=row["url"],
            guid=row["guid"],
            title=row["title"],
            source=row["source"],
            published=published,
            language=row["language"],
            text=row["text"],
            original_chars=row["original_chars"],
            content_hash=row["content_hash"],
            story_id=row["story_id"],
            fetched_at=fetched,
        )

    def find_article(self, url: str, guid: str | None = None) -> Article | None:
        """The stored article with this canonical URL, or (failing that) this GUID."""
        row = self._one("SELECT * FROM articles WHERE url = ?", [url])
        if row is None and guid:
            row = self._one("SELECT * FROM articles WHERE guid = ? LIMIT 1", [guid])
        return self._article(row) if row else None

    def add_article(self, new: NewArticle, story_id: int | None = None, at: datetime | None = None) -> Article:
        """Store a new article (first in its story unless `story_id` is given) and its sighting."""
        at = at or _now()
        with self.db.conn:
            cur = self.db.execute(
                "INSERT INTO articles (feed_id, url, guid, title, source, published, language, "
                "text, original_chars, content_hash, story_id, fetched_at, signature) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    new.feed_id, new.url, new.guid, new.title, new.source, _iso(new.published),
                    new.language, new.text, new.original_chars, new.content_hash,
                    story_id or 0, _iso(at), new.signature,
                ],
            )
            article_id = cur.lastrowid
            if not story_id:
                self.db.execute("UPDATE articles SET story_id = id WHERE id = ?", [article_id])
            self.db.execute(
                "INSERT OR IGNORE INTO sightings (article_id, feed_id, url, seen_at) VALUES (?,?,?,?)",
                [article_id, new.feed_id, new.url, _iso(at)],
            )
        article = self.get_article(int(article_id or 0))
        assert article is not None
        return article

    def add_sighting(self, article_id: int, feed_id: int, url: str, at: datetime | None = None) -> bool:
        """Record that a feed carried an article already stored; True when this feed is new to it."""
        with self.db.conn:
            cur = self.db.execute(
                "INSERT OR IGNORE INTO sightings (article_id, feed_id, url, seen_at) VALUES (?,?,?,?)",
                [article_id, feed_id, url, _iso(at or _now())],
            )
        return cur.rowcount > 0

    def update_article_text(self, article_id: int, text: str, original_chars: int, content_hash: str) -> None:
        with self.db.conn:
            self.db.execute(
                "UPDATE articles SET text = ?, original_chars = ?, content_hash = ? WHERE id = ?",
                [text, original_chars, content_hash, article_id],
            )

    def get_article(self, article_id: int) -> Article | None:
        row = self._one("SELECT * FROM articles WHERE id = ?", [article_id])
        return self._article(row) if row else None

    def articles_between(self, start: datetime, end: datetime) -> list[Article]:
        """Articles published in [start, end), oldest first."""
        rows = self._all(
            "SELECT * FROM articles WHERE published >= ? AND published < ? ORDER BY published, id",
            [_iso(start), _iso(end)],
        )
        return [self._article(r) for r in rows]

    def recent_signatures(self, since: datetime) -> list[tuple[int, int, bytes]]:
        """(article id, story id, signature) of articles fetched or published since `since`."""
        rows = self.db.execute(
            "SELECT id, story_id, signature FROM articles WHERE signature IS NOT NULL "
            "AND (published >= ? OR fetched_at >= ?)",
            [_iso(since), _iso(since)],
        ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    def story_articles(self, story_id: int) -> list[Article]:
        rows = self._all("SELECT * FROM articles WHERE story_id = ? ORDER BY id", [story_id])
        return [self._article(r) for r in rows]

    def story_sources(self, story_id: int) -> list[AlsoSource]:
        """Every (url, source name) that carried this story: its articles and the feeds that
        repeated them, de-duplicated, first seen first."""
        rows = self._all(
            "SELECT s.url AS url, COALESCE(NULLIF(f.name, ''), f.url) AS source, s.seen_at "
            "FROM sightings s JOIN articles a ON a.id = s.article_id "
            "JOIN feeds f ON f.id = s.feed_id WHERE a.story_id = ? ORDER BY s.seen_at, a.id",
            [story_id],
        )
        seen: set[tuple[str, str]] = set()
        out: list[AlsoSource] = []
        for r in rows:
            key = (r["url"], r["source"])
            if key not in seen:
                seen.add(key)
                out.append(AlsoSource(url=r["url"], source=r["source"]))
        return out

    def count_articles(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    # ------------------------------------------------------------ summaries and model usage

    def get_summary(
        self, content_hash: str, provider: str, model: str, language: str, kind: str
    ) -> Summary | None:
        row = self._one(
            "SELECT payload FROM summaries WHERE content_hash = ? AND provider = ? AND model = ? "
            "AND language = ? AND kind = ?",
            [content_hash, provider, model, language, kind],
        )
        if row is None:
            return None
        data = json.loads(row["payload"])
        data["points"] = tuple(data["points"])
        return Summary(**data)

    def put_summary(self, content_hash: str, summary: Summary) -> None:
        payload = json.dumps(
            {k: (list(v) if isinstance(v, tuple) else v) for k, v in summary.__dict__.items()},
            ensure_ascii=False,
        )
        with self.db.conn:
            self.db.execute(
                "INSERT OR REPLACE INTO summaries (content_hash, provider, model, language, kind, "
                "payload, created_at) VALUES (?,?,?,?,?,?,?)",
                [
                    content_hash, summary.provider, summary.model, summary.language,
                    summary.kind, payload, _iso(_now()),
                ],
            )

    def record_model_call(
        self,
        model: str,
        ok: bool,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        error: str | None = None,
        at: datetime | None = None,
    ) -> None:
        with self.db.conn:
            self.db.execute(
                "INSERT INTO model_calls (at, model, ok, prompt_tokens, completion_tokens, error) "
                "VALUES (?,?,?,?,?,?)",
                [_iso(at or _now()), model, int(ok), prompt_tokens, completion_tokens, error],
            )

    def model_usage_since(self, since: datetime) -> dict[str, int]:
        row = self._one(
            "SELECT COUNT(*) AS calls, COALESCE(SUM(1 - ok), 0) AS failures, "
            "COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens, "
            "COALESCE(SUM(completion_tokens), 0) AS completion_tokens "
            "FROM model_calls WHERE at >= ?",
            [_iso(since)],
        )
        assert row is not None
        return {k: int(v) for k, v in row.items()}

    # ------------------------------------------------------------ digests

    def save_digest(self, digest: Digest) -> None:
        with self.db.conn:
            self.db.execute(
                "INSERT OR REPLACE INTO digests (date, language, payload, created_at) VALUES (?,?,?,?)",
                [
                    digest.date.isoformat(), digest.language,
                    json.dumps(digest.to_dict(), ensure_ascii=False), _iso(_now()),
                ],
            )

    def get_digest(self, date: str, language: str) -> Digest | None:
        row = self._one(
            "SELECT payload FROM digests WHERE date = ? AND language = ?", [date, language]
        )
        return Digest.from_dict(json.loads(row["payload"])) if row else None

    def latest_digest(self, language: str) -> Digest | None:
        row = self._one(
            "SELECT payload FROM digests WHERE language = ? ORDER BY date DESC LIMIT 1", [language]
        )
        return Digest.from_dict(json.loads(row["payload"])) if row else None

    # ------------------------------------------------------------ subscriptions

    @staticmethod
    def _subscription(row: dict[str, Any]) -> Subscription:
        return Subscription(
            id=row["id"],
            platform=row["platform"],
            chat_id=row["chat_id"],
            time=row["time"],
            timezone=row["timezone"],
            language=row["language"],
            sections=tuple(json.loads(row["sections"])),
            enabled=bool(row["enabled"]),
            disabled_reason=row["disabled_reason"],
        )

    def subscribe(
        self,
        platform: str,
        chat_id: str,
        time: str,
        timezone: str,
        language: str,
        sections: Sequence[str] = (),
    ) -> Subscription:
        """Create or update the one subscription of a chat (re-enabling it)."""
        with self.db.conn:
            self.db.execute(
                "INSERT INTO subscriptions (platform, chat_id, time, timezone, language, sections, "
                "created_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT (platform, chat_id) DO UPDATE SET "
                "time = excluded.time, timezone = excluded.timezone, language = excluded.language, "
                "sections = excluded.sections, enabled = 1, disabled_reason = NULL",
                [platform, str(chat_id), time, timezone, language, json.dumps(list(sections)), _iso(_now())],
            )
        found = self.find_subscription(platform, str(chat_id))
        assert found is not None
        return found

    def get_subscription(self, sub_id: int) -> Subscription | None:
        row = self._one("SELECT * FROM subscriptions WHERE id = ?", [sub_id])
        return self._subscription(row) if row else None

    def find_subscription(self, platform: str, chat_id: str) -> Subscription | None:
        row = self._one(
            "SELECT * FROM subscriptions WHERE platform = ? AND chat_id = ?", [platform, str(chat_id)]
        )
        return self._subscription(row) if row else None

    def list_subscriptions(self, enabled_only: bool = False) -> list[Subscription]:
        where = "WHERE enabled = 1" if enabled_only else ""
        return [self._subscription(r) for r in self._all(f"SELECT * FROM subscriptions {where} ORDER BY id")]

    def remove_subscription(self, sub_id: int) -> bool:
        """Delete a subscription with its delivery history."""
        with self.db.conn:
            self.db.execute(
                "DELETE FROM outbox WHERE delivery_id IN (SELECT id FROM deliveries WHERE subscription_id = ?)",
                [sub_id],
            )
            self.db.execute("DELETE FROM deliveries WHERE subscription_id = ?", [sub_id])
            cur = self.db.execute("DELETE FROM subscriptions WHERE id = ?", [sub_id])
        return cur.rowcount > 0

    def disable_subscription(self, sub_id: int, reason: str) -> None:
        with self.db.conn:
            self.db.execute(
                "UPDATE subscriptions SET enabled = 0, disabled_reason = ? WHERE id = ?", [reason, sub_id]
            )

    def move_subscription(self, sub_id: int, new_chat_id: str) -> Subscription:
        """A Telegram group became a supergroup: the subscription follows it to its new id."""
        with self.db.conn:
            self.db.execute(
                "UPDATE subscriptions SET chat_id = ? WHERE id = ?", [str(new_chat_id), sub_id]
            )
        found = self.get_subscription(sub_id)
        assert found is not None
        return found

    # ------------------------------------------------------------ deliveries and outbox

    @staticmethod
    def _delivery(row: dict[str, Any]) -> Delivery:
        return Delivery(
            id=row["id"], subscription_id=row["subscription_id"], date=row["date"],
            status=row["status"], error=row["error"],
        )

    def get_delivery(self, subscription_id: int, date: str) -> Delivery | None:
        row = self._one(
            "SELECT * FROM deliveries WHERE subscription_id = ? AND date = ?", [subscription_id, date]
        )
        return self._delivery(row) if row else None

    def open_delivery(self, subscription_id: int, date: str, messages: Sequence[OutMessage]) -> Delivery:
        """Create the delivery for (subscription, date) with its messages in one transaction; when it
        already exists, return it untouched (so a rerun never enqueues a digest twice)."""
        with self.db.conn:
            self.db.execute(
                "INSERT OR IGNORE INTO deliveries (subscription_id, date, status, created_at) "
                "VALUES (?,?,?,?)",
                [subscription_id, date, "pending", _iso(_now())],
            )
            row = self._one(
                "SELECT * FROM deliveries WHERE subscription_id = ? AND date = ?", [subscription_id, date]
            )
            assert row is not None
            has = self._one("SELECT 1 AS x FROM outbox WHERE delivery_id = ? LIMIT 1", [row["id"]])
            if has is None and row["status"] == "pending":
                for seq, message in enumerate(messages):
                    self.db.execute(
                        "INSERT INTO outbox (delivery_id, seq, payload, status) VALUES (?,?,?,?)",
                        [row["id"], seq, json.dumps(message.to_dict(), ensure_ascii=False), "pending"],
                    )
        return self._delivery(row)

    @staticmethod
    def _outbox(row: dict[str, Any]) -> OutboxMessage:
        return OutboxMessage(
            id=row["id"], delivery_id=row["delivery_id"], seq=row["seq"],
            message=OutMessage.from_dict(json.loads(row["payload"])), status=row["status"],
            platform_message_id=row["platform_message_id"], attempts=row["attempts"],
        )

    def outbox_messages(self, delivery_id: int, pending_only: bool = False) -> list[OutboxMessage]:
        extra = "AND status = 'pending'" if pending_only else ""
        rows = self._all(
            f"SELECT * FROM outbox WHERE delivery_id = ? {extra} ORDER BY seq", [delivery_id]
        )
        return [self._outbox(r) for r in rows]

    def mark_sending(self, message_id: int) -> None:
        """Count an attempt before the request goes out (so a crash mid-send is visible)."""
        with self.db.conn:
            self.db.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", [message_id])

    def mark_sent(self, message_id: int, platform_message_id: str, at: datetime | None = None) -> None:
        with self.db.conn:
            self.db.execute(
                "UPDATE outbox SET status = 'sent', platform_message_id = ?, sent_at = ?, "
                "last_error = NULL WHERE id = ?",
                [str(platform_message_id), _iso(at or _now()), message_id],
            )

    def mark_message_error(self, message_id: int, error: str) -> None:
        with self.db.conn:
            self.db.execute("UPDATE outbox SET last_error = ? WHERE id = ?", [error, message_id])

    def finish_delivery(self, delivery_id: int, status: str, error: str | None = None) -> None:
        with self.db.conn:
            self.db.execute(
                "UPDATE deliveries SET status = ?, error = ?, finished_at = ? WHERE id = ?",
                [status, error, _iso(_now()), delivery_id],
            )

    def reopen_delivery(self, delivery_id: int, resend_all: bool = False) -> None:
        """Make a delivery pending again (after a chat migration, every message is resent)."""
        with self.db.conn:
            self.db.execute(
                "UPDATE deliveries SET status = 'pending', error = NULL, finished_at = NULL WHERE id = ?",
                [delivery_id],
            )
            if resend_all:
                self.db.execute(
                    "UPDATE outbox SET status = 'pending', platform_message_id = NULL WHERE delivery_id = ?",
                    [delivery_id],
                )

    def pending_deliveries(self) -> list[Delivery]:
        return [self._delivery(r) for r in self._all("SELECT * FROM deliveries WHERE status = 'pending' ORDER BY id")]

    def outbox_depth(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0])

    def deliveries_for(self, subscription_id: int) -> list[Delivery]:
        rows = self._all("SELECT * FROM deliveries WHERE subscription_id = ? ORDER BY date", [subscription_id])
        return [self._delivery(r) for r in rows]

    # ------------------------------------------------------------ per-user rate limits

    def count_user_requests(self, platform: str, user_id: str, kind: str, since: datetime) -> int:
        row = self.db.execute(
            "SELECT COUNT(*) FROM user_requests WHERE platform = ? AND user_id = ? AND kind = ? AND at >= ?",
            [platform, str(user_id), kind, _iso(since)],
        ).fetchone()
        return int(row[0])

    def record_user_request(self, platform: str, user_id: str, kind: str, at: datetime) -> None:
        with self.db.conn:
            self.db.execute(
                "INSERT INTO user_requests (platform, user_id, kind, at) VALUES (?,?,?,?)",
                [platform, str(user_id), kind, _iso(at)],
            )

    # --- added by ingest: near-duplicate matching needs to know which feed carried each sketch
    def recent_signatures_by_feed(self, since: datetime) -> list[tuple[int, int, int, bytes]]:
        """(article id, story id, feed id, signature) of articles fetched or published since `since`."""
        rows = self.db.execute(
            "SELECT id, story_id, feed_id, signature FROM articles WHERE signature IS NOT NULL "
            "AND (published >= ? OR fetched_at >= ?)",
            [_iso(since), _iso(since)],
        ).fetchall()
        return [(r[0], r[1], r[2], r[3]) for r in rows]
