"""`digestbot run`: one event loop with the chat adapters, the scheduler and the store; clean stop.

Start order: store → seed feeds → services → adapters → scheduler → catch-up; stop in reverse
(scheduler, in-flight deliveries with a bounded wait, adapters, store). The outbox records each
message before and after it is sent, so a send interrupted by a stop resumes on the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.jobs import catch_up, digest_job, fetch_and_resume
from bot.models import Reply, Request
from bot.scheduler import Scheduler
from bot.services import Services, build_services, utc_now
from storage.store import Store

if TYPE_CHECKING:
    from bot.delivery.adapter import Adapter

log = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT = 20.0  # seconds to let in-flight sends finish (systemd's TimeoutStopSec is 90 s)


def _install_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> list[int]:
    """SIGINT/SIGTERM set the stop event; skipped where the loop cannot take signals (threads)."""
    installed: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, _on_signal, sig, stop)
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        installed.append(sig)
    return installed


def _on_signal(sig: int, stop: asyncio.Event) -> None:
    log.info("app.signal signal=%s", signal.Signals(sig).name)
    stop.set()


async def _start_adapters(
    adapters: dict[str, Adapter], services: Services
) -> list[Adapter]:
    """Start each adapter; one platform failing to connect leaves the others (and the console) up."""
    from handlers import dispatch

    async def on_request(request: Request) -> Reply:
        return await dispatch(request, services)

    started: list[Adapter] = []
    for name, adapter in adapters.items():
        try:
            await adapter.start(on_request)
        except Exception as exc:
            # Only the type: a platform error's text can carry a request URL with the bot token.
            log.error("adapter.start_failed platform=%s error=%s", name, type(exc).__name__)
            continue
        started.append(adapter)
        log.info("adapter.started platform=%s", name)
    return started


async def run(
    settings: Settings,
    *,
    stop_event: asyncio.Event | None = None,
    clock: Callable[[], datetime] | None = None,
    adapters: dict[str, Adapter] | None = None,
    fetch_at_start: bool = True,
    shutdown_timeout: float = SHUTDOWN_TIMEOUT,
    ready: asyncio.Event | None = None,
) -> None:
    """Run the bot until SIGINT/SIGTERM or `stop_event`, then stop everything in reverse order.

    `ready` (if given) is set once adapters and the scheduler are up; `fetch_at_start` runs the
    first fetch immediately instead of one interval after start.
    """
    loop = asyncio.get_running_loop()
    stop = stop_event or asyncio.Event()
    signals = _install_signals(loop, stop)
    clock = clock or utc_now
    store = Store(settings.storage.path)
    log.info("app.start storage=%s config=%s", settings.storage.path, settings.source)
    scheduler: Scheduler | None = None
    services: Services | None = None
    started: list[Adapter] = []
    try:
        seeded = store.seed_feeds(settings.feed_seeds())
        log.info("app.feeds seeded=%d active=%d", seeded, len(store.list_feeds()))
        if adapters is None:
            from bot.delivery import build_adapters

            adapters = build_adapters(settings)
        services = build_services(settings, store, clock=clock, adapters=adapters)
        started = await _start_adapters(adapters, services)
        scheduler = Scheduler(
            settings,
            store,
            fetch=lambda now: fetch_and_resume(services, now),
            digest=lambda now: digest_job(services, now),
            clock=services.now,
            fetch_at_start=fetch_at_start,
        )
        services.next_runs = scheduler.next_runs
        services.refresh_schedule = scheduler.refresh
        scheduler.start()
        scheduler.spawn(catch_up(services, services.now()), "catch_up")
        log.info(
            "app.running platforms=%s slots=%d",
            ",".join(a.platform for a in started) or "none", len(scheduler.next_runs()),
        )
        if ready is not None:
            ready.set()
        await stop.wait()
        log.info("app.stopping")
    finally:
        if scheduler is not None:
            scheduler.shutdown()
            unfinished = await scheduler.wait_inflight(shutdown_timeout)
            if unfinished:
                log.warning("app.unfinished_jobs count=%d (their sends resume on next start)", unfinished)
        for adapter in reversed(started):
            try:
                await adapter.stop()
            except Exception as exc:
                log.error("adapter.stop_failed platform=%s error=%s", adapter.platform, type(exc).__name__)
        if services is not None:
            try:
                await services.summaries.aclose()  # the model client's connection pool
            except Exception as exc:
                log.error("summaries.close_failed error=%s", type(exc).__name__)
        store.close()
        for sig in signals:
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        log.info("app.stopped")
