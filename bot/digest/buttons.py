"""Button payloads are data the bot issued, never commands: one table of actions, one decoder.

A payload is `action:field:field…` in ASCII, for Telegram callback_data (at most 64 bytes) and
Discord custom_id (at most 100 characters). Each action names the handler it runs and validates
every field of its own; anything else (a forged `unsubscribe`, `addfeed:http://x`, `digest:…`, an
unknown action, a wrong field) decodes to None and must run nothing. A select menu (Discord) sends
its payload plus the values the user chose: its action validates each of those too.

The rows: `more:<article id>` (More detail), the settings panel's `sec:<section>:on|off` (one
section toggled, Telegram), `secs` + chosen sections (the Discord menu), `lang:zh|en`, `pause` and
`resume`, and a search's next page `srch:<query id>:<offset>` (the query itself stays in the store,
bound to the chat that asked).
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
MAX_CHOICES = 25  # Discord: a select menu has at most 25 options
SEARCH_PAGE_SIZE = 5  # results per search message; a "more" button's offset is a multiple of it


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
    """A kind of button: its payload name, the handler command it runs and its fields in order.

    `args` lead the command's arguments (`pause` runs `settings pause`); a select menu's action
    names the `choice` field every chosen value must pass, and takes 1..`max_choices` of them.
    """

    name: str
    command: str
    fields: tuple[Field, ...]
    args: tuple[str, ...] = ()
    choice: Field | None = None
    max_choices: int = 0

    def longest_payload(self) -> int:
        """Characters of the longest payload this action can produce."""
        return len(self.name) + sum(len(SEPARATOR) + f.longest for f in self.fields)


class Press(NamedTuple):
    """A decoded button press: its action, the handler command to run and the validated arguments."""

    action: str
    command: str
    args: tuple[str, ...]


ARTICLE_ID = Field("article_id", re.compile(r"0|[1-9][0-9]{0,18}"), 19, lambda v: int(v) <= MAX_ID)
# Section keys as bot.config allows them (1-32 of a-z, 0-9, _ and -); the handler checks the key
# is configured, since a payload may outlive a config change.
SECTION = Field("section", re.compile(r"[a-z0-9_-]{1,32}"), 32)
SWITCH = Field("switch", re.compile(r"on|off"), 3)
LANGUAGE = Field("language", re.compile(r"zh|en"), 2)
QUERY_ID = Field("query_id", re.compile(r"[1-9][0-9]{0,18}"), 19, lambda v: int(v) <= MAX_ID)
# A next page: never the first (offset 0 is the typed search), at most 4 digits.
OFFSET = Field("offset", re.compile(r"[1-9][0-9]{0,3}"), 4, lambda v: int(v) % SEARCH_PAGE_SIZE == 0)

ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action("more", "more", (ARTICLE_ID,)),  # "More detail" under a digest item or a summary
        Action("sec", "settings", (SECTION, SWITCH), args=("section",)),  # one section on or off
        Action("secs", "settings", (), args=("sections",), choice=SECTION, max_choices=MAX_CHOICES),
        Action("lang", "lang", (LANGUAGE,)),
        Action("pause", "settings", (), args=("pause",)),
        Action("resume", "settings", (), args=("resume",)),
        Action("srch", "search", (QUERY_ID, OFFSET)),  # the next page of a search
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


def _choices(spec: Action, chosen: object) -> tuple[str, ...] | None:
    """A menu's chosen values, each valid and none twice; None when they are not what it allows.
    An action without a menu takes no values at all."""
    if spec.choice is None:
        return () if chosen is None or chosen == [] else None
    if not isinstance(chosen, list | tuple) or not 1 <= len(chosen) <= spec.max_choices:
        return None
    values = tuple(chosen)
    if len(set(values)) != len(values):
        return None
    if not all(isinstance(v, str) and v.isascii() and spec.choice.accepts(v) for v in values):
        return None
    return values


def decode(payload: object, chosen: object = None) -> Press | None:
    """The press a payload stands for (with a select menu's `chosen` values), or None for anything
    the bot did not issue."""
    if not isinstance(payload, str) or not payload.isascii() or len(payload) > MAX_PAYLOAD:
        return None
    name, *values = payload.split(SEPARATOR)
    spec = ACTIONS.get(name)
    if spec is None or len(values) != len(spec.fields):
        return None
    if not all(field.accepts(value) for field, value in zip(spec.fields, values, strict=True)):
        return None
    choices = _choices(spec, chosen)
    if choices is None:
        return None
    return Press(spec.name, spec.command, (*spec.args, *values, *choices))
