"""Full-text search over stored articles: FTS5 with Chinese cut into words, ranked by relevance and age.

The index (`article_search`, built by a migration in storage/schema.py) holds each article's title,
text and cached key points. Writes queue the article (a trigger fills `search_pending`) and
`index_pending` segments and indexes the queue later, so an article is searchable once the service's
fetch job (or the CLI command) that stored it has finished; its rowid orders rows by publication time
(storage/segment.py), so matches are read newest first and a search stops once older rows cannot
rank. A query is user input: it is never passed to FTS5 as syntax. Each whitespace-separated term
(or "quoted phrase") becomes a quoted FTS5 phrase, so operators (AND, OR, NOT, NEAR, *, ^, :,
parentheses) are plain words and nothing can raise.
"""

from __future__ import annotations

import heapq
import logging
import math
import re
import unicodedata
from datetime import datetime, timedelta

from bot.models import SearchHit
from storage.base import StoreBase, _dt, _iso, _now
from storage.segment import KEY_SHIFT, key_floor, key_seconds, segment_for_query

log = logging.getLogger(__name__)

MAX_TERMS = 16  # a longer query keeps its first 16 terms
# bm25 column weights: a word in the title counts 8 times one in the text, key points 3 times.
WEIGHTS = "8.0, 1.0, 3.0"
_BM25_K1 = 1.2  # FTS5's bm25 constant (fts5_aux.c)
_ID_BITS = (1 << KEY_SHIFT) - 1
# Age discount: the relevance of an article `age` days old is divided by 1 + age / RECENCY_DAYS,
# so last week's story outranks an equally relevant one from last year.
RECENCY_DAYS = 30.0
SEARCH_QUERY_DAYS = 30  # how long a chat's search stays pageable by its "more" button

_TERM = re.compile(r'"([^"]*)"|(\S+)')
_WORD_CHAR = re.compile(r"[^\W_]")  # a letter or digit in any script: what the tokenizer indexes


def query_phrases(query: str) -> list[str]:
    """A user's query as quoted FTS5 phrases (at most MAX_TERMS, no duplicates); [] when it holds
    no word at all."""
    phrases: list[str] = []
    # Control and format characters are spaces here: FTS5 reads a NUL as the end of the query.
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in query or "")
    for found in _TERM.finditer(text):
        raw = found.group(1) if found.group(1) is not None else found.group(2)
        words = segment_for_query(raw).strip()
        if not _WORD_CHAR.search(words):
            continue
        phrase = '"' + " ".join(words.split()).replace('"', '""') + '"'
        if phrase not in phrases:
            phrases.append(phrase)
        if len(phrases) == MAX_TERMS:
            break
    return phrases


INDEX_BATCH = 8  # articles segmented per transaction (a few tens of ms of jieba on one core)


