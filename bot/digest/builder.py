"""Build one day's digest: the window's stories merged by event, ranked, the best summarised,
sectioned, counted and stored."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.digest import stats as digest_stats
from bot.digest.bill import Summarizer, shortlist, summarise
from bot.digest.ranking import choose_highlights, clamp_importance, rank_key, score, signals
from bot.digest.section_model import LEAD_CHARS, LEAN_ARTICLES
from bot.digest.sections import classify, feed_lean
from bot.digest.stories import Story, merge_events, story, usable_text
from bot.digest.strings import t
from bot.digest.text import MAX_POINT, MAX_SOURCE, MAX_TITLE, clean, clip
from bot.ingest.reasons import describe
from bot.models import (
    AlsoSource,
    Article,
    Digest,
    DigestItem,
    DigestSection,
    DigestStats,
    Feed,
    Headline,
    Highlight,
    Summary,
)
from bot.summarize.service import ModelBill
from storage import Store

log = logging.getLogger(__name__)

DEFAULT_EMOJI = "📰"


@dataclass(frozen=True)
class _Candidate:
    story: Story
    summary: Summary
    score: float  # bot/digest/ranking.py, with the summary's importance
    # False when the model bill was spent before this story's turn: its offline points only fill
    # the digest once the stories the model summarised run out (its offline importance is not on
    # the model's scale).
    paid: bool = True

    @property
    def article(self) -> Article:
        return self.story.article

    def rank_key(self) -> tuple[bool, float, float, str]:
        return (not self.paid, *rank_key(self.story, self.score))


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


def _missing_summary(article: Article, language: str) -> Summary:
    """Only if a summarizer broke its promise of one summary per article: title, no points."""
    return Summary(
        title=article.title, emoji=DEFAULT_EMOJI, points=(), section=None, importance=0.0,
        provider="none", model="none", language=language, fallback=True,
    )


def _point_key(point: str) -> str:
    """Two points are the same point when they differ only in case, spacing or punctuation."""
    return re.sub(r"\W+", "", point).lower()


def _item(candidate: _Candidate, points: tuple[str, ...], language: str) -> DigestItem:
    article, summary, told = candidate.article, candidate.summary, candidate.story
    also = tuple(
        AlsoSource(url=a.url, source=clip(clean(a.source), MAX_SOURCE) or t(language, "unknown_source"))
        for a in told.also
    )
    own = clip(clean(article.title), MAX_TITLE)
    title = clip(clean(summary.title), MAX_TITLE) or own or t(language, "untitled")
    return DigestItem(
        id=article.id,
        title=title,
        emoji=clip(clean(summary.emoji), 8) or DEFAULT_EMOJI,
        url=article.url,
        source=clip(clean(told.source), MAX_SOURCE) or t(language, "unknown_source"),
        published=article.published,
        points=points,
        also=also,
        importance=clamp_importance(summary.importance),
        original_chars=article.original_chars,
        fallback=bool(summary.fallback),
        # the model's headline replaced the article's own title: keep that one beside it
        original_title=own if own and own != title else "",
    )


def _headline(told: Story, language: str) -> Headline:
    article = told.article
    return Headline(
        id=article.id,
        title=clip(clean(article.title), MAX_TITLE) or t(language, "untitled"),
        url=article.url,
        source=clip(clean(told.source), MAX_SOURCE) or t(language, "unknown_source"),
    )


def _choose(
    candidates: Sequence[_Candidate], max_items: int
) -> tuple[list[tuple[_Candidate, tuple[str, ...]]], list[_Candidate]]:
    """Items in rank order, each with the points no higher-ranked item already says; a candidate
    left with no point of its own is not an item (it becomes a headline)."""
    chosen: list[tuple[_Candidate, tuple[str, ...]]] = []
    bare: list[_Candidate] = []
    said: set[str] = set()
    for candidate in candidates:
        if len(chosen) >= max_items:
            break
        points: list[str] = []
        for raw in candidate.summary.points:
            point = clip(clean(raw), MAX_POINT)
            key = _point_key(point)
            if point and key and key not in said:
                said.add(key)
                points.append(point)
        if points:
            chosen.append((candidate, tuple(points)))
        else:
            bare.append(candidate)
    return chosen, bare


def _decided_section(
    candidate: _Candidate, settings: Settings, feeds: Mapping[int, Feed | None]
) -> str | None:
    """The section the model's summary or the feed's hint decides, or None when the offline
    classifier has to."""
    keys = settings.section_keys()
    if candidate.summary.section in keys:
        return str(candidate.summary.section)
    feed = feeds.get(candidate.article.feed_id)
    return feed.section if feed and feed.section in keys else None


def _section_of(
    candidate: _Candidate, settings: Settings, feeds: Mapping[int, Feed | None],
    leans: Mapping[int, Mapping[str, float] | None],
) -> str:
    decided = _decided_section(candidate, settings, feeds)
    if decided is not None:
        return decided
    feed = feeds.get(candidate.article.feed_id)
    return classify(candidate.article.title, candidate.article.text, None, settings.digest.sections,
                    feed.name if feed else "", leans.get(candidate.article.feed_id))


def _feed_leans(
    latest: Mapping[int, list[tuple[str, str]]], feeds: Mapping[int, Feed | None]
) -> dict[int, dict[str, float] | None]:
    """Each feed's section lean from its latest articles (pure CPU: run off the event loop)."""
    out: dict[int, dict[str, float] | None] = {}
    for feed_id, articles in latest.items():
        feed = feeds.get(feed_id)
        out[feed_id] = feed_lean(articles, feed.name if feed else "")
    return out


