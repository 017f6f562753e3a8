"""Deliveries and their outbox: every message recorded before it is sent, marked after."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.models import (
    Delivery,
    OutboxMessage,
    OutMessage,
)
from storage.base import StoreBase, _iso, _now


class OutboxMixin(StoreBase):
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

