"""/settings, /filter, /time and /lang: a chat's subscription shown and changed from the chat.

The settings panel carries buttons (a section menu, the language, pause/resume) whose payloads run
`/settings section KEY on|off`, `/settings sections KEY…`, `/lang zh|en`, `/settings pause` and
`/settings resume`: a press is the command it stands for, checked the same way. Anyone may look;
in groups, channels and servers only chat admins may change anything (as for /subscribe). Every
change answers with the whole panel, which replaces the pressed message where the platform can.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata

from bot.config import parse_hhmm, valid_timezone
from bot.digest.buttons import encode
from bot.digest.filters import (
    MAX_KEYWORD_CHARS,
    MAX_KEYWORDS,
    FilterError,
    validate_keywords,
    validate_sections,
)
from bot.digest.inert import inert_entities
from bot.models import Button, Choice, Reply, Request, Select, Subscription
from bot.services import Services
from handlers.common import can_manage_chat, reply_language
from handlers.errors import LocalizedError, UserError
from handlers.strings import LANGUAGES, t
from handlers.subscriptions import next_digest

log = logging.getLogger(__name__)

PANEL_WORDS_CHARS = 300  # each keyword list in the panel; /filter lists them all
_ECHO = 40  # characters of a bad value quoted back to the user
_TOKEN = re.compile(r'[^\s"]*"[^"]*"?|\S+')  # a word, or a sign and a "quoted phrase"
_SIGNS = {"+": "include", "-": "exclude", "\u2212": "exclude"}  # U+2212: a minus sign typed as such

SETTINGS_USAGE = "/settings [pause | resume | sections KEY…]"
FILTER_USAGE = "/filter [+word] [-word] | /filter clear"
TIME_USAGE = "/time HH:MM [timezone]"
LANG_USAGE = "/lang zh|en"


# ---------------------------------------------------------------- the panel


def _word_list(words: tuple[str, ...], language: str, limit: int | None) -> str:
    """Keywords as the user would type them ("quoted" when they hold spaces), inert in a chat."""
    if not words:
        return t(language, "settings_no_words")
    shown: list[str] = []
    used = 0
    for word in words:
        text = json.dumps(word, ensure_ascii=False) if any(c in word for c in ' ,"') else word
        if limit is not None and shown and used + len(text) > limit:
            return (
                ", ".join(shown)
                + " "
                + t(language, "settings_more_words", count=len(words) - len(shown))
            )
        shown.append(inert_entities(text))
        used += len(text) + 2
    return ", ".join(shown)


def _section_names(services: Services, language: str) -> dict[str, str]:
    return {s.key: s.name_for(language) for s in services.settings.digest.sections}


def _chosen(sub: Subscription, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The configured sections the chat receives (no section filter: all of them)."""
    kept = tuple(k for k in keys if k in sub.sections)
    return kept if sub.sections and kept else keys


def _state(sub: Subscription, language: str) -> str:
    if sub.enabled:
        return t(language, "settings_state_active")
    if sub.disabled_reason in ("paused", "unsubscribed"):
        return t(language, f"settings_state_{sub.disabled_reason}")
    return t(language, "settings_state_stopped")  # a delivery failure: its text is for the log only


def describe(sub: Subscription, services: Services, language: str, *, saved: bool = False) -> str:
    """The panel's text: time and next digest, language, sections, keywords, paused or not."""
    names = _section_names(services, language)
    sections = (
        ", ".join(names.get(k, k) for k in sub.sections)
        if sub.sections
        else t(language, "all_sections")
    )
    lines = [
        t(language, "settings_saved" if saved else "settings_title"),
        t(language, "settings_time_line", time=sub.time, timezone=sub.timezone),
    ]
    if sub.enabled:
        upcoming = next_digest(sub, services, services.now())
        lines.append(t(language, "settings_next", next=upcoming.strftime("%Y-%m-%d %H:%M %Z")))
    lines += [
        t(language, "settings_language_line", language_name=t(language, f"lang_{sub.language}")),
        t(language, "settings_sections_line", sections=sections),
        t(
            language,
            "settings_include_line",
            words=_word_list(sub.include, language, PANEL_WORDS_CHARS),
        ),
        t(
            language,
            "settings_exclude_line",
            words=_word_list(sub.exclude, language, PANEL_WORDS_CHARS),
        ),
        _state(sub, language),
    ]
    return "\n".join(lines)


