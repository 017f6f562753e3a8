"""The command line: `digestbot fetch | feeds | digest | summarize | subscriptions | run`.

Exit codes: 0 success (a run where some feeds failed is still a success), 1 the one thing asked for
failed (a refused URL, a delivery that failed), 2 bad usage or bad config.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.config import ConfigError, Settings, load_settings, parse_hhmm, valid_timezone
from bot.models import FeedOutcome
from storage import Store

log = logging.getLogger(__name__)


class UsageError(Exception):
    """Bad arguments that argparse cannot see (a time, a zone, a section key)."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="digestbot", description="A daily AI-news digest for chats.")
    p.add_argument("--config", help="TOML config file (default: $DIGESTBOT_CONFIG, ./digestbot.toml)")
    p.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("fetch", help="poll every feed once and store new articles")

    feeds = sub.add_parser("feeds", help="list and manage feeds")
    fsub = feeds.add_subparsers(dest="action", required=True, metavar="ACTION")
    fsub.add_parser("list", help="list the feeds and their state")
    add = fsub.add_parser("add", help="add a feed")
    add.add_argument("url")
    add.add_argument("--section", default="", help="section key hint for its articles")
    add.add_argument("--name", default="")
    rm = fsub.add_parser("remove", help="stop polling a feed")
    rm.add_argument("id", type=int)
    imp = fsub.add_parser("import-opml", help="add every feed of an OPML file")
    imp.add_argument("file")
    exp = fsub.add_parser("export-opml", help="write the feeds as OPML")
    exp.add_argument("--output", "-o", help="file to write (default: standard output)")

    dg = sub.add_parser("digest", help="fetch, build and print (or --send) the day's digest")
    dg.add_argument("--date", help="YYYY-MM-DD (default: today in digest.timezone)")
    dg.add_argument("--format", choices=("markdown", "json"), default="markdown")
    dg.add_argument("--output", "-o", help="file to write (default: standard output)")
    dg.add_argument("--no-fetch", action="store_true", help="use what is stored, fetch nothing")
    dg.add_argument("--lang", choices=("zh", "en"), help="language (default: digest.language)")
    dg.add_argument("--rebuild", action="store_true", help="build again even if stored")
    dg.add_argument("--send", action="store_true", help="deliver to subscriptions whose time has come")
    dg.add_argument("--all", action="store_true", help="with --send: every subscription, now")

    sm = sub.add_parser("summarize", help="key points of one web page")
    sm.add_argument("url")
    sm.add_argument("--detail", action="store_true", help="a longer summary (5-8 points)")
    sm.add_argument("--lang", choices=("zh", "en"), help="language (default: digest.language)")

    subs = sub.add_parser("subscriptions", help="list and manage chat subscriptions")
    ssub = subs.add_subparsers(dest="action", required=True, metavar="ACTION")
    ssub.add_parser("list", help="list subscriptions")
    sadd = ssub.add_parser("add", help="subscribe a chat or channel")
    sadd.add_argument("platform", choices=("telegram", "discord", "console"))
    sadd.add_argument("chat_id")
    sadd.add_argument("--time", help="HH:MM local time (default: chat.default_time)")
    sadd.add_argument("--tz", help="time zone (default: digest.timezone)")
    sadd.add_argument("--lang", choices=("zh", "en"), help="language (default: digest.language)")
    sadd.add_argument("--sections", default="", help="comma-separated section keys (default: all)")
    srm = ssub.add_parser("remove", help="remove a subscription")
    srm.add_argument("id", type=int)

    sub.add_parser("run", help="run the bot service: scheduled digests and chat commands")
    return p


