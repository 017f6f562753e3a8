"""The offline summarizer: key points picked from the article's own sentences, deterministic, no key.

Ranking combines a lead prior (news puts the essentials first), TextRank-style centrality on a
TF-IDF cosine graph, and similarity to the title; selection removes redundancy (MMR-like) and the
points come out in the article's own order.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Sequence

from bot.models import Summary
from bot.summarize.junk import is_heading, usable_sentences
from bot.summarize.text import cjk_ratio, split_sentences, tokens

log = logging.getLogger(__name__)

PROVIDER = "extractive"
MODEL = "extractive-v2"  # v2: junk sentences are never points
MAX_SENTENCES = 60  # TextRank is quadratic; news leads carry the essentials anyway
CJK_POINT_CHARS = 120
LATIN_POINT_CHARS = 220
DETAIL_MIN, DETAIL_MAX = 5, 8

# Weights tuned on the corpus summaries (see benchmarks/rouge.py).
LEAD_WEIGHT = 1.0
CENTRALITY_WEIGHT = 0.8
TITLE_WEIGHT = 0.5
LENGTH_WEIGHT = 0.4  # points should be short: among near-equals, prefer the concise sentence
LEAD_DECAY = 0.35  # lead prior = LEAD_WEIGHT / (1 + i) ** LEAD_DECAY
REDUNDANCY = 0.6  # MMR penalty for similarity to an already chosen point
DUPLICATE_SIM = 0.75  # a sentence this close to a chosen one is never chosen
DAMPING = 0.85

DEFAULT_EMOJI = "📰"
# First row that matches wins. English keys are whole words or phrases of the lower-cased title and
# lead, or word beginnings when they end in "*" ("acquir*": acquires, acquisition); so
# "evaluation" is not a valuation, "investigate" not an investment, "television" not vision.
# Chinese keys match anywhere.
EMOJI_TABLE: tuple[tuple[tuple[str, ...], str], ...] = (
    (("融资", "投资", "收购", "估值", "funding", "raises", "raised", "acquir*", "acquisition*", "invests", "invested",
      "investment*", "investor*", "ipo", "valuation*"), "💰"),
    (("安全", "漏洞", "攻击", "隐私", "security", "vulnerab*", "attack*", "breach*", "privacy"), "🔒"),
    (("基因", "蛋白质", "genom*", "dna", "protein*", "biolog*"), "🧬"),
    (("监管", "政策", "法律", "诉讼", "regulat*", "policy", "policies", "lawsuit*", "court", "courts",
      "law", "laws", "legislat*", "antitrust"), "⚖️"),
    (("芯片", "英伟达", "算力", "gpu*", "chip", "chips", "chipmaker*", "semiconductor*", "nvidia"), "💾"),
    (("机器人", "robot*", "humanoid*"), "🦾"),
    (("开源", "open source", "open-source*", "open weights", "open-weight", "github"), "🔓"),
    (("论文", "研究", "paper", "papers", "research*", "arxiv", "study*", "studies"), "🔬"),
    (("教程", "指南", "tutorial*", "guide", "guides", "how to", "how-to"), "📘"),
    (("手机", "iphone*", "android", "phone", "phones", "smartphone*"), "📱"),
    (("汽车", "自动驾驶", "特斯拉", "car", "cars", "self-driving", "autonomous vehicle*",
      "autonomous driving", "autonomous truck*", "tesla", "robotaxi*"), "🚗"),
    (("医疗", "健康", "医院", "health*", "medical", "drug", "drugs", "hospital*"), "🏥"),
    (("视频", "电影", "video*", "film", "films", "movie*"), "🎬"),
    (("图像", "图片", "image*", "photo*", "vision"), "🖼️"),
    (("游戏", "game", "games", "gaming"), "🎮"),
    (("教育", "学生", "education*", "student*", "school*", "teacher*", "classroom*"), "🎓"),
    (("云计算", "云服务", "云端", "云厂商", "上云", "阿里云", "腾讯云", "华为云", "数据中心", "cloud*",
      "data center*", "datacenter*"), "☁️"),
    (("发布", "推出", "上线", "launch*", "release*", "introduc*", "announc*", "unveil*"), "🚀"),
    (("模型", "人工智能", "大模型", "智能", "ai", "model*", "llm*", "gpt*", "chatgpt", "openai"), "🤖"),
)


def _emoji_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """One row's keys as one pattern (see EMOJI_TABLE)."""
    latin = [re.escape(w.removesuffix("*")) + (r"[a-z0-9-]*" if w.endswith("*") else "")
             for w in words if w.isascii()]
    cjk = [re.escape(w) for w in words if not w.isascii()]
    parts = [rf"(?<![a-z0-9])(?:{'|'.join(latin)})(?![a-z0-9])"] if latin else []
    return re.compile("|".join(parts + cjk))


