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
    # service side of issue 10: delivery claims (leases), when a subscription's schedule starts,
    # and each platform's health as the running service last saw it (for `digestbot status`)
    """
    CREATE TABLE delivery_claims (
        subscription_id INTEGER NOT NULL,
        date TEXT NOT NULL,
        owner TEXT NOT NULL,
        expires_at REAL NOT NULL,
        claimed_at REAL NOT NULL,
        PRIMARY KEY (subscription_id, date)
    );
    ALTER TABLE subscriptions ADD COLUMN schedule_from TEXT;
    CREATE TABLE platform_health (
        platform TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        reason TEXT,
        since TEXT NOT NULL,
        pid INTEGER
    );
    """,
    # feeds dropped from the config are disabled with this reason, so listing them again restores
    # them while a feed removed by command stays removed
    """
    ALTER TABLE feeds ADD COLUMN removed_reason TEXT;
    """,
    # per-subscription keyword filters (bot/digest/filters.py validates and applies them)
    """
    ALTER TABLE subscriptions ADD COLUMN include_words TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE subscriptions ADD COLUMN exclude_words TEXT NOT NULL DEFAULT '[]';
    """,
    # full-text search over title, text and the key points digests showed (storage/search.py).
    # Chinese is cut into words by digestbot_segment (storage/segment.py, registered on every
    # connection the store opens) before FTS5 tokenizes; the triggers keep the index in step with
    # every write. The rowid is digestbot_search_key(published, id): ordered by publication time,
    # so recency windows are rowid ranges FTS5 seeks to directly (see storage/segment.py).
    # article_points holds, per article and digest language, the points a saved digest gave it
    # (save_digest writes it, only ever by insert, so one trigger follows it; the migration fills it
    # from the digests already stored).
    """
    CREATE TABLE article_points (
        article_id INTEGER NOT NULL,
        language TEXT NOT NULL,
        points TEXT NOT NULL,
        PRIMARY KEY (article_id, language)
    );
    INSERT OR REPLACE INTO article_points (article_id, language, points)
    SELECT json_extract(i.value, '$.id'), d.language,
           (SELECT group_concat(p.value, ' ') FROM json_each(i.value, '$.points') p)
    FROM digests d, json_each(d.payload, '$.sections') s, json_each(s.value, '$.items') i
    WHERE json_extract(i.value, '$.id') IS NOT NULL
    ORDER BY d.date;
    CREATE VIRTUAL TABLE article_search USING fts5(
        title, body, points, tokenize = 'porter unicode61 remove_diacritics 2'
    );
    INSERT OR REPLACE INTO article_search (rowid, title, body, points)
    SELECT digestbot_search_key(a.published, a.id), digestbot_segment(a.title),
           digestbot_segment(a.text),
           digestbot_segment((SELECT group_concat(points, ' ') FROM article_points p
                              WHERE p.article_id = a.id))
    FROM articles a;
    CREATE TRIGGER article_search_insert AFTER INSERT ON articles BEGIN
        INSERT OR REPLACE INTO article_search (rowid, title, body, points)
        VALUES (digestbot_search_key(new.published, new.id), digestbot_segment(new.title),
                digestbot_segment(new.text), digestbot_segment(
                    (SELECT group_concat(points, ' ') FROM article_points WHERE article_id = new.id)));
    END;
    CREATE TRIGGER article_search_update
    AFTER UPDATE OF title, text, content_hash, published ON articles BEGIN
        DELETE FROM article_search WHERE rowid = digestbot_search_key(old.published, old.id);
        INSERT OR REPLACE INTO article_search (rowid, title, body, points)
        VALUES (digestbot_search_key(new.published, new.id), digestbot_segment(new.title),
                digestbot_segment(new.text), digestbot_segment(
                    (SELECT group_concat(points, ' ') FROM article_points WHERE article_id = new.id)));
    END;
    CREATE TRIGGER article_search_delete AFTER DELETE ON articles BEGIN
        DELETE FROM article_search WHERE rowid = digestbot_search_key(old.published, old.id);
        DELETE FROM article_points WHERE article_id = old.id;
    END;
    CREATE TRIGGER article_search_points AFTER INSERT ON article_points BEGIN
        UPDATE article_search
        SET points = digestbot_segment(
            (SELECT group_concat(points, ' ') FROM article_points WHERE article_id = new.article_id))
        WHERE rowid IN (SELECT digestbot_search_key(a.published, a.id) FROM articles a
                        WHERE a.id = new.article_id);
    END;
    """,
    # chat budgets: the bot-wide count per kind over the last hour, and pruning by age
    """
    CREATE INDEX user_requests_kind_at ON user_requests(kind, at);
    """,
    # summaries keyed by everything they depend on (title, text, model settings), not the text
    # alone: rows keyed the old way would never be looked up again. model_calls counts the
    # cosmetic repairs made to each kept answer (bot.models.MODEL_REPAIRS).
    """
    DELETE FROM summaries;
    ALTER TABLE model_calls ADD COLUMN repair_title INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE model_calls ADD COLUMN repair_emoji INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE model_calls ADD COLUMN repair_points INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE model_calls ADD COLUMN repair_section INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE model_calls ADD COLUMN repair_importance INTEGER NOT NULL DEFAULT 0;
    """,
    # 2: where an article's text came from (feed / page / teaser) and whether that feed is the
    # article's publisher, so the best carrier's text wins whatever order feeds are fetched in
    """
    ALTER TABLE articles ADD COLUMN text_origin TEXT;
    ALTER TABLE articles ADD COLUMN publisher INTEGER NOT NULL DEFAULT 0;
    """,
    # the searches a chat's "more" button pages through: the button carries only the row's id
    # (Telegram callback data is 64 bytes), and the row is bound to the chat that searched
    """
    CREATE TABLE search_queries (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        query TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (platform, chat_id, query)
    );
    CREATE INDEX search_queries_created ON search_queries(created_at);
    """,
    # the search index off the write path: segmenting an article's Chinese (jieba, ~10-20 ms per
    # article) inside its INSERT made fetching CPU-bound and delayed the digest (end-to-end
    # benchmark: 1.08x -> 1.27-1.44x the ideal). Writes now only queue the article id; the service
    # indexes the queue after each fetch, the CLI after its command and before `search`
    # (Store.index_pending, storage/search.py).
    """
    CREATE TABLE search_pending (article_id INTEGER PRIMARY KEY);
    DROP TRIGGER article_search_insert;
    CREATE TRIGGER article_search_insert AFTER INSERT ON articles BEGIN
        INSERT OR IGNORE INTO search_pending (article_id) VALUES (new.id);
    END;
    DROP TRIGGER article_search_update;
    CREATE TRIGGER article_search_update
    AFTER UPDATE OF title, text, content_hash, published ON articles BEGIN
        DELETE FROM article_search WHERE rowid = digestbot_search_key(old.published, old.id);
        INSERT OR IGNORE INTO search_pending (article_id) VALUES (new.id);
    END;
    DROP TRIGGER article_search_delete;
    CREATE TRIGGER article_search_delete AFTER DELETE ON articles BEGIN
        DELETE FROM article_search WHERE rowid = digestbot_search_key(old.published, old.id);
        DELETE FROM article_points WHERE article_id = old.id;
        DELETE FROM search_pending WHERE article_id = old.id;
    END;
    """,
    # a feed's latest articles, read when the digest weighs what kind of feed it is (its section
    # lean, bot/digest/section_model.py)
    """
    CREATE INDEX articles_feed_published ON articles(feed_id, published);
    """,
    # what an embeddings endpoint (summarizer.embedding_model) said of an article's title and
    # lead, kept so each article is embedded once per model and text (bot/summarize/embeddings.py)
    """
    CREATE TABLE embeddings (
        article_id INTEGER NOT NULL,
        model TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (article_id, model)
    );
    """,
    # the logs pruned by age after every fetch run (storage.keep_log_days, storage/retention.py):
    # the fetch log by time, delivered messages by when they were sent (model_calls already has
    # its index on `at`)
    """
    CREATE INDEX fetch_log_at ON fetch_log(at);
    CREATE INDEX outbox_sent ON outbox(sent_at);
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
