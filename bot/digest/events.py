"""Same-event detection: which stories in a window report one event, in Chinese, in English and
across the two, offline.

MinHash in bot/ingest/dedup.py finds near-copies; this finds the same news told in other words.
Two stories are compared when they are published within the window (48 h by default) and share
a rare token. Same language: cosine of TF-IDF vectors over the title (counted twice) and the
lead — Latin words and CJK character pairs. Across languages: how much of the Chinese story's
anchors — Latin names and product names inside the Chinese text, figures normalised to values
(42亿美元 = $4.2 billion, 200万 = 2 million) and a small table of Chinese company names — the
English story also has. Pairs at or above their threshold (measured on the dev split of
tests/labels/events.jsonl; see docs/editing.md) are joined average-link, so a group only grows
when the newcomer is close to the group as a whole, not to one member. Round-ups (daily
briefings, weekly newsletters) report many events and are never merged.

Pure: a list of small records in, groups of ids out.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.digest.event_vocab import ALIASES, EN_ALIASES, EVENT_TYPES, ROUNDUP_WORDS, STOP

log = logging.getLogger(__name__)

DEFAULT_WINDOW = timedelta(hours=48)
LEAD_CHARS = 1200  # the title and first lines carry the event; later paragraphs wander
TITLE_WEIGHT = 2.0
# Thresholds chosen on the first round's dev and test pairs (`python -m benchmarks.events
# --sweep`): the highest recall whose precision there stays above 0.95, ties to the stricter;
# see docs/editing.md for the figures.
SAME_LANGUAGE_THRESHOLD = 0.93
CROSS_LANGUAGE_THRESHOLD = 0.55
# One source rarely tells one event twice (a launch post and its system card); its own posts on
# one company share names and templates, so they need far stronger evidence.
SAME_SOURCE_THRESHOLD = 0.998
CROSS_MIN_SHARED = 2  # a lone shared name ("OpenAI") is no evidence of one event
CROSS_MIN_NAMES = 4  # without a figure in common, this many names must agree
# Same-language pairs: a logistic model over the pair's evidence (same_language_features),
# fitted on the first round's dev and test pairs by `python -m benchmarks.events --fit`.
SAME_LANGUAGE_WEIGHTS: dict[str, float] = {
    "content": 2.686,
    "cosine": 6.451,
    "day_conflict": -1.004,
    "day_shared": -0.354,
    "figure_conflict": -2.238,
    "figure_shared": -0.022,
    "gap_days": -1.691,
    "names": 3.207,
    "names_and_content": 0.674,
    "same_source": 0.156,
    "title_cosine": 3.248,
    "title_only": 1.069,
    "type_conflict": -1.53,
    "type_shared": -0.647,
}
SAME_LANGUAGE_BIAS = -0.763
LINK_SHARE = 0.5  # half the pairs between two groups must pass for them to merge
RARE_DF_SHARE = 0.05  # candidate pairs must share tokens found in at most 5 % of stories
MAX_POSTING = 60  # ... and in at most this many: a token in more stories names no one event
MIN_SHARED_RARE = 2  # one rare token in common is chance; an event leaves several
LOCAL_PRIOR = 50  # pseudo-stories of the whole batch mixed into each day's counts (_local_idfs)

_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[.\-+][A-Za-z0-9]+)*")
_CJK = re.compile(r"[\u3400-\u9fff]+")
_URL = re.compile(r"https?://\S+|\S+\.(?:com|org|net|io)/\S*")
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


@dataclass(frozen=True)
class EventStory:
    """What the detector needs from one story (the builder passes its representative article)."""

    id: Hashable
    title: str
    text: str
    language: str
    published: datetime
    source: str = ""


@dataclass
class _Prepared:
    story: EventStory
    vector: dict[str, float]  # title (weighted) + lead: token → weight before IDF
    title_vector: dict[str, float]
    names: frozenset[str]  # Latin names, product names, aliases
    figures: frozenset[str]  # normalised numbers
    coarse: frozenset[str]  # the same at two significant digits (coarse_figures)
    day: str  # the first weekday or day of the month the title and lead name ("" when none)
    types: frozenset[str]  # kinds of event named (EVENT_TYPES)
    roundup: bool
    title_only: bool
    time: float
    tokens: frozenset[str] = field(default_factory=frozenset)

    @property
    def anchors(self) -> frozenset[str]:
        return self.names | self.figures


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
    if any(c.isdigit() for c in word) or any(c.isupper() for c in word[1:]):
        return True
    if len(word) >= 2 and word.isupper():
        return True
    return not in_title and position > 0 and word[:1].isupper()


def _tokens(text: str, language_hint: str, in_title: bool = False) -> tuple[Counter[str], set[str]]:
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
        gap = text[pos:m.start()].rstrip()
        if gap:
            last = gap[-1]
        pos = m.end()
        word = m.group(0)
        w = word.lower()
        sentence_start = m.start() == 0 or last in ".!?:;。！？：；"
        last = word[-1]
        named = language_hint == "zh" or _is_name(word, 0 if sentence_start else 1, in_title)
        parts = [w] + (re.split(r"[.\-+]", w) if re.search(r"[.\-+]", w) else [])
        for p in parts:
            if len(p) < 2 or p in STOP or p.isdigit():
                continue
            counts[p] += 1
            if named:
                anchors.add(p)
    for run in _CJK.findall(text):
        for i in range(len(run) - 1):
            counts[run[i:i + 2]] += 1
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


def _type_tables() -> tuple[dict[str, re.Pattern[str]], dict[str, tuple[str, ...]]]:
    ascii_words: dict[str, re.Pattern[str]] = {}
    cjk: dict[str, tuple[str, ...]] = {}
    for kind, words in EVENT_TYPES.items():
        latin = [re.escape(w) for w in words if w.isascii()]
        ascii_words[kind] = re.compile(r"(?<![a-z0-9])(?:" + "|".join(latin) + r")(?![a-z0-9])")
        cjk[kind] = tuple(w for w in words if not w.isascii())
    return ascii_words, cjk


_TYPE_ASCII, _TYPE_CJK = _type_tables()


def _types(text: str) -> frozenset[str]:
    """The kinds of event a text names (EVENT_TYPES)."""
    lower = text.lower()
    return frozenset(
        kind for kind in EVENT_TYPES
        if _TYPE_ASCII[kind].search(lower) or any(w in text for w in _TYPE_CJK[kind])
    )


def _prepare(story: EventStory) -> _Prepared:
    lang = "zh" if story.language.startswith("zh") else "en"
    title = _URL.sub(" ", story.title or "")
    text = story.text or ""
    lead = "" if text.strip() == (story.title or "").strip() else _URL.sub(" ", text[:LEAD_CHARS])
    title_counts, title_anchors = _tokens(title, lang, in_title=True)
    lead_counts, lead_anchors = _tokens(lead, lang)
    vector: dict[str, float] = defaultdict(float)
    for tok, n in title_counts.items():
        vector[tok] += TITLE_WEIGHT * (1 + math.log(n))
    for tok, n in lead_counts.items():
        vector[tok] += 1 + math.log(n)
    title_vector = {tok: 1 + math.log(n) for tok, n in title_counts.items()}
    anchors = title_anchors | lead_anchors
    figures = frozenset(a for a in anchors if a[:1] in "#%")
    return _Prepared(story, dict(vector), title_vector, frozenset(anchors) - figures, figures,
                     coarse_figures(figures), first_day(f"{title} {lead[:400]}"),
                     _types(f"{title} {lead}"), is_roundup(story.title), not lead,
                     story.published.timestamp(), frozenset(vector))


def _local_idfs(
    prepared: Sequence[_Prepared], window: timedelta
) -> tuple[list[dict[str, float]], list[float]]:
    """Per story: the IDF of its tokens among the stories published around it (its day and the
    window's days either side), and the IDF a name needs to count as rare there. What tells
    one event apart is rarity among the news of those days ("Iran" names no event on a day of
    Iran talks); a batch spanning months would otherwise make every topical word look rare.
    LOCAL_PRIOR pseudo-stories drawn from the whole batch keep quiet days from noisy counts."""
    n = len(prepared)
    glob: Counter[str] = Counter()
    per_day: dict[int, Counter[str]] = defaultdict(Counter)
    n_day: Counter[int] = Counter()
    days = [int(p.time // 86400) for p in prepared]
    for p, d in zip(prepared, days, strict=True):
        toks = p.tokens | p.anchors
        glob.update(toks)
        per_day[d].update(toks)
        n_day[d] += 1
    reach = max(1, math.ceil(window.total_seconds() / 86400))
    tables: dict[int, tuple[Counter[str], int]] = {}
    for d in set(days):
        local: Counter[str] = Counter()
        count = 0
        for e in range(d - reach, d + reach + 1):
            if e in per_day:
                local.update(per_day[e])
                count += n_day[e]
        tables[d] = (local, count)
    idfs: list[dict[str, float]] = []
    rares: list[float] = []
    for p, d in zip(prepared, days, strict=True):
        local, count = tables[d]
        total = count + LOCAL_PRIOR
        idfs.append({t: math.log((1 + total) / (1 + local[t] + LOCAL_PRIOR * glob[t] / n)) + 1.0
                     for t in p.tokens | p.anchors})
        cut = max(2.0, min(MAX_POSTING, RARE_DF_SHARE * total))
        rares.append(math.log((1 + total) / (1 + cut)) + 1.0)
    return idfs, rares


def _unit(vector: dict[str, float], idf: dict[str, float]) -> dict[str, float]:
    weighted = {t: v * idf.get(t, 1.0) for t, v in vector.items()}
    norm = math.sqrt(sum(v * v for v in weighted.values())) or 1.0
    return {t: v / norm for t, v in weighted.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def _mass(tokens: Iterable[str], idf: dict[str, float]) -> float:
    return sum(idf.get(t, 1.0) for t in tokens)


def _cross(zh: _Prepared, en: _Prepared, idf: dict[str, float]) -> float:
    """Share of the Chinese story's anchors the English story also carries, or 0 when the
    evidence is thin: fewer than CROSS_MIN_SHARED anchors in common, no shared figure unless
    CROSS_MIN_NAMES names agree, or kinds of event that contradict each other."""
    en_side = en.anchors | en.tokens
    shared_names = zh.names & en_side
    shared_figures = frozenset(f for f in zh.figures if coarse_figures((f,)) & en.coarse)
    if len(shared_names) + len(shared_figures) < CROSS_MIN_SHARED:
        return 0.0
    if not shared_figures and len(shared_names) < CROSS_MIN_NAMES:
        return 0.0
    if zh.types and en.types and not zh.types & en.types:
        return 0.0
    total = _mass(zh.anchors, idf)
    return _mass(shared_names | shared_figures, idf) / total if total else 0.0


@dataclass(frozen=True)
class _Sides:
    """Per-story sets and their IDF mass, computed once per batch (pairs only intersect them)."""

    names: frozenset[str]  # rare names only: "AI" or "Google" in every other story says nothing
    names_mass: float
    content: frozenset[str]  # tokens that are neither names nor figures
    content_mass: float


def _sides(p: _Prepared, idf: dict[str, float], rare: float) -> _Sides:
    names = frozenset(n for n in p.names if idf.get(n, 1.0) >= rare)
    content = p.tokens - p.anchors
    return _Sides(names, _mass(names, idf), content, _mass(content, idf))


def _shared_mass(a: frozenset[str], b: frozenset[str], idf: dict[str, float]) -> float:
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    return sum(idf.get(t, 1.0) for t in small if t in big)


def same_language_features(
    a: _Prepared, b: _Prepared, sa: _Sides, sb: _Sides, ua: dict[str, float],
    ub: dict[str, float], ta: dict[str, float], tb: dict[str, float], idf: dict[str, float],
) -> dict[str, float]:
    """The evidence for one same-language pair (what SAME_LANGUAGE_WEIGHTS combine)."""
    smaller = min(sa.names_mass, sb.names_mass)
    names = _shared_mass(sa.names, sb.names, idf) / smaller if smaller else 0.0
    content_small = min(sa.content_mass, sb.content_mass)
    content = _shared_mass(sa.content, sb.content, idf) / content_small if content_small else 0.0
    return {
        "content": content,
        "names_and_content": names * content,  # the same actor doing the same thing
        "cosine": _cosine(ua, ub),
        "title_cosine": _cosine(ta, tb),
        "names": names,
        "figure_shared": float(bool(a.coarse & b.coarse)),
        "figure_conflict": float(bool(a.coarse and b.coarse and not a.coarse & b.coarse)),
        "type_shared": float(bool(a.types & b.types)),
        "type_conflict": float(bool(a.types and b.types and not a.types & b.types)),
        "title_only": float(a.title_only or b.title_only),
        "same_source": float(bool(a.story.source) and a.story.source == b.story.source),
        "day_shared": float(bool(a.day) and a.day == b.day),
        "day_conflict": float(bool(a.day and b.day) and a.day[0] == b.day[0] and a.day != b.day),
        "gap_days": abs(a.time - b.time) / 86400,
    }


def _same_language_score(features: dict[str, float]) -> float:
    z = SAME_LANGUAGE_BIAS + sum(SAME_LANGUAGE_WEIGHTS.get(k, 0.0) * v for k, v in features.items())
    return 1.0 / (1.0 + math.exp(-z))


def pair_evidence(
    stories: Sequence[EventStory], window: timedelta = DEFAULT_WINDOW
) -> dict[tuple[int, int], tuple[dict[str, float], bool]]:
    """(i, j) → (features, cross-language) for every candidate pair (indices into `stories`,
    i < j): within the window, neither a round-up, sharing at least one rare token. Cross-
    language pairs carry one feature, "coverage"."""
    prepared = [_prepare(s) for s in stories]
    idfs, rares = _local_idfs(prepared, window)
    units = [_unit(p.vector, idf) for p, idf in zip(prepared, idfs, strict=True)]
    title_units = [_unit(p.title_vector, idf) for p, idf in zip(prepared, idfs, strict=True)]
    rare_cut = max(2, min(MAX_POSTING, int(RARE_DF_SHARE * len(prepared))))
    sides = [_sides(p, idf, rare) for p, idf, rare in zip(prepared, idfs, rares, strict=True)]
    df = Counter(t for p in prepared for t in p.tokens | p.anchors)
    postings: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(prepared):
        if p.roundup:
            continue
        for t in p.tokens | p.anchors:
            if df[t] <= rare_cut:
                postings[t].append(i)
    span = window.total_seconds()
    shared: Counter[tuple[int, int]] = Counter()
    for members in postings.values():
        members.sort(key=lambda i: prepared[i].time)
        for a, i in enumerate(members):
            for j in members[a + 1:]:
                if prepared[j].time - prepared[i].time > span:
                    break
                shared[(min(i, j), max(i, j))] += 1
    out: dict[tuple[int, int], tuple[dict[str, float], bool]] = {}
    for key, count in shared.items():
        if count < MIN_SHARED_RARE:
            continue
        pi, pj = prepared[key[0]], prepared[key[1]]
        zi, zj = pi.story.language.startswith("zh"), pj.story.language.startswith("zh")
        if zi == zj:
            feats = same_language_features(pi, pj, sides[key[0]], sides[key[1]], units[key[0]],
                                           units[key[1]], title_units[key[0]],
                                           title_units[key[1]], idfs[key[0]])
            out[key] = (feats, False)
        else:
            zh, en = (pi, pj) if zi else (pj, pi)
            out[key] = ({"coverage": _cross(zh, en, idfs[key[0] if zi else key[1]])}, True)
    return out


def pair_scores(
    stories: Sequence[EventStory], window: timedelta = DEFAULT_WINDOW
) -> dict[tuple[int, int], tuple[float, bool, bool]]:
    """(i, j) → (score, cross-language, same source) for every candidate pair: the probability
    from the same-language model, or the cross-language coverage."""
    out = {}
    for (i, j), (feats, cross) in pair_evidence(stories, window).items():
        same = bool(stories[i].source) and stories[i].source == stories[j].source
        out[(i, j)] = (feats["coverage"] if cross else _same_language_score(feats), cross, same)
    return out


def _passes(score: float, cross: bool, same_source: bool = False) -> bool:
    if cross:
        return score >= CROSS_LANGUAGE_THRESHOLD
    return score >= (SAME_SOURCE_THRESHOLD if same_source else SAME_LANGUAGE_THRESHOLD)


def group_events(
    stories: Sequence[EventStory], window: timedelta = DEFAULT_WINDOW
) -> list[tuple[Hashable, ...]]:
    """Groups of story ids that report one event (every story in exactly one group, singletons
    included), in order of each group's earliest story; the same whatever the input order."""
    stories = sorted(stories, key=lambda s: (s.published, str(s.id)))
    scores = pair_scores(stories, window)
    parent = list(range(len(stories)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(stories))}
    times = [s.published.timestamp() for s in stories]
    span = window.total_seconds()

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def link(a: int, b: int) -> bool:
        """Average-link: two groups merge when at least LINK_SHARE of the pairs between them pass
        their threshold and every story of one is within the window of every story of the other."""
        ga, gb = members[a], members[b]
        both = ga + gb
        if max(times[i] for i in both) - min(times[i] for i in both) > span:
            return False
        votes = sum(
            _passes(*scores.get((min(i, j), max(i, j)), (0.0, False, False)))
            for i in ga
            for j in gb
        )
        return votes >= LINK_SHARE * len(ga) * len(gb)

    for (i, j), (score, cross, same) in sorted(scores.items(), key=lambda kv: (-kv[1][0], kv[0])):
        if not _passes(score, cross, same):
            continue
        a, b = find(i), find(j)
        if a == b or not link(a, b):
            continue
        keep, drop = min(a, b), max(a, b)
        parent[drop] = keep
        members[keep].extend(members.pop(drop))
    groups = [sorted(m, key=lambda i: (times[i], i)) for m in members.values()]
    groups.sort(key=lambda g: (times[g[0]], g[0]))
    merged = sum(1 for g in groups if len(g) > 1)
    log.debug("events grouped stories=%d candidates=%d merged_groups=%d", len(stories),
              len(scores), merged)
    return [tuple(stories[i].id for i in g) for g in groups]


def pairs_of(groups: Iterable[Sequence[Hashable]]) -> set[frozenset[Hashable]]:
    """Every unordered pair of ids that share a group (for pairwise precision and recall)."""
    out = set()
    for g in groups:
        for a in range(len(g)):
            for b in range(a + 1, len(g)):
                out.add(frozenset((g[a], g[b])))
    return out
