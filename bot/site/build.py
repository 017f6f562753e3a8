"""Building the site from the store: read the digests, render every page (or one day's and what
links to it), write what changed. Also the hook that rebuilds it after each digest build."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

from bot.config import Settings, site_base_url
from bot.models import Digest
from bot.site.links import day_path, site_language
from bot.site.render import SiteOptions, StoredDay
from bot.site.strings import site_t
from bot.site.writer import write_if_changed
from storage import Store

log = logging.getLogger(__name__)

DEFAULT_OUTPUT = "site"
STATIC_FILES = ("style.css", "favicon.svg")


class SiteError(Exception):
    """The site cannot be built at all (a bad base URL, an output folder that cannot be made)."""


@dataclass(frozen=True)
class SiteResult:
    """What one build did: the files it wrote, how many were already current, what failed."""

    output_dir: Path
    days: int
    written: tuple[str, ...] = ()
    unchanged: int = 0
    failed: tuple[tuple[str, str], ...] = field(default=())  # (file, reason)

    def line(self) -> str:
        """One line for the command line and the log."""
        text = (
            f"site: {self.days} day(s), {len(self.written)} file(s) written, "
            f"{self.unchanged} unchanged in {self.output_dir}"
        )
        return text + (f", {len(self.failed)} failed" if self.failed else "")

    def report(self, options: SiteOptions) -> list[str]:
        """What the command line prints: the summary, each failure, and a hint when feeds have
        only relative links."""
        lines = [self.line(), *(f"  failed {name}: {reason}" for name, reason in self.failed)]
        if options.base_url is None:
            lines.append("  no base URL: the feeds carry relative links; set [site] base_url "
                         "(or --base-url) before publishing")
        return lines


def site_options(
    settings: Settings,
    *,
    output: str | None = None,
    base_url: str | None = None,
    language: str | None = None,
) -> SiteOptions:
    """The build's options: command-line values over [site] settings over the defaults."""
    raw_base = base_url if base_url is not None else settings.site.base_url
    base = site_base_url(raw_base) if raw_base else None
    if raw_base and base is None:
        raise SiteError(f"base URL must be an http(s) URL without spaces or quotes, not {raw_base!r}")
    lang = language or site_language(settings)
    return SiteOptions(
        output_dir=Path(output or settings.site.output_dir or DEFAULT_OUTPUT),
        base_url=base,
        title=settings.site.title or site_t(lang, "site_title"),
        language=lang,
        timezone=settings.digest.timezone,
        feed_days=settings.site.feed_days,
    )


def _static() -> dict[str, bytes]:
    folder = resources.files("bot.site") / "static"
    return {name: (folder / name).read_bytes() for name in STATIC_FILES}


def render_site(
    days: Sequence[StoredDay], options: SiteOptions, *, only: date | None = None
) -> tuple[dict[str, bytes], list[tuple[str, str]]]:
    """Every file of the site as bytes by relative path, and the pages that failed to render.

    `days` are newest first. With `only`, the day pages rendered are that day's and its two
    neighbours' (their previous/next links may have changed); the index, the feeds and the
    stylesheet always are. One page failing is recorded and the others still render.
    """
    from bot.site.feeds import feed_days, feed_entries, render_atom, render_json_feed
    from bot.site.render import render_body, render_day, render_index

    files: dict[str, bytes] = {}
    failed: list[tuple[str, str]] = []
    dates = [d.digest.date for d in days]
    wanted = range(len(days))
    if only is not None:
        at = dates.index(only)
        wanted = range(max(0, at - 1), min(len(days), at + 2))
    for i in wanted:
        digest = days[i].digest
        name = day_path(digest.date) + "index.html"
        following = dates[i - 1] if i > 0 else None
        previous = dates[i + 1] if i + 1 < len(dates) else None
        try:
            files[name] = render_day(digest, options, previous, following)
        except Exception as exc:  # one bad digest must not cost the others their pages
            log.exception("site page failed file=%s", name)
            failed.append((name, f"{type(exc).__name__}: {exc}"))
    try:
        files["index.html"] = render_index([d.digest for d in days], options)
        recent = feed_days(days, options)
        bodies = {
            d.digest.date: render_body(
                d.digest, options, (options.base_url + day_path(d.digest.date)) if options.base_url else None
            )
            for d in recent
        }
        entries = feed_entries(recent, bodies, options)
        files["feed.xml"] = render_atom(entries, options)
        files["feed.json"] = render_json_feed(entries, options)
    except Exception as exc:
        log.exception("site index or feeds failed")
        failed.append(("index.html, feed.xml, feed.json", f"{type(exc).__name__}: {exc}"))
    files.update(_static())
    return files, failed


def write_site(
    files: Mapping[str, bytes], output_dir: Path, days: int, failed: Sequence[tuple[str, str]] = ()
) -> SiteResult:
    """Write each file whose bytes differ from what is on disk (atomically); a file that cannot be
    written is recorded and the rest are still written."""
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SiteError(f"cannot create the site folder {output_dir}: {exc.strerror or exc}") from exc
    if not output_dir.is_dir():
        raise SiteError(f"the site folder {output_dir} is not a directory")
    written: list[str] = []
    unchanged = 0
    problems = list(failed)
    for name, data in sorted(files.items()):
        try:
            if write_if_changed(output_dir / name, data):
                written.append(name)
            else:
                unchanged += 1
        except OSError as exc:
            log.error("site file not written file=%s error=%s", name, exc.strerror or exc)
            problems.append((name, str(exc.strerror or exc)))
    return SiteResult(output_dir, days, tuple(written), unchanged, tuple(problems))


def load_days(store: Store, language: str) -> list[StoredDay]:
    """The stored digests in the site's language, newest first."""
    return [StoredDay(d, built) for d, built in store.stored_digests(language)]


def build_site(store: Store, options: SiteOptions, *, only: date | None = None) -> SiteResult:
    """Read, render and write the site in one go (the command line's path)."""
    days = load_days(store, options.language)
    return _render_and_write(days, options, only)


def _render_and_write(days: list[StoredDay], options: SiteOptions, only: date | None) -> SiteResult:
    if only is not None and only not in {d.digest.date for d in days}:
        raise SiteError(f"no stored {options.language} digest for {only.isoformat()}")
    files, failed = render_site(days, options, only=only)
    result = write_site(files, options.output_dir, len(days), failed)
    log.info(
        "site built dir=%s days=%d written=%d unchanged=%d failed=%d",
        options.output_dir, len(days), len(result.written), result.unchanged, len(result.failed),
    )
    return result


class SitePublisher:
    """DigestService's after-build hook: rebuilds the site for the built day, one build at a time,
    rendering and writing in a worker thread so the event loop keeps serving chats."""

    def __init__(self, store: Store, options: SiteOptions) -> None:
        self.store = store
        self.options = options
        self._lock = asyncio.Lock()

    async def __call__(self, digest: Digest) -> SiteResult | None:
        """Rebuild after `digest` was built; other languages than the site's change nothing."""
        if digest.language != self.options.language:
            return None
        async with self._lock:
            days = load_days(self.store, self.options.language)  # the store stays on this thread
            return await asyncio.to_thread(_render_and_write, days, self.options, digest.date)


def site_hook(store: Store, settings: Settings) -> SitePublisher | None:
    """The publisher when [site] output_dir is set (what `digestbot run` wires in), else None."""
    if not settings.site.output_dir:
        return None
    return SitePublisher(store, site_options(settings))
