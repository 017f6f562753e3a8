"""Which stories are worth a model call while the fetch is still running: the window's stories known
so far, ranked on the cheap signals the build ranks on first (bot/digest/bill.py), without the
same-event grouping (too costly to redo as each feed lands; outlets here are the sites of a story's
own URLs).

A story ranked high among the first feeds to arrive is likely, not sure, to stay among the digest's
candidates, so only the top `seen` share of the model bill is started (`seen`: the share of the
fetch done). With feeds arriving in no particular order, the top k of a share f of the news are
mostly among the top k / f of all of it. What warming gets wrong is paid from the same bill; it
never spends more than the bill less BUILD_RESERVE, which the build keeps for its best candidates
warming did not start. Candidates the bill cannot pay for get offline points and rank last.
"""

from __future__ import annotations

import heapq
import logging
import math
from collections.abc import Iterable
from datetime import datetime

from bot.config import Settings
from bot.digest.ranking import Signals, order_key, score
from bot.digest.stories import representative, usable_text
from bot.ingest.best import registrable_domain
from bot.models import Article
from bot.summarize.extractive import estimate_importance
from bot.summarize.service import ModelBill
from storage import Store

log = logging.getLogger(__name__)

# The share of the bill warming leaves to the build, whatever it guesses: the build spends it on its
# best candidates that warming did not start, in rank order (mostly events told by several feeds,
# which warming cannot see since it does not group events).
BUILD_RESERVE = 0.25


class WarmPool:
    """One digest's window as the fetch fills it: each story's representative and cheap rank, and
    which stories warming has started (each at most once)."""

    def __init__(
        self, store: Store, settings: Settings, start: datetime, end: datetime, bill: ModelBill
    ) -> None:
        self.store = store
        self.start, self.end = start, end
        self.bill = bill
        self.feeds = {f.id: f for f in store.list_feeds(include_disabled=True)}
        self.weights = settings.feed_weights()
        self.ranked: dict[int, tuple[tuple[float, float, str], Article]] = {}  # story id → (key, rep)
        self.started: set[int] = set()
        self._loaded = False

    def add(self, article_ids: Iterable[int]) -> None:
        """Take in freshly stored articles (the first call reads every story the window holds)."""
        if not self._loaded:
            self._loaded = True  # the store already holds the new articles: one read covers them
            groups: dict[int, list[Article]] = {}
            for known in self.store.articles_between(self.start, self.end):
                groups.setdefault(known.story_id, []).append(known)
            for story_id, group in groups.items():
                self._rank(story_id, group)
            return
        touched: set[int] = set()
        for article in (self.store.get_article(i) for i in article_ids):
            if article is None or article.story_id in touched:
                continue
            if not self.start <= article.published < self.end:
                continue
            touched.add(article.story_id)
            group = [
                a for a in self.store.story_articles(article.story_id)
                if self.start <= a.published < self.end
            ]
            self._rank(article.story_id, group)

    def _rank(self, story_id: int, group: list[Article]) -> None:
        usable = usable_text(group)
        rep = representative(group, usable, self.feeds)
        if usable[rep.id] <= 0:  # title only: never summarised
            self.ranked.pop(story_id, None)
            return
        weight = max(
            (self.weights.get(self.feeds[a.feed_id].url, 1.0) for a in group if a.feed_id in self.feeds),
            default=1.0,
        )
        outlets = len({registrable_domain(a.url) for a in group})
        signals = Signals(outlets, estimate_importance(rep.title, rep.text), rep.published, weight)
        self.ranked[story_id] = (order_key(score(signals, self.end), rep.published, rep.url), rep)

    def due(self, seen: float) -> list[Article]:
        """The representatives to start now: the stories ranked within the first `seen` share of
        the bill that are not started yet, never more in all than the bill less the build's
        reserve."""
        room = self.bill.limit - math.ceil(BUILD_RESERVE * self.bill.limit) - len(self.started)
        reach = math.ceil(self.bill.limit * max(0.0, min(1.0, seen)))
        if room <= 0 or reach <= 0:
            return []
        top = heapq.nsmallest(reach, self.ranked.items(), key=lambda kv: kv[1][0])
        out: list[Article] = []
        for story_id, (_, rep) in top:
            if story_id not in self.started and len(out) < room:
                self.started.add(story_id)
                out.append(rep)
        if out:
            log.debug("warming started=%d known=%d seen=%.2f", len(out), len(self.ranked), seen)
        return out
