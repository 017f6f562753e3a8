"""DigestService: one stored digest per (day, language), built at most once even under concurrent asks."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime

from bot.config import Settings
from bot.digest.bill import Summarizer, has_model
from bot.digest.builder import build_digest, digest_window
from bot.digest.warming import WarmPool
from bot.locks import KeyedLocks
from bot.models import Digest, FeedOutcome
from bot.site.links import day_url
from bot.summarize.service import ModelBill
from storage import Store

log = logging.getLogger(__name__)


class DigestService:
    """Serves stored digests and builds missing ones; concurrent callers of one key share a build."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        summaries: Summarizer,
        on_built: Callable[[Digest], Awaitable[object]] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.summaries = summaries
        # Called after each build (the web archive's rebuild); its failure never fails the digest.
        self.on_built = on_built
        self._locks = KeyedLocks()
        self._warming: set[asyncio.Task[object]] = set()
        self._warm: dict[tuple[str, str], WarmPool] = {}  # per (day, language) being fetched for

    def warming(self, day: date, language: str, *, now: datetime) -> Callable[[FeedOutcome], None]:
        """A fetch progress callback: as each feed finishes, its new stories may start summarising
        (see `warm`), knowing how much of the fetch is done (each enabled feed reports once)."""
        total = max(1, len(self.store.list_feeds()))
        done = 0

        def on_outcome(outcome: FeedOutcome) -> None:
            nonlocal done
            done += 1
            self.warm(outcome.new_ids, day, language, now=now, seen=min(1.0, done / total))

        return on_outcome

    def warm(
        self, article_ids: Iterable[int], day: date, language: str, *, now: datetime,
        seen: float = 1.0,
    ) -> int:
        """Start summarising, in the background, the stories of `day`'s window that will likely be
        in the digest, as feeds finish (so model calls overlap the rest of the fetch).

        Only the digest's candidates are worth a model call: the stories known so far are ranked
        on cheap signals (bot/digest/warming.py) and those within the first `seen` share of the
        model bill are started (`seen`: how much of the fetch is done; a story ranked high among
        the first feeds is likely, not sure, to stay high). Every call is charged to the bill the
        build then shares, so warming and build together stay within `Settings.model_candidates()`.
        Each story is summarised through the article that represents it now (chosen by content,
        as the build chooses it); a story with nothing beyond its title costs nothing. Only worth
        it with a model: offline summaries are CPU work in this very thread. Returns how many were
        started."""
        if not has_model(self.summaries):
            return 0
        key = (day.isoformat(), language)
        state = self._warm.get(key)
        if state is None:
            start, end = digest_window(self.settings, day, now)
            state = self._warm[key] = WarmPool(
                self.store, self.settings, start, end, ModelBill(self.settings.model_candidates())
            )
        state.add(article_ids)
        reps = state.due(seen)
        if reps:
            task = asyncio.create_task(
                self.summaries.summarize_many(reps, language, bill=state.bill)
            )
            self._warming.add(task)
            task.add_done_callback(self._warming.discard)
        return len(reps)

    async def settle(self) -> None:
        """Wait for background summaries started by `warm` (they never raise for one article)."""
        if self._warming:
            await asyncio.gather(*self._warming, return_exceptions=True)

    async def get_or_build(
        self, day: date, language: str, *, now: datetime, rebuild: bool = False
    ) -> Digest:
        """The stored digest of `day` in `language`, building (or with `rebuild`, rebuilding) it."""
        key = (day.isoformat(), language)
        if not rebuild:
            stored = self.store.get_digest(*key)
            if stored is not None:
                return self._served(stored)
        waited = self._locks.busy(key)
        async with self._locks.hold(key):
            # Whoever waited on a build in progress takes its result instead of building again.
            if not rebuild or waited:
                stored = self.store.get_digest(*key)
                if stored is not None:
                    return self._served(stored)
            log.info("building digest day=%s language=%s rebuild=%s", key[0], language, rebuild)
            # The build spends what the fetch-time warming left of this digest's model bill.
            warmed = self._warm.pop(key, None)
            digest = await build_digest(
                self.store, self.settings, self.summaries, day=day, language=language, now=now,
                bill=warmed.bill if warmed is not None else None,
            )
        await self.settle()
        if self.on_built is not None:
            try:
                await self.on_built(digest)
            except Exception:
                log.exception("after-build hook failed day=%s language=%s", key[0], language)
        return self._served(digest)

    def _served(self, digest: Digest) -> Digest:
        """The digest with the link to its page on the web archive, when there is one."""
        url = day_url(self.settings, digest.date, digest.language)
        return dataclasses.replace(digest, web_url=url) if url else digest
