"""/subscribe and /unsubscribe for this chat; only chat admins change groups and servers (/settings
and the other changes are in handlers/settings.py)."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import parse_hhmm, valid_timezone
from bot.models import Reply, Request, Subscription
from bot.services import Services
from handlers.common import can_manage_chat, reply_language
from handlers.errors import UserError
from handlers.strings import LANGUAGES, t

log = logging.getLogger(__name__)


def parse_subscribe_args(args: tuple[str, ...]) -> tuple[str | None, str | None, str | None]:
    """(time, timezone, language) from args in any order: HH:MM, zh|en, anything else a zone."""
    hhmm: str | None = None
    zone: str | None = None
    language: str | None = None
    for raw in args:
        value = raw.strip()
        if not value:
            continue
        if value.lower() in LANGUAGES and language is None:
            language = value.lower()
        elif ":" in value or value.replace(".", "").isdigit():
            parsed = parse_hhmm(value)
            if parsed is None or hhmm is not None:
                raise UserError("bad_time", value=value)
            hhmm = f"{parsed[0]:02d}:{parsed[1]:02d}"
        elif zone is None and ("/" in value or value.upper() == "UTC"):
            if not valid_timezone(value):
                raise UserError("bad_timezone", value=value)
            zone = "UTC" if value.upper() == "UTC" else value
        elif zone is None and valid_timezone(value):
            zone = value
        else:
            raise UserError("bad_subscribe_args", value=value)
    return hhmm, zone, language


def next_local_run(sub_time: str, timezone: str, now: datetime) -> datetime:
    """The next wall-clock HH:MM in `timezone` after `now` (for the confirmation message)."""
    tz = ZoneInfo(timezone)
    hour, minute = parse_hhmm(sub_time) or (0, 0)
    local = now.astimezone(tz)
    candidate = datetime.combine(local.date(), time(hour, minute), tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), time(hour, minute), tzinfo=tz)
    return candidate


def next_digest(sub: Subscription, services: Services, now: datetime) -> datetime:
    """When the chat's next digest comes (local time): the next slot, or the one after it when
    today's digest was already sent (the time moved later on a day that got its digest)."""
    upcoming = next_local_run(sub.time, sub.timezone, now)
    done = services.store.get_delivery(sub.id, upcoming.date().isoformat())
    if done is not None and done.status == "sent":
        upcoming = next_local_run(sub.time, sub.timezone, upcoming)
    return upcoming


def _require_manager(request: Request, services: Services) -> None:
    if not can_manage_chat(request, services):
        raise UserError("not_chat_admin")


def _language_name(language: str, sub_language: str) -> str:
    return t(language, f"lang_{sub_language}")


async def subscribe(request: Request, services: Services) -> Reply:
    """Create or change this chat's one subscription; unspecified values keep the current ones."""
    _require_manager(request, services)
    hhmm, zone, language = parse_subscribe_args(request.args)
    settings = services.settings
    current = services.store.find_subscription(request.platform, request.chat_id)
    keep = current
    now = services.now()
    sub = services.store.subscribe(
        request.platform,
        request.chat_id,
        hhmm or (keep.time if keep else settings.chat.default_time),
        zone or (keep.timezone if keep else settings.digest.timezone),
        language or (keep.language if keep else reply_language(request, services)),
        keep.sections if keep else (),
        at=now,  # slots up to now are not owed: the first digest is the one announced below
    )
    log.info(
        "subscription.saved sub=%d platform=%s chat=%s time=%s tz=%s language=%s",
        sub.id, sub.platform, sub.chat_id, sub.time, sub.timezone, sub.language,
    )
    services.refresh_schedule()
    upcoming = next_digest(sub, services, now)
    return Reply(
        text=t(
            sub.language,
            "subscribed",
            time=sub.time,
            timezone=sub.timezone,
            language_name=_language_name(sub.language, sub.language),
            next=upcoming.strftime("%Y-%m-%d %H:%M %Z"),
        )
    )


async def unsubscribe(request: Request, services: Services) -> Reply:
    """Pause (not delete) the subscription, so its delivery history still prevents double sends."""
    _require_manager(request, services)
    language = reply_language(request, services)
    sub = services.store.find_subscription(request.platform, request.chat_id)
    if sub is None or not sub.enabled:
        raise UserError("not_subscribed")
    services.store.disable_subscription(sub.id, "unsubscribed")
    log.info("subscription.disabled sub=%d platform=%s chat=%s", sub.id, sub.platform, sub.chat_id)
    services.refresh_schedule()
    return Reply(text=t(language, "unsubscribed"))

