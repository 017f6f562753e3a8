"""The small interface every chat platform implements, and the rate ceilings each one documents."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.digest import buttons
from bot.models import OutMessage, Reply, Request

OnRequest = Callable[[Request], Awaitable[Reply]]
LANGUAGES = ("en", "zh")  # the first is the default menu; handlers.strings speaks the same two


@dataclass(frozen=True)
class Window:
    """At most `limit` sends in any `period` seconds (a sliding window, as the platforms count)."""

    limit: int
    period: float


@dataclass(frozen=True)
class PlatformLimits:
    """A platform's documented ceilings; pacing keeps under them so 429s stay rare."""

    max_text: int  # characters (Telegram: UTF-16 units)
    per_chat: tuple[Window, ...] = ()
    per_group: tuple[Window, ...] = ()  # extra windows for group/channel chats (Telegram: negative ids)
    global_: tuple[Window, ...] = ()
    max_buttons: int = 100


# Telegram Bot API FAQ: ~1 msg/s per chat, 20 msg/min per group or channel, 30 msg/s overall.
TELEGRAM_LIMITS = PlatformLimits(
    max_text=4096,
    per_chat=(Window(1, 1.0),),
    per_group=(Window(20, 60.0),),
    global_=(Window(30, 1.0),),
)
# Discord: 5 messages / 5 s per channel (the create-message bucket), 50 requests/s per bot.
DISCORD_LIMITS = PlatformLimits(
    max_text=2000,
    per_chat=(Window(5, 5.0),),
    global_=(Window(50, 1.0),),
    max_buttons=25,
)
CONSOLE_LIMITS = PlatformLimits(max_text=1_000_000)


@runtime_checkable
class Adapter(Protocol):
    """One chat platform: start/stop its connection, send one rendered message, route commands."""

    platform: str
    limits: PlatformLimits

    async def start(self, on_request: OnRequest) -> None:
        """Connect and begin turning incoming commands and button presses into `Request`s."""

    async def stop(self) -> None:
        """Disconnect; safe to call twice or without start()."""

    async def send(self, chat_id: str, message: OutMessage) -> str:
        """Send one message; return the platform's message id or raise a bot.delivery.errors error."""


@dataclass(frozen=True)
class ParamSpec:
    """One optional or required positional argument of a chat command."""

    name: str
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class CommandSpec:
    """A chat command as adapters register it (Telegram setMyCommands, Discord slash commands)."""

    name: str
    description: str
    params: tuple[ParamSpec, ...] = ()


def _text(value: object, language: str) -> str:
    if isinstance(value, dict):
        return str(value.get(language) or next(iter(value.values()), ""))
    return str(value or "")


def command_specs(commands: object = None, language: str = "en") -> list[CommandSpec]:
    """Normalise (name, description, params) tuples or catalog entries; None reads handlers.catalog."""
    if commands is None:
        try:
            from handlers.catalog import CATALOG  # the service area's one table of commands
        except ImportError:
            return []
        commands = list(CATALOG.values())
    specs: list[CommandSpec] = []
    for entry in commands:  # type: ignore[attr-defined]
        if isinstance(entry, CommandSpec):
            specs.append(entry)
            continue
        if isinstance(entry, tuple):
            name, description, params = (tuple(entry) + ((),))[:3]
        else:
            name, description, params = entry.name, entry.description, getattr(entry, "params", ())
        out: list[ParamSpec] = []
        for p in params or ():
            if isinstance(p, str):
                out.append(ParamSpec(p))
            elif isinstance(p, tuple):
                out.append(ParamSpec(str(p[0]), _text(p[1] if len(p) > 1 else "", language), bool(p[2]) if len(p) > 2 else False))
            else:
                out.append(ParamSpec(p.name, _text(p.description, language), bool(getattr(p, "required", False))))
        specs.append(CommandSpec(str(name), _text(description, language), tuple(out)))
    return specs


def localized_specs(commands: object = None) -> dict[str, list[CommandSpec]]:
    """The command specs once per language the bot speaks, for per-language command menus."""
    return {language: command_specs(commands, language) for language in LANGUAGES}


def parse_payload(payload: object) -> tuple[str, tuple[str, ...]] | None:
    """A button payload the bot issued ("more:12") → the command and args it stands for; None for
    anything else (forged or stale data runs nothing). The one decoder is bot/digest/buttons.py."""
    press = buttons.decode(payload)
    return None if press is None else (press.command, press.args)


def decode_press(payload: object, chosen: object = None) -> buttons.Press | None:
    """A button payload (with a select menu's chosen values) the bot issued → the press, whose
    command and args the adapter turns into a Request marked with the action; None otherwise."""
    return buttons.decode(payload, chosen)


def expired_button(language: str | None) -> str:
    """What a user sees after pressing a button whose payload the bot does not accept."""
    from handlers.strings import t  # lazy, like apology(): handlers import much of the bot

    return t(language or LANGUAGES[0], "button_expired")


def client_language(code: str | None) -> str | None:
    """A platform locale ("zh-hans", "en-US") → "zh" / "en" / None."""
    if not code:
        return None
    head = code.lower()[:2]
    return head if head in ("zh", "en") else None


def apology(language: str | None) -> str:
    """The handlers' fixed apology in the request's language, for a handler that raised anyway."""
    from handlers.errors import apology as handlers_apology  # lazy: handlers import much of the bot

    return handlers_apology(language or LANGUAGES[0])


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Split escaped reply text at line breaks so each part measures ≤ limit (never inside &amp;)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while measure(line) > limit:  # one huge line: cut it
            cut = min(len(line), limit)
            while measure(line[:cut]) > limit - 1:
                cut -= 1
            head, line = line[:cut], line[cut:]
            if "&" in head[-8:]:  # do not cut inside an entity such as &amp;
                amp = head.rfind("&")
                head, line = head[:amp], head[amp:] + line
            parts.append(head)
        candidate = f"{current}\n{line}" if current else line
        if measure(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts or [""]

