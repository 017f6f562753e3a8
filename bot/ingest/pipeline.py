"""Polling every due feed once: fetch → parse → dedup → full text for recent stubs → store.

One feed's failure never touches another: each feed runs in its own guarded task and every
outcome (new, unchanged, failed) is recorded in the store with its backoff state.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

import httpx

from bot.config import Settings
from bot.ingest import FetchError
from bot.ingest.best import Candidate, Origin, better, is_publisher
from bot.ingest.dedup import DedupIndex, signature
from bot.ingest.extract import extract_page
from bot.ingest.fetch import fetch_url
from bot.ingest.guard import make_client
from bot.ingest.lang import detect_language
from bot.ingest.parse import is_stub, parse_feed
from bot.ingest.probe import url_problem
from bot.ingest.urls import content_hash, url_variants
from bot.models import Article, Feed, FeedOutcome, NewArticle, ParsedEntry
from storage import Store

log = logging.getLogger(__name__)

DEDUP_WINDOW = timedelta(days=7)  # near-duplicates are looked for among this recent past
_FUTURE_SLACK = timedelta(days=1)  # clocks differ; a date a day ahead still counts as recent


@dataclass
class _Run:
    """What one fetch_all shares between its feed tasks."""

    store: Store
    settings: Settings
    client: httpx.AsyncClient
    now: datetime
    limit: asyncio.Semaphore
    index: DedupIndex
    # One CPU job (parse, sketches) at a time: under the GIL more threads add no throughput, they
    # only starve the event loop (and model calls already in flight) and make every feed finish late.
    cpu: asyncio.Semaphore


def _due(feed: Feed, now: datetime) -> bool:
    return feed.next_fetch_after is None or feed.next_fetch_after <= now


def backoff_until(feed: Feed, settings: Settings, now: datetime, retry_after: float | None) -> datetime:
    """now + min(interval · 2^failures, max_backoff), and never sooner than Retry-After."""
    minutes = min(
        settings.fetch.interval_minutes * 2 ** min(feed.failures, 20),
        settings.fetch.max_backoff_minutes,
    )
    delay = timedelta(minutes=minutes)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=min(retry_after, 7 * 86400)))
    return now + delay


async def fetch_all(
    store: Store,
    settings: Settings,
    *,
    now: datetime,
    progress: Callable[[FeedOutcome], None] | None = None,
    client: httpx.AsyncClient | None = None,
    force: bool | Collection[int] = False,
) -> list[FeedOutcome]:
    """Poll every enabled feed that is due; return one FeedOutcome per feed (skipped ones too).
    `force` (True, or some feed ids) polls those feeds even while they back off: a retry by hand."""
    own = client is None
    http = client or make_client(settings.fetch)
    index = DedupIndex()
    for article_id, story_id, feed_id, sig in store.recent_signatures_by_feed(now - DEDUP_WINDOW):
        index.add(article_id, story_id, sig, feed_id)
    run = _Run(store, settings, http, now, asyncio.Semaphore(settings.fetch.concurrency), index,
               asyncio.Semaphore(1))
    outcomes: list[FeedOutcome] = []

    async def one(feed: Feed) -> FeedOutcome:
        forced = force if isinstance(force, bool) else feed.id in force
        if not (forced or _due(feed, now)):
            outcome = FeedOutcome(feed.id, feed.url, feed.name, "skipped",
                                  error=f"backing off until {feed.next_fetch_after:%Y-%m-%d %H:%M} UTC")
        else:
            outcome = await _poll(run, feed)
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
        return outcome

    try:
        feeds = store.list_feeds()
        results = await asyncio.gather(*(one(f) for f in feeds))
    finally:
        if own:
            await http.aclose()
    await prune_logs(store, settings.storage.keep_log_days, now)
    return list(results)


async def prune_logs(store: Store, keep_days: int, now: datetime) -> int:
    """Drop what storage/retention.py prunes (the fetch and model-call logs, the text of digests
    already delivered) when older than `keep_days` (0 keeps it all), a batch at a time with the
    loop given back between batches. Every fetch run ends with it (service and CLI alike), so the
    logs stay bounded however long the bot runs."""
    if keep_days <= 0:
        return 0
    before = now - timedelta(days=keep_days)
    total = 0
    while removed := store.prune_logs(before):
        total += removed
        await asyncio.sleep(0)
    if total:
        log.info("logs.pruned rows=%d before=%s", total, before.isoformat())
    return total


async def _poll(run: _Run, feed: Feed) -> FeedOutcome:
    started = time.monotonic()
    fetch = run.settings.fetch
    http_status: int | None = None
    try:
        async with run.limit:
            body = await fetch_url(run.client, feed.url, fetch, etag=feed.etag,
                                   last_modified=feed.last_modified)
        http_status = body.status
        if body.not_modified:
            _record(run, feed, started, "unchanged", http_status, etag=body.etag,
                    last_modified=body.last_modified)
            return FeedOutcome(feed.id, feed.url, feed.name, "unchanged")
        async with run.cpu:
            parsed = await parse_feed(body.body, url=body.url, max_bytes=fetch.max_bytes,
                                      content_type=body.headers.get("content-type"))
        name = feed.name or parsed.title or urlsplit(feed.url).hostname or feed.url
        new_ids, seen, upgraded = await _store_entries(run, feed, name, parsed.link, parsed.entries)
        new = len(new_ids)
        status: Literal["new", "unchanged"] = "new" if new else "unchanged"
        _record(run, feed, started, status, http_status, new_articles=new, etag=body.etag,
                last_modified=body.last_modified, name=parsed.title or None)
        log.info("feed polled feed_id=%d url=%s new=%d seen=%d warnings=%d", feed.id, feed.url,
                 new, seen, len(parsed.warnings))
        # Articles whose text this feed improved are summarised again early, like new ones.
        return FeedOutcome(feed.id, feed.url, name, status, new_articles=new, seen_articles=seen,
                           new_ids=tuple(new_ids + upgraded))
    except FetchError as exc:
        reason, retry_after = exc.reason, exc.retry_after
        http_status = exc.status or http_status
    except Exception as exc:  # one broken feed must never stop the others
        log.exception("feed failed unexpectedly feed_id=%d url=%s", feed.id, feed.url)
        reason, retry_after = f"unexpected error: {type(exc).__name__}: {str(exc)[:200]}", None
    until = backoff_until(feed, run.settings, run.now, retry_after)
    _record(run, feed, started, "failed", http_status, error=reason, failures=feed.failures + 1,
            next_fetch_after=until)
    log.warning("feed failed feed_id=%d url=%s reason=%s", feed.id, feed.url, reason)
    return FeedOutcome(feed.id, feed.url, feed.name, "failed", error=reason)


def _record(run: _Run, feed: Feed, started: float, status: str, http_status: int | None, *,
            new_articles: int = 0, error: str | None = None, etag: str | None = None,
            last_modified: str | None = None, failures: int = 0,
            next_fetch_after: datetime | None = None, name: str | None = None) -> None:
    run.store.record_fetch(
        feed.id, at=run.now, status=status, http_status=http_status, new_articles=new_articles,
        error=error, duration_ms=int((time.monotonic() - started) * 1000), etag=etag,
        last_modified=last_modified, failures=failures, next_fetch_after=next_fetch_after,
        name=name,
    )


def _usable_guid(guid: str | None) -> bool:
    """GUIDs like '123' repeat across feeds; only long, structured ones identify an article."""
    return bool(guid) and len(guid or "") >= 12 and not (guid or "").isdigit()


def _existing(store: Store, entry: ParsedEntry) -> Article | None:
    guid = entry.guid if _usable_guid(entry.guid) else None
    found = store.find_article(entry.url, guid)
    if found is None:
        for variant in url_variants(entry.url):
            found = store.find_article(variant)
            if found is not None:
                break
    return found


def _recent(entry: ParsedEntry, run: _Run) -> bool:
    if entry.published is None:
        return True  # undated entries are dated "now" below
    window = timedelta(hours=run.settings.digest.lookback_hours)
    return run.now - window <= entry.published <= run.now + _FUTURE_SLACK


def _stored_candidate(run: _Run, article: Article) -> Candidate:
    origin: Origin
    if article.text_origin in ("feed", "page", "teaser"):
        origin = article.text_origin  # type: ignore[assignment]
    else:  # stored before origins were kept
        origin = "teaser" if is_stub(article.title, article.text) else "feed"
    owner = run.store.get_feed(article.feed_id)
    return Candidate(article.text, origin, article.publisher, owner.url if owner else "")


def _new_article(run: _Run, feed: Feed, source: str, site: str | None, entry: ParsedEntry,
                 text: str, origin: Origin, sig: bytes | None) -> NewArticle:
    return NewArticle(
        feed_id=feed.id, url=entry.url, title=entry.title, source=source,
        published=entry.published or run.now,
        language=entry.language or detect_language(entry.title + "\n" + text),
        text=text, original_chars=len(text), content_hash=content_hash(text),
        guid=entry.guid, signature=sig, text_origin=origin, publisher=is_publisher(site, entry.url),
    )


def _offer(run: _Run, feed: Feed, source: str, site: str | None, entry: ParsedEntry,
           existing: Article, text: str, origin: Origin) -> bool:
    """This feed also carries a stored article: give it this feed's text (and name) when that is
    the better candidate (best.py). True when the article changed. The feed that supplied the
    stored text is not asked again (as before, a later edit of an entry is not picked up)."""
    if existing.feed_id == feed.id:
        return False
    stored = _stored_candidate(run, existing)
    if origin == "teaser" and stored.origin == "page" and _fetches_page(entry, run):
        # This stub would have fetched the very page another carrier fetched: same text, offered
        # under this feed's name, so which stub carrier came first does not decide the source.
        text, origin = existing.text, "page"
    offer = Candidate(text, origin, is_publisher(site, existing.url), feed.url)
    if not better(offer, stored):
        return False
    sig = signature(entry.title, text)
    article = run.store.replace_article_text(
        existing.id, _new_article(run, feed, source, site, entry, text, origin, sig))
    run.index.add(article.id, article.story_id, sig, feed.id)
    log.info("article text replaced article=%d feed_id=%d origin=%s chars=%d->%d", existing.id,
             feed.id, origin, len(stored.text), len(text))
    return True


async def _store_entries(run: _Run, feed: Feed, source: str, site: str | None,
                         entries: tuple[ParsedEntry, ...]) -> tuple[list[int], int, list[int]]:
    """Store the feed's new entries and offer its text for the ones already stored; return (ids
    of the new articles, number seen again, ids of stored articles that took this feed's text)."""
    seen = 0
    fresh: list[ParsedEntry] = []
    upgraded: list[int] = []

    def again(existing: Article, entry: ParsedEntry, text: str, origin: Origin) -> None:
        nonlocal seen
        run.store.add_sighting(existing.id, feed.id, entry.url, at=run.now)
        seen += 1
        if _offer(run, feed, source, site, entry, existing, text, origin) and existing.id not in upgraded:
            upgraded.append(existing.id)

    for entry in entries:
        existing = _existing(run.store, entry)
        if existing is not None:
            # No page fetch for an article already stored: the stub offers its own text.
            again(existing, entry, entry.text or entry.title, "teaser" if entry.is_stub else "feed")
        elif all(e.url != entry.url for e in fresh):
            fresh.append(entry)
    fulls = await asyncio.gather(*(_full_text(run, e) for e in fresh))
    texts = [(t or e.title, origin) for e, (t, origin) in zip(fresh, fulls, strict=True)]
    # Sketches are CPU work: compute them in a thread so other feeds' deadlines keep running.
    async with run.cpu:
        sigs = await asyncio.to_thread(
            lambda: [signature(e.title, t) for e, (t, _) in zip(fresh, texts, strict=True)])
    new: list[int] = []
    undated = 0
    for n, (entry, (text, origin), sig) in enumerate(zip(fresh, texts, sigs, strict=True)):
        if n % 50 == 49:
            await asyncio.sleep(0)  # let other feeds' I/O run between batches of inserts
        # No await between this check and the insert: concurrent feeds cannot both insert it.
        existing = _existing(run.store, entry)
        if existing is not None:
            again(existing, entry, text, origin)
            continue
        if entry.published is None:
            undated += 1
        match = run.index.match(sig, feed.id)
        article = _new_article(run, feed, source, site, entry, text, origin, sig)
        stored = run.store.add_article(article, story_id=match[1] if match else None, at=run.now)
        if match:
            log.info("near duplicate article=%d story=%d similarity=%.2f", stored.id, match[1], match[2])
        run.index.add(stored.id, stored.story_id, sig, feed.id)
        new.append(stored.id)
    if undated:
        log.info("entries without a date stored as fetched now feed_id=%d undated=%d", feed.id, undated)
    return new, seen, upgraded


