"""feed.xml (Atom 1.0) and feed.json (JSON Feed 1.1): one entry per day, newest first, the whole
digest as HTML, each pointing at the day's permalink."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.digest.text import MAX_TITLE
from bot.site.links import day_path
from bot.site.render import SiteOptions, StoredDay, environment, shown, stats_text
from bot.site.strings import site_t

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FeedEntry:
    """One day as both feeds show it; text here is plain (the templates and json.dumps escape it)."""

    day: date
    id: str
    url: str
    title: str
    summary: str
    content: str  # the digest as HTML, already escaped
    built_at: datetime


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _uuid_id(options: SiteOptions, key: str) -> str:
    """A stable id for feeds without a base URL (Atom ids must be absolute IRIs)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"digestbot:{options.title}:{options.language}:{key}").urn


def feed_days(days: Sequence[StoredDay], options: SiteOptions) -> list[StoredDay]:
    """The days the feeds carry: within `feed_days` of the newest digest, newest first. Counted from
    the newest digest, not the clock, so the same store always gives the same feed."""
    if not days:
        return []
    newest = days[0].digest.date
    first = newest - timedelta(days=options.feed_days - 1)
    return [d for d in days if first <= d.digest.date <= newest]


def feed_entries(
    days: Sequence[StoredDay], bodies: Mapping[date, str], options: SiteOptions
) -> list[FeedEntry]:
    """The feeds' entries; `bodies` holds each day's digest HTML with absolute (or no) anchors."""
    entries = []
    for day in days:
        digest = day.digest
        path = day_path(digest.date)
        url = options.base_url + path if options.base_url else path
        entries.append(
            FeedEntry(
                day=digest.date,
                id=url if options.base_url else _uuid_id(options, digest.date.isoformat()),
                url=url,
                title=shown(digest.title, MAX_TITLE),
                summary=stats_text(digest),
                content=bodies[digest.date],
                built_at=day.built_at,
            )
        )
    return entries


def render_atom(entries: Sequence[FeedEntry], options: SiteOptions) -> bytes:
    """Atom 1.0 through the autoescaping template: text and content are XML-escaped there."""
    rendered = environment().get_template("feed.xml").render(
        lang=site_t(options.language, "html_lang"),
        title=options.title,
        subtitle=site_t(options.language, "feed_description"),
        feed_id=options.base_url or _uuid_id(options, "feed"),
        updated=_rfc3339(max((e.built_at for e in entries), default=_EPOCH)),
        home=options.base_url or "./",
        self_url=(options.base_url + "feed.xml") if options.base_url else None,
        entries=[
            {
                "title": e.title, "id": e.id, "url": e.url, "summary": e.summary,
                "content": e.content, "published": _rfc3339(e.built_at), "updated": _rfc3339(e.built_at),
            }
            for e in entries
        ],
    )
    return rendered.encode("utf-8")


def render_json_feed(entries: Sequence[FeedEntry], options: SiteOptions) -> bytes:
    """JSON Feed 1.1; json.dumps does all the escaping."""
    lang = site_t(options.language, "html_lang")
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": options.title,
        "description": site_t(options.language, "feed_description"),
        "language": lang,
        "authors": [{"name": options.title}],
    }
    if options.base_url:
        feed["home_page_url"] = options.base_url
        feed["feed_url"] = options.base_url + "feed.json"
    feed["items"] = [
        {
            "id": e.id,
            "url": e.url,
            "title": e.title,
            "summary": e.summary,
            "content_html": e.content,
            "date_published": _rfc3339(e.built_at),
            "date_modified": _rfc3339(e.built_at),
            "language": lang,
        }
        for e in entries
    ]
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
