"""Near-duplicate detection that works for Chinese and English: a bottom-k MinHash sketch over
character shingles of the normalized title and text, compared against recent articles.

Bottom-k (one hash function, keep the k smallest values) estimates Jaccard similarity like
classic k-permutation MinHash but costs one hash per shingle, so it stays cheap in pure Python.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from array import array
from collections import defaultdict
from dataclasses import dataclass, field

K = 128  # sketch size: standard error of the estimate ≈ sqrt(J(1-J)/K) ≈ 0.04 at J = 0.5
SHINGLE = 5  # characters per shingle
MAX_CHARS = 8_000  # a story is recognisable from its first 8k characters (and hashing stays cheap)
# Shorter texts (titles, teasers) are matched by URL/GUID only: too easy to confuse. Once feed text
# lost its junk (issue 9: the aggregator's " | Organization: … | Source: …" had been diluting it),
# two templated "System Card" teasers of different models (about 200 characters each) scored 0.59
# at MIN_SHINGLES 150 and 200; at 250 that false merge is gone and nothing is lost: every match
# the sketch alone makes under another link (the GeekPark/36Kr reprint) is still found, and the
# 256 fewer matches are all between entries of one link, which ingest links by URL first.
MIN_SHINGLES = 250
# Measured on ../shared/corpus/feeds (3,543 entries; cross-feed matches only; MIN_SHINGLES 150):
# 0.50 → 2 false merges (templated "System Card" teasers); 0.55 → 0 false merges, 1 true cross-site
# reprint found (GeekPark/36Kr); synthetic edits recall at 0.55: en 2/5/10 % = 100/100/100 %,
# zh (jieba words) 2/5 % = 100 %, 10 % = 59 %; 0.60 drops zh 10 % to 20 %.
THRESHOLD = 0.55

_NON_WORD = re.compile(r"[\W_]+")


def _normalize(title: str, text: str) -> str:
    raw = unicodedata.normalize("NFKC", f"{title} {text[:MAX_CHARS]}").lower()
    return _NON_WORD.sub(" ", raw).strip()


def shingles(title: str, text: str) -> set[str]:
    """The set of SHINGLE-character windows of the normalized text (spaces included)."""
    norm = _normalize(title, text)
    if len(norm) < SHINGLE:
        return {norm} if norm else set()
    return {norm[i : i + SHINGLE] for i in range(len(norm) - SHINGLE + 1)}


def _hash(shingle: str) -> int:
    return int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "little")


def signature(title: str, text: str) -> bytes | None:
    """The sketch as bytes (for NewArticle.signature), or None when the text is too short."""
    grams = shingles(title, text)
    if len(grams) < MIN_SHINGLES:
        return None
    values = sorted(_hash(g) for g in grams)[:K]
    return array("Q", values).tobytes()


def _values(sig: bytes) -> list[int]:
    arr = array("Q")
    arr.frombytes(sig)
    return list(arr)


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of the texts behind two sketches (exact when both are short)."""
    va, vb = set(_values(a)), set(_values(b))
    k = min(K, len(va), len(vb)) if len(va) < K or len(vb) < K else K
    union_k = sorted(va | vb)[:k] if k == K else sorted(va | vb)
    if not union_k:
        return 0.0
    both = sum(1 for v in union_k if v in va and v in vb)
    return both / len(union_k)


@dataclass
class DedupIndex:
    """Sketches of recent articles, indexed by value so a new sketch meets only candidates."""

    threshold: float = THRESHOLD
    _sigs: dict[int, tuple[int, bytes, int | None]] = field(default_factory=dict)  # id → (story, sig, feed)
    _postings: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, article_id: int, story_id: int, sig: bytes | None, feed_id: int | None = None) -> None:
        if sig is None:
            return
        self._sigs[article_id] = (story_id, sig, feed_id)
        for v in _values(sig):
            self._postings[v].append(article_id)

    def match(self, sig: bytes | None, feed_id: int | None = None) -> tuple[int, int, float] | None:
        """(article id, story id, similarity) of the most similar stored article at or above the
        threshold, or None. Articles of the same feed never match: a publisher's own items share
        templates ("System Card", "Issue 351") but are different stories, while reprints and
        aggregator copies always come through another feed (measured: see THRESHOLD)."""
        if sig is None:
            return None
        counts: dict[int, int] = defaultdict(int)
        for v in _values(sig):
            for aid in self._postings.get(v, ()):
                counts[aid] += 1
        # Two texts with Jaccard J share about J·K sketch values; a third of that is a safe floor.
        floor = max(2, int(self.threshold * K / 3))
        best: tuple[int, int, float] | None = None
        for aid, shared in counts.items():
            if shared < floor:
                continue
            story, other, other_feed = self._sigs[aid]
            if feed_id is not None and other_feed == feed_id:
                continue
            sim = similarity(sig, other)
            if sim >= self.threshold and (best is None or sim > best[2]):
                best = (aid, story, sim)
        return best

    def __len__(self) -> int:
        return len(self._sigs)
