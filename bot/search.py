"""Search across every article the bot has stored: what `digestbot search` and the chat's /search call.

`search()` is synchronous CPU and SQLite work (jieba cuts the Chinese in the query; the first
call of a process loads jieba's dictionary, about a second): call it through `asyncio.to_thread`
from the event loop. Paging is by offset, so a "more" button only needs the query and the next
offset.

Storing an article only queues it for the index; `index_for_search` indexes the queue on the
event loop in small batches. The service runs it after every fetch job, so the chat finds what
the last fetch stored; the CLI's `search` indexes the queue first (`index_pending`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from bot.models import SearchHit
from storage import Store
from storage.search import INDEX_BATCH

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 200
MAX_LIMIT = 100
MAX_DAYS = 36_500

_STRINGS: dict[str, dict[str, str]] = {
    "zh": {
        "search_empty": "请给出要搜索的词。",
        "search_too_long": "搜索词最长 {limit} 个字符。",
        "search_bad_number": "{name} 必须是 {low} 到 {high} 之间的整数。",
    },
    "en": {
        "search_empty": "Give me some words to search for.",
        "search_too_long": "A search is at most {limit} characters long.",
        "search_bad_number": "{name} must be a whole number from {low} to {high}.",
    },
}


class SearchError(ValueError):
    """A search that cannot run (no words, too long, a bad limit): a key and parameters, so the
    chat can say it in the user's language; str() is the English sentence."""

    def __init__(self, key: str, **kw: Any) -> None:
        super().__init__(key)
        self.key = key
        self.kw = kw

    def message(self, language: str) -> str:
        """The one-sentence reason in `language` (Chinese unless "en")."""
        return _STRINGS["en" if language == "en" else "zh"][self.key].format(**self.kw)

    def __str__(self) -> str:
        return self.message("en")


def _check(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SearchError("search_bad_number", name=name, low=low, high=high)


def search(
    store: Store,
    query: str,
    *,
    days: int | None = None,
    limit: int = 5,
    offset: int = 0,
    now: datetime | None = None,
) -> list[SearchHit]:
    """Articles matching `query`, best first (relevance discounted by age), `limit` from `offset`.

    Every word must match (a phrase in "quotes" as a phrase); when no article has them all, any
    word will do. Chinese is matched by words (大模型 finds 大模型), other scripts by whole words
    (English plurals too). `days` keeps what was published in the last N days. Any text is safe:
    FTS5 operators in it are searched as plain words.
    """
    text = " ".join((query or "").split())
    if not text:
        raise SearchError("search_empty")
    if len(text) > MAX_QUERY_CHARS:
        raise SearchError("search_too_long", limit=MAX_QUERY_CHARS)
    _check("limit", limit, 1, MAX_LIMIT)
    _check("offset", offset, 0, 1_000_000)
    if days is not None:
        _check("days", days, 1, MAX_DAYS)
    hits = store.search_articles(text, days=days, limit=limit, offset=offset, now=now)
    log.info("search query_chars=%d days=%s offset=%d hits=%d", len(text), days, offset, len(hits))
    return hits


async def index_for_search(store: Store) -> int:
    """Index every queued article, a batch at a time, giving the loop back between batches (a
    batch is a few tens of milliseconds of jieba), so chat answers and sends go on meanwhile."""
    total = 0
    while done := store.index_pending(limit=INDEX_BATCH):
        total += done
        await asyncio.sleep(0)
    if total:
        log.info("search.indexed articles=%d", total)
    return total


def hit_to_dict(hit: SearchHit) -> dict[str, Any]:
    """One result in the documented JSON of `digestbot search --format json` (see README)."""
    return {
        "id": hit.article_id,
        "title": hit.title,
        "published": hit.published.isoformat(),
        "source": hit.source,
        "url": hit.url,
        "language": hit.language,
    }
