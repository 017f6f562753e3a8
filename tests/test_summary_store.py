"""The summary cache's stored side: old-format rows dropped on upgrade, repairs counted per field."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.models import MODEL_REPAIRS, Summary
from storage import Store
from storage.schema import MIGRATIONS

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def test_upgrade_drops_summaries_keyed_by_text_alone(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO summaries (content_hash, provider, model, language, kind, payload, created_at) "
        "VALUES ('0f1e', 'extractive', 'extractive-v1', 'en', 'points', '{}', '2025-01-01')"
    )
    conn.execute("INSERT INTO model_calls (at, model, ok) VALUES ('2026-11-29T07:00:00+00:00', 'm', 1)")
    conn.commit()
    conn.close()
    store = Store(path)
    try:
        assert store.version == len(MIGRATIONS)
        assert store._all("SELECT * FROM summaries") == []
        usage = store.model_usage_since(NOW - timedelta(hours=2))
        assert usage["calls"] == 1 and usage["repaired"] == 0  # old calls read as unrepaired
    finally:
        store.close()


def test_model_usage_counts_repaired_answers_and_each_repair(store: Store) -> None:
    store.record_model_call("m", True, 10, 5, at=NOW)
    store.record_model_call("m", True, 10, 5, at=NOW, repairs={"emoji": 1, "points": 2})
    store.record_model_call("m", True, 10, 5, at=NOW, repairs={"emoji": 1, "section": 1})
    store.record_model_call("m", False, error="invalid output: no usable points", at=NOW)
    store.record_model_call("m", True, repairs={"title": 1}, at=NOW - timedelta(days=2))  # too old
    usage = store.model_usage_since(NOW - timedelta(hours=1))
    assert usage == {
        "calls": 4, "failures": 1, "prompt_tokens": 30, "completion_tokens": 15, "repaired": 2,
        "repair_title": 0, "repair_emoji": 2, "repair_points": 2, "repair_section": 1,
        "repair_importance": 0,
    }
    assert {f"repair_{field}" for field in MODEL_REPAIRS} <= set(usage)


def test_a_summary_is_stored_under_the_key_it_was_given(store: Store) -> None:
    s = Summary(title="T", emoji="🚀", points=("a",), section=None, importance=0.5,
                provider="openai", model="m", language="en")
    store.put_summary("s2:abc", s)
    assert store.get_summary("s2:abc", "openai", "m", "en", "points") == s
    assert store.get_summary("s2:abd", "openai", "m", "en", "points") is None
