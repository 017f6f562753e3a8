"""/summarize <article id | URL> and /more <id> (also the "More detail" button)."""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
from urllib.parse import urlsplit

from bot.digest.buttons import encode
from bot.digest.inert import inert_entities
from bot.ingest import FetchError
from bot.ingest.guard import refusal_reason
from bot.ingest.pipeline import fetch_page_text
from bot.models import Article, Button, Reply, Request, Summary
from bot.services import Services
from handlers import budget
from handlers.common import reply_language
from handlers.errors import UserError
from handlers.strings import t

log = logging.getLogger(__name__)

_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


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
    # Titles and points come from the page (or a model reading it): never mentions or commands.
    lines = [inert_entities(f"{summary.emoji} {summary.title}".strip())]
    if summary.fallback:
        lines.append(t(language, "fallback_note"))
    lines += [f"• {inert_entities(point)}" for point in summary.points]
    lines.append(t(language, "link", url=url))
    return "\n".join(lines)


def _inward_host(url: str) -> bool:
    """True when the URL's own host (before any DNS) names this machine or an internal address:
    refused without a connection, and without saying more than the user already typed."""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:  # e.g. an unclosed "[" IPv6 literal
        raise UserError("bad_url", value=url[:100]) from None
    if host in _LOCAL_NAMES or host.endswith(".localhost") or not host:
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: the guard checks what it resolves to when connecting
    return refusal_reason(host) is not None


async def _summarize_url(request: Request, services: Services, url: str, language: str) -> Reply:
    """Key points of any web page: refused inward without a word on why, budgeted, and fetched
    with at most limits.concurrent_page_fetches pages in memory at once, all users together."""
    private_ok = services.settings.limits.user_urls_may_reach_private
    if not private_ok and _inward_host(url):
        log.info("summarize.url_refused platform=%s user=%s reason=inward host", request.platform, request.user_id)
        raise UserError("address_not_allowed")
    budget.charge(request, services, budget.PAGE, budget.ANSWER)
    # The operator's fetch.allow_private_addresses is for their own feeds, never for users' URLs.
    fetch = dataclasses.replace(services.settings.fetch, allow_private_addresses=private_ok)
    settings = dataclasses.replace(services.settings, fetch=fetch)
    assert services.page_fetches is not None
    async with services.page_fetches:
        try:
            title, text = await fetch_page_text(url, settings)
        except FetchError as exc:
            # The reason may name addresses or resolver errors: the log gets it, the user does not.
            log.info("summarize.url_failed platform=%s user=%s reason=%s", request.platform, request.user_id, exc.reason)
            raise UserError("fetch_failed") from None
    if not text.strip():
        raise UserError("no_text")
    summary = await services.summaries.summarize_text(title, text, url, language)
    return Reply(text=format_summary(summary, url, language))


async def _article_summary(
    request: Request, services: Services, article: Article, language: str, kind: str
) -> Summary:
    """A stored article's summary: free when cached, else one answer from the user's budget."""
    if services.summaries.cached_summary(article, language, kind) is None:
        budget.charge(request, services, budget.ANSWER)
    return await services.summaries.summarize_article(article, language, kind=kind)


async def summarize(request: Request, services: Services) -> Reply:
    """Key points of a stored article (by id) or of any web page (by URL, through the network guard)."""
    if not request.args:
        raise UserError("usage", usage="/summarize <article id | URL>")
    language = reply_language(request, services)
    target = request.args[0].strip()
    if target.lower().startswith(("http://", "https://")):
        return await _summarize_url(request, services, target, language)
    if "." in target or "/" in target:  # looks like an address without a scheme
        raise UserError("bad_url", value=target)
    article = load_article(services, target)
    summary = await _article_summary(request, services, article, language, "points")
    button = Button(label=t(language, "more_button"), payload=encode("more", article.id))
    return Reply(text=format_summary(summary, article.url, language), buttons=(button,))


async def more(request: Request, services: Services) -> Reply:
    """The detail summary (5-8 points, cached) with the link and every other source of the story."""
    if not request.args:
        raise UserError("usage", usage="/more <article id>")
    language = reply_language(request, services)
    article = load_article(services, request.args[0])
    summary = await _article_summary(request, services, article, language, "detail")
    text = format_summary(summary, article.url, language)
    others = [s for s in services.store.story_sources(article.story_id) if s.url != article.url]
    if others:
        lines = [f"- {inert_entities(s.source)}: {s.url}" for s in others]
        text += "\n" + t(language, "also") + "\n" + "\n".join(lines)
    return Reply(text=text)