_EMOJI_PATTERNS = tuple((_emoji_pattern(words), emoji) for words, emoji in EMOJI_TABLE)
IMPORTANT_WORDS = (
    "发布", "推出", "首次", "亿", "融资", "收购", "重大", "突破", "开源", "监管", "宣布",
    "launch", "release", "billion", "acquire", "funding", "breakthrough", "first", "announce",
    "open source", "regulat", "record",
)


def pick_emoji(title: str, text: str) -> str:
    """One emoji for the article from a small keyword table; 📰 when nothing matches."""
    haystack = f"{title} {text[:400]}".lower()
    for pattern, emoji in _EMOJI_PATTERNS:
        if pattern.search(haystack):
            return emoji
    return DEFAULT_EMOJI


# For an answer whose emoji is unusable and whose keywords say nothing: one per default section.
SECTION_EMOJI = {"products": "🚀", "industry": "💼", "tutorials": "📘", "other": DEFAULT_EMOJI}


def emoji_for(section: str | None, title: str, text: str) -> str:
    """An emoji chosen from the keywords of the article, else from its section, else 📰."""
    emoji = pick_emoji(title, text)
    if emoji == DEFAULT_EMOJI and section:
        return SECTION_EMOJI.get(section, DEFAULT_EMOJI)
    return emoji


def estimate_importance(title: str, text: str) -> float:
    """A rough 0..1 score from length and news-worthy keywords, for ranking when no model is used."""
    haystack = f"{title} {text[:1500]}".lower()
    hits = sum(1 for w in IMPORTANT_WORDS if w in haystack)
    length = min(len(text), 6000) / 6000
    return round(min(1.0, 0.25 + 0.25 * length + 0.1 * min(hits, 5)), 3)


def cap_point(sentence: str) -> str:
    """Shorten a point to ≤120 CJK / ≤220 Latin chars, cutting at a clause boundary when possible."""
    limit = CJK_POINT_CHARS if cjk_ratio(sentence) > 0.3 else LATIN_POINT_CHARS
    if len(sentence) <= limit:
        return sentence
    head = sentence[: limit - 1]
    cut = max(head.rfind(c) for c in "，、：；,;:—")
    if cut >= limit // 3:
        return head[:cut].rstrip() + "…"
    if limit == LATIN_POINT_CHARS and " " in head:
        return head[: head.rfind(" ")].rstrip(" ,;:") + "…"
    return head + "…"


def _tfidf(sentence_tokens: Sequence[Sequence[str]]) -> list[dict[str, float]]:
    df: Counter[str] = Counter()
    for toks in sentence_tokens:
        df.update(set(toks))
    n = len(sentence_tokens)
    vectors = []
    for toks in sentence_tokens:
        tf = Counter(toks)
        vec = {w: (1 + math.log(c)) * math.log(1 + n / df[w]) for w, c in tf.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vectors.append({w: v / norm for w, v in vec.items()})
    return vectors


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(w, 0.0) for w, v in a.items())


def _textrank(sim: list[list[float]], iterations: int = 40) -> list[float]:
    n = len(sim)
    out = [sum(row) for row in sim]
    rank = [1.0 / n] * n
    for _ in range(iterations):
        new = [
            (1 - DAMPING) / n
            + DAMPING * sum(sim[j][i] * rank[j] / out[j] for j in range(n) if out[j] > 0)
            for i in range(n)
        ]
        delta = sum(abs(x - y) for x, y in zip(new, rank, strict=True))
        rank = new
        if delta < 1e-6:
            break
    top = max(rank) or 1.0
    return [r / top for r in rank]


def _overlap(a: Sequence[str], b: Sequence[str]) -> float:
    """TextRank's sentence similarity: shared words over the log of the lengths."""
    if len(a) < 2 or len(b) < 2:
        return 0.0
    return len(set(a) & set(b)) / (math.log(len(a)) + math.log(len(b)))


