"""/digest [YYYY-MM-DD]: the latest digest (or that day's), answered in this chat."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.models import Reply, Request
from bot.services import Services
from handlers import budget
from handlers.common import reply_language
from handlers.errors import UserError

# No feed reaches back further, and far-off dates overflow the window arithmetic (date.min - 1 day).
EARLIEST = date(1990, 1, 1)


def today_in(timezone: str, now: datetime) -> date:
    """The calendar date at `now` in `timezone` (digests are keyed by the digest zone's date)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def parse_day(value: str) -> date:
    """'2025-01-31' → date; anything else is the user's mistake."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserError("bad_date", value=value[:40]) from None


async def digest(request: Request, services: Services) -> Reply:
    """Today's digest in the digest time zone, or the asked day's: a stored digest is free; a
    missing one is built (budgeted) only for the last limits.max_digest_age_days days."""
    language = reply_language(request, services)
    now = services.now()
    today = today_in(services.settings.digest.timezone, now)
    if request.args:
        day = parse_day(request.args[0])
        if day > today:
            raise UserError("future_date", value=day.isoformat())
        if day < EARLIEST:
            raise UserError("date_out_of_range", value=day.isoformat())
    else:
        day = today
    if services.store.get_digest(day.isoformat(), language) is None:
        max_age = services.settings.limits.max_digest_age_days
        if (today - day).days > max_age:
            raise UserError("digest_too_old", value=day.isoformat(), days=max_age)
        budget.charge(request, services, budget.BUILD)
    result = await services.digests.get_or_build(day, language, now=now)
    return Reply(digest=result)
