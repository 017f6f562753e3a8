"""DigestService: one stored digest per (day, language), built at most once even under concurrent asks."""

from __future__ import annotations

import logging
from datetime import date, datetime

from bot.config import Settings
from bot.digest.builder import Summarizer, build_digest
from bot.locks import KeyedLocks
from bot.models import Digest
from storage import Store

log = logging.getLogger(__name__)


class DigestService:
    """Serves stored digests and builds missing ones; concurrent callers of one key share a build."""

    def __init__(self, store: Store, settings: Settings, summaries: Summarizer) -> None:
        self.store = store
        self.settings = settings
        self.summaries = summaries
        self._locks = KeyedLocks()

    async def get_or_build(
        self, day: date, language: str, *, now: datetime, rebuild: bool = False
    ) -> Digest:
        """The stored digest of `day` in `language`, building (or with `rebuild`, rebuilding) it."""
        key = (day.isoformat(), language)
        if not rebuild:
            stored = self.store.get_digest(*key)
            if stored is not None:
                return stored
        waited = self._locks.busy(key)
        async with self._locks.hold(key):
            # Whoever waited on a build in progress takes its result instead of building again.
            if not rebuild or waited:
                stored = self.store.get_digest(*key)
                if stored is not None:
                    return stored
            log.info("building digest day=%s language=%s rebuild=%s", key[0], language, rebuild)
            return await build_digest(
                self.store, self.settings, self.summaries, day=day, language=language, now=now
            )