class SearchMixin(StoreBase):
    def pending_search_count(self) -> int:
        """Articles written (or rewritten) since they were last indexed for search."""
        return int(self.db.execute("SELECT count(*) FROM search_pending").fetchone()[0])

    def index_pending(self, limit: int | None = None, batch: int = INDEX_BATCH) -> int:
        """Index up to `limit` queued articles (all when None), oldest first, `batch` per
        transaction; return how many. Writes only queue ids (a trigger), so fetching never waits
        for jieba; call this off the critical path (storage/schema.py says where)."""
        done = 0
        while limit is None or done < limit:
            size = batch if limit is None else min(batch, limit - done)
            ids = [row[0] for row in self.db.execute(
                "SELECT article_id FROM search_pending ORDER BY article_id LIMIT ?", [size])]
            if not ids:
                break
            marks = ",".join("?" * len(ids))
            with self.db.conn:  # the rows and their removal from the queue, together
                self.db.execute(
                    "INSERT OR REPLACE INTO article_search (rowid, title, body, points) "
                    "SELECT digestbot_search_key(a.published, a.id), digestbot_segment(a.title), "
                    "digestbot_segment(a.text), digestbot_segment((SELECT group_concat(points, ' ') "
                    f"FROM article_points p WHERE p.article_id = a.id)) FROM articles a WHERE a.id IN ({marks})",
                    ids)
                self.db.execute(f"DELETE FROM search_pending WHERE article_id IN ({marks})", ids)
            done += len(ids)
        return done

    def search_articles(
        self,
        query: str,
        *,
        days: int | None = None,
        limit: int = 5,
        offset: int = 0,
        now: datetime | None = None,
    ) -> list[SearchHit]:
        """Stored articles matching every term of `query` (or, when none matches them all, any
        term), best first; `days` keeps those published in the last N days before `now`."""
        now = now or _now()
        phrases = query_phrases(query)
        if not phrases or limit <= 0:
            return []
        floor = key_floor(now - timedelta(days=days)) if days else 0
        expression = " ".join(phrases)
        if len(phrases) > 1 and not self._any_match(expression, floor):
            expression = " OR ".join(phrases)
        ranked = self._ranked(expression, phrases, now, floor, max(0, offset) + limit)
        page = [key for _score, key in ranked[max(0, offset):]]
        if not page:
            return []
        rows = {r["id"]: r for r in self._all(
            f"SELECT id, title, source, url, published, language FROM articles "
            f"WHERE id IN ({','.join('?' * len(page))})", [key & _ID_BITS for key in page])}
        hits = [self._hit(rows[key & _ID_BITS]) for key in page if key & _ID_BITS in rows]
        log.debug("search.done phrases=%d hits=%d offset=%d", len(phrases), len(hits), offset)
        return hits

    def _any_match(self, expression: str, floor: int) -> bool:
        sql = "SELECT 1 FROM article_search WHERE article_search MATCH ? AND rowid >= ? LIMIT 1"
        return self.db.execute(sql, [expression, floor]).fetchone() is not None

    def _score_bound(self, phrases: list[str]) -> float:
        """An upper bound of -bm25 for any row: FTS5's bm25 adds, per phrase, idf * f * (k1 + 1) /
        (f + k1 * length norm), which stays below idf * (k1 + 1) however often the phrase occurs
        (and idf is at least 1e-6, as FTS5 clamps it)."""
        total = int(self.db.execute("SELECT count(*) FROM articles").fetchone()[0])
        bound = 0.0
        for phrase in phrases:
            hits = int(self.db.execute(
                "SELECT count(*) FROM article_search WHERE article_search MATCH ?", [phrase]).fetchone()[0])
            idf = math.log((total - hits + 0.5) / (hits + 0.5)) if total > hits else 0.0
            bound += max(idf, 1e-6) * (_BM25_K1 + 1)
        return bound

    def _ranked(self, expression: str, phrases: list[str], now: datetime, floor: int,
                wanted: int) -> list[tuple[float, int]]:
        """The best `wanted` (score, key) pairs, best first: score = -bm25 / (1 + age / RECENCY_DAYS).

        Matches are read newest first (the rowid is publication-ordered), and reading stops once the
        worst of the best `wanted` beats the best score the current row, and so every older one,
        could reach; a common word is ranked from its recent matches instead of all of them, with
        the same result as scoring every match.
        """
        bound = self._score_bound(phrases)
        now_seconds = now.timestamp()
        best: list[tuple[float, int]] = []  # a min-heap of the best `wanted`
        cursor = self.db.execute(
            f"SELECT rowid, bm25(article_search, {WEIGHTS}) FROM article_search "
            "WHERE article_search MATCH ? AND rowid >= ? ORDER BY rowid DESC", [expression, floor])
        try:
            for key, rank in cursor:
                discount = 1 + max(0.0, (now_seconds - key_seconds(key)) / 86400) / RECENCY_DAYS
                if len(best) >= wanted and best[0][0] >= bound / discount:
                    break
                item = (-rank / discount, key)
                if len(best) < wanted:
                    heapq.heappush(best, item)
                elif item > best[0]:
                    heapq.heapreplace(best, item)
        finally:
            cursor.close()
        return sorted(best, reverse=True)

    # ------------------------------------------------------------ chat searches and their pages

    def remember_search(self, platform: str, chat_id: str, query: str, at: datetime) -> int:
        """The id a "more" button carries for this chat's query (the same query keeps its id);
        queries older than SEARCH_QUERY_DAYS are forgotten, so their buttons expire."""
        with self.db.conn:
            self.db.execute("DELETE FROM search_queries WHERE created_at < ?",
                            [_iso(at - timedelta(days=SEARCH_QUERY_DAYS))])
            self.db.execute(
                "INSERT INTO search_queries (platform, chat_id, query, created_at) VALUES (?,?,?,?) "
                "ON CONFLICT (platform, chat_id, query) DO UPDATE SET created_at = excluded.created_at",
                [platform, str(chat_id), query, _iso(at)],
            )
            row = self.db.execute(
                "SELECT id FROM search_queries WHERE platform = ? AND chat_id = ? AND query = ?",
                [platform, str(chat_id), query],
            ).fetchone()
        return int(row[0])

    def recall_search(self, query_id: int, platform: str, chat_id: str) -> str | None:
        """The query behind a "more" button, only for the chat it was made in; None otherwise."""
        row = self._one(
            "SELECT query FROM search_queries WHERE id = ? AND platform = ? AND chat_id = ?",
            [query_id, platform, str(chat_id)],
        )
        return str(row["query"]) if row else None

    @staticmethod
    def _hit(row: dict[str, object]) -> SearchHit:
        published = _dt(str(row["published"]))
        assert published is not None
        return SearchHit(
            article_id=int(row["id"]),  # type: ignore[call-overload]
            title=str(row["title"]),
            source=str(row["source"]),
            url=str(row["url"]),
            published=published,
            language=str(row["language"]),
        )