def _fetches_page(entry: ParsedEntry, run: _Run) -> bool:
    return entry.is_stub and run.settings.fetch.full_text and _recent(entry, run)


async def _full_text(run: _Run, entry: ParsedEntry) -> tuple[str, Origin]:
    """(text, origin): the page's main text for a recent stub (when enabled), else the feed's own."""
    own: Origin = "teaser" if entry.is_stub else "feed"
    if not _fetches_page(entry, run):
        return entry.text, own
    try:
        async with run.limit:
            _title, text = await _page(entry.url, run.settings, run.client)
    except FetchError as exc:
        log.info("full text unavailable url=%s reason=%s", entry.url, exc.reason)
        return entry.text, own
    return (text, "page") if len(text) > len(entry.text) else (entry.text, own)


async def _page(url: str, settings: Settings, client: httpx.AsyncClient) -> tuple[str, str]:
    body = await fetch_url(client, url, settings.fetch)
    kind = body.headers.get("content-type", "text/html").lower()
    if not any(t in kind for t in ("html", "xml", "text/plain")):
        raise FetchError(f"not a web page: {kind.split(';')[0] or 'unknown type'}")
    title, text = await extract_page(body.body, url=body.url, content_type=kind)
    if not text.strip():
        raise FetchError("no article text found on the page")
    return title, text[:200_000]


async def fetch_page_text(
    url: str, settings: Settings, *, client: httpx.AsyncClient | None = None
) -> tuple[str, str]:
    """(title, main text) of one web page through the guard and caps; FetchError says why not."""
    if not url.lower().startswith(("http://", "https://")):
        raise FetchError("only http and https URLs can be read")
    problem = url_problem(url)
    if problem:  # httpx would raise InvalidURL (a bad port, a broken IPv6 host) past FetchError
        raise FetchError(f"not a usable URL: {problem}")
    if client is not None:
        return await _page(url, settings, client)
    async with make_client(settings.fetch) as own:
        return await _page(url, settings, own)
