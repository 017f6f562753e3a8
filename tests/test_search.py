"""Search: FTS5 with jieba-cut Chinese, ranked by relevance and age, kept in step with every write,
built by its migration for an existing store, and safe for any query text."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.models import Digest, DigestItem, DigestSection, DigestStats, NewArticle, Summary
from bot.search import SearchError, search
from storage import Store
from storage.schema import MIGRATIONS
from storage.search import query_phrases

NOW = datetime(2025, 7, 25, 12, tzinfo=UTC)


def add(store: Store, n: int, title: str, text: str, *, days: float = 0, lang: str = "en",
        source: str = "Example") -> int:
    feed_id = store.add_feed("https://feed.example/", "Example").id
    return store.add_article(NewArticle(
        feed_id=feed_id, url=f"https://example.com/{n}", title=title, source=source,
        published=NOW - timedelta(days=days), language=lang, text=text, original_chars=len(text),
        content_hash=f"hash-{n}",
    )).id


def found(store: Store, query: str, **kw: object) -> list[int]:
    store.index_pending()  # what the service's fetch job does after storing
    return [h.article_id for h in search(store, query, now=NOW, **kw)]  # type: ignore[arg-type]


@pytest.fixture
def corpus_like(store: Store) -> Store:
    add(store, 1, "Microsoft releases Phi-4-mini-flash-reasoning", "A small reasoning model for phones.")
    add(store, 2, "国内厂商发布超大模型", "某公司发布了新一代大模型，参数规模超过千亿。人工智能产业继续升温。", lang="zh")
    add(store, 3, "Phi-40 is not Phi-4", "Unrelated numbers.", days=2)
    add(store, 4, "OpenAI opens an office", "The company said it will hire.", days=1)
    add(store, 5, "Agents everywhere", "Agent frameworks keep multiplying.", days=400)
    add(store, 6, "Another agent story", "An agent booked a flight.", days=3)
    store.index_pending()
    return store


def test_english_words_and_hyphenated_names(corpus_like: Store) -> None:
    assert found(corpus_like, "Phi-4")[0] == 1
    assert 3 not in found(corpus_like, "Phi-4-mini")
    assert found(corpus_like, "ai") == []  # whole words: "OpenAI" is not "AI"
    assert set(found(corpus_like, "agents")) == {5, 6}  # and plurals meet singulars


def test_chinese_words_are_found_as_words(corpus_like: Store) -> None:
    assert found(corpus_like, "大模型") == [2]
    assert found(corpus_like, "人工智能") == [2]
    assert found(corpus_like, "智能") == [2]  # a word inside a longer one (index in search mode)
    assert found(corpus_like, "千亿 参数") == [2]


def test_every_word_must_match_unless_none_has_them_all(corpus_like: Store) -> None:
    assert found(corpus_like, "agent flight") == [6]
    assert found(corpus_like, "xyzzy Phi-4")[0] == 1  # no article has both: any word will do
    assert found(corpus_like, '"reasoning model"') == [1]
    assert found(corpus_like, '"model reasoning"') == []


def test_writes_only_queue_articles_and_indexing_catches_up(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Storing an article never runs jieba (it used to, inside the INSERT, on the fetch path):
    it queues the id; index_pending indexes the queue, a rewrite queues it again, a delete
    leaves nothing behind."""
    from storage import segment

    cuts: list[str] = []
    real = segment._segment_sql
    monkeypatch.setattr(segment, "_segment_sql", lambda text: cuts.append(str(text)) or real(text))
    conn_store = Store(":memory:")  # a connection registered after the patch, so SQL calls go through it
    try:
        ids = [add(conn_store, n, f"机器人 story {n}", "人工智能芯片。" * 20, lang="zh") for n in range(3)]
        assert cuts == [] and conn_store.pending_search_count() == 3
        assert conn_store.search_articles("机器人", now=NOW) == []  # not indexed yet
        assert conn_store.index_pending(limit=2) == 2 and conn_store.pending_search_count() == 1
        assert conn_store.index_pending() == 1 and conn_store.pending_search_count() == 0
        assert cuts and {h.article_id for h in conn_store.search_articles("机器人", now=NOW)} == set(ids)
        assert conn_store.index_pending() == 0

        with conn_store.db.conn:  # a better text for article 0: out of the index until re-indexed
            conn_store.db.execute("UPDATE articles SET title = 'robots only', text = 'robots' WHERE id = ?", [ids[0]])
        assert conn_store.pending_search_count() == 1
        assert ids[0] not in {h.article_id for h in conn_store.search_articles("机器人", now=NOW)}
        conn_store.index_pending()
        assert [h.article_id for h in conn_store.search_articles("robots", now=NOW)] == [ids[0]]

        add(conn_store, 9, "gone soon", "x")
        conn_store.db.execute("PRAGMA foreign_keys = OFF")  # the store never deletes; its sightings would block it
        with conn_store.db.conn:
            conn_store.db.execute("DELETE FROM articles WHERE url = 'https://example.com/9'")
        assert conn_store.pending_search_count() == 0
    finally:
        conn_store.close()