def compute_stats(
    items: Sequence[DigestItem], duplicates_merged: int, feeds_failed: int, language: str,
    headlines: int = 0,
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
        headlines=headlines,
    )


def window_stories(
    store: Store, start: datetime, end: datetime, feeds: Mapping[int, Feed] | None = None
) -> list[Story]:
    """Every story published in [start, end), each told by its best representative."""
    groups: dict[int, list[Article]] = {}
    for article in store.articles_between(start, end):
        groups.setdefault(article.story_id, []).append(article)
    if feeds is None:
        feeds = {f.id: f for f in store.list_feeds(include_disabled=True)}
    usable = {key: value for group in groups.values() for key, value in usable_text(group).items()}
    return [
        story(group, store.story_sources(story_id), usable, feeds)
        for story_id, group in groups.items()
    ]


def _shortlist_events(
    stories: list[Story], feeds: Mapping[int, Feed], settings: Settings, end: datetime,
    weights: Mapping[str, float], vectors: Mapping[int, Sequence[float]] | None = None,
) -> tuple[list[Story], list[Story], list[Story]]:
    """(every story or event, those with something to summarise, the candidates to summarise):
    pure, so it may run off the event loop. `vectors`: article id → embedding, when an
    embeddings endpoint is configured."""
    told = merge_events(stories, feeds, timedelta(hours=settings.digest.event_window_hours), vectors)
    # A story with nothing beyond its title costs no summary: it is listed as a headline.
    with_text = [s for s in told if s.usable_chars > 0]
    return told, with_text, shortlist(with_text, settings.model_candidates(), end, weights)


def _failure(error: str | None, language: str) -> str:
    """A failing feed's reason as subscribers read it: in the digest's language."""
    return describe(clean(error or ""), language) or t(language, "no_reason")


