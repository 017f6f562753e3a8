"""Text hygiene shared by the builder and every renderer: feed text is untrusted and of any length."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

ELLIPSIS = "…"
# Display caps: a 1 MB feed title must not make a message unsendable.
MAX_TITLE = 200
MAX_SOURCE = 60
MAX_POINT = 600
MAX_URL = 2000

_SPACES = re.compile(r"\s+")
_URL_BAD = {"Cc", "Cs", "Cf", "Zl", "Zp"}  # never inside a link we emit
_SEPARATORS = {"\u2028", "\u2029", "\x85"}


def clean(text: str) -> str:
    """One line of printable text: controls dropped, lone surrogates replaced, whitespace collapsed."""
    if not text:
        return ""
    out: list[str] = []
    for ch in text:
        if ch in _SEPARATORS or ch in "\t\n\r\x0b\x0c":
            out.append(" ")
            continue
        cat = unicodedata.category(ch)
        if cat == "Cs":
            out.append("\ufffd")
        elif cat == "Cc":
            continue
        elif (0xFDD0 <= ord(ch) <= 0xFDEF) or (ord(ch) & 0xFFFE) == 0xFFFE:
            continue  # noncharacters
        else:
            out.append(ch)
    return _SPACES.sub(" ", "".join(out)).strip()


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts its 4096 limit in."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _trim_joiners(text: str) -> str:
    """Drop a dangling zero-width joiner or variation selector left by a cut."""
    while text and (text[-1] in "\u200d\ufe0e\ufe0f" or unicodedata.combining(text[-1])):
        text = text[:-1]
    return text


def clip(text: str, limit: int) -> str:
    """At most `limit` code points, ending in an ellipsis when something was cut."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    return _trim_joiners(text[: limit - 1]).rstrip() + ELLIPSIS


def clip_cost(text: str, budget: int, cost: Callable[[str], int]) -> str:
    """The longest prefix of `text` (plus an ellipsis when cut) whose `cost` fits in `budget`.

    `cost` measures the rendered (escaped) form of one character, so the cut can never fall
    inside an escape sequence or an HTML entity.
    """
    total = sum(cost(ch) for ch in text)
    if total <= budget:
        return text
    room = budget - cost(ELLIPSIS)
    if room < 0:
        return ""
    used = 0
    end = 0
    for i, ch in enumerate(text):
        c = cost(ch)
        if used + c > room:
            break
        used += c
        end = i + 1
    return _trim_joiners(text[:end]) + ELLIPSIS


def safe_url(url: str) -> str | None:
    """The URL when it is a plain http(s) link of sane length without whitespace, else None."""
    url = (url or "").strip()
    if len(url) > MAX_URL or not url.lower().startswith(("http://", "https://")):
        return None
    if any(ch.isspace() or unicodedata.category(ch) in _URL_BAD for ch in url):
        return None
    if len(url) <= len("https://"):
        return None
    return url


def number(n: int) -> str:
    """Thousands-separated integer, as in the example header ("86,412")."""
    return f"{n:,}"
