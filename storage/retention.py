"""What is pruned by age so the file does not grow for ever: the fetch log, the model-call log
and the text of messages already delivered. Articles, their points, the search index, digests and
the deliveries themselves (which say a date was sent, so it is never sent again) are kept."""

from __future__ import annotations

from datetime import datetime

from storage.base import StoreBase, _iso

# (table, the rows of it that are old before the cut). Table names are fixed here, never input.
_OLD_ROWS = (
    ("fetch_log", "SELECT id FROM fetch_log WHERE at < :before ORDER BY at LIMIT :batch"),
    ("model_calls", "SELECT id FROM model_calls WHERE at < :before ORDER BY at LIMIT :batch"),
    # only deliveries that finished sent: a pending one may still be resumed. Found from the
    # messages' own send times (a delivery finishes after its last send), so the search covers
    # the messages still kept, not every delivery ever made; a message the platform refused
    # (never sent) stays as the record of why.
    ("outbox", ("SELECT o.id FROM outbox o JOIN deliveries d ON d.id = o.delivery_id "
                "WHERE o.sent_at < :before AND d.finished_at < :before AND d.status = 'sent' "
                "LIMIT :batch")),
)


class RetentionMixin(StoreBase):
    def prune_logs(self, before: datetime, batch: int = 5_000) -> int:
        """Delete up to `batch` old rows of each log made before `before`; return how many went.
        Call again until it returns 0: each call is one short transaction, so pruning a year of
        rows never holds the write lock for long."""
        removed = 0
        with self.db.conn:
            for table, old in _OLD_ROWS:
                removed += self.db.execute(
                    f"DELETE FROM {table} WHERE id IN ({old})", {"before": _iso(before), "batch": batch}
                ).rowcount
        return removed
