"""The search index's SQL functions: Chinese word segmentation, and each row's key (its rowid).

FTS5's `unicode61` tokenizer splits on spaces and punctuation, which leaves a run of Chinese text
as one long token. Before indexing, every run of Chinese characters is cut into words by jieba
(search mode: a long word is followed by the dictionary words inside it, so 人工智能 is also found as
智能); a query is cut the same way in precise mode and searched as a phrase. Everything else (Latin
text, digits, punctuation) is left to the tokenizer. Both sides use jieba's dictionary only (no
HMM guessing of unknown words), so the same text always cuts the same way in an article and in a
query. Measured on the corpus's Chinese entries: 97 % of the articles containing a random
dictionary word as a substring are found by the phrase query (see benchmarks/search.py); the
rest cut the word differently in context (超大模型 is 超大 + 模型, so 大模型 is not in it).

The key puts publication time in the rowid (seconds << KEY_SHIFT, plus the article id's low bits),
so "the last N days" is a rowid range FTS5 seeks to without reading other rows, and a search can
rank the newest matches first and stop early (storage/search.py).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

log = logging.getLogger(__name__)

KEY_SHIFT = 26  # article ids below 2**26 (67 million) map to distinct keys within one second
_ID_BITS = (1 << KEY_SHIFT) - 1

# CJK unified ideographs (and extension A, compatibility ideographs): what jieba segments.
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

_lock = threading.Lock()
_cutters: tuple[Callable[[str], Iterable[str]], Callable[[str], Iterable[str]]] | None = None


def _jieba() -> tuple[Callable[[str], Iterable[str]], Callable[[str], Iterable[str]]]:
    """(index cut, query cut), loading jieba's dictionary on first use, never at import time."""
    global _cutters
    if _cutters is None:
        with _lock:
            if _cutters is None:
                logging.getLogger("jieba").setLevel(logging.WARNING)
                import jieba

                jieba.setLogLevel(logging.WARNING)  # it sets its own logger to DEBUG on import
                jieba.initialize()
                _cutters = (
                    lambda text: jieba.cut_for_search(text, HMM=False),
                    lambda text: jieba.cut(text, HMM=False),
                )
    return _cutters


def _spaced(text: str, cut: Callable[[str], Iterable[str]]) -> str:
    if not _HAN_RUN.search(text):
        return text
    return _HAN_RUN.sub(lambda m: " " + " ".join(w for w in cut(m.group()) if w.strip()) + " ", text)


def segment_for_index(text: str | None) -> str:
    """Text as the index stores it: Chinese runs cut into space-separated words (search mode)."""
    if not text:
        return ""
    return _spaced(text, _jieba()[0])


def segment_for_query(text: str) -> str:
    """A query term as a phrase of words: Chinese runs cut in precise mode."""
    if not text:
        return ""
    return _spaced(text, _jieba()[1])


def _segment_sql(text: object) -> str:
    """The SQL function: never raises, since an exception here would fail the article's INSERT."""
    if not isinstance(text, str):
        return "" if text is None else str(text)
    try:
        return segment_for_index(text)
    except Exception:  # any failure: an unsegmented article is still found by its Latin words
        log.exception("search.segment_failed chars=%d", len(text))
        return text


def key_floor(at: datetime) -> int:
    """The smallest search key of anything published at or after `at` (seconds, UTC)."""
    return max(0, int(at.timestamp())) << KEY_SHIFT


def key_seconds(key: int) -> int:
    """The publication time (Unix seconds) a search key holds."""
    return key >> KEY_SHIFT


def _search_key(published: object, article_id: object) -> int:
    """The rowid of an article in the index; an unreadable date counts as 1970 (oldest)."""
    try:
        at = datetime.fromisoformat(str(published))
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        seconds = max(0, int(at.timestamp()))
    except (TypeError, ValueError, OverflowError, OSError):
        seconds = 0
    return (seconds << KEY_SHIFT) + (int(article_id or 0) & _ID_BITS)  # type: ignore[call-overload]


def register(conn: sqlite3.Connection) -> None:
    """Make `digestbot_segment(text)` and `digestbot_search_key(published, id)` callable from SQL on
    this connection (the index's triggers and migration call them), before any migration runs."""
    conn.create_function("digestbot_segment", 1, _segment_sql, deterministic=True)
    conn.create_function("digestbot_search_key", 2, _search_key, deterministic=True)