def panel(sub: Subscription, services: Services, language: str, *, saved: bool = False) -> Reply:
    """The settings message with its controls: the section menu (Discord) or toggles (Telegram),
    the other language, and pause or resume."""
    keys = services.settings.section_keys()[:25]  # a Discord menu holds 25 options
    names = _section_names(services, language)
    chosen = _chosen(sub, keys)
    options = tuple(
        Choice(
            label=names.get(key, key),
            value=key,
            selected=key in chosen,
            toggle=encode("sec", key, "off" if key in chosen else "on"),
        )
        for key in keys
    )
    menu = Select(
        payload=encode("secs"),
        options=options,
        placeholder=t(language, "settings_sections_placeholder"),
        min_values=1,
        max_values=len(options),
    )
    other = (
        next(code for code in LANGUAGES if code != sub.language)
        if sub.language in LANGUAGES
        else "en"
    )
    buttons = (
        Button(label=t(language, f"settings_to_{other}"), payload=encode("lang", other)),
        Button(label=t(language, "settings_pause"), payload=encode("pause"))
        if sub.enabled
        else Button(label=t(language, "settings_resume"), payload=encode("resume")),
    )
    text = describe(sub, services, language, saved=saved)
    return Reply(text=text, buttons=buttons, selects=(menu,), replace=True)


# ---------------------------------------------------------------- who may change what


def _managed(request: Request, services: Services) -> Subscription:
    """This chat's subscription, for a user who may change it (the rule /subscribe uses)."""
    if not can_manage_chat(request, services):
        raise UserError("not_chat_admin")
    sub = services.store.find_subscription(request.platform, request.chat_id)
    if sub is None:
        raise UserError("not_subscribed")
    return sub


def _saved(request: Request, services: Services, sub: Subscription | None, what: str) -> Reply:
    """The panel after a change, in the chat's (possibly new) language."""
    assert sub is not None  # it existed a moment ago and only this chat's admins remove it
    log.info(
        "settings.changed sub=%d platform=%s chat=%s user=%s what=%s press=%s",
        sub.id,
        request.platform,
        request.chat_id,
        request.user_id,
        what,
        request.press or "-",
    )
    return panel(sub, services, reply_language(request, services), saved=True)


# ---------------------------------------------------------------- /settings and its buttons


def _sections_of(keys: list[str], services: Services) -> tuple[str, ...]:
    """Sections to store: known keys in the config's order; every one of them is stored as "all"."""
    try:
        wanted = set(validate_sections(keys, services.settings.section_keys()))
    except FilterError as exc:
        raise LocalizedError(exc) from None
    if not wanted:
        raise UserError("settings_last_section")
    ordered = tuple(k for k in services.settings.section_keys() if k in wanted)
    return () if len(ordered) == len(services.settings.section_keys()) else ordered


def _toggle(sub: Subscription, args: tuple[str, ...], services: Services) -> tuple[str, ...]:
    """One section switched on or off (a Telegram toggle): the sections to store."""
    if len(args) != 2 or args[1] not in ("on", "off"):
        raise UserError("usage", usage=SETTINGS_USAGE)
    keys = services.settings.section_keys()
    try:
        (key,) = validate_sections([args[0]], keys) or ("",)
    except FilterError as exc:  # a section the config no longer has
        raise LocalizedError(exc) from None
    current = set(_chosen(sub, keys))
    wanted = current | {key} if args[1] == "on" else current - {key}
    return _sections_of(sorted(wanted), services)


async def settings(request: Request, services: Services) -> Reply:
    """Show this chat's settings (anyone may look); with arguments, what a panel button sends."""
    language = reply_language(request, services)
    if not request.args:
        sub = services.store.find_subscription(request.platform, request.chat_id)
        if sub is None:
            cfg = services.settings
            return Reply(
                text=t(
                    language,
                    "settings_none",
                    time=cfg.chat.default_time,
                    timezone=cfg.digest.timezone,
                    language_name=t(language, f"lang_{language}"),
                )
            )
        return panel(sub, services, language)
    operation, rest = request.args[0].lower(), request.args[1:]
    if operation not in ("pause", "resume", "section", "sections") or (
        operation in ("pause", "resume") and rest
    ):
        raise UserError("usage", usage=SETTINGS_USAGE)
    sub = _managed(request, services)
    store, now = services.store, services.now()
    if operation == "pause":
        if sub.enabled:
            store.disable_subscription(sub.id, "paused")
            services.refresh_schedule()
    elif operation == "resume":
        if not sub.enabled:
            store.resume_subscription(sub.id, at=now)  # the days missed while paused are not owed
            services.refresh_schedule()
    else:
        if operation == "section":
            sections = _toggle(sub, rest, services)
        else:  # the Discord menu's choice, or typed: `sections products,tutorials`
            sections = _sections_of([key for arg in rest for key in arg.split(",")], services)
        store.update_subscription(sub.id, sections=sections)
    return _saved(request, services, store.get_subscription(sub.id), operation)


