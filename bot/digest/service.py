"""DigestService: one stored digest per (day, language), built at most once even under concurrent asks."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime

from bot.config import Settings
from bot.digest.builder import Summarizer, build_digest, digest_window
from bot.digest.stories import representative, usable_text
from bot.locks import KeyedLocks
from bot.models import Article, Digest
from bot.site.links import day_url
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

    def warm(self, article_ids: Iterable[int], day: date, language: str, *, now: datetime) -> int:
        """Start summarising the stories of freshly stored articles in `day`'s window, in the background.

        Called as each feed finishes, so model calls overlap the fetching of the other feeds; the
        build later finds those summaries cached (or waits on the same in-flight call). Each story
        is summarised through the article that represents it now (chosen by content, as the build
        chooses it); a story with nothing beyond its title costs nothing. Only worth it with a
        model: offline summaries are CPU work in this very thread. Returns how many were started.
        """
        if getattr(self.summaries, "provider", "extractive") == "extractive":
            return 0
        start, end = digest_window(self.settings, day, now)
        feeds = {f.id: f for f in self.store.list_feeds(include_disabled=True)}
        reps: dict[int, Article] = {}
        for article in (self.store.get_article(i) for i in article_ids):
            if article is None or article.story_id in reps or not start <= article.published < end:
                continue
            group = [a for a in self.store.story_articles(article.story_id) if start <= a.published < end]
            usable = usable_text(group)
            rep = representative(group, usable, feeds)
            if usable[rep.id] > 0:
                reps[article.story_id] = rep
        if reps:
            task = asyncio.create_task(self.summaries.summarize_many(list(reps.values()), language))
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
            digest = await build_digest(
                self.store, self.settings, self.summaries, day=day, language=language, now=now
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
