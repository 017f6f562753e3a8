"""`digestbot feeds list | add | remove | import-opml | export-opml`, and `fetch --force` ids.

`feeds add` checks a feed as the chat's /addfeed does (one fetch through the guard and a parse,
`bot/ingest/probe.py`) and says when a feed is already there; OPML import names every outline it
left out and why.
"""

from __future__ import annotations

import argparse
import logging
from typing import TextIO

from bot.cli_base import (
    EXIT_FAILED,
    CommandFailed,
    UsageError,
    check_output,
    read_input,
    stderr_line,
    write_output,
)
from bot.config import Settings
from bot.models import Feed
from storage import Store

log = logging.getLogger(__name__)


def forced_feeds(store: Store, ids: list[int] | None) -> bool | frozenset[int]:
    """`fetch --force` alone: every feed; with ids: those, each of which must be a polled feed."""
    if ids is None:
        return False
    if not ids:
        return True
    for feed_id in ids:
        feed = store.get_feed(feed_id)
        if feed is None or not feed.enabled:
            raise UsageError(f"--force: no feed #{feed_id}" + (" (it was removed)" if feed else ""))
    return frozenset(ids)


def _section_name(settings: Settings, key: str) -> str:
    """The section's name in the digest's language (the OPML folder title), else its key."""
    section = next((s for s in settings.digest.sections if s.key == key), None)
    return section.name_for(settings.digest.language) if section else key


async def feeds_command(args: argparse.Namespace, store: Store, settings: Settings, out: TextIO) -> int:
    """One feeds action; exit code as in bot/cli.py."""
    if args.action == "list":
        for f in store.list_feeds():
            state = f"failing ({f.failures}x): {f.last_error}" if f.last_status == "failed" else (f.last_status or "never fetched")
            section = f" [{f.section}]" if f.section else ""
            print(f"#{f.id} {f.name or '-'}{section} {f.url} — {state}", file=out)
        return 0
    if args.action == "add":
        return await _add(args, store, settings, out)
    if args.action == "remove":
        if not store.remove_feed(args.id):
            stderr_line(f"no feed #{args.id}")
            return EXIT_FAILED
        print(f"removed feed #{args.id}", file=out)
        return 0
    if args.action == "import-opml":
        return _import(args, store, settings, out)
    return _export(args, store, settings, out)


async def _add(args: argparse.Namespace, store: Store, settings: Settings, out: TextIO) -> int:
    from bot.ingest import FetchError
    from bot.ingest.probe import probe_feed, url_problem

    url = args.url.strip()
    problem = url_problem(url)
    if problem:
        raise UsageError(f"{args.url!r}: {problem}")
    section = args.section.strip().lower()
    if section and section not in settings.section_keys():
        raise UsageError(f"unknown section {args.section!r}; known: {', '.join(settings.section_keys())}")
    known = store.find_feed(url)
    if known is not None and known.enabled:
        return _already_present(known, args.name.strip(), section, store, out)
    name = args.name.strip()
    entries = ""
    if not args.no_check:
        try:
            parsed = await probe_feed(url, settings)
        except FetchError as exc:
            log.info("cli.feed_refused url=%s reason=%s", url, exc.reason)
            raise CommandFailed(f"{url}: not added: {exc.reason.rstrip('.')} (--no-check adds it anyway)") from None
        name = name or " ".join(parsed.title.split())[:100]
        entries = f", {len(parsed.entries)} entries now"
    feed = store.add_feed(url, name, section or None)
    verb = "enabled again" if known is not None else "added"
    print(f"feed #{feed.id} {verb}: {feed.name or '-'} {feed.url}{entries}", file=out)
    return 0


def _already_present(known: Feed, name: str, section: str, store: Store, out: TextIO) -> int:
    """A duplicate is reported as one; a --name or --section given with it is applied, not ignored."""
    changes = {"name": name} if name and name != known.name else {}
    if section and section != known.section:
        changes["section"] = section
    if changes:
        store.update_feed(known.id, **changes)
    done = "; " + ", ".join(f"{k} set to {v!r}" for k, v in changes.items()) if changes else ""
    print(f"already present as #{known.id}: {known.url}{done}", file=out)
    return 0


def _import(args: argparse.Namespace, store: Store, settings: Settings, out: TextIO) -> int:
    from bot.opml import OpmlError, import_feeds, scan_opml, section_matcher

    try:
        contents = scan_opml(read_input(args.file, "OPML file"))
    except OpmlError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    matcher = section_matcher((s.key, s.name.values()) for s in settings.digest.sections)
    report = import_feeds(store, contents, matcher)
    for line in report.lines(len(contents.feeds) + len(contents.skipped)):
        print(line, file=out)
    return 0


def _export(args: argparse.Namespace, store: Store, settings: Settings, out: TextIO) -> int:
    from bot.opml import OpmlFeed, write_opml

    check_output(args.output)
    order = {key: n for n, key in enumerate(settings.section_keys())}
    feeds = sorted(store.list_feeds(), key=lambda f: (f.section is not None, order.get(f.section or "", len(order))))
    write_output(
        write_opml([OpmlFeed(f.url, f.name, _section_name(settings, f.section) if f.section else "") for f in feeds]),
        args.output, out,
    )
    return 0
