"""HTML for the site: Jinja2 templates with autoescaping on, feed text cleaned and clipped as in the
chat renderers, and only http(s) links ever emitted."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache, partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from bot.digest.strings import stats_lines, t
from bot.digest.text import MAX_POINT, MAX_SOURCE, MAX_TITLE, clean, clip, safe_url
from bot.models import Digest
from bot.site.links import day_path
from bot.site.strings import site_t

# Above this many earlier days the index groups them by month instead of one long list.
GROUP_BY_MONTH_AFTER = 14


@dataclass(frozen=True)
class SiteOptions:
    """What one build needs to know besides the digests: where, for whom, published where."""

    output_dir: Path
    base_url: str | None  # normalised, ends in "/"; None: relative links only
    title: str
    language: str
    timezone: str
    feed_days: int = 30


@dataclass(frozen=True)
class StoredDay:
    """A stored digest and when it was built (its feed entries are dated by the build)."""

    digest: Digest
    built_at: datetime


@lru_cache(maxsize=16384)  # each URL is checked for its page and again for its feed entry
def _http(url: str) -> str | None:
    """The URL when it is a plain http(s) link (javascript:, data: and the like never are)."""
    return safe_url(url)


def _host(url: str) -> str:
    href = safe_url(url)
    if href is None:
        return ""
    try:
        return urlsplit(href).hostname or ""
    except ValueError:
        return ""


def link(url: str, label: str) -> Markup:
    """An escaped <a> for http(s) URLs; just the escaped label for anything else."""
    href = _http(url)
    if href is None:
        return escape(label)
    return Markup(f'<a href="{escape(href)}">{escape(label)}</a>')


# Anything clean() would change: controls, surrogates, noncharacters (U+FDD0..FDEF and the last two
# code points of every plane), whitespace other than single inner spaces. Stored digests are clean
# already, so most text skips clean()'s per-character loop (the archive's main cost otherwise).
_NONCHARACTERS = "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
_DIRTY = re.compile(f"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef{_NONCHARACTERS}]|[^\\S ]|  |^ | $")


def shown(text: str, limit: int) -> str:
    """clip(clean(text), limit), cleaning only as much of `text` as can show: a 1 MB title costs
    the same as a short one. Same result, since clean() of a longer prefix only adds at the end."""
    text = text or ""
    window = 2 * limit + 64
    while True:
        prefix = text[:window]
        cleaned = clean(prefix) if _DIRTY.search(prefix) else prefix
        if len(cleaned) > limit or window >= len(text):
            return clip(cleaned, limit)
        window *= 4


def _slug(key: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "-", shown(key, 40).lower()) or "section"


@pass_context
def _local(ctx: Context, value: datetime) -> str:
    return value.astimezone(ZoneInfo(ctx["timezone"])).strftime("%Y-%m-%d %H:%M")


def stats_html(digest: Digest) -> list[Markup]:
    """The header's sentences with their figures in <strong>, wording escaped."""
    return [
        Markup(line)
        for line in stats_lines(
            digest.stats, digest.language, lambda s: str(escape(s)), lambda s: f"<strong>{s}</strong>"
        )
    ]


def stats_text(digest: Digest) -> str:
    """The same sentences as plain text (page descriptions, feed summaries)."""
    return " ".join(stats_lines(digest.stats, digest.language, lambda s: s, lambda s: s))


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one Jinja2 environment: templates shipped in the package, autoescape on for everything,
    undefined names an error (a template typo must fail the build, not print nothing)."""
    env = Environment(
        loader=PackageLoader("bot.site", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        plain=lambda s: shown(s, MAX_TITLE),
        headline=lambda s: shown(s, MAX_TITLE),
        point=lambda s: shown(s, MAX_POINT),
        source_name=lambda s: shown(s, MAX_SOURCE),
        host=_host,
        slug=_slug,
        day_path=day_path,
        local=_local,
    )
    env.globals.update(link=link, stats_html=stats_html)
    return env


def _context(options: SiteOptions, language: str, root: str) -> dict[str, Any]:
    dt: Callable[..., str] = partial(t, language)
    st: Callable[..., str] = partial(site_t, language)
    return {
        "dt": dt, "st": st, "root": root, "site_title": options.title,
        "timezone": options.timezone, "base_url": options.base_url,
    }


def render_body(digest: Digest, options: SiteOptions, anchor_base: str | None) -> str:
    """The digest itself as an HTML fragment (a page's article, a feed entry's content);
    `anchor_base` prefixes links to its stories ("" on the page; None: no such links)."""
    ctx = _context(options, digest.language, "")
    ctx.update(digest=digest, anchor_base=anchor_base)
    return environment().get_template("partials/digest.html").render(ctx)


def render_day(digest: Digest, options: SiteOptions, previous: date | None, following: date | None) -> bytes:
    """One day's page (`YYYY-MM-DD/index.html`): the whole digest, an anchor per story."""
    ctx = _context(options, digest.language, "../")
    ctx.update(
        digest=digest, anchor_base="", previous=previous, next=following,
        description=stats_text(digest),
        canonical=(options.base_url + day_path(digest.date)) if options.base_url else None,
    )
    return environment().get_template("day.html").render(ctx).encode("utf-8")


@dataclass(frozen=True)
class _ArchiveGroup:
    label: str | None
    days: list[Digest]


def _archive(earlier: Sequence[Digest], language: str) -> list[_ArchiveGroup]:
    if len(earlier) <= GROUP_BY_MONTH_AFTER:
        return [_ArchiveGroup(None, list(earlier))] if earlier else []
    groups: list[_ArchiveGroup] = []
    for digest in earlier:  # newest first, so months come newest first too
        label = site_t(language, "month", year=digest.date.year, month=digest.date.month)
        if not groups or groups[-1].label != label:
            groups.append(_ArchiveGroup(label, []))
        groups[-1].days.append(digest)
    return groups


def render_index(digests: Sequence[Digest], options: SiteOptions) -> bytes:
    """The front page: the latest digest in full, then every earlier day (by month once many)."""
    latest = digests[0] if digests else None
    ctx = _context(options, options.language, "")
    ctx.update(
        digest=latest, anchor_base="", archive=_archive(digests[1:], options.language),
        description=stats_text(latest) if latest else site_t(options.language, "feed_description"),
        canonical=options.base_url,
    )
    return environment().get_template("index.html").render(ctx).encode("utf-8")
