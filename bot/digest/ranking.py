"""What a reader values first: how many outlets covered the event, how important it is, how recent,
and how much the operator trusts the feeds that carried it; and highlights from many sites.

One score for every story, in two passes. The builder first ranks the whole window on what costs
almost nothing (outlets, recency, feed weight, and the offline importance estimate of the title and
lead), so only the best few are summarised; then it ranks those again with the summary's own
importance (the model's when it answered). The score (see docs/editing.md for the rules and limits):

    weight × (importance + OUTLET_STEP × log2(outlets, at most MAX_OUTLETS) + RECENCY × ½^(age / HALF_LIFE))

Equal scores go to the more recent story, then to the URL, so the order never depends on ids or on
the order feeds were fetched in.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.digest.event_reading import is_roundup, lists_headlines
from bot.digest.stories import Story
from bot.ingest.best import registrable_domain
from bot.models import DigestItem

log = logging.getLogger(__name__)

OUTLET_STEP = 0.3  # each doubling of the outlets is worth this much importance
MAX_OUTLETS = 8  # beyond this many sites, more coverage says nothing new
RECENCY = 0.3  # a story published at the window's end gains this much; half of it a day earlier
HALF_LIFE = timedelta(hours=24)


@dataclass(frozen=True)
class Signals:
    """What one story is ranked on."""

    outlets: int  # independent sites that reported the event
    importance: float  # 0..1: the model's, or the offline estimate
    published: datetime
    weight: float = 1.0  # the highest weight of the feeds that carried it


def clamp_importance(value: object) -> float:
    """A usable 0..1 importance from whatever a summary holds (nan and junk count as 0)."""
    if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
        return 0.0
    return min(1.0, max(0.0, float(value)))


def score(signals: Signals, end: datetime) -> float:
    """The rank score of one story in a window ending at `end` (higher first)."""
    outlets = min(max(1, signals.outlets), MAX_OUTLETS)
    age = max(0.0, (end - signals.published).total_seconds())
    recency = 0.5 ** (age / HALF_LIFE.total_seconds())
    base = clamp_importance(signals.importance) + OUTLET_STEP * math.log2(outlets) + RECENCY * recency
    return signals.weight * base


def story_weight(told: Story, weights: Mapping[str, float]) -> float:
    """The highest configured weight among the feeds that carried the story (1.0 for the rest)."""
    return max((weights.get(url, 1.0) for url in told.feeds), default=1.0)


def signals(told: Story, importance: float, weights: Mapping[str, float]) -> Signals:
    """A story's signals with the given importance (the offline estimate, or a summary's)."""
    return Signals(told.outlets, importance, told.article.published, story_weight(told, weights))


def order_key(value: float, published: datetime, url: str) -> tuple[float, float, str]:
    """Sort key: higher score first; among equal scores (the offline importance estimate tops out
    at 1.0 for any long text) the more recent, then the URL (stable across runs)."""
    return (-round(value, 9), -published.timestamp(), url)


def rank_key(told: Story, value: float) -> tuple[float, float, str]:
    """`order_key` of a story's representative."""
    return order_key(value, told.article.published, told.article.url)


def site_of(item: DigestItem) -> str:
    """The source a highlight counts against: the site of the item's link, so a publisher's own
    feed and a scraper or aggregator of it are one source."""
    return registrable_domain(item.url) or item.source


def is_roundup_item(item: DigestItem) -> bool:
    """An item whose title lists several stories (a morning briefing, a newsletter issue named
    by its headlines; the original title when the model wrote a headline): its stories are
    mostly items of their own."""
    title = item.original_title or item.title
    return is_roundup(title) or lists_headlines(title)


def choose_highlights(items: Sequence[DigestItem], count: int, per_source: int) -> list[DigestItem]:
    """Up to `count` highlights from `items` (in rank order): at most `per_source` from one site
    while other items are left (0: no limit), then the best of the rest; listed in rank order.
    Round-ups (is_roundup_item) come only after every other item: a briefing among the highlights
    repeats the highlights beside it."""
    roundup = [is_roundup_item(item) for item in items]
    order = sorted(range(len(items)), key=lambda n: (roundup[n], n))
    if per_source <= 0:
        return [items[n] for n in sorted(order[:count])]
    taken: list[int] = []
    used: dict[str, int] = {}
    for n in order:
        if len(taken) >= count or roundup[n]:
            break
        site = site_of(items[n])
        if used.get(site, 0) < per_source:
            used[site] = used.get(site, 0) + 1
            taken.append(n)
    if len(taken) < count:  # nothing else is left: the cap gives way, best first, round-ups last
        chosen = set(taken)
        taken += [n for n in order if n not in chosen][: count - len(taken)]
    return [items[n] for n in sorted(taken)]
