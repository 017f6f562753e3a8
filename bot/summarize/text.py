"""Sentence splitting and tokenising for Chinese and English, shared by both summarizers."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{_CJK}]")
_CJK_RUN = re.compile(f"[{_CJK}]+")
# A terminator, then any closing quotes/brackets that belong to the sentence it ends.
_TERMINATOR = re.compile(r"(?:[。！？；]+|…{2,}|\.{3,}|[.!?]+)[”’」』）》)\]\"']*")
_CLOSERS = "”’」』）》)]\"'"
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:['’\-][a-z0-9]+)*")
_WORD_BEFORE = re.compile(r"(\S+)$")

ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st vs etc e.g i.e inc ltd co corp jan feb mar apr jun jul aug sep
    sept oct nov dec u.s u.k u.n no nos fig figs al approx dept est gov gen rep sen lt col sgt capt
    mt ft vol pp ph.d b.a m.a cf ca""".split()
)

EN_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them themselves
    then there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your yours yourself yourselves said says
    say one two new 's n't -lrb- -rrb- lrb rrb `` '' s t will""".split()
)

ZH_STOPWORDS = frozenset(
    """的 了 是 在 和 也 就 都 而 及 与 着 或 一个 没有 我们 你们 他们 她们 它们 我 你 他 她 它 这 那 之
    等 被 把 让 对 从 以 为 于 上 中 下 将 已 已经 并 还 又 但 但是 而且 因为 所以 如果 虽然 可以 可能
    会 能 要 很 更 最 其 其中 这个 那个 这些 那些 这样 那样 什么 怎么 如何 为什么 哪 个 有 无 不 没
    来 去 到 说 表示 认为 进行 通过 由于 此外 以及 之后 之前 目前 同时 一些 一种 自己 该 此 每 各 则
    即 既 若 呢 吗 吧 啊 哦 嗯 着 过 得 地 与其 还是 或者 只是 不是 就是 也是 都是 给 向 跟 比 而是""".split()
)

_jieba_lock = threading.Lock()
_jieba_cut: Callable[[str], list[str]] | None = None


def _cut() -> Callable[[str], list[str]]:
    """Load jieba on first use (never at import time) with its chatty start-up log silenced."""
    global _jieba_cut
    if _jieba_cut is None:
        with _jieba_lock:
            if _jieba_cut is None:
                logging.getLogger("jieba").setLevel(logging.WARNING)
                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba_cut = jieba.lcut
    return _jieba_cut


def has_cjk(text: str) -> bool:
    """True when the text holds any CJK ideograph (decides segmentation and length caps)."""
    return _CJK_RE.search(text) is not None


def cjk_ratio(text: str) -> float:
    """Share of non-space characters that are CJK ideographs."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(1 for c in chars if _CJK_RE.match(c)) / len(chars)


def estimate_tokens(text: str) -> int:
    """A model-independent token estimate: ~1 token per CJK character, ~4 characters per token
    for everything else (close to what OpenAI-style BPE tokenizers give for news text)."""
    cjk = len(_CJK_RE.findall(text))
    return cjk + -(-(len(text) - cjk) // 4)


def chars_within_tokens(text: str, max_tokens: int) -> int:
    """How many leading characters of `text` fit in `max_tokens` by `estimate_tokens`' rule."""
    budget = max_tokens * 4  # in quarter tokens: a CJK character costs 4, anything else 1
    # Every character costs at least 1, so none past `budget` fits; k leading characters with c
    # CJK among them cost k + 3c. Only the CJK characters are visited, found by the regex (in C).
    cjk = 0
    for m in _CJK_RE.finditer(text, 0, max(0, budget)):
        at = m.start()
        if at + 3 * cjk > budget:  # the characters before this one already overflow
            break
        if at + 1 + 3 * (cjk + 1) > budget:  # this one does not fit
            return at
        cjk += 1
    return max(0, min(len(text), budget - 3 * cjk))


def _is_abbreviation(before: str) -> bool:
    m = _WORD_BEFORE.search(before)
    if not m:
        return False
    word = m.group(1).lstrip("(\"'“‘[").lower()
    if word.endswith("."):
        word = word[:-1]
    if word in ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isalpha():  # an initial: "J. K. Rowling"
        return True
    return re.fullmatch(r"(?:[a-z]\.)+[a-z]", word) is not None  # "U.S", "e.g"


def _ends_here(text: str, start: int, end: int) -> bool:
    """Decide whether the terminator text[start:end] really ends a sentence."""
    mark = text[start:end].rstrip(_CLOSERS)
    if any(c in "。！？；…" for c in mark):
        return True
    nxt = text[end] if end < len(text) else ""
    if nxt and not (nxt.isspace() or _CJK_RE.match(nxt)):
        return False  # "3.14", "example.com", "Node.js"
    if mark == "." and nxt and _CJK_RE.match(nxt):
        return False  # "1.为人们…": list numbering inside Chinese text, which ends with 。
    if mark == ".":
        return not _is_abbreviation(text[:start])
    return True


def split_sentences(text: str) -> list[str]:
    """Split Chinese and English text into sentences, keeping abbreviations, decimals and quotes."""
    sentences: list[str] = []
    for block in re.split(r"\n\s*", text or ""):
        block = re.sub(r"\s+", " ", block).strip()
        begin = 0
        for m in _TERMINATOR.finditer(block):
            if _ends_here(block, m.start(), m.end()):
                piece = block[begin : m.end()].strip()
                if piece:
                    sentences.append(piece)
                begin = m.end()
        rest = block[begin:].strip()
        if rest:
            sentences.append(rest)
    return [s for s in sentences if any(c.isalnum() for c in s)]


def tokens(text: str) -> list[str]:
    """Content words: jieba words for CJK runs, lowercase words otherwise; stopwords dropped."""
    out: list[str] = []
    pos = 0
    for m in _CJK_RUN.finditer(text):
        out.extend(_latin(text[pos : m.start()]))
        out.extend(w for w in _cut()(m.group()) if w.strip() and w not in ZH_STOPWORDS)
        pos = m.end()
    out.extend(_latin(text[pos:]))
    return out


def _latin(text: str) -> list[str]:
    return [w for w in _LATIN_WORD.findall(text.lower()) if w not in EN_STOPWORDS]
