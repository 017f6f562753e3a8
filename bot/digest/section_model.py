"""A small linear section model: features of a title and its lead, one weight table per section.

Why this shape: the four default sections are told apart by what kind of article it is (a launch,
a deal, a how-to, an opinion), which shows in the words of the title and the first lines, in both
languages. A multinomial logistic regression over words, word pairs, CJK characters and
character pairs, plus a few cue classes (launch, money, organisation, how-to, opinion words),
trained on the hand-labelled dev split (tests/labels/sections.jsonl), gets that from a few
hundred examples and scores an item in well under a millisecond. Training is pure Python and
deterministic; `benchmarks/train_sections.py` writes the weights to section_model.json.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

MODEL_FILE = Path(__file__).with_name("section_model.json")
LEAD_CHARS = 300  # the first lines say what kind of article it is; more text only adds noise
CUE_WEIGHT = 2.0  # a cue class stands for many words, so it counts as two ordinary features
# The feed's lean (see `lean`): how much it counts beside the article's own evidence, how many
# pseudo-articles of no lean it is mixed with, and how many of the feed's latest articles make it.
# Chosen by cross-validation on the training splits (docs/editing.md).
LEAN_WEIGHT = 0.5
LEAN_PRIOR = 2.0
LEAN_ARTICLES = 30

_LATIN = re.compile(r"[a-z][a-z0-9+#]*(?:[.-][a-z0-9]+)*")
_CJK = re.compile(r"[\u3400-\u9fff]+")
_VERSION = re.compile(r"[a-z][a-z0-9-]*[ -]?v?\d+(?:\.\d+)+|\bv\d+\b|\d+\.\d+\.\d+")
_MONEY = re.compile(r"[$€¥£]\s?\d|\d\s?(?:亿|万|billion|million|bn\b)")

# Words that mark each kind of article (our own lists, in both languages). ASCII entries match
# whole words; CJK entries match anywhere. The model learns how much each class counts.
CUES: dict[str, tuple[str, ...]] = {
    "release": (
        "introducing", "introduces", "launch", "launches", "launched", "release", "releases",
        "released", "now available", "available", "announcing", "unveils", "debuts", "rolling out",
        "preview", "beta", "version", "update", "new features", "open-source", "open source",
        "goes live", "ships", "hands-on", "review", "price", "pricing", "system card", "api",
        "发布", "推出", "上线", "正式版", "新版", "版本", "开源", "售价", "发售", "首发", "亮相",
        "新品", "功能", "体验", "评测", "上手", "升级", "更新", "预售", "元起", "推送",
    ),
    "money": (
        "raises", "raised", "funding", "series", "valuation", "valued", "investment", "invests",
        "acquire", "acquires", "acquisition", "buys", "deal", "ipo", "revenue", "earnings",
        "profit", "quarter", "quarterly", "shares", "stock", "billion", "million", "fund",
        "融资", "估值", "投资", "收购", "并购", "上市", "财报", "营收", "净利", "利润", "季度",
        "亿元", "万美元", "亿美元", "股价", "市值", "基金", "领投", "跟投",
    ),
    "org": (
        "partner", "partners", "partnership", "collaborate", "agreement", "mou", "appoints",
        "appointed", "joins", "names", "ceo", "board", "resigns", "office", "opens", "layoffs",
        "lawsuit", "sues", "court", "government", "policy", "regulation", "regulators", "ban",
        "fine", "fined", "law", "senate", "commission", "summit", "conference", "program",
        "grants", "uses", "using", "helps", "powered by", "customers", "enterprise",
        "合作", "联手", "签约", "协议", "任命", "加盟", "离职", "辞职", "裁员", "解散", "总裁",
        "董事", "起诉", "诉讼", "法院", "政府", "监管", "政策", "禁止", "罚款", "峰会", "大会",
        "战略", "布局", "扩张", "市场份额", "宣布",
    ),
    "howto": (
        "how to", "how we", "how it works", "tutorial", "guide", "tips", "best practices",
        "building", "explained", "deep dive", "lessons", "learned", "paper", "technique",
        "method", "architecture", "engineering", "postmortem", "ask hn", "breakdown",
        "we present", "we propose", "this paper",
        "教程", "指南", "如何", "怎么", "实践", "入门", "详解", "原理", "机制", "实现", "代码",
        "算法", "优化", "每日一博", "知识库", "架构", "性能", "排障", "论文", "框架", "程序员",
    ),
    "opinion": (
        "i", "my", "we need", "why", "should", "opinion", "thoughts", "essay", "podcast",
        "episode", "interview", "conversation", "future of", "vision", "predictions", "critique",
        "column", "remarks",
        "我", "为什么", "思考", "观点", "看法", "编者按", "本文来自", "本文作者", "作者", "专栏",
        "未来", "趋势", "寒冬", "能否", "故事", "回顾", "风口", "创业者", "文化", "人生",
    ),
}


# Generic words of a feed's name that say what kind of site it is (our own list). Only these words
# of the name count, so the model learns "a changelog", "a research feed", "a deals site", never one
# particular site of the training data.
SOURCE_WORDS: tuple[str, ...] = (
    "blog", "news", "research", "engineering", "changelog", "papers", "publications", "daily",
    "weekly", "podcast", "digest", "trends", "trending", "developer", "developers", "docs", "labs",
    "stories", "newsletter", "review", "reviews", "tech", "world", "magazine", "journal",
    "博客", "新闻", "资讯", "日报", "周刊", "笔记", "软件", "技术", "科技", "论坛", "社区", "值得买",
    "评测", "频道", "读书", "书评", "教程", "数码",
)


def _source_features(source: str, out: dict[str, float]) -> None:
    name = _normalise(source or "")
    words = set(_LATIN.findall(name))
    for w in SOURCE_WORDS:
        if (w in words) if w.isascii() else (w in name):
            out[f"src:{w}"] = 1.0


def _cue_tables() -> tuple[dict[str, str], dict[str, list[str]], dict[str, list[re.Pattern[str]]]]:
    """Single ASCII words by lookup, CJK words by substring, ASCII phrases by regex (few)."""
    words: dict[str, str] = {}
    cjk: dict[str, list[str]] = {k: [] for k in CUES}
    phrases: dict[str, list[re.Pattern[str]]] = {k: [] for k in CUES}
    for cls, entries in CUES.items():
        for w in entries:
            if not w.isascii():
                cjk[cls].append(w)
            elif _LATIN.fullmatch(w):
                words[w] = cls
            else:
                phrases[cls].append(re.compile(r"(?<![a-z0-9])" + re.escape(w) + r"(?![a-z0-9])"))
    return words, cjk, phrases


_CUE_WORDS, _CUE_CJK, _CUE_PHRASES = _cue_tables()


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _text_features(ns: str, text: str, out: dict[str, float]) -> None:
    words = _LATIN.findall(text)
    for w in words:
        out[f"{ns}:{w}"] = 1.0
    for a, b in itertools.pairwise(words):
        out[f"{ns}:{a}_{b}"] = 1.0
    for run in _CJK.findall(text):
        for i, ch in enumerate(run):
            out[f"{ns}:u{ch}"] = 1.0
            if i + 1 < len(run):
                out[f"{ns}:{run[i:i + 2]}"] = 1.0
    found: Counter[str] = Counter(_CUE_WORDS[w] for w in set(words) if w in _CUE_WORDS)
    for cls in CUES:
        found[cls] += sum(1 for w in _CUE_CJK[cls] if w in text)
        found[cls] += sum(1 for p in _CUE_PHRASES[cls] if p.search(text))
    for cls, hits in found.items():
        if hits:
            out[f"{ns}:cue:{cls}"] = CUE_WEIGHT
        if hits >= 2:
            out[f"{ns}:cue:{cls}2"] = CUE_WEIGHT
    if _VERSION.search(text):
        out[f"{ns}:<version>"] = CUE_WEIGHT


def features(title: str, text: str, source: str = "") -> dict[str, float]:
    """The sparse feature vector of one article (title, the lead of its text, and the generic
    words of its feed's name)."""
    title_n = _normalise(title or "").strip()
    text = text or ""
    body = "" if text.strip() == (title or "").strip() else _normalise(text[:LEAD_CHARS])
    out: dict[str, float] = {}
    _text_features("t", title_n, out)
    if body:
        _text_features("b", body, out)
    first = _LATIN.match(title_n)
    if first:
        out["t0:" + first.group(0)] = 1.0
    if "?" in title_n:
        out["shape:question"] = 1.0
    if ":" in title_n:
        out["shape:colon"] = 1.0
    if not body:
        out["shape:title-only"] = 1.0
    elif len(text) < 300:
        out["shape:short"] = 1.0
    if _MONEY.search(title_n + " " + body):
        out["shape:money"] = 1.0
    _source_features(source, out)
    return out


def _norm(x: Mapping[str, float]) -> float:
    return math.sqrt(sum(v * v for v in x.values())) or 1.0


@dataclass(frozen=True)
class SectionModel:
    """Per-section weights and biases; `scores` is the linear score (log-odds up to a constant)."""

    labels: tuple[str, ...]
    weights: dict[str, dict[str, float]]  # feature → {label: weight}
    bias: dict[str, float]

    def scores(
        self, title: str, text: str, source: str = "", lean: Mapping[str, float] | None = None
    ) -> dict[str, float]:
        """One score per label for this article; higher is more likely. With the lean of the
        article's feed (`lean`), each label's score moves by LEAN_WEIGHT × log(its share)."""
        x = features(title, text, source)
        n = _norm(x)
        out = dict(self.bias)
        for f, v in x.items():
            row = self.weights.get(f)
            if row:
                for label, w in row.items():
                    out[label] += w * v / n
        if lean:
            for label in out:
                out[label] += LEAN_WEIGHT * math.log(max(lean.get(label, 0.0), 1e-6))
        return out

    def probabilities(self, title: str, text: str, source: str = "") -> dict[str, float]:
        """The model's probability of each label for this article (its own evidence only)."""
        s = self.scores(title, text, source)
        top = max(s.values())
        exp = {k: math.exp(v - top) for k, v in s.items()}
        total = sum(exp.values())
        return {k: v / total for k, v in exp.items()}

    def lean(self, articles: Iterable[tuple[str, str]], source: str = "") -> dict[str, float]:
        """What kind of feed this is, read off its recent articles ((title, text) pairs, the
        article being classified among them): see `lean_of`."""
        return lean_of(self.labels, (self.probabilities(title, text, source) for title, text in articles))

    def predict(
        self, title: str, text: str, source: str = "", lean: Mapping[str, float] | None = None
    ) -> str:
        """The best label (ties go to the label listed first)."""
        s = self.scores(title, text, source, lean)
        return max(self.labels, key=lambda k: s[k])

    def to_json(self) -> str:
        """Compact form: one row of weights per feature, in the order of `labels`."""
        rows = {f: [row.get(k, 0) for k in self.labels] for f, row in sorted(self.weights.items())}
        data = {"labels": list(self.labels), "bias": [self.bias[k] for k in self.labels],
                "weights": rows}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> SectionModel:
        data = json.loads(raw)
        labels = tuple(data["labels"])
        weights = {f: {k: w for k, w in zip(labels, row, strict=True) if w}
                   for f, row in data["weights"].items()}
        return cls(labels, weights, dict(zip(labels, data["bias"], strict=True)))


def lean_of(labels: Sequence[str], probabilities: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """A feed's lean: the mean of the model's probabilities over its recent articles, mixed with
    LEAN_PRIOR pseudo-articles of equal shares, so that a feed seen a few times leans little. A
    research feed leans to tutorials, a deals site to products; an article whose own words are
    ambiguous then goes where its feed's articles mostly go."""
    totals = dict.fromkeys(labels, LEAN_PRIOR / len(labels))
    count = 0
    for p in probabilities:
        for label in labels:
            totals[label] += p.get(label, 0.0)
        count += 1
    return {k: v / (count + LEAN_PRIOR) for k, v in totals.items()}


def train(
    examples: Sequence[tuple[str, str, str] | tuple[str, str, str, str]],
    labels: Sequence[str],
    epochs: int = 20,
    l2: float = 1e-4,
    rate: float = 0.5,
    seed: int = 12,
    min_count: int = 1,
) -> SectionModel:
    """Multinomial logistic regression (AdaGrad, L2, classes weighted to balance) on
    (title, text, label[, feed name]) examples. Deterministic for a given seed and order of
    examples."""
    xs = []
    for example in examples:
        title, text = example[0], example[1]
        x = features(title, text, example[3] if len(example) > 3 else "")
        n = _norm(x)
        xs.append({f: v / n for f, v in x.items()})
    counts = Counter(f for x in xs for f in x)
    xs = [{f: v for f, v in x.items() if counts[f] >= min_count} for x in xs]
    ys = [example[2] for example in examples]
    per_label = Counter(ys)
    balance = {k: len(ys) / (len(labels) * per_label[k]) if per_label[k] else 0.0 for k in labels}
    w: dict[str, dict[str, float]] = {}
    g2: dict[str, dict[str, float]] = {}
    bias = dict.fromkeys(labels, 0.0)
    order = list(range(len(xs)))
    rng = random.Random(seed)
    for _epoch in range(epochs):
        rng.shuffle(order)
        for i in order:
            x, y = xs[i], ys[i]
            s = dict(bias)
            for f, v in x.items():
                for label, wv in w.get(f, {}).items():
                    s[label] += wv * v
            top = max(s.values())
            z = sum(math.exp(v - top) for v in s.values())
            for label in labels:
                grad = (math.exp(s[label] - top) / z - (1.0 if label == y else 0.0)) * balance[y]
                bias[label] -= 0.05 * grad
                for f, v in x.items():
                    row, acc = w.setdefault(f, {}), g2.setdefault(f, {})
                    old = row.get(label, 0.0)
                    g = grad * v + l2 * old
                    acc[label] = acc.get(label, 0.0) + g * g
                    row[label] = old - rate * g / math.sqrt(acc[label] + 1e-8)
    return SectionModel(tuple(labels), _prune(w), {k: round(v, 4) for k, v in bias.items()})


def _prune(w: dict[str, dict[str, float]], keep: float = 0.02) -> dict[str, dict[str, float]]:
    """Drop near-zero weights and round the rest: keeps the shipped file small."""
    out = {}
    for f, row in w.items():
        if max(abs(v) for v in row.values()) >= keep:
            out[f] = {k: round(v, 3) for k, v in row.items()}
    return out


@lru_cache(maxsize=1)
def shipped_model() -> SectionModel | None:
    """The model shipped beside this module, or None (logged) when it is missing or unreadable."""
    try:
        return SectionModel.from_json(MODEL_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError) as exc:
        log.warning("section model unavailable file=%s error=%s", MODEL_FILE, type(exc).__name__)
        return None
