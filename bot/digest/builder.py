"""Build one day's digest: the window's stories, summarised, sectioned, ranked, counted and stored."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.digest import stats as digest_stats
from bot.digest.sections import classify
from bot.digest.strings import t
from bot.digest.text import MAX_POINT, MAX_SOURCE, MAX_TITLE, clean, clip
from bot.models import (
    AlsoSource,
    Article,
    Digest,
    DigestItem,
    DigestSection,
    DigestStats,
    Feed,
    Highlight,
    Summary,
)
from storage import Store

log = logging.getLogger(__name__)

DEFAULT_EMOJI = "📰"


class Summarizer(Protocol):
    """What the builder needs from SummaryService (tests pass a fake with the same method)."""

    async def summarize_many(
        self, articles: Sequence[Article], language: str, kind: str = "points"
    ) -> dict[int, Summary]: ...


@dataclass(frozen=True)
class _Candidate:
    article: Article
    summary: Summary
    sources: tuple[AlsoSource, ...]  # every (url, source) that carried the story

    def rank_key(self) -> tuple[float, int, float, int]:
        """Higher importance, more sources, more recent first; the id keeps ties stable."""
        recency = self.article.published.timestamp()
        return (-_importance(self.summary), -len(self.sources), -recency, self.article.id)


def _importance(summary: Summary) -> float:
    value = summary.importance
    if not isinstance(value, int | float) or math.isnan(value):
        return 0.0
    return min(1.0, max(0.0, float(value)))


def digest_window(settings: Settings, day: date, now: datetime) -> tuple[datetime, datetime]:
    """[start, end): lookback_hours ending at min(now, the end of `day` in the digest's time zone)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    tz = ZoneInfo(settings.digest.timezone)
    end_of_day = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    end = min(now, end_of_day).astimezone(UTC)
    return end - timedelta(hours=settings.digest.lookback_hours), end


def digest_title(settings: Settings, day: date, language: str) -> str:
    """The configured title (its "{date}" filled in) or the language's default."""
    if settings.digest.title:
        return settings.digest.title.replace("{date}", day.isoformat())
    return t(language, "title", date=day.isoformat())


def _representative(group: Sequence[Article]) -> Article:
    """The story's first article in the window (lowest id): stable across rebuilds."""
    return min(group, key=lambda a: a.id)


def _missing_summary(article: Article, language: str) -> Summary:
    """Only if a summarizer broke its promise of one summary per article: title, no points."""
    return Summary(
        title=article.title, emoji=DEFAULT_EMOJI, points=(), section=None, importance=0.0,
        provider="none", model="none", language=language, fallback=True,
    )


def _item(candidate: _Candidate, language: str) -> DigestItem:
    article, summary = candidate.article, candidate.summary
    # One "also reported by" entry per other outlet: a second feed carrying the very same URL is
    # still a second source of the story, so entries are told apart by source, not by URL.
    own_source = clip(clean(article.source), MAX_SOURCE)
    seen = {(article.url, own_source)}
    seen_sources = {own_source}
    also: list[AlsoSource] = []
    for src in candidate.sources:
        source = clip(clean(src.source), MAX_SOURCE)
        if (src.url, source) in seen or source in seen_sources:
            continue
        seen.add((src.url, source))
        seen_sources.add(source)
        also.append(AlsoSource(url=src.url, source=source))
    points = tuple(p for p in (clip(clean(p), MAX_POINT) for p in summary.points) if p)
    title = clip(clean(summary.title) or clean(article.title), MAX_TITLE) or t(language, "untitled")
    return DigestItem(
        id=article.id,
        title=title,
        emoji=clip(clean(summary.emoji), 8) or DEFAULT_EMOJI,
        url=article.url,
        source=clip(clean(article.source), MAX_SOURCE) or t(language, "unknown_source"),
        published=article.published,
        points=points,
        also=tuple(also),
        importance=_importance(summary),
        original_chars=article.original_chars,
        fallback=bool(summary.fallback),
    )


def _section_of(
    candidate: _Candidate, settings: Settings, feeds: Mapping[int, Feed | None]
) -> str:
    keys = settings.section_keys()
    if candidate.summary.section in keys:
        return str(candidate.summary.section)
    feed = feeds.get(candidate.article.feed_id)
    hint = feed.section if feed else None
    return classify(candidate.article.title, candidate.article.text, hint, settings.digest.sections)


def compute_stats(
    items: Sequence[DigestItem], duplicates_merged: int, feeds_failed: int, language: str
) -> DigestStats:
    """The header figures; see bot/digest/stats.py for the reading-time and efficiency definitions."""
    points = [p for item in items for p in item.points]
    summary_chars = sum(len(p) for p in points)
    original_chars = sum(item.original_chars for item in items)
    names = {item.source for item in items} | {a.source for item in items for a in item.also}
    return DigestStats(
        articles=len(items),
        sources=len(names),
        original_chars=original_chars,
        summary_chars=summary_chars,
        reading_minutes=digest_stats.reading_minutes(points, language),
        efficiency_percent=digest_stats.efficiency_percent(original_chars, summary_chars),
        duplicates_merged=duplicates_merged,
        feeds_failed=feeds_failed,
        offline_summaries=sum(1 for item in items if item.fallback),
    )


async def build_digest(
    store: Store,
    settings: Settings,
    summaries: Summarizer,
    *,
    day: date,
    language: str,
    now: datetime,
) -> Digest:
    """Build, store and return the digest of `day` in `language` (stored: re-renders identically)."""
    start, end = digest_window(settings, day, now)
    articles = store.articles_between(start, end)
    stories: dict[int, list[Article]] = {}
    for article in articles:
        stories.setdefault(article.story_id, []).append(article)
    reps = [_representative(group) for group in stories.values()]
    by_id = await summaries.summarize_many(reps, language) if reps else {}

    candidates = [
        _Candidate(
            article=rep,
            summary=by_id.get(rep.id) or _missing_summary(rep, language),
            sources=tuple(store.story_sources(rep.story_id)),
        )
        for rep in reps
    ]
    candidates.sort(key=_Candidate.rank_key)
    chosen = candidates[: settings.digest.max_items]

    feeds = {c.article.feed_id: store.get_feed(c.article.feed_id) for c in chosen}
    by_section: dict[str, list[DigestItem]] = {}
    items: list[DigestItem] = []
    for candidate in chosen:
        item = _item(candidate, language)
        items.append(item)
        by_section.setdefault(_section_of(candidate, settings, feeds), []).append(item)
    sections = tuple(
        DigestSection(key=sec.key, name=sec.name_for(language), items=tuple(by_section[sec.key]))
        for sec in settings.digest.sections
        if by_section.get(sec.key)
    )
    # Every other article of a story and every repeat sighting by another feed is one merged report.
    duplicates = sum(max(0, len(c.sources) - 1) for c in chosen)
    failing = store.failing_feeds()
    digest = Digest(
        date=day,
        language=language,
        title=digest_title(settings, day, language),
        stats=compute_stats(items, duplicates, len(failing), language),
        highlights=tuple(
            Highlight(id=i.id, title=i.title, emoji=i.emoji)
            for i in items[: settings.digest.highlights]
        ),
        sections=sections,
        failed_feeds=tuple(
            (clean(f.name) or f.url, clean(f.last_error or "") or t(language, "no_reason"))
            for f in failing
        ),
    )
    store.save_digest(digest)
    log.info(
        "digest built day=%s language=%s window=%s..%s articles=%d stories=%d items=%d offline=%d",
        day, language, start.isoformat(), end.isoformat(), len(articles), len(reps), len(items),
        digest.stats.offline_summaries,
    )
    saved = store.get_digest(day.isoformat(), language)
    return saved if saved is not None else digest