async def build_digest(
    store: Store,
    settings: Settings,
    summaries: Summarizer,
    *,
    day: date,
    language: str,
    now: datetime,
    bill: ModelBill | None = None,
) -> Digest:
    """Build, store and return the digest of `day` in `language` (stored: re-renders identically).

    Stories that report one event become one item; the window is ranked on cheap signals and only
    the best `Settings.model_candidates()` are summarised, their model calls charged to `bill`
    (a fresh one when none is given; DigestService shares one with its fetch-time warming)."""
    start, end = digest_window(settings, day, now)
    feeds = {f.id: f for f in store.list_feeds(include_disabled=True)}
    weights = settings.feed_weights()
    stories = window_stories(store, start, end, feeds)
    # With summarizer.embedding_model: a vector per story, each article fetched once (stored).
    embedder = getattr(summaries, "embedder", None)
    vectors = await embedder.vectors(store, [s.article for s in stories]) if embedder else None
    # Grouping events and the cheap rank are CPU work over the whole window (seconds for thousands
    # of stories): in a thread, so the event loop goes on answering chats meanwhile.
    told, with_text, pool = await asyncio.to_thread(
        _shortlist_events, stories, feeds, settings, end, weights, vectors
    )
    bill = bill if bill is not None else ModelBill(settings.model_candidates())
    by_id = await summarise(pool, summaries, language, bill)
    candidates = []
    for s in pool:
        summary = by_id.get(s.article.id) or _missing_summary(s.article, language)
        value = score(signals(s, clamp_importance(summary.importance), weights), end)
        paid = s.article.id not in bill.refused
        candidates.append(_Candidate(story=s, summary=summary, score=value, paid=paid))
    candidates.sort(key=_Candidate.rank_key)
    chosen, bare = _choose(candidates, settings.digest.max_items)

    # What kind of feed each item's feed is (its lean), read off its latest articles, for the
    # items whose section the offline model decides: one read per feed, however many items it has.
    undecided = {c.article.feed_id for c, _ in chosen if _decided_section(c, settings, feeds) is None}
    latest = {
        feed_id: store.feed_latest(feed_id, end, LEAN_ARTICLES, LEAD_CHARS)
        for feed_id in sorted(undecided)
    }
    leans = await asyncio.to_thread(_feed_leans, latest, feeds)
    by_section: dict[str, list[DigestItem]] = {}
    items: list[DigestItem] = []
    for candidate, points in chosen:
        item = _item(candidate, points, language)
        items.append(item)
        by_section.setdefault(_section_of(candidate, settings, feeds, leans), []).append(item)
    sections = tuple(
        DigestSection(key=sec.key, name=sec.name_for(language), items=tuple(by_section[sec.key]))
        for sec in settings.digest.sections
        if by_section.get(sec.key)
    )
    untold = [s for s in told if s.usable_chars == 0] + [c.story for c in bare]
    untold.sort(key=lambda s: (-s.article.published.timestamp(), s.article.url))
    headlines = tuple(_headline(s, language) for s in untold[: settings.digest.max_items])
    # Every other article of a story or event and every repeat sighting by another feed is one
    # merged report.
    duplicates = sum(c.story.reports - 1 for c, _ in chosen)
    failing = store.failing_feeds()
    highlights = choose_highlights(items, settings.digest.highlights, settings.digest.highlights_per_source)
    digest = Digest(
        date=day,
        language=language,
        title=digest_title(settings, day, language),
        stats=compute_stats(items, duplicates, len(failing), language, len(headlines)),
        highlights=tuple(Highlight(id=i.id, title=i.title, emoji=i.emoji) for i in highlights),
        sections=sections,
        failed_feeds=tuple((clean(f.name) or f.url, _failure(f.last_error, language)) for f in failing),
        headlines=headlines,
    )
    store.save_digest(digest)
    log.info(
        "digest built day=%s language=%s window=%s..%s events=%d with_text=%d summarised=%d items=%d "
        "headlines=%d offline=%d", day, language, start.isoformat(), end.isoformat(), len(told),
        len(with_text), len(pool), len(items), len(headlines), digest.stats.offline_summaries,
    )
    saved = store.get_digest(day.isoformat(), language)
    return saved if saved is not None else digest
