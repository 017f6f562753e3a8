"""The scheduled jobs as plain functions of `now`: the scheduler, the CLI and tests call the same code.

Delivery is idempotent per (subscription, local date) through the outbox; a digest is only sent
within `scheduler.catch_up_grace_minutes` of the subscription's time, so a bot that was down all
day does not post a stale morning digest in the evening.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import parse_hhmm
from bot.delivery.outbox import DeliveryResult, deliver, renderer_for
from bot.models import FeedOutcome, Subscription
from bot.services import Services

log = logging.getLogger(__name__)

MAX_CONCURRENT_DELIVERIES = 50


def last_slot(sub: Subscription, now: datetime) -> tuple[date, datetime] | None:
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


def due_subscriptions(services: Services, now: datetime) -> list[tuple[Subscription, date]]:
    """Enabled subscriptions whose time passed within the grace window and are not yet sent for that date."""
    grace = timedelta(minutes=services.settings.scheduler.catch_up_grace_minutes)
    due = []
    for sub in services.store.list_subscriptions(enabled_only=True):
        try:
            slot = last_slot(sub, now)
        except (KeyError, ValueError):  # an unknown zone in one row must not stop the others
            log.error("schedule.bad_subscription sub=%d tz=%s time=%s", sub.id, sub.timezone, sub.time)
            continue
        if slot is None:
            continue
        day, at = slot
        if now - at.astimezone(UTC) > grace:
            continue
        existing = services.store.get_delivery(sub.id, day.isoformat())
        if existing is not None and existing.status == "sent":
            continue
        due.append((sub, day))
    return due


async def _deliver_one(services: Services, sub: Subscription, day: date, now: datetime) -> DeliveryResult:
    adapter = services.adapters.get(sub.platform)
    if adapter is None:
        return DeliveryResult(sub, "skipped", 0, f"{sub.platform} is not configured")
    try:
        digest = None
        if services.store.get_delivery(sub.id, day.isoformat()) is None:
            # Many subscriptions with the same day and language share one build (DigestService lock).
            digest = await services.digests.get_or_build(day, sub.language, now=now)
        return await deliver(
            services.store, adapter, sub, digest, date=day.isoformat(),
            render=renderer_for(sub.platform, sub.sections),
        )
    except Exception as exc:  # one chat's failure never stops the others
        log.exception("delivery.error sub=%d platform=%s chat=%s", sub.id, sub.platform, sub.chat_id)
        return DeliveryResult(sub, "failed", 0, f"internal error: {type(exc).__name__}")


async def _refresh_digests(services: Services, due: list[tuple[Subscription, date]], now: datetime) -> None:
    """Rebuild each (day, language) about to be sent for the first time, once per run.

    A digest stored earlier that day (say by a /digest at 00:05) would otherwise be sent at 08:00
    without the articles fetched since; every subscription in this run then shares the fresh build.
    """
    store = services.store
    wanted = sorted(
        {(day, sub.language) for sub, day in due if store.get_delivery(sub.id, day.isoformat()) is None}
    )
    for day, language in wanted:
        try:
            await services.digests.get_or_build(day, language, now=now, rebuild=True)
        except Exception:  # the per-subscription path below tries again and records the failure
            log.exception("digest.build_failed day=%s language=%s", day.isoformat(), language)


async def send_due_digests(services: Services, now: datetime, *, reason: str) -> list[DeliveryResult]:
    """Deliver every due subscription concurrently (bounded), isolating failures."""
    due = due_subscriptions(services, now)
    if not due:
        log.info("digest.nothing_due reason=%s now=%s", reason, now.isoformat())
        return []
    await _refresh_digests(services, due, now)
    gate = asyncio.Semaphore(MAX_CONCURRENT_DELIVERIES)

    async def one(sub: Subscription, day: date) -> DeliveryResult:
        async with gate:
            return await _deliver_one(services, sub, day, now)

    results = list(await asyncio.gather(*(one(s, d) for s, d in due)))
    counts = Counter(r.status for r in results)
    log.info(
        "digest.delivered reason=%s due=%d sent=%d failed=%d skipped=%d",
        reason, len(due), counts["sent"], counts["failed"], counts["skipped"],
    )
    return results


async def digest_job(services: Services, now: datetime) -> list[DeliveryResult]:
    """A digest slot fired: send every due subscription not yet delivered for its local date."""
    return await send_due_digests(services, now, reason="scheduled")


async def catch_up(services: Services, now: datetime) -> list[DeliveryResult]:
    """At start-up: send what was missed while down (within the grace window) and resume pending sends."""
    return await send_due_digests(services, now, reason="catch_up")


async def fetch_job(services: Services, now: datetime) -> list[FeedOutcome]:
    """Poll every due feed once (per-feed backoff and conditional GET are the pipeline's)."""
    from bot.ingest.pipeline import fetch_all

    outcomes = await fetch_all(services.store, services.settings, now=now)
    counts = Counter(o.status for o in outcomes)
    log.info(
        "fetch.done feeds=%d new=%d unchanged=%d failed=%d skipped=%d articles=%d",
        len(outcomes), counts["new"], counts["unchanged"], counts["failed"], counts["skipped"],
        sum(o.new_articles for o in outcomes),
    )
    return outcomes


async def fetch_and_resume(services: Services, now: datetime) -> None:
    """The periodic job: fetch, then retry deliveries a platform left pending (still within grace)."""
    try:
        await fetch_job(services, now)
    finally:
        await send_due_digests(services, now, reason="resume")