async def test_the_fetch_job_indexes_what_it_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In the service, the periodic job indexes after fetching and resuming sends, so the chat's
    /search finds what the last fetch stored."""
    from bot import jobs
    from bot.config import parse_settings
    from bot.services import Services

    store = Store(tmp_path / "d.db")

    async def fake_fetch_all(st: Store, settings: object, now: datetime) -> list[object]:
        add(st, 1, "Robots sort parcels", "Warehouse robots sort parcels.")
        add(st, 2, "国内厂商发布超大模型", "某公司发布了新一代大模型。", lang="zh")
        return []

    monkeypatch.setattr("bot.ingest.pipeline.fetch_all", fake_fetch_all)
    sent: list[str] = []

    async def no_sends(services: object, now: datetime, *, reason: str) -> list[object]:
        sent.append(reason)
        assert store.pending_search_count() == 2  # sends go first: indexing waits for them
        return []

    monkeypatch.setattr(jobs, "send_due_digests", no_sends)
    services = Services(settings=parse_settings({}), store=store, summaries=None, digests=None)  # type: ignore[arg-type]
    try:
        await jobs.fetch_and_resume(services, NOW)
        assert sent == ["resume"] and store.pending_search_count() == 0
        assert found(store, "parcels") == [1] and found(store, "大模型") == [2]
    finally:
        store.close()


def test_relevance_then_age(store: Store) -> None:
    old_title = add(store, 1, "Robots, robots in warehouses", "Robots move boxes.", days=300)
    body_only = add(store, 2, "Logistics news", "A robot moved a box.", days=0)
    new_title = add(store, 3, "Robots in warehouses", "Robots move boxes.", days=1)
    store.index_pending()
    assert store.search_articles("robot", now=NOW - timedelta(days=400))[0].article_id == old_title
    ranked = found(store, "robot")
    assert ranked[0] == new_title  # a little less relevant than the old one, but recent
    assert ranked.index(new_title) < ranked.index(old_title)
    assert set(ranked) == {old_title, body_only, new_title}
    assert found(store, "robot", days=30) == [new_title, body_only]


def test_early_stop_ranking_equals_scoring_every_match(store: Store) -> None:
    """Reading newest matches first and stopping early gives exactly the order that scoring every
    match would: weak recent matches and strong old ones, a word in one article in three."""
    rng = random.Random(7)
    for n in range(90):
        title = " ".join(["chip"] * rng.randint(0, 3) + ["news"] * rng.randint(1, 6))
        text = " ".join(rng.choice(["chip", "wafer", "fab", "price", "market"]) for _ in range(rng.randint(5, 80)))
        add(store, n, title, text, days=rng.choice([0.2, 2, 5, 20, 50, 100, 300, 700, 1500]) + rng.random())
    store.index_pending()
    rows = store.db.execute(
        "SELECT rowid, bm25(article_search, 8.0, 1.0, 3.0) FROM article_search WHERE article_search MATCH 'chip'")
    scored = sorted(((-rank / (1 + max(0.0, (NOW.timestamp() - (key >> 26)) / 86400) / 30), key)
                     for key, rank in rows), reverse=True)
    expected = [key & ((1 << 26) - 1) for _score, key in scored]
    assert len(expected) > 40
    for limit, offset in ((5, 0), (5, 5), (20, 30), (100, 0)):
        assert found(store, "chip", limit=limit, offset=offset) == expected[offset:offset + limit]


def test_paging_by_offset(store: Store) -> None:
    for n in range(12):
        add(store, n, f"Chip news {n}", "A chip story.", days=n)
    whole = found(store, "chip", limit=12)
    pages = [found(store, "chip", limit=5, offset=o) for o in (0, 5, 10)]
    assert [len(p) for p in pages] == [5, 5, 2] and [n for page in pages for n in page] == whole


def test_the_index_follows_inserts_updates_and_key_points(store: Store) -> None:
    n = add(store, 1, "A quiet launch", "Nothing about chips here.")
    assert found(store, "launch") == [n]  # searchable right after it was stored
    store.update_article_text(n, "Now the text talks about 大模型 and compilers.", 40, "hash-new")
    assert found(store, "compilers") == [n] and found(store, "大模型") == [n] and found(store, "chips") == []
    store.save_digest(_digest(n, ("微软与初创公司合作。", "Quantum sensors"), "zh"))
    assert found(store, "微软") == [n] and found(store, "quantum") == [n]  # the points a digest showed
    store.save_digest(_digest(n, ("Robotics arms",), "en"))  # the other language's points join them
    assert found(store, "robotics") == [n] and found(store, "quantum") == [n]
    store.put_summary("hash-new", Summary(title="t", emoji="x", points=("Much longer detail",), section=None,
                                          importance=0.5, provider="extractive", model="x", language="zh",
                                          kind="detail"))
    assert found(store, "detail") == []  # only the key points of the digest are indexed


def _digest(article_id: int, points: tuple[str, ...], language: str) -> Digest:
    item = DigestItem(id=article_id, title="t", emoji="x", url="https://example.com/x", source="S",
                      published=NOW, points=points)
    return Digest(date=NOW.date(), language=language, title="d",
                  stats=DigestStats(1, 1, 10, 10, 1, 0, 0, 0),
                  highlights=(), sections=(DigestSection("other", "Other", (item,)),))


def test_migration_builds_the_index_for_an_existing_store(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    step = next(i for i, sql in enumerate(MIGRATIONS) if "article_search" in sql)
    conn = sqlite3.connect(path)
    for number, sql in enumerate(MIGRATIONS[:step], start=1):
        conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
    conn.execute("INSERT INTO feeds (url, created_at) VALUES ('https://f.example/', '2025-01-01')")
    conn.execute(
        "INSERT INTO articles (feed_id, url, title, source, published, language, text, original_chars, "
        "content_hash, story_id, fetched_at) VALUES (1, 'https://e.example/1', '旧文章', 'S', "
        "'2025-07-20T00:00:00+00:00', 'zh', '这篇文章谈到了人工智能芯片。', 14, 'h1', 1, '2025-07-20')"
    )
    conn.execute(
        "INSERT INTO digests VALUES ('2025-07-20', 'en', ?, '2025-07-20')",
        [json.dumps(_digest(1, ("Old points about robotics",), "en").to_dict())],
    )
    conn.commit()
    conn.close()
    store = Store(path)
    try:
        assert store.version == len(MIGRATIONS)
        assert found(store, "人工智能") == [1] and found(store, "robotics") == [1]
    finally:
        store.close()


HOSTILE = ['"', '""', "Phi\x00-4", "a\x00b", "NEAR(a b)", "a OR", "AND", "NOT x", "*", "^start", "title:x", "(", ")", "-x", "+",
           "a AND (b OR", "'; DROP TABLE articles; --", "\x00", "\u202e", "a" * 199, "大" * 150]


@pytest.mark.parametrize("query", HOSTILE)
def test_fts5_syntax_in_a_query_is_searched_as_words(corpus_like: Store, query: str) -> None:
    assert isinstance(search(corpus_like, query, now=NOW), list)
    assert found(corpus_like, "Phi-4")[0] == 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_no_text_makes_a_search_raise(corpus_like: Store, query: str) -> None:
    phrases = query_phrases(query)
    hits = corpus_like.search_articles(query, now=NOW)
    assert all(p.startswith('"') and p.endswith('"') and '"' not in p[1:-1].replace('""', "") for p in phrases)
    assert phrases or hits == []


def test_bad_input_raises_a_keyed_error(store: Store) -> None:
    for query, key in (("   ", "search_empty"), ("x" * 201, "search_too_long")):
        with pytest.raises(SearchError) as caught:
            search(store, query)
        assert caught.value.key == key and caught.value.message("zh") != caught.value.message("en")
    for kw in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"days": 0}):
        with pytest.raises(SearchError) as caught:
            search(store, "x", **kw)  # type: ignore[arg-type]
        assert caught.value.key == "search_bad_number"


def test_cli_search_text_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "digestbot.toml"
    cfg.write_text(f"[storage]\npath = '{tmp_path / 'd.db'}'\n")
    store = Store(tmp_path / "d.db")
    days = 1 - (datetime.now(UTC) - NOW).total_seconds() / 86400  # a day before now: the CLI's clock
    n = add(store, 1, "Microsoft releases Phi-4-mini\x1b[31m", "Reasoning.", days=days)
    published = store.get_article(n).published  # type: ignore[union-attr]
    store.close()
    assert main(["--config", str(cfg), "search", "phi-4", "mini"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"#{n}  {published:%Y-%m-%d}  Microsoft releases Phi-4-mini") and "\x1b" not in out[0]
    assert out[1].strip() == "https://example.com/1"
    assert main(["--config", str(cfg), "search", "Phi-4", "--format", "json", "--days", "7"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["days"] == 7 and doc["results"][0]["id"] == n
    assert set(doc["results"][0]) == {"id", "title", "published", "source", "url", "language"}
    assert main(["--config", str(cfg), "search", "quantum"]) == 0
    assert "no stored article matches 'quantum'" in capsys.readouterr().out
    assert main(["--config", str(cfg), "search", "x", "--limit", "0"]) == 2
    assert "limit must be a whole number" in capsys.readouterr().err
