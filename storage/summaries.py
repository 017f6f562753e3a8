"""The summary cache, model usage and stored digests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from bot.models import (
    MODEL_REPAIRS,
    Digest,
    Summary,
)
from storage.base import StoreBase, _dt, _iso, _now


class SummariesMixin(StoreBase):
    def get_embeddings(self, model: str, wanted: Mapping[int, str]) -> dict[int, bytes]:
        """Stored vectors (packed float32) of `model` for article id → content hash; an article
        whose text changed since (another hash) has none."""
        out: dict[int, bytes] = {}
        ids = sorted(wanted)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows = self._all(
                f"SELECT article_id, content_hash, vector FROM embeddings WHERE model = ? "
                f"AND article_id IN ({','.join('?' * len(chunk))})",
                [model, *chunk],
            )
            out.update((r["article_id"], r["vector"]) for r in rows
                       if r["content_hash"] == wanted[r["article_id"]])
        return out

    def put_embeddings(self, model: str, vectors: Mapping[int, tuple[str, bytes]]) -> None:
        """Keep article id → (content hash, packed float32 vector) of `model`."""
        with self.db.conn:
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO embeddings (article_id, model, content_hash, vector) "
                "VALUES (?,?,?,?)",
                [(aid, model, h, v) for aid, (h, v) in sorted(vectors.items())],
            )

    def get_summary(
        self, key: str, provider: str, model: str, language: str, kind: str
    ) -> Summary | None:
        """The cached summary under `key` (bot/summarize/cache.py builds it; stored in the
        `content_hash` column, the name of its first format)."""
        row = self._one(
            "SELECT payload FROM summaries WHERE content_hash = ? AND provider = ? AND model = ? "
            "AND language = ? AND kind = ?",
            [key, provider, model, language, kind],
        )
        if row is None:
            return None
        data = json.loads(row["payload"])
        data["points"] = tuple(data["points"])
        return Summary(**data)

    def put_summary(self, key: str, summary: Summary) -> None:
        payload = json.dumps(
            {k: (list(v) if isinstance(v, tuple) else v) for k, v in summary.__dict__.items()},
            ensure_ascii=False,
        )
        with self.db.conn:
            self.db.execute(
                "INSERT OR REPLACE INTO summaries (content_hash, provider, model, language, kind, "
                "payload, created_at) VALUES (?,?,?,?,?,?,?)",
                [
                    key, summary.provider, summary.model, summary.language,
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
        repairs: Mapping[str, int] | None = None,
    ) -> None:
        """One model call: its outcome, tokens, and how many of each field had to be repaired."""
        counts = [int((repairs or {}).get(field, 0)) for field in MODEL_REPAIRS]
        columns = ", ".join(f"repair_{field}" for field in MODEL_REPAIRS)
        marks = ",".join("?" * len(MODEL_REPAIRS))
        with self.db.conn:
            self.db.execute(
                "INSERT INTO model_calls (at, model, ok, prompt_tokens, completion_tokens, error, "
                f"{columns}) VALUES (?,?,?,?,?,?,{marks})",
                [_iso(at or _now()), model, int(ok), prompt_tokens, completion_tokens, error, *counts],
            )

    def model_usage_since(self, since: datetime) -> dict[str, int]:
        """Calls, failures, tokens, answers kept after a repair (`repaired`) and the repairs per
        field (`repair_title`, `repair_emoji`, `repair_points`, `repair_section`, ...)."""
        any_repair = " + ".join(f"repair_{field}" for field in MODEL_REPAIRS)
        per_field = ", ".join(
            f"COALESCE(SUM(repair_{field}), 0) AS repair_{field}" for field in MODEL_REPAIRS
        )
        row = self._one(
            "SELECT COUNT(*) AS calls, COALESCE(SUM(1 - ok), 0) AS failures, "
            "COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens, "
            "COALESCE(SUM(completion_tokens), 0) AS completion_tokens, "
            f"COALESCE(SUM(({any_repair}) > 0), 0) AS repaired, {per_field} "
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
            # The points each item showed become searchable (storage/schema.py: article_search);
            # unchanged rows are left alone so the index is not rewritten on every rebuild.
            for item in digest.items():
                points = " ".join(item.points)
                row = self._one("SELECT points FROM article_points WHERE article_id = ? AND language = ?",
                                [item.id, digest.language])
                if row is not None and row["points"] == points:
                    continue
                self.db.execute("DELETE FROM article_points WHERE article_id = ? AND language = ?",
                                [item.id, digest.language])
                self.db.execute("INSERT INTO article_points (article_id, language, points) VALUES (?,?,?)",
                                [item.id, digest.language, points])

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

    def stored_digests(self, language: str) -> list[tuple[Digest, datetime]]:
        """Every stored digest in `language`, newest day first, with when it was built: the web
        archive shows them all and dates its feed entries by the build."""
        rows = self._all(
            "SELECT payload, created_at FROM digests WHERE language = ? ORDER BY date DESC",
            [language],
        )
        return [
            (Digest.from_dict(json.loads(r["payload"])), _dt(r["created_at"]) or _now()) for r in rows
        ]
