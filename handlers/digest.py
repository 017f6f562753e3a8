"""/digest [YYYY-MM-DD]: the latest digest (or that day's), answered in this chat."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.models import Reply, Request
from bot.services import Services
from handlers.common import reply_language
from handlers.errors import UserError


def today_in(timezone: str, now: datetime) -> date:
    """The calendar date at `now` in `timezone` (digests are keyed by the digest zone's date)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def parse_day(value: str) -> date:
    """'2025-01-31' → date; anything else is the user's mistake."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserError("bad_date", value=value) from None


async def digest(request: Request, services: Services) -> Reply:
    """Today's digest in the digest time zone (built on demand, then cached), or the asked day's."""
    language = reply_language(request, services)
    now = services.now()
    today = today_in(services.settings.digest.timezone, now)
    if request.args:
        day = parse_day(request.args[0])
        if day > today:
            raise UserError("future_date", value=day.isoformat())
    else:
        day = today
    result = await services.digests.get_or_build(day, language, now=now)
    return Reply(digest=result)
