"""The services every handler and job receives: one object built once by app.py (or a test)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.config import Settings
from storage.store import Store

if TYPE_CHECKING:  # the concrete classes live in areas that import heavier libraries
    from bot.delivery.adapter import Adapter
    from bot.digest.service import DigestService
    from bot.summarize.service import SummaryService


def utc_now() -> datetime:
    """The real clock; tests pass their own."""
    return datetime.now(UTC)


def _no_runs() -> list[tuple[str, datetime]]:
    return []


def _no_refresh() -> None:
    return None


@dataclass
class Services:
    """Everything a handler or job needs; mutable only so app.py can attach the scheduler's hooks."""

    settings: Settings
    store: Store
    summaries: SummaryService
    digests: DigestService
    adapters: dict[str, Adapter] = field(default_factory=dict)
    clock: Callable[[], datetime] = utc_now
    next_runs: Callable[[], list[tuple[str, datetime]]] = _no_runs
    # Called after /subscribe and /unsubscribe so the scheduler's jobs follow the subscriptions.
    refresh_schedule: Callable[[], None] = _no_refresh
    # Users' /summarize URL fetches in flight at once, all users together (limits.concurrent_page_fetches).
    page_fetches: asyncio.Semaphore | None = None
    # Chat searches run in a worker thread on the store's connection: one at a time, all users.
    searches: asyncio.Semaphore | None = None

    def __post_init__(self) -> None:
        if self.page_fetches is None:
            self.page_fetches = asyncio.Semaphore(self.settings.limits.concurrent_page_fetches)
        if self.searches is None:
            self.searches = asyncio.Semaphore(1)

    def now(self) -> datetime:
        """The current time, always timezone-aware UTC."""
        value = self.clock()
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def build_services(
    settings: Settings,
    store: Store,
    *,
    clock: Callable[[], datetime] | None = None,
    adapters: dict[str, Adapter] | None = None,
    summaries: SummaryService | None = None,
) -> Services:
    """Wire the summary and digest services on one store, sharing one summary cache between them."""
    from bot.digest.service import DigestService
    from bot.site.build import site_hook
    from bot.summarize.service import SummaryService

    summary_service = summaries if summaries is not None else SummaryService(store, settings)
    # With [site] output_dir set, each digest build also rebuilds the web archive.
    digests = DigestService(store, settings, summary_service, on_built=site_hook(store, settings))
    return Services(
        settings=settings,
        store=store,
        summaries=summary_service,
        digests=digests,
        adapters=dict(adapters or {}),
        clock=clock or utc_now,
    )
