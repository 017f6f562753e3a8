"""The service-side commands: `run` (one line and an exit status for every way it can fail),
`status`, and `site` (also what `digest --site` calls)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.cli_base import UsageError, parse_day
from bot.config import Settings
from storage import Store

# ---------------------------------------------------------------- site


def site_command(args: argparse.Namespace, store: Store, settings: Settings, out: TextIO) -> int:
    """`digestbot site`: write the web archive of every stored digest (or one day's page)."""
    today = datetime.now(UTC).astimezone(ZoneInfo(settings.digest.timezone)).date()
    day = None if args.date is None else parse_day(args.date, today, settings.digest.timezone)
    return build_site_now(store, settings, out, args.output, args.base_url, args.lang, day)


def build_site_now(store: Store, settings: Settings, out: TextIO, output: str | None = None,
                base_url: str | None = None, lang: str | None = None, day: date | None = None) -> int:
    from bot.site.build import SiteError, build_site, site_options

    try:
        options = site_options(settings, output=output, base_url=base_url, language=lang)
    except SiteError as exc:
        raise UsageError(f"--base-url: {exc}") from exc
    try:
        result = build_site(store, options, only=day)
    except SiteError as exc:
        print(f"digestbot: {exc}", file=sys.stderr)
        return 1
    print("\n".join(result.report(options)), file=out)
    return 1 if result.failed else 0


# ---------------------------------------------------------------- run and status


async def run_command(settings: Settings, **options: Any) -> int:
    """The service; its failures are one line and an exit status (2: refused or already running).
    `options` go to bot.app.run (tests pass their clock and adapters)."""
    from bot.app import run
    from bot.health import ServiceFailed
    from bot.instance import AlreadyRunning

    try:
        await run(settings, **options)
    except AlreadyRunning as exc:
        print(f"digestbot: {exc}", file=sys.stderr)
        return 2
    except ServiceFailed as exc:
        print(f"digestbot: {exc.line}", file=sys.stderr)
        return exc.code
    return 0


def status_command(store: Store, settings: Settings, out: TextIO) -> int:
    """What /status shows, for the shell: exit 1 when a platform needs attention."""
    from bot.status import collect_status, status_lines

    report = collect_status(store, settings.storage.path, settings.digest.timezone, datetime.now(UTC))
    for line in status_lines(report):
        print(line, file=out)
    return 0 if report.well else 1