def rank_sentences(sentences: Sequence[str], title: str = "") -> list[float]:
    """Score each sentence: lead prior + centrality + similarity to the title."""
    toks = [tokens(s) for s in sentences]
    vectors = _tfidf(toks + [tokens(title)])
    title_vec, vectors = vectors[-1], vectors[:-1]
    n = len(sentences)
    sim = [[0.0 if i == j else _overlap(toks[i], toks[j]) for j in range(n)] for i in range(n)]
    central = _textrank(sim) if n > 1 else [1.0] * n
    longest = max(len(s) for s in sentences) or 1
    return [
        LEAD_WEIGHT / (1 + i) ** LEAD_DECAY
        + CENTRALITY_WEIGHT * central[i]
        + TITLE_WEIGHT * _cosine(title_vec, vectors[i])
        - LENGTH_WEIGHT * len(sentences[i]) / longest
        for i in range(n)
    ]


def select_sentences(sentences: Sequence[str], k: int, title: str = "") -> list[int]:
    """Indices (in article order) of up to k ranked, non-redundant sentences."""
    sentences = list(sentences)[:MAX_SENTENCES]
    if len(sentences) <= k:
        return list(range(len(sentences)))
    scores = rank_sentences(sentences, title)
    vectors = _tfidf([tokens(s) for s in sentences])
    chosen: list[int] = []
    while len(chosen) < k:
        best, best_value = -1, -math.inf
        for i, score in enumerate(scores):
            if i in chosen:
                continue
            overlap = max((_cosine(vectors[i], vectors[j]) for j in chosen), default=0.0)
            if overlap >= DUPLICATE_SIM:
                continue
            value = score - REDUNDANCY * overlap
            if value > best_value:
                best, best_value = i, value
        if best < 0:
            break
        chosen.append(best)
    return sorted(chosen)


def _candidates(title: str, text: str, want: int) -> list[str]:
    """Sentences that may become points: never junk (code, markup, footers…), the title or a repeat;
    headings (lines with no closing punctuation) only when the article has fewer than `want` real
    sentences (a teaser of one unpunctuated line is still its own point)."""
    usable = usable_sentences(title, split_sentences(text))
    sentences = [s for s in usable if not is_heading(s)]
    return sentences if len(sentences) >= want else usable


def point_count(kind: str, available: int) -> int:
    """3 for "points"; 5–8 for "detail" (growing with the article); never more than available."""
    if kind == "detail":
        want = min(DETAIL_MAX, max(DETAIL_MIN, available // 4))
    else:
        want = 3
    return min(want, available)


# Words that tie a sentence to the one before it and mean nothing once it stands alone as a point
# ("However, …", "而且这一次…", "不过，…"). Words that are something else too ("Still water…", "so
# long", "而是", "而今", "但凡") only before a comma.
_HOOK = re.compile(
    r"^(?:(?:however|but|and|also|moreover|meanwhile|furthermore|additionally)\b,?\s+(?=\S)"
    r"|(?:still|so|besides|in addition|that said),\s+(?=\S)"
    r"|(?:而且|但是|然而|不过|因此|所以|另外|此外|其实|并且|同时|而|但)[，,]\s*"
    r"|(?:而且|但是|然而|不过|因此|所以|另外|此外|其实|并且)(?=[\u3400-\u9fffA-Za-z0-9“「《]))",
    re.IGNORECASE,
)


def unhook(sentence: str) -> str:
    """The sentence without a leading connective (_HOOK), its first letter capitalised; unchanged
    when nothing would be left."""
    m = _HOOK.match(sentence)
    if not m or len(sentence) - m.end() < 8:
        return sentence
    rest = sentence[m.end():]
    return rest[:1].upper() + rest[1:]


def summarize_extractive(title: str, text: str, language: str, kind: str = "points") -> Summary:
    """Key points from the article's own sentences (in its own language: nothing is translated)."""
    sentences = _candidates(title, text, point_count(kind, DETAIL_MAX))  # 3 points; 5 for a detail
    picked = select_sentences(sentences, point_count(kind, len(sentences)), title)
    # a connective stays where the sentence before it is a point too, just above it
    points = tuple(cap_point(sentences[i] if i - 1 in picked else unhook(sentences[i])) for i in picked)
    return Summary(
        title=title.strip() or (points[0] if points else ""),
        emoji=pick_emoji(title, text),
        points=points,
        section=None,
        importance=estimate_importance(title, text),
        provider=PROVIDER,
        model=MODEL,
        language=language,
        kind="detail" if kind == "detail" else "points",
    )


def lead_sentences(text: str, k: int = 3) -> list[str]:
    """The baseline: the first k sentences."""
    return split_sentences(text)[:k]
