"""Search benchmark: `bot.search.search` over 100,000 synthetic articles, half English, half Chinese.

Articles are generated (seeded) from two Zipf-distributed vocabularies: 30,000 made-up English
words, and jieba's 30,000 most frequent dictionary words written without spaces, about 180 words
of text each, with topic words planted at known document frequencies (from 50 articles for
"Phi-4" to a fifth of each language for "model" / 大模型); one article in ten also gets cached key
points. They are inserted into the store's own tables in batches, each batch then indexed by the
production path (the insert trigger queues it, `Store.index_pending` segments it with jieba and
fills the index), in a SQLite file in a temp folder.

Timed: a mix of queries (rare, medium and common words in both languages, two-word AND, a phrase,
a mixed-language pair, the any-word fallback, a 7-day window, page 11), each run REPEATS times
after one warm-up, through `search()` as the CLI and the chat call it (query segmentation
included), limit 5. Reference in the same run: the same first word found by a LIKE scan of
titles and texts, newest first, limit 5 (what search costs without an index).

Also measured with the corpus: recall of Chinese words against plain substring matching, over the
Chinese entries of ../shared/corpus/feeds (random dictionary words with at least 3 articles).

    python -m benchmarks.search [--articles 100000] [--repeats 30]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from benchmarks.common import CORPUS, require_corpus
from bot.models import NewArticle
from bot.search import search
from storage import Store

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
SYLLABLES = ("ka", "lo", "mi", "ren", "tor", "vex", "sa", "qui", "bel", "dor", "na", "fi", "gu", "pla",
             "zen", "cro", "mu", "tes", "ri", "von", "da", "lek", "si", "ham", "po", "wex", "ju", "ter")
# (word, share of that language's articles); planted in the text, sometimes in the title too.
TOPICS = {
    "en": (("Phi-4", 0.001), ("robotics", 0.01), ("agent", 0.05), ("Microsoft", 0.03),
           ("language model", 0.02), ("model", 0.2)),
    "zh": (("智能体", 0.01), ("芯片", 0.02), ("机器人", 0.03), ("人工智能", 0.1), ("大模型", 0.2)),
}
QUERIES: tuple[tuple[str, str, dict[str, int]], ...] = (
    ("rare en", "Phi-4", {}),
    ("medium en", "robotics", {}),
    ("common en", "model", {}),
    ("two words en", "agent robotics", {}),
    ("phrase en", '"language model"', {}),
    ("rare zh", "智能体", {}),
    ("medium zh", "芯片", {}),
    ("common zh", "大模型", {}),
    ("common zh 2", "人工智能", {}),
    ("two words zh", "人工智能 芯片", {}),
    ("mixed", "Microsoft 大模型", {}),
    ("fallback (no article has both)", "xyzzyq robotics", {}),
    ("last 7 days", "model", {"days": 7}),
    ("page 11", "大模型", {"offset": 50}),
)


def _zipf(words: list[str]) -> list[float]:
    return list(accumulate(1.0 / (rank + 1) ** 1.05 for rank in range(len(words))))


def _vocabularies(rng: random.Random, size: int) -> dict[str, list[str]]:
    import jieba

    english: set[str] = set()
    while len(english) < size:
        english.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    dictionary = Path(jieba.__file__).parent / "dict.txt"
    rows = [line.split() for line in dictionary.read_text(encoding="utf-8").splitlines()]
    chinese = [r[0] for r in sorted(rows, key=lambda r: -int(r[1])) if re.fullmatch(r"[\u4e00-\u9fff]+", r[0])]
    return {"en": sorted(english), "zh": chinese[:size]}


def _words(rng: random.Random, words: list[str], weights: list[float], n: int) -> list[str]:
    return rng.choices(words, cum_weights=weights, k=n)


def _join(words: list[str], lang: str) -> str:
    if lang == "en":
        return " ".join(words)
    return "".join(w + ("，" if i % 9 == 8 else "") for i, w in enumerate(words)) + "。"


def _article_rows(rng: random.Random, vocab: dict[str, list[str]], articles: int, feed_id: int) -> Any:
    """(articles row, key points or None) per synthetic article, generated lazily."""
    weights = {lang: _zipf(words) for lang, words in vocab.items()}
    for n in range(articles):
        lang = "en" if n % 2 == 0 else "zh"
        title = _words(rng, vocab[lang], weights[lang], 8)
        body = _words(rng, vocab[lang], weights[lang], 180)
        for word, share in TOPICS[lang]:
            if rng.random() < share:
                body.insert(rng.randrange(len(body)), word)
                if rng.random() < 0.3:
                    title.insert(rng.randrange(len(title)), word)
        text = _join(body, lang)
        published = (NOW - timedelta(seconds=rng.randrange(365 * 86400))).isoformat()
        row = (feed_id, f"https://bench.example/{n}", _join(title, lang), "Bench", published, lang, text,
               len(text), f"bench-{n}", n + 1, NOW.isoformat())
        points = None
        if n % 10 == 0:
            points = [_join(_words(rng, vocab[lang], weights[lang], 20), lang) for _ in range(3)]
        yield row, points


def build(path: Path, articles: int, seed: int = 14, batch: int = 1000) -> dict[str, Any]:
    """Store `articles` synthetic articles and key points for one in ten. The rows are inserted with
    the store's own columns in transactions of `batch` (add_article commits each one, which would
    make the build, not the search, the long part); the production path indexes each batch (the
    trigger queues it, `index_pending` segments and indexes it), jieba included."""
    rng = random.Random(seed)
    vocab = _vocabularies(rng, 30_000)
    store = Store(path)
    feed = store.add_feed("https://bench.example/feed", "Bench")
    store.search_articles("预热")  # jieba's dictionary is loaded once per process, not per article
    conn = store.db.conn
    started = time.perf_counter()
    chars = 0
    rows: list[tuple[Any, ...]] = []
    summaries: list[tuple[Any, ...]] = []

    def flush() -> None:
        with conn:
            conn.executemany(
                "INSERT INTO articles (feed_id, url, title, source, published, language, text, "
                "original_chars, content_hash, story_id, fetched_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
            conn.executemany("INSERT INTO summaries VALUES (?,?,?,?,?,?,?)", summaries)
        store.index_pending(batch=batch)
        rows.clear()
        summaries.clear()

    for row, points in _article_rows(rng, vocab, articles, feed.id):
        rows.append(row)
        chars += len(row[6])
        if points is not None:
            payload = json.dumps({"title": row[2], "emoji": "📰", "points": points, "section": None,
                                  "importance": 0.5, "provider": "extractive", "model": "bench",
                                  "language": row[5]}, ensure_ascii=False)
            summaries.append((row[8], "extractive", "bench", row[5], "points", payload, NOW.isoformat()))
        if len(rows) == batch:
            flush()
    flush()
    seconds = time.perf_counter() - started
    index_bytes = store.db.execute(
        "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name LIKE 'article_search%'").fetchone()[0]
    indexed = store.db.execute("SELECT COUNT(*) FROM article_search").fetchone()[0]
    store.close()
    return {"articles": articles, "indexed": indexed, "build_seconds": seconds,
            "articles_per_s": articles / seconds, "text_chars": chars, "index_mb": index_bytes / 1e6,
            "db_mb": path.stat().st_size / 1e6}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def time_queries(path: Path, repeats: int) -> dict[str, Any]:
    """Median and p95 of every query (ms), ours and the LIKE reference."""
    store = Store(path)
    per_query: dict[str, dict[str, Any]] = {}
    ours_all: list[float] = []
    like_all: list[float] = []
    try:
        search(store, "warm up 预热", now=NOW)  # loads jieba's dictionary once, as a running bot has
        for label, query, kw in QUERIES:
            hits = search(store, query, now=NOW, **kw)
            runs = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                search(store, query, now=NOW, **kw)
                runs.append((time.perf_counter() - t0) * 1000)
            first = query.strip('"').split()[0]
            like = []
            for _ in range(max(1, repeats // 10)):
                t0 = time.perf_counter()
                store.db.execute(
                    "SELECT id FROM articles WHERE title LIKE ? OR text LIKE ? ORDER BY published DESC LIMIT 5",
                    [f"%{first}%", f"%{first}%"]).fetchall()
                like.append((time.perf_counter() - t0) * 1000)
            ours_all += runs
            like_all += like
            per_query[label] = {"query": query, "hits": len(hits), "median_ms": statistics.median(runs),
                                "p95_ms": _percentile(runs, 0.95), "like_median_ms": statistics.median(like)}
    finally:
        store.close()
    slowest = max(per_query, key=lambda k: per_query[k]["p95_ms"])
    return {"queries": per_query, "runs": len(ours_all), "median_ms": statistics.median(ours_all),
            "p95_ms": _percentile(ours_all, 0.95), "max_ms": max(ours_all),
            "like_median_ms": statistics.median(like_all), "like_p95_ms": _percentile(like_all, 0.95),
            "slowest_query": slowest}


def chinese_recall(words: int, seed: int = 14, files: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Search recall of random Chinese dictionary words against substring matching, over the Chinese
    entries of the corpus feeds (or of `files` only)."""
    import jieba

    from bot.ingest import FetchError
    from bot.ingest.parse import parse_feed_bytes

    require_corpus(CORPUS / "feeds")
    store = Store(":memory:")
    feed = store.add_feed("https://corpus.example/", "corpus")
    texts: dict[int, str] = {}
    for path in sorted(p for p in (CORPUS / "feeds").iterdir() if p.is_file() and (not files or p.name in files)):
        try:
            parsed = parse_feed_bytes(path.read_bytes(), url=f"https://corpus.example/{path.name}")
        except FetchError:
            continue
        for n, entry in enumerate(e for e in parsed.entries if e.language == "zh"):
            article = store.add_article(NewArticle(
                feed_id=feed.id, url=f"https://corpus.example/{path.name}/{n}", title=entry.title,
                source=path.name, published=NOW, language="zh", text=entry.text,
                original_chars=len(entry.text), content_hash=f"{path.name}-{n}"))
            texts[article.id] = entry.title + "\n" + entry.text
    store.index_pending()
    counts: dict[str, int] = {}
    for text in texts.values():
        for word in set(jieba.cut(text, HMM=False)):
            if 2 <= len(word) <= 4 and re.fullmatch(r"[\u4e00-\u9fff]+", word):
                counts[word] = counts.get(word, 0) + 1
    sample = random.Random(seed).sample(sorted(w for w, c in counts.items() if c >= 3), words)
    relevant = found = wrong = 0
    for word in sample:
        truth = {i for i, text in texts.items() if word in text}
        hits = {h.article_id for h in store.search_articles(word, limit=100_000, now=NOW)}
        relevant += len(truth)
        found += len(truth & hits)
        wrong += len(hits - truth)
    store.close()
    return {"articles": len(texts), "words": len(sample), "relevant": relevant,
            "recall": found / relevant if relevant else 0.0, "extra_hits": wrong}


QUICK_FILES = ("leiphone.xml",)


def run(articles: int = 100_000, repeats: int = 30, recall_words: int = 400, quick: bool = False) -> dict[str, Any]:
    """Build the synthetic store, time the query mix, and measure Chinese recall on the corpus
    (`quick`: one Chinese feed only, for the smoke test)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "search.db"
        out = {"build": build(path, articles)}
        out["timing"] = time_queries(path, repeats)
    out["recall_zh"] = chinese_recall(recall_words, files=QUICK_FILES if quick else None)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    print(json.dumps(run(args.articles, args.repeats), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
