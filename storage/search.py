"""Full-text search over stored articles: FTS5 with Chinese cut into words, ranked by relevance and age.

The index (`article_search`, built by a migration in storage/schema.py) holds each article's title,
text and cached key points, kept in step by triggers. A query is user input: it is never passed to
FTS5 as syntax. Each whitespace-separated term (or "quoted phrase") becomes a quoted FTS5 phrase,
so operators (AND, OR, NOT, NEAR, *, ^, :, parentheses) are plain words and nothing can raise.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import datetime, timedelta

from bot.models import SearchHit
from storage.base import StoreBase, _dt, _iso, _now
from storage.segment import segment_for_query

log = logging.getLogger(__name__)

MAX_TERMS = 16  # a longer query keeps its first 16 terms
# bm25 column weights: a word in the title counts 8 times one in the text, key points 3 times.
WEIGHTS = (8.0, 1.0, 3.0)
# Age discount: the relevance of an article `age` days old is divided by 1 + age / RECENCY_DAYS,
# so last week's story outranks an equally relevant one from last year.
RECENCY_DAYS = 30.0

_TERM = re.compile(r'"([^"]*)"|(\S+)')
_WORD_CHAR = re.compile(r"[^\W_]")  # a letter or digit in any script: what the tokenizer indexes


def match_expression(query: str, any_term: bool = False) -> str | None:
    """The FTS5 MATCH string for a user's query (every term must match, or with `any_term` one),
    or None when it holds no word at all."""
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
    if not phrases:
        return None
    return (" OR " if any_term else " ").join(phrases)


class SearchMixin(StoreBase):
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
        strict = match_expression(query)
        if strict is None:
            return []
        since = _iso(now - timedelta(days=days)) if days else None
        expression = strict
        if " " in strict and not self._any_match(strict, since):
            expression = match_expression(query, any_term=True) or strict
        sql = (
            "SELECT a.id, a.title, a.source, a.url, a.published, a.language FROM article_search "
            "JOIN articles a ON a.id = article_search.rowid WHERE article_search MATCH ? "
            + ("AND a.published >= ? " if since else "")
            + "ORDER BY bm25(article_search, ?, ?, ?) / "
            "(1.0 + max(0.0, julianday(?) - julianday(a.published)) / ?), a.id DESC LIMIT ? OFFSET ?"
        )
        params: list[object] = [expression, *([since] if since else []), *WEIGHTS, _iso(now),
                                RECENCY_DAYS, max(0, limit), max(0, offset)]
        rows = self._all(sql, params)
        log.debug("search.done terms=%d hits=%d offset=%d", expression.count('"') // 2, len(rows), offset)
        return [self._hit(r) for r in rows]

    def _any_match(self, expression: str, since: str | None) -> bool:
        if since is None:
            sql, params = "SELECT 1 FROM article_search WHERE article_search MATCH ? LIMIT 1", [expression]
        else:
            sql = ("SELECT 1 FROM article_search JOIN articles a ON a.id = article_search.rowid "
                   "WHERE article_search MATCH ? AND a.published >= ? LIMIT 1")
            params = [expression, since]
        return self.db.execute(sql, params).fetchone() is not None

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
