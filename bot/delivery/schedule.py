"""When a subscription is owed a digest: its slots in its own zone, the grace window, its schedule start.

Pure functions of a subscription and `now`, shared by the scheduler's jobs, catch-up and the CLI.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from datetime import date as Date
from zoneinfo import ZoneInfo

from bot.config import parse_hhmm
from bot.models import Subscription

__all__ = ["due_date", "last_slot"]


def last_slot(sub: Subscription, now: datetime) -> tuple[Date, datetime] | None:
    """The latest scheduled instant of `sub` at or before `now` (today's or yesterday's, local)."""
    hhmm = parse_hhmm(sub.time)
    if hhmm is None:
        return None
    tz = ZoneInfo(sub.timezone)
    local_day = now.astimezone(tz).date()
    for day in (local_day, local_day - timedelta(days=1)):
        at = datetime.combine(day, time(*hhmm), tzinfo=tz)
        if at.astimezone(UTC) <= now:  # compare in UTC: same-zone subtraction ignores DST
            return day, at
    return None


def _owed(sub: Subscription, at: datetime) -> bool:
    """A slot is owed only if it comes after the subscription's schedule started (its "Next: …")."""
    return sub.schedule_from is None or at.astimezone(UTC) > sub.schedule_from


def due_date(
    sub: Subscription,
    now: datetime,
    send_all: bool = False,
    grace: timedelta | None = None,
    day: Date | None = None,
) -> Date | None:
    """The local date whose digest `sub` is due for at `now`, or None.

    Without `grace` (the CLI): today's, once its HH:MM has passed. With `grace` (the scheduler):
    the latest slot, today's or yesterday's, if it passed at most `grace` ago, so a bot that was
    down all day does not post a stale morning digest in the evening. A slot at or before the
    subscription's `schedule_from` is never due: a chat that subscribed (or moved its time) after
    today's slot was told its first digest comes at the next one. `send_all`: today's (or `day`),
    now, whatever the time. `day` (`digest --date D --send`): D's, once D's slot has passed.
    """
    local_today = now.astimezone(ZoneInfo(sub.timezone)).date()
    if send_all:
        return day or local_today
    if day is not None:
        hhmm = parse_hhmm(sub.time)
        if hhmm is None:
            return None
        at = datetime.combine(day, time(*hhmm), tzinfo=ZoneInfo(sub.timezone))
        return day if at.astimezone(UTC) <= now and _owed(sub, at) else None
    slot = last_slot(sub, now)
    if slot is None or not _owed(sub, slot[1]):
        return None
    day, at = slot
    if grace is None:
        return day if day == local_today else None
    return day if now - at.astimezone(UTC) <= grace else None
