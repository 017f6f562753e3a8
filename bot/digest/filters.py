"""Per-subscription filters (sections, include and exclude keywords): validated in one place, applied
to a stored digest at delivery, so one build serves every chat whatever it filters.

Matching is case-insensitive (after NFKC, so full-width ＧＰＴ is GPT) on an item's title, key points
and source. A keyword with Chinese, Japanese or Korean characters matches as a substring (those
scripts have no spaces between words); any other keyword matches whole words only, so `AI` finds
"AI-powered" and "AI。" but not "OpenAI" or "said". Include keeps items that match any include word;
exclude then drops items that match any exclude word. Limits: at most MAX_KEYWORDS words per list,
each at most MAX_KEYWORD_CHARS characters with at least one letter or digit.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from bot.digest.builder import compute_stats
from bot.digest.ranking import is_roundup_item
from bot.digest.strings import t
from bot.models import Digest, DigestItem, DigestSection, Highlight, OutMessage, Subscription

MAX_KEYWORDS = 50  # per list (include, exclude)
MAX_KEYWORD_CHARS = 64

# Scripts written without spaces between words: their keywords match as substrings.
_SPACELESS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_SPACELESS_CHAR = re.compile(f"[{_SPACELESS}]")
# What continues a Latin (Cyrillic, Greek …) word: a letter, digit or _ that is not one of those.
_EDGE = f"[^\\W{_SPACELESS}]"
_WORD_CHAR = re.compile(r"[^\W_]")
_STATS_FROM_ITEMS = (
    "articles", "sources", "original_chars", "summary_chars", "reading_minutes",
    "efficiency_percent", "duplicates_merged", "offline_summaries",
)

Render = Callable[[Digest], Sequence[OutMessage]]


class FilterError(ValueError):
    """A filter the chat or the CLI cannot have: a key and parameters (see bot/digest/strings.py),
    so each side can say it in the user's language."""

    def __init__(self, key: str, **kw: Any) -> None:
        super().__init__(key)
        self.key = key
        self.kw = kw

    def message(self, language: str) -> str:
        """The one-sentence reason in `language`."""
        kw = dict(self.kw)
        if "which" in kw:
            kw["which"] = t(language, f"filter_{kw['which']}")
        return t(language, self.key, **kw)

    def __str__(self) -> str:
        return self.message("en")


@dataclass(frozen=True)
class Filters:
    """What one subscription keeps of a digest; empty tuples mean no filter of that kind."""

    sections: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def of(cls, sub: Subscription) -> Filters:
        return cls(tuple(sub.sections), tuple(sub.include), tuple(sub.exclude))

    def active(self) -> bool:
        return bool(self.sections or self.include or self.exclude)


# ---------------------------------------------------------------- validation


def normalize_keyword(word: str) -> str:
    """A keyword as stored: NFKC, control characters dropped, inner whitespace collapsed."""
    text = unicodedata.normalize("NFKC", word or "")
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in " \t\n")
    return " ".join(text.split())


