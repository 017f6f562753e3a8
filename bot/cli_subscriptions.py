"""The options `digestbot subscriptions add|edit` share, checked by the same rules as the chat's.

`add` defines a chat's whole subscription (what is not given takes its default); `edit` changes
only the options given. A list option given as '' clears it (`--include ''`: no include filter;
`--sections ''`: every section).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from bot.config import Settings, parse_hhmm, valid_timezone
from bot.digest.filters import (
    MAX_KEYWORD_CHARS,
    MAX_KEYWORDS,
    FilterError,
    validate_keywords,
    validate_sections,
)
from bot.models import Subscription


class OptionError(ValueError):
    """An option value the CLI refuses; the message names the option."""


def add_options(parser: argparse.ArgumentParser, editing: bool) -> None:
    """--time, --tz, --lang, --sections, --include, --exclude on `parser` (all optional)."""
    keep = " (default: unchanged)" if editing else ""
    parser.add_argument("--time", help="HH:MM local time" + (keep or " (default: chat.default_time)"))
    parser.add_argument("--tz", help="time zone" + (keep or " (default: digest.timezone)"))
    parser.add_argument("--lang", choices=("zh", "en"), help="language" + (keep or " (default: digest.language)"))
    parser.add_argument("--sections", default=None,
                        help="comma-separated section keys; '' for all" + (keep or " (default: all)"))
    for name, what in (("include", "keep only items that mention one of these"),
                       ("exclude", "drop items that mention any of these")):
        parser.add_argument(
            f"--{name}", nargs="+", action="extend", default=None, metavar="WORD",
            help=f"{what} (title, key points, source); '' clears; at most {MAX_KEYWORDS} words of "
                 f"{MAX_KEYWORD_CHARS} characters{keep}",
        )


def option_values(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """The options given, validated, as keyword arguments for the store (only those given)."""
    values: dict[str, Any] = {}
    if args.time is not None:
        hm = parse_hhmm(args.time)
        if hm is None:
            raise OptionError(f"--time must be HH:MM, not {args.time!r}")
        values["time"] = f"{hm[0]:02d}:{hm[1]:02d}"
    if args.tz is not None:
        if not valid_timezone(args.tz):
            raise OptionError(f"--tz: unknown time zone {args.tz!r}")
        values["timezone"] = args.tz
    if args.lang is not None:
        values["language"] = args.lang
    try:
        if args.sections is not None:
            values["sections"] = validate_sections(args.sections.split(","), settings.section_keys())
        for name in ("include", "exclude"):
            words = getattr(args, name)
            if words is not None:
                values[name] = validate_keywords(words, name)
    except FilterError as exc:
        option = f"--{exc.kw['which']}" if "which" in exc.kw else "--sections"
        raise OptionError(f"{option}: {exc}") from exc
    return values


def _words(words: Sequence[str]) -> str:
    return ",".join(json.dumps(w, ensure_ascii=False) if ("," in w or " " in w or '"' in w) else w for w in words)


def describe(sub: Subscription) -> str:
    """One line of `subscriptions list`: when, where, language, sections and keyword filters."""
    line = (f"#{sub.id} {sub.platform} {sub.chat_id} {sub.time} {sub.timezone} {sub.language} "
            f"sections={','.join(sub.sections) or 'all'}")
    if sub.include:
        line += f" include={_words(sub.include)}"
    if sub.exclude:
        line += f" exclude={_words(sub.exclude)}"
    return line + ("" if sub.enabled else f" (disabled: {sub.disabled_reason})")
