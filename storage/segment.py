"""Chinese word segmentation for the search index, so FTS5's word tokenizer sees Chinese words.

FTS5's `unicode61` tokenizer splits on spaces and punctuation, which leaves a run of Chinese text
as one long token. Before indexing, every run of Chinese characters is cut into words by jieba
(search mode: a long word is followed by the dictionary words inside it, so 人工智能 is also found as
智能); a query is cut the same way in precise mode and searched as a phrase. Everything else (Latin
text, digits, punctuation) is left to the tokenizer. Both sides use jieba's dictionary only (no
HMM guessing of unknown words), so the same text always cuts the same way in an article and in a
query. Measured on the corpus's Chinese entries: 98 % of the articles containing a random
dictionary word as a substring are found by the phrase query (see benchmarks/search.py).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)

SQL_FUNCTION = "digestbot_segment"  # the SQL name the index's triggers and migration call

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


def register(conn: sqlite3.Connection) -> None:
    """Make `digestbot_segment(text)` callable from SQL on this connection (the index's triggers
    and the migration that builds the index call it), before any migration runs."""
    conn.create_function(SQL_FUNCTION, 1, _segment_sql, deterministic=True)
