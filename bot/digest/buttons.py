"""Button payloads are data the bot issued, never commands: one table of actions, one decoder.

A payload is `action:field:field…` in ASCII, for Telegram callback_data (at most 64 bytes) and
Discord custom_id (at most 100 characters). Each action names the handler it runs and validates
every field of its own; anything else (a forged `unsubscribe`, `addfeed:http://x`, `digest:…`, an
unknown action, a wrong field) decodes to None and must run nothing. Later payloads (settings
toggles, search pages) plug in as new rows of ACTIONS with their own fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

TELEGRAM_MAX_BYTES = 64
DISCORD_MAX_CHARS = 100
MAX_PAYLOAD = min(TELEGRAM_MAX_BYTES, DISCORD_MAX_CHARS)  # ASCII only: bytes == characters
MAX_ID = 2**63 - 1  # SQLite INTEGER PRIMARY KEY range
SEPARATOR = ":"


def _always(_value: str) -> bool:
    return True


@dataclass(frozen=True)
class Field:
    """One field of a payload: the text it accepts (a full-match pattern plus an optional check)
    and the longest such text, which the size test adds up against the platforms' limits."""

    name: str
    pattern: re.Pattern[str]
    longest: int
    check: Callable[[str], bool] = _always

    def accepts(self, value: str) -> bool:
        """True when `value` is exactly what this field allows."""
        return len(value) <= self.longest and self.pattern.fullmatch(value) is not None and self.check(value)


@dataclass(frozen=True)
class Action:
    """A kind of button: its payload name, the handler command it runs and its fields in order."""

    name: str
    command: str
    fields: tuple[Field, ...]

    def longest_payload(self) -> int:
        """Characters of the longest payload this action can produce."""
        return len(self.name) + sum(len(SEPARATOR) + f.longest for f in self.fields)


class Press(NamedTuple):
    """A decoded button press: its action, the handler command to run and the validated arguments."""

    action: str
    command: str
    args: tuple[str, ...]


ARTICLE_ID = Field("article_id", re.compile(r"0|[1-9][0-9]{0,18}"), 19, lambda v: int(v) <= MAX_ID)

ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action("more", "more", (ARTICLE_ID,)),  # "More detail" under a digest item or a summary
    )
}


def encode(action: str, *values: object) -> str:
    """`encode("more", 12)` → "more:12"; refuses anything its own decoder would not accept."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise ValueError(f"unknown button action {action!r}")
    if len(values) != len(spec.fields):
        raise ValueError(f"button {action!r} takes {len(spec.fields)} value(s), not {len(values)}")
    texts: list[str] = []
    for field, value in zip(spec.fields, values, strict=True):
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(text, str) or not field.accepts(text):
            raise ValueError(f"bad {field.name} for button {action!r}: {value!r}")
        texts.append(text)
    payload = SEPARATOR.join([action, *texts])
    if len(payload.encode("ascii")) > MAX_PAYLOAD:
        raise ValueError(f"button payload longer than {MAX_PAYLOAD} bytes: {payload!r}")
    return payload


def decode(payload: object) -> Press | None:
    """The press a payload stands for, or None for anything the bot did not issue."""
    if not isinstance(payload, str) or not payload.isascii() or len(payload) > MAX_PAYLOAD:
        return None
    name, *values = payload.split(SEPARATOR)
    spec = ACTIONS.get(name)
    if spec is None or len(values) != len(spec.fields):
        return None
    if not all(field.accepts(value) for field, value in zip(spec.fields, values, strict=True)):
        return None
    return Press(spec.name, spec.command, tuple(values))
