"""The command line's groundwork: errors that fit one line, options accepted before or after a
subcommand, output that a closed pipe (`| head`) cannot turn into a traceback, and argument checks.

Exit codes (README, docs/operations.md): 0 success, 1 the one thing asked for failed at run time,
2 bad usage or bad config; 130 interrupted.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import re
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import NoReturn, TextIO

from bot.config import Settings, secret

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

# RSS itself dates from 1999: an earlier --date is a typo, not a digest anyone can have.
EARLIEST_DATE = date(2000, 1, 1)


class UsageError(Exception):
    """Bad arguments that argparse cannot see (a time, a zone, a section key): exit 2."""


class CommandFailed(Exception):
    """The one thing asked for could not be done (a refused feed, a file that cannot be written):
    exit 1. The message is one sentence naming what failed."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (`digestbot feeds add: error: …`) and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def add_global_options(parser: argparse.ArgumentParser, top: bool = True) -> None:
    """--config and -v. Below the top level their default is SUPPRESS, so a value given before the
    subcommand is not reset by the subcommand's parser and one given after it wins."""
    options = {action.dest for action in parser._actions}
    if "config" not in options:
        parser.add_argument(
            "--config", default=None if top else argparse.SUPPRESS,
            help="TOML config file (default: $DIGESTBOT_CONFIG, ./digestbot.toml)",
        )
    if "verbose" not in options:
        parser.add_argument(
            "-v", "--verbose", action="store_true", default=False if top else argparse.SUPPRESS,
            help="log at DEBUG level",
        )


def spread_global_options(parser: argparse.ArgumentParser) -> None:
    """Give every subcommand (and sub-subcommand) --config and -v, so `digestbot run --config X`
    works as `digestbot --config X run` does; subcommands added later get them too."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in {id(p): p for p in action.choices.values()}.values():
                add_global_options(child, top=False)
                spread_global_options(child)


class SafeOutput(io.TextIOBase):
    """Standard output that a reader closing early (`| head`) cannot break: the first
    BrokenPipeError silences the rest (pointing the descriptor at /dev/null so the interpreter's
    last flush stays quiet) and the command carries on with its work and its exit code."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream
        self.cut = False

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return not self.cut and self._stream.isatty()

    def write(self, text: str) -> int:  # type: ignore[override]
        if not self.cut:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self._silence()
        return len(text)

    def flush(self) -> None:
        if not self.cut:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._silence()

    def _silence(self) -> None:
        self.cut = True
        log.debug("cli.output_closed_early")
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, io.UnsupportedOperation, AttributeError):
            pass  # not a real descriptor (a test's capture): nothing will flush it at exit


def redact(text: str, settings: Settings) -> str:
    """Blank out the configured secrets and anything shaped like a bot token: SDK error messages
    can embed them, and this text goes to a terminal or a log."""
    for env in (settings.telegram.token_env, settings.discord.token_env,
                settings.summarizer.api_key_env, settings.telegram.webhook_secret_env):
        value = secret(env)
        if value and len(value) >= 6:
            text = text.replace(value, "[redacted]")
    return re.sub(r"\b\d{5,}:[A-Za-z0-9_-]{30,}", "[redacted]", text)


# ---------------------------------------------------------------- argument checks

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(value: str, today: date, zone: str, option: str = "--date") -> date:
    """A YYYY-MM-DD date no later than `today` (in `zone`) and no earlier than 2000; UsageError
    otherwise (Python alone would also take 20250725 or 2025-W30-5)."""
    if not _DAY.fullmatch(value.strip()):
        raise UsageError(f"{option} must be YYYY-MM-DD, not {value!r}")
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{option}: there is no day {value!r}") from None
    if day > today:
        raise UsageError(f"{option} {day} is in the future (today is {today} in {zone})")
    if day < EARLIEST_DATE:
        raise UsageError(f"{option} {day} is before {EARLIEST_DATE}; no digest can cover it")
    return day


_TELEGRAM_ID = re.compile(r"-?[1-9]\d{0,15}")  # Telegram: at most 52 significant bits
_SNOWFLAKE = re.compile(r"[1-9]\d{16,19}")  # Discord: 64-bit ids, 17+ digits since 2015
_CONSOLE_ID = re.compile(r"[\w.:@-]{1,64}")


