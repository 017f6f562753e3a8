"""`digestbot run`: one event loop with the chat adapters, the scheduler and the store; clean stop.

Start order: service lock → store → seed feeds → services → adapters → scheduler → catch-up; stop
in reverse (scheduler, in-flight deliveries with a bounded wait, adapters, store, lock). The outbox
records each message before and after it is sent, so a send interrupted by a stop resumes on the
next start. `run` returns only when all was well; otherwise it raises ServiceFailed (the CLI's exit
status and one line) or AlreadyRunning.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.config_feeds import sync_config_feeds
from bot.health import BACKOFF, ServiceFailed, Supervisor
from bot.instance import ServiceLock
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


def _dispatcher(services: Services) -> Callable[[Request], Awaitable[Reply]]:
    from handlers import dispatch

    async def on_request(request: Request) -> Reply:
        return await dispatch(request, services)

    return on_request


async def run(
    settings: Settings,
    *,
    stop_event: asyncio.Event | None = None,
    clock: Callable[[], datetime] | None = None,
    adapters: dict[str, Adapter] | None = None,
    fetch_at_start: bool = True,
    shutdown_timeout: float = SHUTDOWN_TIMEOUT,
    ready: asyncio.Event | None = None,
    adapter_backoff: tuple[float, float] = BACKOFF,
) -> None:
    """Run the bot until SIGINT/SIGTERM or `stop_event`, then stop everything in reverse order.

    `ready` (if given) is set once adapters and the scheduler are up; `fetch_at_start` runs the
    first fetch immediately instead of one interval after start. Raises AlreadyRunning when another
    service holds this store, ServiceFailed when a platform refused the bot (code 2) or one was not
    up when the stop came (code 1).
    """
    loop = asyncio.get_running_loop()
    stop = stop_event or asyncio.Event()
    clock = clock or utc_now
    lock = ServiceLock(settings.storage.path)
    lock.acquire()  # before the store opens, so a second service never touches it
    signals = _install_signals(loop, stop)
    try:
        store = Store(settings.storage.path)
    except BaseException:
        lock.release()
        _remove_signals(loop, signals)
        raise
    log.info("app.start storage=%s config=%s pid=%d", settings.storage.path, settings.source, os.getpid())
    scheduler: Scheduler | None = None
    services: Services | None = None
    supervisor: Supervisor | None = None
    problems: list[str] = []
    try:
        synced = sync_config_feeds(store, settings)  # seeds new ones, disables (with a word) dropped ones
        log.info("app.feeds seeded=%d dropped=%d active=%d", synced.added, len(synced.dropped),
                 len(store.list_feeds()))
        if adapters is None:
            from bot.delivery import build_adapters

            adapters = build_adapters(settings)
        services = build_services(settings, store, clock=clock, adapters=adapters)
        supervisor = Supervisor(store, adapters, _dispatcher(services), now=services.now,
                                backoff=adapter_backoff)
        await supervisor.start_all()
        if supervisor.fatal is not None:
            raise ServiceFailed(supervisor.fatal, 2)
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
            ",".join(a.platform for a in supervisor.started) or "none", len(scheduler.next_runs()),
        )
        if ready is not None:
            ready.set()
        await _first(stop.wait(), supervisor.failed.wait())
        if supervisor.fatal is not None:  # a platform retried after a network failure refused us
            raise ServiceFailed(supervisor.fatal, 2)
        problems = supervisor.problems()
        log.info("app.stopping")
    finally:
        if scheduler is not None:
            scheduler.shutdown()
            unfinished = await scheduler.wait_inflight(shutdown_timeout)
            if unfinished:
                log.warning("app.unfinished_jobs count=%d (their sends resume on next start)", unfinished)
        if supervisor is not None:
            await supervisor.stop()
        if services is not None:
            try:
                await services.summaries.aclose()  # the model client's connection pool
            except Exception as exc:
                log.error("summaries.close_failed error=%s", type(exc).__name__)
        store.close()
        lock.release()
        _remove_signals(loop, signals)
        log.info("app.stopped")
    if problems:
        raise ServiceFailed("stopped while not every platform was up: " + "; ".join(problems), 1)


def _remove_signals(loop: asyncio.AbstractEventLoop, signals: list[int]) -> None:
    for sig in signals:
        with contextlib.suppress(Exception):
            loop.remove_signal_handler(sig)


async def _first(*waits: Awaitable[object]) -> None:
    """Wait until the first of `waits` finishes; cancel the others."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
