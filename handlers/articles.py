"""/summarize <article id | URL> and /more <id> (also the "More detail" button)."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.digest.buttons import encode
from bot.ingest import FetchError
from bot.ingest.pipeline import fetch_page_text
from bot.models import Article, Button, Reply, Request, Summary
from bot.services import Services
from handlers.common import is_bot_admin, reply_language
from handlers.errors import UserError
from handlers.strings import t

log = logging.getLogger(__name__)

RATE_KIND = "summarize"


def parse_article_id(value: str) -> int:
    """'12' or '#12' → 12; anything else is the user's mistake."""
    raw = value.strip().lstrip("#")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise UserError("bad_id", value=value)
    return int(raw)


def load_article(services: Services, value: str) -> Article:
    """The stored article named by the user, or a UserError naming the id."""
    article_id = parse_article_id(value)
    article = services.store.get_article(article_id)
    if article is None:
        raise UserError("unknown_article", id=article_id)
    return article


def format_summary(summary: Summary, url: str, language: str) -> str:
    """Plain text (the adapter escapes it): title, points, link."""
    lines = [f"{summary.emoji} {summary.title}".strip()]
    if summary.fallback:
        lines.append(t(language, "fallback_note"))
    lines += [f"• {point}" for point in summary.points]
    lines.append(t(language, "link", url=url))
    return "\n".join(lines)


def check_rate_limit(request: Request, services: Services) -> None:
    """At most chat.summarize_per_user_per_hour requests per user, so a chat cannot run up a model bill."""
    if is_bot_admin(request, services):
        return
    limit = services.settings.chat.summarize_per_user_per_hour
    now = services.now()
    used = services.store.count_user_requests(
        request.platform, request.user_id, RATE_KIND, now - timedelta(hours=1)
    )
    if used >= limit:
        log.info("summarize.rate_limited platform=%s user=%s used=%d", request.platform, request.user_id, used)
        raise UserError("rate_limited", limit=limit)
    # Counted before the work starts, so a burst of concurrent requests cannot slip past the limit.
    services.store.record_user_request(request.platform, request.user_id, RATE_KIND, now)


async def summarize(request: Request, services: Services) -> Reply:
    """Key points of a stored article (by id) or of any web page (by URL, through the network guard)."""
    if not request.args:
        raise UserError("usage", usage="/summarize <article id | URL>")
    language = reply_language(request, services)
    target = request.args[0].strip()
    if target.lower().startswith(("http://", "https://")):
        check_rate_limit(request, services)
        try:
            title, text = await fetch_page_text(target, services.settings)
        except FetchError as exc:
            log.info("summarize.url_refused url=%s reason=%s", target, exc.reason)
            raise UserError("url_refused", reason=exc.reason.rstrip(".")) from None
        if not text.strip():
            raise UserError("no_text")
        summary = await services.summaries.summarize_text(title, text, target, language)
        return Reply(text=format_summary(summary, target, language))
    if "." in target or "/" in target:  # looks like an address without a scheme
        raise UserError("bad_url", value=target)
    # Stored articles are summarized once and cached, so only URLs (new text each time) are limited.
    article = load_article(services, target)
    summary = await services.summaries.summarize_article(article, language)
    button = Button(label=t(language, "more_button"), payload=encode("more", article.id))
    return Reply(text=format_summary(summary, article.url, language), buttons=(button,))


async def more(request: Request, services: Services) -> Reply:
    """The detail summary (5-8 points, cached) with the link and every other source of the story."""
    if not request.args:
        raise UserError("usage", usage="/more <article id>")
    language = reply_language(request, services)
    article = load_article(services, request.args[0])
    summary = await services.summaries.summarize_article(article, language, kind="detail")
    text = format_summary(summary, article.url, language)
    others = [s for s in services.store.story_sources(article.story_id) if s.url != article.url]
    if others:
        text += "\n" + t(language, "also") + "\n" + "\n".join(f"- {s.source}: {s.url}" for s in others)
    return Reply(text=text)
