"""Versioned migrations: one list of steps, applied in order, tracked in PRAGMA user_version."""

from __future__ import annotations

import sqlite_utils

MIGRATIONS: list[str] = [
    # 1: the whole first schema
    """
    CREATE TABLE feeds (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL DEFAULT '',
        section TEXT,
        etag TEXT,
        last_modified TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        next_fetch_after TEXT,
        last_error TEXT,
        last_fetched TEXT,
        last_status TEXT,
        enabled INTEGER NOT NULL DEFAULT 1,
        origin TEXT NOT NULL DEFAULT 'config',
        created_at TEXT NOT NULL
    );
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        feed_id INTEGER NOT NULL REFERENCES feeds(id),
        url TEXT NOT NULL UNIQUE,
        guid TEXT,
        title TEXT NOT NULL,
        source TEXT NOT NULL,
        published TEXT NOT NULL,
        language TEXT NOT NULL,
        text TEXT NOT NULL,
        original_chars INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        story_id INTEGER NOT NULL,
        fetched_at TEXT NOT NULL,
        signature BLOB
    );
    CREATE INDEX articles_published ON articles(published);
    CREATE INDEX articles_story ON articles(story_id);
    CREATE INDEX articles_guid ON articles(guid);
    CREATE TABLE sightings (
        article_id INTEGER NOT NULL REFERENCES articles(id),
        feed_id INTEGER NOT NULL REFERENCES feeds(id),
        url TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (article_id, feed_id)
    );
    CREATE TABLE fetch_log (
        id INTEGER PRIMARY KEY,
        feed_id INTEGER NOT NULL,
        at TEXT NOT NULL,
        status TEXT NOT NULL,
        http_status INTEGER,
        new_articles INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        duration_ms INTEGER
    );
    CREATE INDEX fetch_log_feed ON fetch_log(feed_id, at);
    CREATE TABLE summaries (
        content_hash TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        language TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (content_hash, provider, model, language, kind)
    );
    CREATE TABLE model_calls (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        model TEXT NOT NULL,
        ok INTEGER NOT NULL,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        error TEXT
    );
    CREATE INDEX model_calls_at ON model_calls(at);
    CREATE TABLE digests (
        date TEXT NOT NULL,
        language TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (date, language)
    );
    CREATE TABLE subscriptions (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        time TEXT NOT NULL,
        timezone TEXT NOT NULL,
        language TEXT NOT NULL,
        sections TEXT NOT NULL DEFAULT '[]',
        enabled INTEGER NOT NULL DEFAULT 1,
        disabled_reason TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (platform, chat_id)
    );
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        subscription_id INTEGER NOT NULL REFERENCES subscriptions(id),
        date TEXT NOT NULL,
        status TEXT NOT NULL,
        error TEXT,
        created_at TEXT NOT NULL,
        finished_at TEXT,
        UNIQUE (subscription_id, date)
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
        seq INTEGER NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL,
        platform_message_id TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        sent_at TEXT,
        UNIQUE (delivery_id, seq)
    );
    CREATE TABLE user_requests (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        user_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX user_requests_user ON user_requests(platform, user_id, kind, at);
    """,
    # 2: where an article's text came from (feed / page / teaser) and whether that feed is the
    # article's publisher, so the best carrier's text wins whatever order feeds are fetched in
    """
    ALTER TABLE articles ADD COLUMN text_origin TEXT;
    ALTER TABLE articles ADD COLUMN publisher INTEGER NOT NULL DEFAULT 0;
    """,
]


def migrate(db: sqlite_utils.Database) -> int:
    """Apply the steps not yet applied; return the schema version now in force."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        with db.conn:
            db.conn.executescript(f"BEGIN;\n{step}\nPRAGMA user_version = {number};\nCOMMIT;")
        version = number
    return version