# ---------------------------------------------------------------- /filter


def _filter_words(text: str) -> dict[str, list[str]]:
    """`+word -word +"a phrase"` → the words to include and to exclude; a word without a sign is
    the user's mistake (saying which sign it needs)."""
    found: dict[str, list[str]] = {"include": [], "exclude": []}
    for token in _TOKEN.findall(text):
        sign = unicodedata.normalize(
            "NFKC", token[0]
        )  # a full-width ＋ or － from a Chinese keyboard
        word = token[1:]
        if len(word) >= 2 and word[0] == '"':
            word = word[1:-1] if word.endswith('"') else word[1:]
        if sign not in _SIGNS or not word.strip():
            raise UserError("filter_sign", value=token[:_ECHO])
        found[_SIGNS[sign]].append(word)
    return found


def _show_filters(sub: Subscription, language: str) -> Reply:
    lines = [
        t(language, "filter_title"),
        t(language, "settings_include_line", words=_word_list(sub.include, language, None)),
        t(language, "settings_exclude_line", words=_word_list(sub.exclude, language, None)),
        t(language, "filter_help", limit=MAX_KEYWORDS, chars=MAX_KEYWORD_CHARS),
    ]
    return Reply(text="\n".join(lines))


async def filter_(request: Request, services: Services) -> Reply:
    """Show the keyword filters (anyone), add include (+) / exclude (-) words, or clear them all."""
    language = reply_language(request, services)
    if not request.args:
        sub = services.store.find_subscription(request.platform, request.chat_id)
        if sub is None:
            raise UserError("not_subscribed")
        return _show_filters(sub, language)
    sub = _managed(request, services)
    text = " ".join(request.args).strip()
    if text.lower() == "clear":
        include: tuple[str, ...] = ()
        exclude: tuple[str, ...] = ()
    else:
        added = _filter_words(text)
        # A word moves to the list its sign names: it is never kept and dropped at once.
        plus = {w.casefold().strip() for w in added["include"]}
        minus = {w.casefold().strip() for w in added["exclude"]}
        try:
            include = validate_keywords(
                [w for w in sub.include if w.casefold() not in minus] + added["include"], "include"
            )
            exclude = validate_keywords(
                [w for w in sub.exclude if w.casefold() not in plus] + added["exclude"], "exclude"
            )
        except FilterError as exc:
            raise LocalizedError(exc) from None
    services.store.update_subscription(sub.id, include=include, exclude=exclude)
    return _saved(request, services, services.store.get_subscription(sub.id), "filter")


# ---------------------------------------------------------------- /time and /lang


def parse_time_args(args: tuple[str, ...]) -> tuple[str, str | None]:
    """`HH:MM [zone]` → ("08:30", "Europe/Berlin" or None); a UserError names the bad value."""
    if not 1 <= len(args) <= 2:
        raise UserError("usage", usage=TIME_USAGE)
    parsed = parse_hhmm(args[0])
    if parsed is None:
        raise UserError("bad_time", value=args[0][:_ECHO])
    zone = None
    if len(args) == 2:
        value = args[1].strip()
        if not valid_timezone(value):
            raise UserError("bad_timezone", value=value[:_ECHO])
        zone = "UTC" if value.upper() == "UTC" else value
    return f"{parsed[0]:02d}:{parsed[1]:02d}", zone


async def time_(request: Request, services: Services) -> Reply:
    """Move the daily digest to HH:MM (and a zone); a slot already passed today is not owed."""
    sub = _managed(request, services)
    hhmm, zone = parse_time_args(tuple(a for a in request.args if a.strip()))
    # `at`: a moved subscription owes nothing for slots before now (see schedule_from).
    services.store.update_subscription(sub.id, time=hhmm, timezone=zone, at=services.now())
    services.refresh_schedule()
    return _saved(request, services, services.store.get_subscription(sub.id), "time")


async def lang(request: Request, services: Services) -> Reply:
    """The digest's language (zh or en); the panel answers in it."""
    sub = _managed(request, services)
    value = request.args[0].strip().lower() if len(request.args) == 1 else ""
    if value not in LANGUAGES:
        raise UserError("bad_lang")
    services.store.update_subscription(sub.id, language=value)
    return _saved(request, services, services.store.get_subscription(sub.id), "lang")
