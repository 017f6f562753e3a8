"""What one story says, read for same-event detection: weighted tokens (Latin words, CJK
character pairs), anchors (names, product names, Chinese↔English aliases, figures normalised to
values in either script), the first day its lead names, the kinds of event it names, and whether
its title is a round-up of many events.

bot/digest/events.py compares stories by what this module reads; nothing here compares two.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

from bot.digest.event_vocab import ALIASES, EN_ALIASES, EVENT_TYPES, ROUNDUP_WORDS, STOP

_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[.\-+][A-Za-z0-9]+)*")
_CJK = re.compile(r"[\u3400-\u9fff]+")
_DIGIT = re.compile(r"[0-9]")
_JOINER = re.compile(r"[.\-+]")  # inside one Latin word: "gpt-4o", "node.js", "claude-3.5"
_NUMBER = re.compile(
    r"(?P<cur>[$€£¥])?\s?(?P<num>\d+(?:[.,]\d+)*)\s?"
    r"(?P<unit>%|percent|亿|万|千|billion|bn|million|thousand|trillion|万亿)?"
    r"(?P<after>[年月日号])?",
    re.IGNORECASE,
)
# Numbers written in Chinese numerals (四点二亿, 三千二百八十万, 百分之三十): read as values so they
# match 4.2亿 and $59 million. A run needs a digit character, so 百度 or 千亿市值 names no figure.
_CN_NUMBER = re.compile(
    r"(?P<pct>百分之)?(?P<num>[零〇一二两三四五六七八九十百千]+(?:点[零〇一二三四五六七八九]+)?)"
    r"(?P<unit>万亿|亿|万)?(?P<after>[年月日号])?"
)
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_TENS = {"十": 10, "百": 100, "千": 1000}
_SCALE = {"亿": 1e8, "万": 1e4, "千": 1e3, "万亿": 1e12, "billion": 1e9, "bn": 1e9,
          "million": 1e6, "thousand": 1e3, "trillion": 1e12}
# The first day a lead names: a weekday ("on Tuesday", 周二) or a day of the month ("June 16",
# 20日). Reports of one event name the same day; the next day's development names another.
_WEEKDAY = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|"
                      r"(?:周|星期|礼拜)([一二三四五六日天])")
_MONTH_DAY = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? (\d{1,2})\b|"
                        r"(?<![\d月])(?:\d{1,2}月)?(\d{1,2})日")
_CN_WEEKDAYS = {"一": "monday", "二": "tuesday", "三": "wednesday", "四": "thursday", "五": "friday",
                "六": "saturday", "日": "sunday", "天": "sunday"}
_DATED_BRIEFING = re.compile(r"[|｜]\s*\d{4}\s*年\s*\d{1,2}\s*月")


def _number_key(m: re.Match[str]) -> str | None:
    """'42亿美元' and '$4.2 billion' → '#4.2e+09'; '30%' → '%30'; years and dates → None."""
    if m.group("after"):
        return None
    raw = m.group("num").replace(",", "")
    try:
        value = float(raw)
    except ValueError:
        return None
    unit = (m.group("unit") or "").lower()
    return _figure_key(value, unit, unit in ("%", "percent"), "." not in raw)


def _figure_key(value: float, unit: str, percent: bool, whole: bool) -> str | None:
    """The key of one figure, whichever script wrote it: a percentage, or a value scaled by its
    unit; a bare year or small count is None (it matches by chance)."""
    if percent:
        return f"%{value:g}"
    if unit:
        value *= _SCALE.get(unit, 1.0)
    elif (1900 <= value <= 2100 and whole) or value < 10:
        return None
    return f"#{value:.3g}"


def _cn_value(numeral: str) -> float | None:
    """三千二百八十 → 3280, 四点二 → 4.2, 十五 → 15; None without a digit, and for digits run
    together without 十/百/千 (二〇三二 is a year, 统一一起 no number at all)."""
    whole, _, frac = numeral.partition("点")
    if not any(c in _CN_DIGITS for c in whole):
        return None
    if not any(c in _CN_TENS for c in whole):
        if len(whole) > 1:
            return None
        value = float(_CN_DIGITS[whole])
    else:
        value, digit = 0.0, 0
        for c in whole:
            if c in _CN_DIGITS:
                digit = _CN_DIGITS[c]
            else:
                value += (digit or 1) * _CN_TENS[c]
                digit = 0
        value += digit
    if frac:
        value += float("0." + "".join(str(_CN_DIGITS[c]) for c in frac))
    return value


def _cn_number_key(m: re.Match[str]) -> str | None:
    """The key of a Chinese-numeral figure, by the same rules as _number_key."""
    if m.group("after"):
        return None
    value = _cn_value(m.group("num"))
    if value is None:
        return None
    return _figure_key(value, m.group("unit") or "", bool(m.group("pct")), "点" not in m.group("num"))


def coarse_figures(figures: Iterable[str]) -> frozenset[str]:
    """Figures at two significant digits: "about 33 million yuan" agrees with 3280万元."""
    out = set()
    for f in figures:
        try:
            out.add(f"{f[0]}{float(f[1:]):.2g}")
        except ValueError:
            continue
    return frozenset(out)


def _is_name(word: str, position: int, in_title: bool) -> bool:
    """An English word that reads as a name: digits or inner capitals (GPT-4o, OpenAI), all caps
    (NASA), or a capital away from the start of a sentence in running text (titles are Title
    Case, so a capital there says nothing)."""
    rest = word[1:]  # _LATIN words are ASCII, so lower() changes capitals and nothing else
    if _DIGIT.search(word) or rest != rest.lower():
        return True
    if len(word) >= 2 and word.isupper():
        return True
    return not in_title and position > 0 and word[:1].isupper()


def read_tokens(text: str, language_hint: str, in_title: bool = False) -> tuple[Counter[str], set[str]]:
    """Weighted tokens of one piece of text, and its anchors (names, figures, aliases)."""
    text = unicodedata.normalize("NFKC", text)
    counts: Counter[str] = Counter()
    anchors: set[str] = set()
    lower = text.lower()
    for m in _NUMBER.finditer(text):
        key = _number_key(m)
        if key:
            counts[key] += 1
            anchors.add(key)
    for m in _CN_NUMBER.finditer(text):
        key = _cn_number_key(m)
        if key:
            counts[key] += 1
            anchors.add(key)
    last = ""  # the last non-space character before the current word
    pos = 0
    for m in _LATIN.finditer(text):
        start = m.start()
        gap = text[pos:start].rstrip()
        if gap:
            last = gap[-1]
        pos = m.end()
        word = m.group(0)
        sentence_start = start == 0 or last in ".!?:;。！？：；"
        last = word[-1]
        w = word.lower()
        parts = [w, *_JOINER.split(w)] if _JOINER.search(w) else [w]
        kept = [p for p in parts if len(p) >= 2 and p not in STOP and not p.isdigit()]
        if not kept:
            continue  # a stop word or a lone letter: no token, and no need to ask if it is a name
        counts.update(kept)
        if language_hint == "zh" or _is_name(word, 0 if sentence_start else 1, in_title):
            anchors.update(kept)
    runs = _CJK.findall(text)
    for run in runs:
        counts.update(map(operator.add, run, run[1:]))  # each pair of neighbouring characters
    if runs:  # every alias is written in Chinese characters
        for zh, canon in ALIASES.items():
            if zh in text:
                anchors.add(canon)
                counts[canon] += 1
    for phrase, canon in EN_ALIASES.items():
        if phrase in lower:
            anchors.add(canon)
    return counts, anchors


def first_day(text: str) -> str:
    """The first weekday ("w:tuesday") or day of the month ("d16") a text names, else ""."""
    lower = unicodedata.normalize("NFKC", text).lower()
    found = []
    m = _WEEKDAY.search(lower)
    if m:
        found.append((m.start(), "w:" + (m.group(1) or _CN_WEEKDAYS[m.group(2)])))
    m = _MONTH_DAY.search(lower)
    if m:
        found.append((m.start(), "d" + str(int(m.group(1) or m.group(2)))))
    return min(found)[1] if found else ""


def is_roundup(title: str) -> bool:
    """A title that lists several events (a daily briefing, a weekly newsletter issue)."""
    t = unicodedata.normalize("NFKC", title or "").lower()
    if any(w in t for w in ROUNDUP_WORDS):
        return True
    if _DATED_BRIEFING.search(t):
        return True  # "… | 2016 年 10 月 26 日": a daily briefing named after its date
    parts = [p for p in re.split(r"[;；|]", t) if len(p.strip()) >= 4]
    return len(parts) >= 3 or (len(parts) >= 2 and bool(re.search(r"(^|\s)(ai日报|日报)", t)))


# A launch's companion document: "Sora System Card", "Addendum to GPT-4o System Card: 4o image
# generation", "Claude 3 model card", "……系统卡". Its subject is what its title names besides the
# document: after the colon when there is one.
_COMPANION = re.compile(r"\b(?:system|model) card\b|\baddendum\b|系统卡|模型卡")
_COMPANION_SUBJECT = re.compile(r"^.*?(?:\b(?:system|model) card\b|系统卡|模型卡)\s*[:：]\s*(.+)$")
_COMPANION_WORDS = frozenset({"to", "the", "for", "of", "and", "a", "an"})
_TITLE_WORD = re.compile(r"[a-z0-9][a-z0-9.+\-]*[a-z0-9]|[a-z0-9]|[\u3400-\u9fff]+")


def is_companion(title: str) -> bool:
    """A title naming a companion document (a system card, a model card, an addendum)."""
    return bool(_COMPANION.search(unicodedata.normalize("NFKC", title or "").lower()))


def companion_of(document: str, launch: str) -> bool:
    """True when `document` is a title naming a companion document (a system card, a model card,
    an addendum) and `launch` is a title that is not one but names everything the document's
    title is about: "ChatGPT agent System Card" and "Introducing ChatGPT agent". Latin words must
    appear as words of `launch`, Chinese runs anywhere in it."""
    doc = unicodedata.normalize("NFKC", document or "").lower()
    other = unicodedata.normalize("NFKC", launch or "").lower()
    if not _COMPANION.search(doc) or _COMPANION.search(other):
        return False
    m = _COMPANION_SUBJECT.match(doc)
    subject = _COMPANION.sub(" ", m.group(1) if m else doc)
    words = [w for w in _TITLE_WORD.findall(subject) if w not in _COMPANION_WORDS]
    if not words:
        return False
    other_words = set(_TITLE_WORD.findall(other))
    return all(w in other if w[0] >= "\u3400" else w in other_words for w in words)


_HEADLINE_WORD = re.compile(r"[\w$'’.\-]+")


def lists_headlines(title: str) -> bool:
    """A title made of three or more headlines joined by commas, each of at least two words and
    each capitalised, with no colon ("Gemini Flash Gets Pricey, AI Act Delays, Agents Drive Online
    Traffic": a newsletter issue). An appositive ("Jesse Jackson, civil rights leader, dies at
    84"), a list inside one sentence ("…, and Claude 3.5 Haiku") or in brackets is not one."""
    t = re.sub(r"\([^()]*\)", " ", unicodedata.normalize("NFKC", title or "")).strip()
    if ":" in t:
        return False
    parts = [p.strip().lstrip("\"'‘“«") for p in t.split(",")]
    if len(parts) < 3:
        return False
    for part in parts:
        words = _HEADLINE_WORD.findall(part)
        if len(words) < 2 or not (part[:1].isupper() or part[:1].isdigit()):
            return False
    return True


def _type_pattern(words: Iterable[str]) -> re.Pattern[str]:
    """One kind's words: English ones as whole words of the lower-cased text, Chinese ones
    anywhere (lower-casing leaves them as they are)."""
    latin = "|".join(re.escape(w) for w in words if w.isascii())
    cjk = "|".join(re.escape(w) for w in words if not w.isascii())
    alternatives = [rf"(?<![a-z0-9])(?:{latin})(?![a-z0-9])"] if latin else []
    return re.compile("|".join(alternatives + ([cjk] if cjk else [])))


_TYPES = {kind: _type_pattern(words) for kind, words in EVENT_TYPES.items()}


def event_kinds(text: str) -> frozenset[str]:
    """The kinds of event a text names (EVENT_TYPES)."""
    lower = text.lower()
    return frozenset(kind for kind, pattern in _TYPES.items() if pattern.search(lower))
