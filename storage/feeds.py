"""Feeds and the fetch log: what is polled, its conditional-GET state and its failures."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.models import (
    Feed,
)
from storage.base import StoreBase, _dt, _iso, _now


class FeedsMixin(StoreBase):
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
                    "UPDATE feeds SET enabled = 1, removed_reason = NULL, "
                    "name = COALESCE(NULLIF(?, ''), name), section = COALESCE(?, section) WHERE id = ?",
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

    def find_feed(self, url: str) -> Feed | None:
        """The feed with exactly this URL, enabled or not (to report a duplicate as such)."""
        row = self._one("SELECT * FROM feeds WHERE url = ?", [url])
        return self._feed(row) if row else None

    def update_feed(self, feed_id: int, *, name: str | None = None, section: str | None = None) -> Feed:
        """Set a feed's name and/or section hint (None leaves a field as it is)."""
        with self.db.conn:
            self.db.execute(
                "UPDATE feeds SET name = COALESCE(?, name), section = COALESCE(?, section) WHERE id = ?",
                [name, section, feed_id],
            )
        row = self._one("SELECT * FROM feeds WHERE id = ?", [feed_id])
        assert row is not None
        return self._feed(row)

    def drop_unlisted_config_feeds(self, listed: Iterable[str]) -> list[Feed]:
        """Stop polling the enabled feeds that came from the config and are no longer in it
        (their articles stay); return them. Feeds added by command are never touched."""
        keep = set(listed)
        gone = [
            r for r in self._all("SELECT * FROM feeds WHERE enabled = 1 AND origin = 'config' ORDER BY id")
            if r["url"] not in keep
        ]
        with self.db.conn:
            for row in gone:
                self.db.execute(
                    "UPDATE feeds SET enabled = 0, removed_reason = 'config' WHERE id = ?", [row["id"]]
                )
        return [self._feed({**r, "enabled": 0}) for r in gone]

    def restore_config_feeds(self, listed: Iterable[str]) -> list[Feed]:
        """Poll again the feeds disabled because the config dropped them, now that it lists them."""
        urls = set(listed)
        back = [
            r for r in self._all("SELECT * FROM feeds WHERE enabled = 0 AND removed_reason = 'config'")
            if r["url"] in urls
        ]
        with self.db.conn:
            for row in back:
                self.db.execute(
                    "UPDATE feeds SET enabled = 1, removed_reason = NULL WHERE id = ?", [row["id"]]
                )
        return [self._feed({**r, "enabled": 1}) for r in back]

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

