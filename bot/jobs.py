"""The scheduled jobs as plain functions of `now`: the scheduler, the CLI and tests call the same code.

Delivery is idempotent per (subscription, local date) through the outbox; a digest is only sent
within `scheduler.catch_up_grace_minutes` of the subscription's time, so a bot that was down all
day does not post a stale morning digest in the evening.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from bot.delivery.outbox import DeliveryResult, send_due
from bot.models import FeedOutcome
from bot.search import index_for_search
from bot.services import Services

log = logging.getLogger(__name__)


async def send_due_digests(services: Services, now: datetime, *, reason: str) -> list[DeliveryResult]:
    """Deliver every subscription due within the grace window, each digest rebuilt once first."""
    grace = timedelta(minutes=services.settings.scheduler.catch_up_grace_minutes)
    results = await send_due(
        services.store, services.adapters, services.digests, services.settings,
        now=now, grace=grace, refresh=True,
    )
    counts = Counter(r.status for r in results)
    log.info(
        "digest.run reason=%s sent=%d failed=%d skipped=%d",
        reason, counts["sent"], counts["failed"], counts["skipped"],
    )
    return [r for r in results if r.due]  # what this run had to do


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
    """The periodic job: fetch, retry deliveries a platform left pending (still within grace),
    then index what the fetch stored for search."""
    try:
        await fetch_job(services, now)
    finally:
        await send_due_digests(services, now, reason="resume")
    # last, so neither the digest's summaries nor pending sends wait for it
    await index_for_search(services.store)