def validate_keywords(words: Iterable[str], which: Literal["include", "exclude"]) -> tuple[str, ...]:
    """The keywords to store: normalised, empty ones dropped (so `''` clears a list), duplicates
    (ignoring case) dropped; FilterError names the first that breaks a limit."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in words:
        word = normalize_keyword(raw)
        if not word:
            continue
        if len(word) > MAX_KEYWORD_CHARS:
            raise FilterError("filter_too_long", which=which, limit=MAX_KEYWORD_CHARS, value=word[:20])
        if not _WORD_CHAR.search(word):
            raise FilterError("filter_bad_keyword", which=which, value=word)
        if word.casefold() not in seen:
            seen.add(word.casefold())
            out.append(word)
    if len(out) > MAX_KEYWORDS:
        raise FilterError("filter_too_many", which=which, limit=MAX_KEYWORDS, count=len(out))
    return tuple(out)


def validate_sections(keys: Iterable[str], known: Sequence[str]) -> tuple[str, ...]:
    """Section keys to store (empty: all sections); FilterError names the first unknown key."""
    out: list[str] = []
    for raw in keys:
        key = raw.strip().lower()
        if not key:
            continue
        if key not in known:
            raise FilterError("filter_unknown_section", value=raw.strip(), sections=", ".join(known))
        if key not in out:
            out.append(key)
    return tuple(out)


# ---------------------------------------------------------------- matching


@lru_cache(maxsize=256)
def _matcher(words: tuple[str, ...]) -> Callable[[str], bool]:
    """One compiled test for a list of keywords (cached: every delivery run reuses it)."""
    substrings = tuple(w.casefold() for w in words if _SPACELESS_CHAR.search(w))
    latin = [w for w in words if not _SPACELESS_CHAR.search(w)]
    pattern = None
    if latin:
        alternatives = "|".join(r"\s+".join(re.escape(part.casefold()) for part in w.split()) for w in latin)
        pattern = re.compile(f"(?<!{_EDGE})(?:{alternatives})(?!{_EDGE})")

    def test(text: str) -> bool:
        folded = unicodedata.normalize("NFKC", text).casefold()
        return any(s in folded for s in substrings) or bool(pattern and pattern.search(folded))

    return test


def matches(texts: Iterable[str], words: Sequence[str]) -> bool:
    """True when any keyword of `words` occurs in any of `texts` (see the module docstring)."""
    test = _matcher(tuple(words))
    return any(test(text) for text in texts if text)


def _item_texts(item: DigestItem) -> list[str]:
    return [item.title, *item.points, item.source]


def _keeps(texts: list[str], filters: Filters) -> bool:
    if filters.include and not matches(texts, filters.include):
        return False
    return not (filters.exclude and matches(texts, filters.exclude))


# ---------------------------------------------------------------- applying


def _has_content(digest: Digest) -> bool:
    return bool(digest.items()) or bool(digest.headlines)


def _highlights(digest: Digest, items: list[DigestItem]) -> tuple[Highlight, ...]:
    """The surviving highlights, topped up to the same count in the builder's rank order."""
    kept_ids = {i.id for i in items}
    out = [h for h in digest.highlights if h.id in kept_ids]
    taken = {h.id for h in out}
    ranked = sorted(
        (i for i in items if i.id not in taken),
        key=lambda i: (
            is_roundup_item(i), -i.importance, -len(i.also), -i.published.timestamp(), i.id,
        ),
    )
    for item in ranked[: max(0, len(digest.highlights) - len(out))]:
        out.append(Highlight(id=item.id, title=item.title, emoji=item.emoji))
    return tuple(out)


def apply_filters(digest: Digest, filters: Filters) -> Digest:
    """The digest as this subscription should see it: the digest itself when nothing is filtered
    out, else a copy whose sections, highlights, headlines and header figures agree."""
    if not filters.active():
        return digest
    wanted = set(filters.sections)
    sections: list[DigestSection] = []
    for section in digest.sections:
        if wanted and section.key not in wanted:
            continue
        items = tuple(i for i in section.items if _keeps(_item_texts(i), filters))
        if items:
            sections.append(dataclasses.replace(section, items=items))
    # Headlines have no section (they were never summarised): a section filter leaves none.
    headlines = tuple(
        h for h in digest.headlines if not wanted and _keeps([h.title, h.source], filters)
    )
    kept = [i for s in sections for i in s.items]
    if len(kept) == len(digest.items()) and len(headlines) == len(digest.headlines):
        return digest
    # Merged reports of what is left: its items' other sources (never more than the whole day's).
    duplicates = min(digest.stats.duplicates_merged, sum(len(i.also) for i in kept))
    computed = compute_stats(kept, duplicates, digest.stats.feeds_failed, digest.language)
    changes: dict[str, Any] = {name: getattr(computed, name) for name in _STATS_FROM_ITEMS}
    changes["headlines"] = len(headlines)
    replaced: dict[str, Any] = {
        "sections": tuple(sections),
        "highlights": _highlights(digest, kept),
        "stats": dataclasses.replace(digest.stats, **changes),
        "headlines": headlines,
    }
    return dataclasses.replace(digest, **replaced)


def nothing_matched(language: str) -> OutMessage:
    """The one message a chat gets when its filters left nothing of a non-empty digest (plain
    words, no markup, so it is valid as Telegram HTML, Discord content and console text alike)."""
    return OutMessage(text=t(language, "nothing_matched"))


def filtered_renderer(render: Render, filters: Filters) -> Callable[[Digest], list[OutMessage]]:
    """`render` applied to the digest as `filters` leave it, or the one "nothing matched" line."""

    def run(digest: Digest) -> list[OutMessage]:
        kept = apply_filters(digest, filters)
        if kept is not digest and not _has_content(kept) and _has_content(digest):
            return [nothing_matched(digest.language)]
        return list(render(kept))

    return run
