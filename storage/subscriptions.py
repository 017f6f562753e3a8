"""Chat subscriptions and per-user request counts (rate limits)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.models import (
    Subscription,
)
from storage.base import StoreBase, _dt, _iso, _now


class SubscriptionsMixin(StoreBase):
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
            schedule_from=_dt(row.get("schedule_from")),
            include=tuple(json.loads(row["include_words"])),
            exclude=tuple(json.loads(row["exclude_words"])),
        )

    def subscribe(
        self,
        platform: str,
        chat_id: str,
        time: str,
        timezone: str,
        language: str,
        sections: Sequence[str] = (),
        at: datetime | None = None,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
    ) -> Subscription:
        """Create or update the one subscription of a chat (re-enabling it).

        `at` is when the chat asked: a new subscription, a new time or zone, or a disabled one
        coming back owes nothing for slots up to `at` (its first digest is the next slot, as
        announced). Without `at` (imports, tests) the schedule start is left as it was. Keyword
        filters left as None keep what the chat had (none for a new one).
        """
        with self.db.conn:
            self.db.execute(
                "INSERT INTO subscriptions (platform, chat_id, time, timezone, language, sections, "
                "created_at, schedule_from) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (platform, chat_id) "
                "DO UPDATE SET time = excluded.time, timezone = excluded.timezone, "
                "language = excluded.language, sections = excluded.sections, enabled = 1, "
                "disabled_reason = NULL, schedule_from = CASE WHEN excluded.schedule_from IS NOT NULL "
                "AND (subscriptions.enabled = 0 OR subscriptions.time <> excluded.time "
                "OR subscriptions.timezone <> excluded.timezone) THEN excluded.schedule_from "
                "ELSE subscriptions.schedule_from END",
                [platform, str(chat_id), time, timezone, language, json.dumps(list(sections)),
                 _iso(_now()), _iso(at)],
            )
            for column, words in (("include_words", include), ("exclude_words", exclude)):
                if words is not None:
                    self.db.execute(
                        f"UPDATE subscriptions SET {column} = ? WHERE platform = ? AND chat_id = ?",
                        [json.dumps(list(words), ensure_ascii=False), platform, str(chat_id)],
                    )
        found = self.find_subscription(platform, str(chat_id))
        assert found is not None
        return found

    def update_subscription(
        self,
        sub_id: int,
        *,
        time: str | None = None,
        timezone: str | None = None,
        language: str | None = None,
        sections: Sequence[str] | None = None,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
        at: datetime | None = None,
    ) -> Subscription | None:
        """Change only what is given (already validated: see bot/digest/filters.py); None when
        there is no such subscription. Does not re-enable a paused one. A new time or zone with
        `at` owes nothing for slots up to `at` (as `subscribe` does)."""
        changes: dict[str, str] = {}
        current = self.get_subscription(sub_id)
        if current is None:
            return None
        moved = (time is not None and time != current.time) or (
            timezone is not None and timezone != current.timezone)
        if at is not None and moved:
            changes["schedule_from"] = _iso(at) or ""
        for column, value in (("time", time), ("timezone", timezone), ("language", language)):
            if value is not None:
                changes[column] = value
        for column, words in (("sections", sections), ("include_words", include), ("exclude_words", exclude)):
            if words is not None:
                changes[column] = json.dumps(list(words), ensure_ascii=False)
        if changes:
            with self.db.conn:
                self.db.execute(
                    f"UPDATE subscriptions SET {', '.join(f'{c} = ?' for c in changes)} WHERE id = ?",
                    [*changes.values(), sub_id],
                )
        return self.get_subscription(sub_id)

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

    def resume_subscription(self, sub_id: int, at: datetime) -> Subscription | None:
        """Enable a paused (or otherwise disabled) subscription again, owing nothing for the slots
        up to `at`: the digests missed while it was paused are not sent late."""
        with self.db.conn:
            self.db.execute(
                "UPDATE subscriptions SET enabled = 1, disabled_reason = NULL, schedule_from = ? "
                "WHERE id = ? AND enabled = 0",
                [_iso(at), sub_id],
            )
        return self.get_subscription(sub_id)

    def move_subscription(self, sub_id: int, new_chat_id: str) -> Subscription:
        """A Telegram group became a supergroup: the subscription follows it to its new id."""
        with self.db.conn:
            self.db.execute(
                "UPDATE subscriptions SET chat_id = ? WHERE id = ?", [str(new_chat_id), sub_id]
            )
        found = self.get_subscription(sub_id)
        assert found is not None
        return found

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