def check_chat_id(platform: str, value: str) -> str:
    """The chat id as stored, or UsageError saying what this platform's ids look like."""
    chat = value.strip()
    if platform == "telegram":
        if chat.startswith("@"):
            raise UsageError(
                f"telegram chat id must be the chat's number, not the username {value!r} "
                "(a channel's number starts with -100)"
            )
        if not _TELEGRAM_ID.fullmatch(chat):
            raise UsageError(
                f"telegram chat id must be a non-zero integer (a channel's starts with -100), not {value!r}"
            )
    elif platform == "discord":
        if not _SNOWFLAKE.fullmatch(chat) or int(chat) >= 2**64:
            raise UsageError(f"discord channel id must be a snowflake (17 to 20 digits), not {value!r}")
    elif not _CONSOLE_ID.fullmatch(chat):
        raise UsageError(f"console chat id must be 1-64 letters, digits or . : @ _ -, not {value!r}")
    return chat


# Flags that mean nothing in some combination: refused (exit 2) rather than silently ignored.
# (command, flag given, what it needs or conflicts with, reason)
_IGNORED: tuple[tuple[str, str, Callable[[argparse.Namespace], bool], str], ...] = (
    ("digest", "all", lambda a: not a.send, "--all only applies with --send"),
    ("digest", "resend", lambda a: not a.send, "--resend only applies with --send"),
    ("digest", "format", lambda a: a.send, "--format does not apply with --send (each platform has its own)"),
    ("digest", "output", lambda a: a.send, "--output does not apply with --send (the digest goes to the chats)"),
    ("digest", "lang", lambda a: a.send, "--lang does not apply with --send (each subscription has its language)"),
    ("digest", "site", lambda a: a.send, "--site does not apply with --send (run `digestbot site` after it)"),
)


def refuse_ignored_flags(args: argparse.Namespace) -> None:
    """UsageError for a flag that the other flags given would make meaningless."""
    for command, flag, clash, reason in _IGNORED:
        if args.command == command and getattr(args, flag, None) and clash(args):
            raise UsageError(reason)


def positive_id(text: str) -> int:
    """argparse type for a stored row id: 1 to 2**63-1 (SQLite's integer), else a usage error."""
    if not re.fullmatch(r"#?\d{1,19}", text.strip()) or not 0 < int(text.strip().lstrip("#")) < 2**63:
        raise argparse.ArgumentTypeError(f"not an id (a positive whole number): {text!r}")
    return int(text.strip().lstrip("#"))


def check_output(path: str | None, option: str = "--output") -> None:
    """Refuse an output path that cannot be written before any work is done (exit 2, not a
    traceback after a long fetch)."""
    if not path:
        return
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{option} {path!r} is a directory; give a file name")
    parent = target.parent
    if not parent.is_dir():
        raise UsageError(f"{option} {path!r}: no such directory {str(parent)!r}")
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise UsageError(f"{option} {path!r}: permission denied")


def write_output(text: str, path: str | None, out: TextIO) -> None:
    """Write to the file (CommandFailed naming it when that fails) or to standard output."""
    if path:
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandFailed(f"cannot write {path!r}: {exc.strerror or type(exc).__name__}") from None
    else:
        out.write(text if text.endswith("\n") else text + "\n")


def read_input(path: str, what: str) -> bytes:
    """The bytes of a file named on the command line; UsageError naming it when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except IsADirectoryError:
        raise UsageError(f"{what} {path!r} is a directory") from None
    except OSError as exc:
        raise UsageError(f"{what} {path!r}: {exc.strerror or type(exc).__name__}") from None


def stderr_line(message: str) -> None:
    """One line on standard error, prefixed like every other message of the command line (and
    nothing, not a traceback, when stderr is a pipe its reader already closed: `2>&1 | head`)."""
    try:
        print(f"digestbot: {message}", file=sys.stderr, flush=True)
    except (BrokenPipeError, ValueError):  # ValueError: stderr itself was closed
        pass
