"""Scheduler wiring only: a fetch job and one cron job per distinct (time, timezone) of subscriptions.

The jobs themselves are plain functions taking `now` (bot/jobs.py). APScheduler 3.x facts this
relies on: `misfire_grace_time` defaults to 1 s (we set it from config); a missed run while the
process was down is not replayed, so catch-up is done from the deliveries table (bot.jobs.catch_up);
the AsyncIO executor cancels running jobs on shutdown, so job work runs in shielded tasks that
app.py can wait for.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Settings, parse_hhmm
from storage.store import Store

log = logging.getLogger(__name__)

JobFunc = Callable[[datetime], Awaitable[object]]
FETCH_JOB = "fetch"
DIGEST_PREFIX = "digest "


def digest_trigger(hhmm: str, timezone: str) -> CronTrigger:
    """Every day at HH:MM wall-clock time in `timezone` (DST-correct: the zone does the arithmetic)."""
    parsed = parse_hhmm(hhmm)
    if parsed is None:
        raise ValueError(f"bad time {hhmm!r}")
    return CronTrigger(hour=parsed[0], minute=parsed[1], timezone=ZoneInfo(timezone))


def slot_id(hhmm: str, timezone: str) -> str:
    return f"{DIGEST_PREFIX}{hhmm} {timezone}"


def digest_slots(store: Store) -> set[tuple[str, str]]:
    """Distinct (HH:MM, timezone) of enabled subscriptions: one job each, however many chats share it."""
    return {(s.time, s.timezone) for s in store.list_subscriptions(enabled_only=True)}


class Scheduler:
    """Owns the AsyncIOScheduler; jobs call the injected async functions with the clock's `now`."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        fetch: JobFunc,
        digest: JobFunc,
        clock: Callable[[], datetime],
        fetch_at_start: bool = True,
    ) -> None:
        self.settings = settings
        self.store = store
        self._fetch = fetch
        self._digest = digest
        self._clock = clock
        self._fetch_at_start = fetch_at_start
        self.inflight: set[asyncio.Task[object]] = set()
        self.aps = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": max(1, settings.scheduler.misfire_grace_seconds),
            },
        )
        interval = settings.fetch.interval_minutes
        extra = {"next_run_time": datetime.now(UTC)} if fetch_at_start else {}
        self.aps.add_job(
            self._runner(FETCH_JOB, self._fetch),
            IntervalTrigger(minutes=interval, timezone=UTC),
            id=FETCH_JOB,
            name=FETCH_JOB,
            **extra,
        )
        self.refresh()

    def _runner(self, name: str, func: JobFunc) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            now = self._clock()
            log.info("job.start job=%s now=%s", name, now.isoformat())
            # Shielded: a scheduler shutdown cancels this coroutine but not the work, which app.py
            # waits for (bounded) so an in-flight delivery finishes or is recorded as pending.
            task = self.spawn(func(now), name)
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                # Shutdown cancelled this wrapper, not the work, which app.py waits for. Returning
                # keeps APScheduler from logging the cancellation as a failed job with a traceback.
                log.info("job.detached job=%s (stopping; the work finishes or is recorded)", name)

        return run

    def spawn(self, coro: Awaitable[object], name: str) -> asyncio.Task[object]:
        """Run job work as a tracked task that logs its own failure."""

        async def guarded() -> object:
            try:
                result = await coro
            except asyncio.CancelledError:
                log.warning("job.cancelled job=%s", name)
                raise
            except Exception:
                log.exception("job.failed job=%s", name)
                return None
            log.info("job.done job=%s", name)
            return result

        task: asyncio.Task[object] = asyncio.ensure_future(guarded())
        self.inflight.add(task)
        task.add_done_callback(self.inflight.discard)
        return task

    def refresh(self) -> None:
        """Make the digest jobs match the enabled subscriptions' distinct (time, timezone)."""
        wanted = {slot_id(t, z): (t, z) for t, z in digest_slots(self.store)}
        present = {j.id for j in self.aps.get_jobs() if j.id.startswith(DIGEST_PREFIX)}
        for job_id in present - set(wanted):
            self.aps.remove_job(job_id)
            log.info("schedule.removed job=%s", job_id)
        for job_id in sorted(set(wanted) - present):
            hhmm, zone = wanted[job_id]
            try:
                trigger = digest_trigger(hhmm, zone)
            except (ValueError, KeyError) as exc:  # a bad row must not stop the other slots
                log.error("schedule.bad_slot job=%s error=%s", job_id, exc)
                continue
            self.aps.add_job(self._runner(job_id, self._digest), trigger, id=job_id, name=job_id)
            log.info("schedule.added job=%s", job_id)

    def triggers(self) -> dict[str, object]:
        """Job id → trigger (tests ask a trigger for its next fire time from an injected instant)."""
        return {j.id: j.trigger for j in self.aps.get_jobs()}

    def next_runs(self) -> list[tuple[str, datetime]]:
        """(job name, next fire time) per digest slot, computed from the clock (for /status)."""
        now = self._clock()
        runs = []
        for job in self.aps.get_jobs():
            if not job.id.startswith(DIGEST_PREFIX):
                continue
            when = job.trigger.get_next_fire_time(None, now)
            if when is not None:
                runs.append((job.id[len(DIGEST_PREFIX):], when))
        return sorted(runs, key=lambda item: item[1])

    def start(self) -> None:
        """Start inside the running loop (AsyncIOScheduler takes the running loop)."""
        self.aps.start()
        log.info("scheduler.started jobs=%d", len(self.aps.get_jobs()))

    def shutdown(self) -> None:
        if self.aps.running:
            self.aps.shutdown(wait=False)
        log.info("scheduler.stopped inflight=%d", len(self.inflight))

    async def wait_inflight(self, timeout: float) -> int:
        """Wait (bounded) for job work still running; returns how many tasks did not finish."""
        pending = {t for t in self.inflight if not t.done()}
        if not pending:
            return 0
        done, still = await asyncio.wait(pending, timeout=timeout)
        for task in still:
            task.cancel()
        if still:
            await asyncio.wait(still, timeout=1.0)
        return len(still)
