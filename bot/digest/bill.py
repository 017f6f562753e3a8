"""A digest's summarising bill is bounded by the digest, not by the news: the window's stories are
ranked on cheap signals first and only the best few are summarised (with a model: at most
`Settings.model_candidates()` calls for the digest, the fetch-time warming included).

Cheap signals cost no summary: outlets, recency, feed weight and the offline importance estimate
of the title and lead (what the offline summary would say about importance, without its sentence
ranking). Candidates past the model bill get their offline summary instead, counted as offline.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from bot.digest.ranking import rank_key, score, signals
from bot.digest.stories import Story, summary_input
from bot.models import Article, Summary
from bot.summarize.extractive import estimate_importance
from bot.summarize.service import ModelBill

log = logging.getLogger(__name__)


class Summarizer(Protocol):
    """What the builder needs from SummaryService (tests pass a fake with the same method).

    With a model (`provider` other than "extractive"; without the attribute it counts as offline)
    each model call is charged to `bill`; once it is spent, the offline summary is given instead,
    marked `fallback`."""

    async def summarize_many(
        self, articles: Sequence[Article], language: str, kind: str = "points", *,
        bill: ModelBill | None = None,
    ) -> dict[int, Summary]: ...


def has_model(summaries: object) -> bool:
    """Whether summaries cost model calls (anything but the offline summariser)."""
    return getattr(summaries, "provider", "extractive") != "extractive"


def cheap_importance(told: Story) -> float:
    """The offline importance estimate of the representative's title and lead (no summary made)."""
    return estimate_importance(told.article.title, told.article.text)


def shortlist(
    stories: Sequence[Story], size: int, end: datetime, weights: Mapping[str, float]
) -> list[Story]:
    """The `size` best stories by their cheap signals, best first."""
    ranked = sorted(
        stories,
        key=lambda s: rank_key(s, score(signals(s, cheap_importance(s), weights), end)),
    )
    return ranked[:size]


async def summarise(
    pool: Sequence[Story], summaries: Summarizer, language: str, bill: ModelBill
) -> dict[int, Summary]:
    """Summaries of the pool's stories (best first) by representative id. With a model, each call
    is charged to `bill` in rank order (cached answers and calls warming has in flight are free);
    once it is spent, the rest get their offline summary, marked `fallback`.

    Offline, an event's summary may borrow sentences from its other reports; with a model it is
    made from the most complete article alone: the model's input budget is about one article, and
    a single article's summary is the one warming started and /summarize shares."""
    if not pool:
        return {}
    if not has_model(summaries):
        return await summaries.summarize_many([summary_input(s, borrow=True) for s in pool], language)
    before = bill.spent
    out = await summaries.summarize_many([summary_input(s, borrow=False) for s in pool], language, bill=bill)
    log.info("model bill language=%s pool=%d charged=%d left=%d", language, len(pool),
             bill.spent - before, bill.left)
    return out
