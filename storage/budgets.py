"""Chat budgets: what each user (and the bot as a whole) spent over a sliding window, kept in the
store so a restart does not hand every user a fresh allowance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.models import BudgetRule
from storage.base import StoreBase, _dt, _iso

# Rows older than this are never counted again (every window is shorter); pruned as we go.
KEEP = timedelta(days=2)


class BudgetsMixin(StoreBase):
    def _count_since(self, kind: str, since: datetime, platform: str | None, subject: str | None) -> int:
        if platform is None:
            sql, params = "SELECT COUNT(*) FROM user_requests WHERE kind = ? AND at >= ?", [kind, _iso(since)]
        else:
            sql = "SELECT COUNT(*) FROM user_requests WHERE platform = ? AND user_id = ? AND kind = ? AND at >= ?"
            params = [platform, subject, kind, _iso(since)]
        return int(self.db.execute(sql, params).fetchone()[0])

    def _frees_at(
        self, kind: str, since: datetime, over: int, window: timedelta,
        platform: str | None, subject: str | None,
    ) -> datetime:
        """When the count drops below the limit: the `over`-th oldest counted row leaves the window."""
        if platform is None:
            sql = "SELECT at FROM user_requests WHERE kind = ? AND at >= ? ORDER BY at LIMIT 1 OFFSET ?"
            params: list[object] = [kind, _iso(since), over]
        else:
            sql = (
                "SELECT at FROM user_requests WHERE platform = ? AND user_id = ? AND kind = ? AND at >= ? "
                "ORDER BY at LIMIT 1 OFFSET ?"
            )
            params = [platform, subject, kind, _iso(since), over]
        row = self.db.execute(sql, params).fetchone()
        oldest = _dt(row[0]) if row else None
        return (oldest or since) + window

    def charge_budget(
        self, platform: str, subject: str, rules: Sequence[BudgetRule], now: datetime
    ) -> tuple[datetime, str] | None:
        """Record one request of every rule's kind for `subject`, unless a rule's per-subject or
        bot-wide limit is already reached over its window: then record nothing and return when
        every exhausted limit has room again, with the scope ("subject" or "overall") that frees
        last."""
        subject = str(subject)
        with self.db.conn:  # no await between the counts and the inserts: one charge at a time
            refusal: tuple[datetime, str] | None = None
            for rule in rules:
                since = now - rule.window
                for scope, limit, plat, subj in (
                    ("subject", rule.per_subject, platform, subject), ("overall", rule.overall, None, None),
                ):
                    if limit is None:
                        continue
                    used = self._count_since(rule.kind, since, plat, subj)
                    if used >= limit:
                        frees = self._frees_at(rule.kind, since, used - limit, rule.window, plat, subj)
                        if refusal is None or frees > refusal[0]:
                            refusal = (frees, scope)
            if refusal is not None:
                return refusal
            for rule in rules:
                self.db.execute(
                    "INSERT INTO user_requests (platform, user_id, kind, at) VALUES (?,?,?,?)",
                    [platform, subject, rule.kind, _iso(now)],
                )
                self.db.execute(
                    "DELETE FROM user_requests WHERE kind = ? AND at < ?", [rule.kind, _iso(now - KEEP)]
                )
        return None

    def budget_used(self, kind: str, since: datetime, platform: str | None = None, subject: str | None = None) -> int:
        """Requests of `kind` since `since`: one subject's, or the whole bot's (for /status and tests)."""
        return self._count_since(kind, since, platform, None if subject is None else str(subject))
