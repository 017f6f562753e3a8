"""The command line: `digestbot fetch | feeds | digest | summarize | subscriptions | search | site |
run | status`.

Exit codes: 0 success (a run where some feeds failed is still a success), 1 the one thing asked for
failed (a refused URL, a delivery that failed, a file that cannot be written), 2 bad usage or bad
config, 130 interrupted. Every error is one line on standard error, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import traceback
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, TextIO, cast
from zoneinfo import ZoneInfo

from bot.cli_base import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CommandFailed,
    OneLineParser,
    SafeOutput,
    UsageError,
    add_global_options,
    check_chat_id,
    check_output,
    parse_day,
    positive_id,
    redact,
    refuse_ignored_flags,
    spread_global_options,
    stderr_line,
    write_output,
)
from bot.cli_feeds import feeds_command, forced_feeds
from bot.cli_fetch import fetch_with_progress, print_fetch_summary
from bot.cli_search import add_parser as add_search_parser
from bot.cli_search import search_command
from bot.cli_service import build_site_now, run_command, site_command, status_command
from bot.cli_subscriptions import OptionError, describe, option_values
from bot.cli_subscriptions import add_options as add_subscription_options
from bot.config import ConfigError, Settings, load_settings
from bot.config_feeds import sync_config_feeds
from bot.models import FeedOutcome
from storage import Store, StoreOpenError, open_store_at

if TYPE_CHECKING:
    from bot.digest.service import DigestService

log = logging.getLogger(__name__)

__all__ = ["CommandFailed", "UsageError", "main", "open_store"]


def _parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="digestbot", description="A daily AI-news digest for chats.")
    add_global_options(p)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fe = sub.add_parser("fetch", help="poll every feed once and store new articles")
    fe.add_argument("--force", nargs="*", type=positive_id, metavar="FEED_ID",
                    help="poll even feeds backing off after failures (all, or the ids given)")

    feeds = sub.add_parser("feeds", help="list and manage feeds")
    fsub = feeds.add_subparsers(dest="action", required=True, metavar="ACTION")
    fsub.add_parser("list", help="list the feeds and their state")
    add = fsub.add_parser("add", help="add a feed")
    add.add_argument("url")
    add.add_argument("--section", default="", help="section key hint for its articles")
    add.add_argument("--name", default="")
    add.add_argument("--no-check", action="store_true",
                     help="add it without fetching it once to check it is a readable feed")
    rm = fsub.add_parser("remove", help="stop polling a feed")
    rm.add_argument("id", type=positive_id)
    imp = fsub.add_parser("import-opml", help="add every feed of an OPML file")
    imp.add_argument("file")
    exp = fsub.add_parser("export-opml", help="write the feeds as OPML")
    exp.add_argument("--output", "-o", help="file to write (default: standard output)")

    dg = sub.add_parser("digest", help="fetch, build and print (or --send) the day's digest")
    dg.add_argument("--date", help="YYYY-MM-DD (default: today in digest.timezone)")
    dg.add_argument("--format", choices=("markdown", "json"), help="markdown (the default) or json")
    dg.add_argument("--output", "-o", help="file to write (default: standard output)")
    dg.add_argument("--no-fetch", action="store_true", help="use what is stored, fetch nothing")
    dg.add_argument("--lang", choices=("zh", "en"), help="language (default: digest.language)")
    dg.add_argument("--rebuild", action="store_true", help="build again even if stored")
    dg.add_argument("--site", action="store_true", help="then rebuild the web archive ([site] output_dir, else ./site)")
    dg.add_argument("--send", action="store_true",
                    help="deliver (the --date digest) to subscriptions whose time has come")
    dg.add_argument("--all", action="store_true", help="with --send: every enabled subscription, now")
    dg.add_argument("--resend", action="store_true",
                    help="with --send: also to subscriptions that already received that date")

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
    add_subscription_options(sadd, editing=False)
    sedit = ssub.add_parser("edit", help="change only the given options of a subscription")
    sedit.add_argument("platform", choices=("telegram", "discord", "console"))
    sedit.add_argument("chat_id")
    add_subscription_options(sedit, editing=True)
    srm = ssub.add_parser("remove", help="remove a subscription")
    srm.add_argument("id", type=positive_id)

    st = sub.add_parser("site", help="write the web archive: a page per day, Atom and JSON feeds")
    st.add_argument("--output", "-o", help="folder to write (default: [site] output_dir, else ./site)")
    st.add_argument("--base-url", help="where the folder is published (default: [site] base_url)")
    st.add_argument("--lang", choices=("zh", "en"), help="language (default: [site] language)")
    st.add_argument("--date", help="YYYY-MM-DD: only that day's page (and the index and feeds)")

    add_search_parser(sub)

    sub.add_parser("run", help="run the bot service: scheduled digests and chat commands")
    sub.add_parser("status", help="platforms' health, waiting messages, failing feeds, last digest")
    spread_global_options(p)  # after every add_parser: --config and -v anywhere on the line
    return p


def setup_logging(settings: Settings, verbose: bool = False, service: bool = False) -> None:
    """Log to stderr; one-shot commands print their own per-feed lines, so they log errors only
    (unless -v), while the service logs at the configured level."""
    level = getattr(logging, settings.logging.level.upper())
    if verbose:
        level = logging.DEBUG
    elif not service:
        level = max(level, logging.ERROR)
    existing = set(logging.getLogger().handlers)
    logging.basicConfig(
        level=level, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    from bot.redact import RedactingFormatter, settings_secrets

    # Every line (tracebacks too) loses the tokens: SDK exception texts can carry them. Only the
    # handler basicConfig just made: one an embedding program (or pytest) installed is its own.
    redacting = RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", settings_secrets(settings))
    for handler in set(logging.getLogger().handlers) - existing:
        handler.setFormatter(redacting)
    # httpx logs request URLs at INFO, and a Telegram URL carries the bot token: never below WARNING.
    for noisy in ("httpx", "httpcore", "httpx2", "httpcore2", "jieba", "apscheduler", "telegram",
                  "discord", "openai", "aiohttp"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def open_store(settings: Settings) -> Store:
    """The store at storage.path with the config's feeds in step (dropped ones reported on stderr);
    StoreOpenError names the path and the reason when it cannot be opened."""
    store = open_store_at(settings.storage.path)
    try:
        for line in sync_config_feeds(store, settings).lines(settings.source):
            stderr_line(line)
    except BaseException:
        store.close()
        raise
    return store


def _today(settings: Settings, now: datetime) -> date:
    return now.astimezone(ZoneInfo(settings.digest.timezone)).date()


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every error ends as one line on stderr and its exit code (see the module)."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        stderr_line(f"config error: {exc}")
        return EXIT_USAGE
    setup_logging(settings, args.verbose, service=args.command == "run")
    out = SafeOutput(sys.stdout)
    try:
        code = asyncio.run(_dispatch(args, settings, cast(TextIO, out)))
    except UsageError as exc:
        stderr_line(str(exc))
        code = EXIT_USAGE
    except (ConfigError, StoreOpenError) as exc:
        stderr_line(f"config error: {exc}" if isinstance(exc, ConfigError) else f"storage.path: {exc}")
        code = EXIT_USAGE
    except CommandFailed as exc:
        stderr_line(str(exc))
        code = EXIT_FAILED
    except KeyboardInterrupt:
        stderr_line("interrupted")
        code = EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last resort: one line, details with -v, redacted
        stderr_line(redact(f"unexpected error: {type(exc).__name__}: {str(exc)[:300]}", settings)
                    + ("" if args.verbose else " (run with -v for details)"))
        log.debug("cli.unexpected %s", redact("".join(traceback.format_exception(exc)), settings))
        code = EXIT_FAILED
    finally:
        # The process owns the parse worker (started on first use by any command, `run` included).
        from bot.ingest.worker import close_parse_worker

        close_parse_worker()
    out.flush()
    return code


async def _dispatch(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    if args.command == "run":
        return await run_command(settings)
    refuse_ignored_flags(args)
    store = open_store(settings)
    try:
        if args.command == "fetch":
            force = forced_feeds(store, args.force)
            outcomes = await fetch_with_progress(store, settings, out, force=force)
            print_fetch_summary(outcomes, out)
            return 0
        if args.command == "feeds":
            return await feeds_command(args, store, settings, out)
        if args.command == "subscriptions":
            return subscriptions_command(args, store, settings, out)
        if args.command == "digest":
            return await digest_command(args, store, settings, out)
        if args.command == "summarize":
            return await summarize_command(args, store, settings, out)
        if args.command == "site":
            return site_command(args, store, settings, out)
        if args.command == "status":
            return status_command(store, settings, out)
        if args.command == "search":
            return search_command(args, store, out)
    finally:
        store.close()
    raise UsageError(f"unknown command {args.command!r}")


# ---------------------------------------------------------------- subscriptions (feeds: bot/cli_feeds.py)


def subscriptions_command(args: argparse.Namespace, store: Store, settings: Settings, out: TextIO) -> int:
    if args.action == "list":
        for s in store.list_subscriptions():
            print(describe(s), file=out)
        return 0
    if args.action in ("add", "edit"):
        try:
            given = option_values(args, settings)
        except OptionError as exc:
            raise UsageError(str(exc)) from exc
    if args.action == "add":
        chat_id = check_chat_id(args.platform, args.chat_id)
        sub = store.subscribe(
            args.platform, chat_id, given.get("time", settings.chat.default_time),
            given.get("timezone", settings.digest.timezone), given.get("language", settings.digest.language),
            given.get("sections", ()), at=datetime.now(UTC), include=given.get("include", ()),
            exclude=given.get("exclude", ()),
        )
        print(f"subscription #{sub.id}: {sub.platform} {sub.chat_id} at {sub.time} {sub.timezone} ({sub.language})", file=out)
        return 0
    if args.action == "edit":
        found = store.find_subscription(args.platform, check_chat_id(args.platform, args.chat_id))
        if found is None:
            print(f"digestbot: no subscription for {args.platform} {args.chat_id}", file=sys.stderr)
            return 1
        if not given:
            raise UsageError("subscriptions edit: give at least one of --time, --tz, --lang, --sections, "
                             "--include, --exclude")
        updated = store.update_subscription(found.id, at=datetime.now(UTC), **given)
        print(describe(updated or found), file=out)
        return 0
    if not store.remove_subscription(args.id):
        stderr_line(f"no subscription #{args.id}")
        return EXIT_FAILED
    print(f"removed subscription #{args.id}", file=out)
    return 0


# ---------------------------------------------------------------- digest and summarize


async def digest_command(args: argparse.Namespace, store: Store, settings: Settings, out: TextIO) -> int:
    from bot.digest.json_render import render_json
    from bot.digest.markdown import render_markdown
    from bot.digest.service import DigestService
    from bot.summarize.service import SummaryService

    now = datetime.now(UTC)
    today = _today(settings, now)
    day = today if args.date is None else parse_day(args.date, today, settings.digest.timezone)
    check_output(args.output)
    language = args.lang or settings.digest.language
    summaries = SummaryService(store, settings)
    digests = DigestService(store, settings, summaries)
    try:
        outcomes: list[FeedOutcome] = []
        if not args.no_fetch:
            # With a model, each feed's new articles start summarising while others still fetch.
            outcomes = await fetch_with_progress(
                store, settings, sys.stderr, lines=False,
                on_outcome=digests.warming(day, language, now=now),
            )
            print_fetch_summary(outcomes, sys.stderr)
        # A stored digest re-renders identically; it is built again only when asked to or when
        # this run fetched something new (summaries are cached, so that costs no model calls).
        fresh = any(o.new_articles for o in outcomes)
        if args.send:
            return await _send(args, store, settings, digests, now, out,
                               day=day if args.date else None, rebuild=args.rebuild or fresh)
        digest = await digests.get_or_build(day, language, now=now, rebuild=args.rebuild or fresh)
    finally:
        await digests.settle()
        await summaries.aclose()
    text = render_json(digest) if args.format == "json" else render_markdown(digest)
    write_output(text, args.output, out)
    if args.site:
        build_site_now(store, settings, sys.stderr)
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        print(f"{len(failed)} feed(s) could not be read:", file=sys.stderr)
        for o in failed:
            print(f"  #{o.feed_id} {o.name or o.url}: {o.error}", file=sys.stderr)
    return 0


async def _send(args: argparse.Namespace, store: Store, settings: Settings, digests: DigestService,
                now: datetime, out: TextIO, *, day: date | None, rebuild: bool) -> int:
    """Deliver `day`'s digest (None: each subscription's today) through the claims the service
    also uses, so a running service and this command never both send one digest."""
    from bot.delivery import build_adapters
    from bot.delivery.outbox import send_due

    if rebuild:
        target = day or _today(settings, now)
        for language in sorted({s.language for s in store.list_subscriptions(enabled_only=True)}):
            await digests.get_or_build(target, language, now=now, rebuild=True)
    adapters = build_adapters(settings)
    try:
        results = await send_due(store, adapters, digests, settings, now=now, send_all=args.all,
                                 day=day, resend=args.resend)
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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
