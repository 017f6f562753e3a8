"""Delivery claims: who may send one (subscription, date) right now, as a lease in the store.

Every path that sends a digest (the scheduled slot, catch-up, resume, `digest --send`, a second
process) claims first; a claim is one row per (subscription, date) with an owner and an expiry in
wall-clock seconds (processes on one host agree on it). Each statement below is one transaction,
so two claimants can never both win.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.models import OutMessage, PlatformHealth
from storage.base import StoreBase, _dt, _iso


class ClaimsMixin(StoreBase):
    def claim_delivery(
        self, subscription_id: int, date: str, owner: str, *, now: float, ttl: float
    ) -> str | None:
        """Take the claim (or renew our own); None when it is ours, else the owner who holds it."""
        with self.db.conn:
            cur = self.db.execute(
                "INSERT INTO delivery_claims (subscription_id, date, owner, expires_at, claimed_at) "
                "VALUES (?,?,?,?,?) ON CONFLICT (subscription_id, date) DO UPDATE SET "
                "owner = excluded.owner, expires_at = excluded.expires_at, claimed_at = excluded.claimed_at "
                "WHERE delivery_claims.owner = excluded.owner OR delivery_claims.expires_at <= ?",
                [subscription_id, date, owner, now + ttl, now, now],
            )
            if cur.rowcount == 1:
                return None
            row = self._one(
                "SELECT owner FROM delivery_claims WHERE subscription_id = ? AND date = ?",
                [subscription_id, date],
            )
        return str(row["owner"]) if row else ""

    def take_over_claim(
        self, subscription_id: int, date: str, owner: str, *, previous: str, now: float, ttl: float
    ) -> bool:
        """Replace `previous` (an owner known to be dead) by `owner`, only if it still holds it."""
        with self.db.conn:
            cur = self.db.execute(
                "UPDATE delivery_claims SET owner = ?, expires_at = ?, claimed_at = ? "
                "WHERE subscription_id = ? AND date = ? AND owner = ?",
                [owner, now + ttl, now, subscription_id, date, previous],
            )
        return cur.rowcount == 1

    def renew_claim(self, subscription_id: int, date: str, owner: str, *, now: float, ttl: float) -> bool:
        """Push our claim's expiry forward; False when it is no longer ours."""
        with self.db.conn:
            cur = self.db.execute(
                "UPDATE delivery_claims SET expires_at = ? WHERE subscription_id = ? AND date = ? AND owner = ?",
                [now + ttl, subscription_id, date, owner],
            )
        return cur.rowcount == 1

    def release_claim(self, subscription_id: int, date: str, owner: str) -> None:
        """Give the claim up (only ours: a claim taken over meanwhile stays with its new owner)."""
        with self.db.conn:
            self.db.execute(
                "DELETE FROM delivery_claims WHERE subscription_id = ? AND date = ? AND owner = ?",
                [subscription_id, date, owner],
            )

    def claims(self) -> list[dict[str, Any]]:
        """Every claim held now (for status and tests)."""
        return self._all("SELECT * FROM delivery_claims ORDER BY subscription_id, date")

    def begin_send(
        self, message_id: int, subscription_id: int, date: str, owner: str, *, now: float, ttl: float
    ) -> bool:
        """Renew our claim and count an attempt of one message in one transaction.

        False (and nothing counted) when the claim is no longer ours: the caller must not send.
        """
        with self.db.conn:
            cur = self.db.execute(
                "UPDATE delivery_claims SET expires_at = ? WHERE subscription_id = ? AND date = ? AND owner = ?",
                [now + ttl, subscription_id, date, owner],
            )
            if cur.rowcount != 1:
                return False
            self.db.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", [message_id])
        return True

    def reset_delivery(self, delivery_id: int, messages: Sequence[OutMessage]) -> None:
        """Replace a delivery's messages by a fresh rendering, all pending (`digest --send --resend`)."""
        with self.db.conn:
            self.db.execute("DELETE FROM outbox WHERE delivery_id = ?", [delivery_id])
            for seq, message in enumerate(messages):
                self.db.execute(
                    "INSERT INTO outbox (delivery_id, seq, payload, status) VALUES (?,?,?,?)",
                    [delivery_id, seq, json.dumps(message.to_dict(), ensure_ascii=False), "pending"],
                )
            self.db.execute(
                "UPDATE deliveries SET status = 'pending', error = NULL, finished_at = NULL WHERE id = ?",
                [delivery_id],
            )

    # ------------------------------------------------------------ health and status

    def set_platform_health(
        self, platform: str, state: str, reason: str | None, *, at: datetime, pid: int | None = None
    ) -> None:
        """Record a platform's state; `since` moves only when the state changes."""
        with self.db.conn:
            self.db.execute(
                "INSERT INTO platform_health (platform, state, reason, since, pid) VALUES (?,?,?,?,?) "
                "ON CONFLICT (platform) DO UPDATE SET reason = excluded.reason, pid = excluded.pid, "
                "since = CASE WHEN platform_health.state = excluded.state THEN platform_health.since "
                "ELSE excluded.since END, state = excluded.state",
                [platform, state, reason, _iso(at), pid],
            )

    def platform_health(self) -> list[PlatformHealth]:
        rows = self._all("SELECT * FROM platform_health ORDER BY platform")
        return [
            PlatformHealth(r["platform"], r["state"], r["reason"], _dt(r["since"]) or datetime.min, r["pid"])
            for r in rows
        ]

    def last_sent_by_platform(self) -> dict[str, datetime]:
        """The last digest message each platform accepted: from the messages kept, or, once old
        delivered messages are pruned (storage/retention.py), from when their delivery finished."""
        rows = self._all(
            "SELECT platform, MAX(at) AS at FROM ("
            " SELECT s.platform AS platform, o.sent_at AS at FROM outbox o"
            " JOIN deliveries d ON d.id = o.delivery_id JOIN subscriptions s ON s.id = d.subscription_id"
            " WHERE o.status = 'sent'"
            " UNION ALL SELECT s.platform, d.finished_at FROM deliveries d"
            " JOIN subscriptions s ON s.id = d.subscription_id WHERE d.status = 'sent'"
            ") GROUP BY platform"
        )
        return {r["platform"]: at for r in rows if (at := _dt(r["at"])) is not None}

    def pending_messages(self) -> int:
        """Messages still to send for enabled subscriptions (a disabled chat's leftovers never go)."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM outbox o JOIN deliveries d ON d.id = o.delivery_id "
            "JOIN subscriptions s ON s.id = d.subscription_id "
            "WHERE o.status = 'pending' AND d.status = 'pending' AND s.enabled = 1"
        ).fetchone()
        return int(row[0])

    def last_digest_built(self) -> tuple[str, str, datetime] | None:
        """(date, language, when) of the digest stored last."""
        row = self._one("SELECT date, language, created_at FROM digests ORDER BY created_at DESC LIMIT 1")
        if row is None:
            return None
        at = _dt(row["created_at"])
        return (row["date"], row["language"], at) if at else None
