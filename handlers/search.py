"""/search <words> and its "more" button: stored articles by words, five to a message, each with its
date, source, id and link.

A search is CPU work (jieba and FTS5 ranking): it is charged to the user's hourly allowance
(`limits.user_searches_per_hour`, and `limits.searches_per_hour` for the bot) and runs in a worker
thread, one at a time, never on the event loop. The "more" button carries the id of the query,
stored for the chat that searched (Telegram's 64 bytes cannot hold any query), and the next offset;
a press from another chat, or for a forgotten query, is an expired button.
"""

from __future__ import annotations

import asyncio
import logging
from zoneinfo import ZoneInfo

from bot.digest.buttons import SEARCH_PAGE_SIZE, encode
from bot.digest.inert import inert_entities
from bot.models import Button, Reply, Request, SearchHit
from bot.search import MAX_QUERY_CHARS, SearchError, search
from bot.services import Services
from handlers import budget
from handlers.common import reply_language
from handlers.errors import LocalizedError, UserError
from handlers.strings import t

log = logging.getLogger(__name__)

MAX_OFFSET = 9995  # the button's offset field holds 4 digits
TITLE_CHARS = 200  # a title is cut here, so five results stay one message on Discord (2,000)


def _zone(request: Request, services: Services) -> ZoneInfo:
    """Dates in the chat's own zone (its subscription's), else the digest's."""
    sub = services.store.find_subscription(request.platform, request.chat_id)
    return ZoneInfo(sub.timezone if sub is not None else services.settings.digest.timezone)


def format_hits(
    hits: list[SearchHit], query: str, offset: int, zone: ZoneInfo, language: str
) -> str:
    """Plain text (the adapter escapes it): a header, then per hit its title, date · source · id
    and link. Titles, sources and the query are inert: no mention, command or tag."""
    shown = inert_entities(query)
    lines = [t(language, "search_header", query=shown, first=offset + 1, last=offset + len(hits))]
    for n, hit in enumerate(hits, start=offset + 1):
        title = hit.title if len(hit.title) <= TITLE_CHARS else hit.title[: TITLE_CHARS - 1] + "…"
        day = hit.published.astimezone(zone).date().isoformat()
        lines.append(f"{n}. {inert_entities(title)}")
        lines.append(f"   {day} · {inert_entities(hit.source)} · #{hit.article_id}")
        lines.append(f"   {hit.url}")
    return "\n".join(lines)


def _page(request: Request, services: Services) -> tuple[str, int]:
    """The query and offset to show: typed words from the start, or a "more" button's page."""
    if request.press == "srch":
        query_id, offset = int(request.args[0]), int(request.args[1])
        query = services.store.recall_search(query_id, request.platform, request.chat_id)
        if query is None:  # another chat's query, or one forgotten since
            log.info(
                "search.page_refused platform=%s chat=%s query_id=%d",
                request.platform,
                request.chat_id,
                query_id,
            )
            raise UserError("button_expired")
        return query, offset
    query = " ".join(" ".join(request.args).split())
    if not query:
        raise UserError("usage", usage="/search <words>")
    if len(query) > MAX_QUERY_CHARS:  # refused before it costs the user anything
        raise LocalizedError(SearchError("search_too_long", limit=MAX_QUERY_CHARS))
    return query, 0


async def search_(request: Request, services: Services) -> Reply:
    """Up to five results, best first, with a "more" button while there are more."""
    language = reply_language(request, services)
    query, offset = _page(request, services)
    budget.charge(request, services, budget.SEARCH)
    now = services.now()
    assert services.searches is not None
    async with services.searches:
        try:
            # One more than a page: whether a "more" button is worth showing.
            hits = await asyncio.to_thread(
                search, services.store, query, limit=SEARCH_PAGE_SIZE + 1, offset=offset, now=now
            )
        except SearchError as exc:
            raise LocalizedError(exc) from None
    shown = inert_entities(query)
    if not hits:
        return Reply(text=t(language, "search_no_more" if offset else "search_none", query=shown))
    more = len(hits) > SEARCH_PAGE_SIZE and offset + SEARCH_PAGE_SIZE <= MAX_OFFSET
    hits = hits[:SEARCH_PAGE_SIZE]
    buttons: tuple[Button, ...] = ()
    if more:
        query_id = services.store.remember_search(request.platform, request.chat_id, query, now)
        buttons = (
            Button(
                label=t(language, "search_more"),
                payload=encode("srch", query_id, offset + SEARCH_PAGE_SIZE),
            ),
        )
    text = format_hits(hits, query, offset, _zone(request, services), language)
    return Reply(text=text, buttons=buttons)
