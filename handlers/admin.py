"""Admin commands (user ids in telegram.admins / discord.admins): /feeds, /addfeed, /removefeed, /status."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.ingest import FetchError
from bot.ingest.probe import probe_feed  # shared with `digestbot feeds add`
from bot.ingest.reasons import describe
from bot.models import Feed, Reply, Request
from bot.services import Services
from bot.status import StatusReport, collect_status
from handlers.common import is_bot_admin, reply_language
from handlers.errors import UserError
from handlers.strings import t

log = logging.getLogger(__name__)


def _require_admin(request: Request, services: Services) -> None:
    if not is_bot_admin(request, services):
        log.info("admin.refused command=%s platform=%s user=%s", request.command, request.platform, request.user_id)
        raise UserError("not_allowed", command=request.command)


def _short(text: str | None, limit: int = 120) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _feed_state(feed: Feed, language: str) -> str:
    if feed.last_status == "failed":
        return t(language, "feed_failing", error=_short(describe(feed.last_error or "", language)))
    if feed.last_fetched is None:
        return t(language, "feed_never")
    return t(language, "feed_ok")


async def feeds(request: Request, services: Services) -> Reply:
    """Every active feed with its id, section and health."""
    _require_admin(request, services)
    language = reply_language(request, services)
    rows = services.store.list_feeds()
    if not rows:
        return Reply(text=t(language, "feeds_none"))
    lines = [t(language, "feeds_header", count=len(rows))]
    for feed in rows:
        lines.append(
            t(
                language,
                "feed_line",
                id=feed.id,
                name=feed.name or feed.url,
                url=feed.url,
                section=f" ({feed.section})" if feed.section else "",
                state=_feed_state(feed, language),
            )
        )
    return Reply(text="\n".join(lines))


async def addfeed(request: Request, services: Services) -> Reply:
    """Add a feed after fetching it once, so a typo or an HTML page is refused with the reason."""
    _require_admin(request, services)
    if not request.args:
        raise UserError("usage", usage="/addfeed <url> [section]")
    language = reply_language(request, services)
    url = request.args[0].strip()
    if not url.lower().startswith(("http://", "https://")):
        raise UserError("bad_url", value=url)
    section = request.args[1].strip().lower() if len(request.args) > 1 else None
    keys = services.settings.section_keys()
    if section and section not in keys:
        raise UserError("bad_section", value=section, sections=", ".join(keys))
    existing = next((f for f in services.store.list_feeds() if f.url == url), None)
    if existing is not None:
        return Reply(text=t(language, "feed_exists", id=existing.id))
    try:
        parsed = await probe_feed(url, services.settings)
    except FetchError as exc:
        log.info("admin.addfeed_refused url=%s reason=%s", url, exc.reason)
        raise UserError("feed_refused", reason=describe(exc.reason, language).rstrip(".")) from None
    feed = services.store.add_feed(url, name=_short(parsed.title, 100), section=section)
    log.info("admin.feed_added feed=%d url=%s section=%s by=%s", feed.id, url, section, request.user_id)
    return Reply(
        text=t(language, "feed_added", id=feed.id, name=feed.name or url, entries=len(parsed.entries))
    )


async def removefeed(request: Request, services: Services) -> Reply:
    """Stop polling a feed; its articles (and their ids in old digests) stay."""
    _require_admin(request, services)
    if not request.args:
        raise UserError("usage", usage="/removefeed <id>")
    language = reply_language(request, services)
    raw = request.args[0].strip().lstrip("#")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise UserError("bad_feed_id", value=request.args[0])
    feed_id = int(raw)
    if not services.store.remove_feed(feed_id):
        raise UserError("unknown_feed", id=feed_id)
    log.info("admin.feed_removed feed=%d by=%s", feed_id, request.user_id)
    return Reply(text=t(language, "feed_removed", id=feed_id))


def _when(value: datetime | None, zone: ZoneInfo, language: str) -> str:
    if value is None:
        return t(language, "status_never")
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _platform_lines(report: StatusReport, zone: ZoneInfo, language: str) -> list[str]:
    lines = [t(language, "status_service", pid=report.service_pid) if report.service_pid
             else t(language, "status_service_off")]
    if not report.platforms:
        return [*lines, t(language, "status_platforms_none")]
    lines.append(t(language, "status_platforms"))
    for p in report.platforms:
        lines.append(t(
            language, "status_platform", platform=p.platform, state=t(language, f"status_state_{p.state}"),
            reason=f" ({_short(p.reason)})" if p.reason else "", since=_when(p.since, zone, language),
            sent=_when(p.last_sent, zone, language),
        ))
    return lines


async def status(request: Request, services: Services) -> Reply:
    """Platforms' health and last send, last fetch, failing feeds, next digests, last digest built,
    model use today, messages waiting for enabled subscriptions."""
    _require_admin(request, services)
    language = reply_language(request, services)
    store = services.store
    zone = ZoneInfo(services.settings.digest.timezone)
    now = services.now()
    report = collect_status(store, services.settings.storage.path, services.settings.digest.timezone, now)
    lines = [t(language, "status_header"), *_platform_lines(report, zone, language),
             t(language, "status_last_fetch", when=_when(report.last_fetch, zone, language))]
    failing = report.failing_feeds
    lines.append(t(language, "status_failing", count=len(failing)))
    for feed in failing[:10]:
        lines.append(
            t(language, "status_failing_line", id=feed.id, name=feed.name or feed.url,
              error=_short(describe(feed.last_error or "", language)))
        )
    runs = sorted(services.next_runs(), key=lambda item: item[1])
    if runs:
        lines.append(t(language, "status_next"))
        lines += [
            t(language, "status_next_line", name=name, when=_when(when, zone, language)) for name, when in runs[:10]
        ]
    else:
        lines.append(t(language, "status_next_none"))
    if report.last_digest is None:
        lines.append(t(language, "status_last_digest_none"))
    else:
        day, digest_language, built = report.last_digest
        lines.append(t(language, "status_last_digest", date=day, lang=digest_language,
                       when=_when(built, zone, language)))
    lines.append(t(language, "status_model", **report.model_usage))
    lines.append(t(language, "status_subs", count=report.subscriptions_active))
    lines.append(t(language, "status_outbox", depth=report.pending_messages))
    return Reply(text="\n".join(lines))