def setup_logging(settings: Settings, verbose: bool = False, service: bool = False) -> None:
    """Log to stderr; one-shot commands print their own per-feed lines, so they log errors only
    (unless -v), while the service logs at the configured level."""
    level = getattr(logging, settings.logging.level.upper())
    if verbose:
        level = logging.DEBUG
    elif not service:
        level = max(level, logging.ERROR)
    logging.basicConfig(
        level=level, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # httpx logs request URLs at INFO, and a Telegram URL carries the bot token: never below WARNING.
    for noisy in ("httpx", "httpcore", "httpx2", "httpcore2", "jieba", "apscheduler", "telegram",
                  "discord", "openai", "aiohttp"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def open_store(settings: Settings) -> Store:
    store = Store(settings.storage.path)
    store.seed_feeds(settings.feed_seeds())
    return store


def _today(settings: Settings, now: datetime) -> date:
    return now.astimezone(ZoneInfo(settings.digest.timezone)).date()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"digestbot: config error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings, args.verbose, service=args.command == "run")
    try:
        return asyncio.run(_dispatch(args, settings, sys.stdout))
    except UsageError as exc:
        print(f"digestbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        # The process owns the parse worker (started on first use by any command, `run` included).
        from bot.ingest.worker import close_parse_worker

        close_parse_worker()


async def _dispatch(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    if args.command == "run":
        from bot.app import run

        await run(settings)
        return 0
    store = open_store(settings)
    try:
        if args.command == "fetch":
            outcomes = await fetch_with_progress(store, settings, out)
            print_fetch_summary(outcomes, out)
            return 0
        if args.command == "feeds":
            return feeds_command(args, store, settings, out)
        if args.command == "subscriptions":
            return subscriptions_command(args, store, settings, out)
        if args.command == "digest":
            return await digest_command(args, store, settings, out)
        if args.command == "summarize":
            return await summarize_command(args, store, settings, out)
    finally:
        store.close()
    raise UsageError(f"unknown command {args.command!r}")


# ---------------------------------------------------------------- fetch


async def fetch_with_progress(
    store: Store,
    settings: Settings,
    out: TextIO,
    lines: bool = True,
    on_outcome: Callable[[FeedOutcome], object] | None = None,
) -> list[FeedOutcome]:
    """Poll every feed; a progress bar on a terminal, one plain line per feed when piped
    (`lines=False`: none, the caller summarises). `on_outcome` sees each feed as it finishes."""
    from bot.ingest.pipeline import fetch_all

    now = datetime.now(UTC)
    if out.isatty():
        from rich.progress import Progress

        with Progress(transient=True) as progress:
            task = progress.add_task("Fetching feeds", total=len(store.list_feeds()))

            def tick(o: FeedOutcome) -> None:
                progress.advance(task)
                if on_outcome:
                    on_outcome(o)

            outcomes = await fetch_all(store, settings, now=now, progress=tick)
        if lines:
            for o in outcomes:
                print(_outcome_line(o), file=out)
        return outcomes

    def line(o: FeedOutcome) -> None:
        if lines:
            print(_outcome_line(o), file=out, flush=True)
        if on_outcome:
            on_outcome(o)

    return await fetch_all(store, settings, now=now, progress=line)


def _outcome_line(o: FeedOutcome) -> str:
    name = o.name or o.url
    if o.status == "failed":
        return f"failed     #{o.feed_id} {name}: {o.error}"
    if o.status == "new":
        return f"new        #{o.feed_id} {name}: {o.new_articles} new article(s)"
    if o.status == "skipped":
        return f"skipped    #{o.feed_id} {name}: {o.error or 'backing off after failures'}"
    return f"unchanged  #{o.feed_id} {name}"


def print_fetch_summary(outcomes: Sequence[FeedOutcome], out: TextIO) -> None:
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in ("new", "unchanged", "failed", "skipped")}
    new = sum(o.new_articles for o in outcomes)
    print(
        f"{len(outcomes)} feeds: {counts['new']} with new articles ({new} articles), "
        f"{counts['unchanged']} unchanged, {counts['failed']} failed, {counts['skipped']} skipped",
        file=out,
    )


# ---------------------------------------------------------------- feeds and subscriptions


def feeds_command(args: argparse.Namespace, store: Store, settings: Settings, out: TextIO) -> int:
    from bot.opml import OpmlError, OpmlFeed, read_opml, write_opml

    if args.action == "list":
        for f in store.list_feeds():
            state = f"failing ({f.failures}x): {f.last_error}" if f.last_status == "failed" else (f.last_status or "never fetched")
            section = f" [{f.section}]" if f.section else ""
            print(f"#{f.id} {f.name or '-'}{section} {f.url} — {state}", file=out)
        return 0
    if args.action == "add":
        if not args.url.startswith(("http://", "https://")):
            raise UsageError(f"not an http(s) URL: {args.url!r}")
        if args.section and args.section not in settings.section_keys():
            raise UsageError(f"unknown section {args.section!r}; known: {', '.join(settings.section_keys())}")
        f = store.add_feed(args.url, args.name, args.section or None)
        print(f"feed #{f.id} {f.url}", file=out)
        return 0
    if args.action == "remove":
        if not store.remove_feed(args.id):
            print(f"digestbot: no feed #{args.id}", file=sys.stderr)
            return 1
        print(f"removed feed #{args.id}", file=out)
        return 0
    if args.action == "import-opml":
        try:
            entries = read_opml(Path(args.file).read_bytes())
        except (OSError, OpmlError) as exc:
            raise UsageError(f"{args.file}: {exc}") from exc
        before = len(store.list_feeds())
        for e in entries:
            if e.url.startswith(("http://", "https://")):
                hint = e.category if e.category in settings.section_keys() else None
                store.add_feed(e.url, e.name, hint)
        print(f"imported {len(store.list_feeds()) - before} new feed(s) of {len(entries)}", file=out)
        return 0
    text = write_opml([OpmlFeed(f.url, f.name, f.section or "") for f in store.list_feeds()])
    _write(text, args.output, out)
    return 0


def subscriptions_command(args: argparse.Namespace, store: Store, settings: Settings, out: TextIO) -> int:
    if args.action == "list":
        for s in store.list_subscriptions():
            state = "" if s.enabled else f" (disabled: {s.disabled_reason})"
            sections = ",".join(s.sections) or "all"
            print(f"#{s.id} {s.platform} {s.chat_id} {s.time} {s.timezone} {s.language} sections={sections}{state}", file=out)
        return 0
    if args.action == "add":
        time = args.time or settings.chat.default_time
        hm = parse_hhmm(time)
        if hm is None:
            raise UsageError(f"--time must be HH:MM, not {time!r}")
        tz = args.tz or settings.digest.timezone
        if not valid_timezone(tz):
            raise UsageError(f"--tz: unknown time zone {tz!r}")
        wanted = [s for s in args.sections.split(",") if s]
        unknown = [s for s in wanted if s not in settings.section_keys()]
        if unknown:
            raise UsageError(f"--sections: unknown section {unknown[0]!r}")
        sub = store.subscribe(args.platform, args.chat_id, f"{hm[0]:02d}:{hm[1]:02d}", tz,
                              args.lang or settings.digest.language, wanted)
        print(f"subscription #{sub.id}: {sub.platform} {sub.chat_id} at {sub.time} {sub.timezone} ({sub.language})", file=out)
        return 0
    if not store.remove_subscription(args.id):
        print(f"digestbot: no subscription #{args.id}", file=sys.stderr)
        return 1
    print(f"removed subscription #{args.id}", file=out)
    return 0


# ---------------------------------------------------------------- digest and summarize


async def digest_command(args: argparse.Namespace, store: Store, settings: Settings, out: TextIO) -> int:
    from bot.digest.json_render import render_json
    from bot.digest.markdown import render_markdown
    from bot.digest.service import DigestService
    from bot.summarize.service import SummaryService

    now = datetime.now(UTC)
    try:
        day = date.fromisoformat(args.date) if args.date else _today(settings, now)
    except ValueError as exc:
        raise UsageError(f"--date must be YYYY-MM-DD, not {args.date!r}") from exc
    language = args.lang or settings.digest.language
    summaries = SummaryService(store, settings)
    digests = DigestService(store, settings, summaries)
    try:
        outcomes: list[FeedOutcome] = []
        if not args.no_fetch:
            # With a model, each feed's new articles start summarising while others still fetch.
            outcomes = await fetch_with_progress(
                store, settings, sys.stderr, lines=False,
                on_outcome=lambda o: digests.warm(o.new_ids, day, language, now=now),
            )
            print_fetch_summary(outcomes, sys.stderr)
        if args.send:
            return await _send(args, store, settings, digests, now, out)
        # A stored digest re-renders identically; it is built again only when asked to or when
        # this run fetched something new (summaries are cached, so that costs no model calls).
        fresh = any(o.new_articles for o in outcomes)
        digest = await digests.get_or_build(day, language, now=now, rebuild=args.rebuild or fresh)
    finally:
        await digests.settle()
        await summaries.aclose()
    text = render_json(digest) if args.format == "json" else render_markdown(digest)
    _write(text, args.output, out)
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        print(f"{len(failed)} feed(s) could not be read:", file=sys.stderr)
        for o in failed:
            print(f"  #{o.feed_id} {o.name or o.url}: {o.error}", file=sys.stderr)
    return 0


async def _send(args: argparse.Namespace, store: Store, settings: Settings, digests: object,
                now: datetime, out: TextIO) -> int:
    from bot.delivery import build_adapters
    from bot.delivery.outbox import send_due

    adapters = build_adapters(settings)
    try:
        results = await send_due(store, adapters, digests, settings, now=now, send_all=args.all)  # type: ignore[arg-type]
    finally:
        for adapter in adapters.values():
            await adapter.stop()
    for r in results:
        print(r.line(), file=out)
    if not results:
        print("no subscriptions yet: add one with `digestbot subscriptions add`", file=out)
    return 1 if any(r.status == "failed" for r in results) else 0


async def summarize_command(args: argparse.Namespace, store: Store, settings: Settings, out: TextIO) -> int:
    from bot.ingest import FetchError
    from bot.ingest.pipeline import fetch_page_text
    from bot.summarize.service import SummaryService

    language = args.lang or settings.digest.language
    try:
        title, text = await fetch_page_text(args.url, settings)
    except FetchError as exc:
        print(f"digestbot: {args.url}: {exc.reason}", file=sys.stderr)
        return 1
    service = SummaryService(store, settings)
    try:
        summary = await service.summarize_text(title, text, args.url, language, "detail" if args.detail else "points")
    finally:
        await service.aclose()
    print(f"{summary.emoji} {summary.title}", file=out)
    for point in summary.points:
        print(f"- {point}", file=out)
    print(args.url, file=out)
    return 0


def _write(text: str, path: str | None, out: TextIO) -> None:
    if path:
        Path(path).write_text(text, encoding="utf-8")
    else:
        out.write(text if text.endswith("\n") else text + "\n")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
