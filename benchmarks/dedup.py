"""Near-duplicate detection: recall and false merges of bot.ingest.dedup on the corpus feeds.

Three measurements, all with the product's own signature/similarity/THRESHOLD and DedupIndex:

- same-story feed pairs (sets A–I of ../shared/corpus/MANIFEST.md): entries of two files of one
  set that share a link (lower-cased, no scheme, no `www.`, no trailing `/`, as the manifest counts
  them) are one story. Linked = the ingest's URL lookup (canonical URL or one of its variants)
  finds it, or both have sketches at or above the threshold. Sketch recall is also given alone,
  over the pairs where both texts are long enough to have a sketch (shorter ones are matched by
  URL only, by design). Negative control N (coolshell at two epochs): any link is a false merge.
- false merges over every entry of ../shared/corpus/feeds/: entries go through one DedupIndex in
  file order, each matched before it is added, as fetch_all does. A match is true when both
  entries share a link key or their normalised titles are equal (a reprint); else false.
- synthetic copies: every sketched corpus article (≥ STUB_CHARS of text; shorter teasers are
  matched by URL only, by design) copied with 2 %, 5 % and 10 % of its words replaced
  (English by whitespace words, Chinese by jieba words; seeded), matched against an index of all
  originals; recall = the copy's own original found, false = another text found. Per language.

Reference in the same run: the naive detector the sketch replaces, exact content hash equality.
Run `python -m benchmarks.dedup [--limit N]`.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from benchmarks.common import CORPUS, require_corpus
from bot.ingest import FetchError
from bot.ingest.dedup import THRESHOLD, DedupIndex, signature, similarity
from bot.ingest.lang import detect_language
from bot.ingest.parse import STUB_CHARS, parse_feed_bytes
from bot.ingest.urls import canonical_url, content_hash, url_variants

FEEDS = CORPUS / "feeds"
SETS: dict[str, tuple[str, ...]] = {
    "A": ("openai_news_feed.xml", "openai_feeds.xml", "feed_openai_research.xml"),
    "B": ("google_ai_blog_feed.xml", "google_ai_feeds.xml"),
    "C": ("google_deepmind_blog_feed.xml", "google_deepmind_feeds.xml"),
    "D": ("microsoft_ai_blog_feed.xml", "microsoft_feeds.xml"),
    "E": ("feed_anthropic_news.xml", "anthropic_news.xml", "anthropic_aggregated.xml"),
    "F": ("feed_anthropic_engineering.xml", "anthropic_engineering.xml"),
    "G": ("feed_the_batch.xml", "deeplearning_ai_batch.xml"),
    "H": ("feed_meta_ai.xml", "meta_ai_news.xml"),
    "I": ("large_atom.xml", "large_rss.xml"),
}
NEGATIVE = ("coolshell.xml", "coolshell-cn-feed.xml")
EDITS = (0.02, 0.05, 0.10)
_NON_WORD = re.compile(r"[\W_]+")
_EDIT_WORDS = {
    "en": ("model", "company", "data", "new", "system", "report", "market", "week", "users", "open"),
    "zh": ("模型", "公司", "数据", "发布", "系统", "用户", "市场", "技术", "平台", "产品"),
}


@dataclass(frozen=True)
class Entry:
    """One parsed corpus entry with what dedup needs."""

    feed: int
    file: str
    url: str
    key: str  # the manifest's link key
    title: str
    text: str
    language: str
    sig: bytes | None


def link_key(url: str) -> str:
    """The manifest's comparison: lower-case, no scheme, no leading www., no trailing slash."""
    u = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip().lower())
    return u.removeprefix("www.").rstrip("/")


def load_entries(only: set[str] | None = None) -> list[Entry]:
    """Every entry of every file in feeds/ (or of the files named in `only`), in file-name order."""
    require_corpus(FEEDS)
    entries = []
    files = sorted(p for p in FEEDS.iterdir() if p.is_file() and (only is None or p.name in only))
    for n, path in enumerate(files):
        try:
            parsed = parse_feed_bytes(path.read_bytes(), url=f"https://corpus.example/{path.name}")
        except FetchError:  # a feed our parser refuses has no entries to dedup
            continue
        for e in parsed.entries:
            language = e.language or detect_language(f"{e.title}\n{e.text}")
            entries.append(Entry(n, path.name, e.url, link_key(e.url), e.title, e.text, language,
                                 signature(e.title, e.text)))
    return entries


def same_title(a: str, b: str) -> bool:
    """Equal headlines once case, spacing and punctuation are ignored (a reprint keeps its title)."""

    def norm(t: str) -> str:
        return _NON_WORD.sub("", unicodedata.normalize("NFKC", t).lower())

    return bool(norm(a)) and norm(a) == norm(b)


def _url_linked(a: Entry, b: Entry) -> bool:
    ca, cb = canonical_url(a.url), canonical_url(b.url)
    return ca == cb or cb in url_variants(ca)


def feed_pairs(entries: list[Entry]) -> dict[str, Any]:
    """Recall on the same-story sets, and links made in the negative control."""
    by_file: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        by_file[e.file].append(e)
    pairs = linked = sketched = sketch_hits = hash_hits = 0
    per_set = {}
    for name, files in SETS.items():
        set_pairs = set_linked = 0
        for i, fa in enumerate(files):
            for fb in files[i + 1 :]:
                index = {e.key: e for e in by_file.get(fb, [])}
                for a in by_file.get(fa, []):
                    b = index.get(a.key)
                    if b is None:
                        continue
                    sim_ok = a.sig is not None and b.sig is not None and similarity(a.sig, b.sig) >= THRESHOLD
                    ok = _url_linked(a, b) or sim_ok
                    set_pairs += 1
                    set_linked += ok
                    if a.sig is not None and b.sig is not None:
                        sketched += 1
                        sketch_hits += sim_ok
                    hash_hits += content_hash(a.text) == content_hash(b.text)
        pairs += set_pairs
        linked += set_linked
        per_set[name] = f"{set_linked}/{set_pairs}"
    neg_a, neg_b = (by_file.get(f, []) for f in NEGATIVE)
    negative_links = sum(
        1 for a in neg_a for b in neg_b
        if _url_linked(a, b) or (a.sig and b.sig and similarity(a.sig, b.sig) >= THRESHOLD)
    )
    return {
        "pairs": pairs, "recall": linked / pairs if pairs else 0.0, "per_set": per_set,
        "sketched_pairs": sketched, "sketch_recall": sketch_hits / sketched if sketched else 0.0,
        "hash_recall": hash_hits / pairs if pairs else 0.0,
        "negative_pairs": len(neg_a) * len(neg_b), "negative_links": negative_links,
    }


def false_merges(entries: list[Entry]) -> dict[str, Any]:
    """Run every entry through one index as ingest does; count matches that are not one story."""
    index = DedupIndex()
    true = false = 0
    examples: list[str] = []
    for i, e in enumerate(entries):
        hit = index.match(e.sig, e.feed)
        if hit is not None:
            other = entries[hit[0]]
            same = other.key == e.key or same_title(other.title, e.title)
            true += same
            false += not same
            if not same and len(examples) < 5:
                examples.append(f"{e.file}: {e.title[:50]!r} ~ {other.file}: {other.title[:50]!r} ({hit[2]:.2f})")
        index.add(i, i, e.sig, e.feed)
    return {"entries": len(entries), "sketched": sum(e.sig is not None for e in entries),
            "cross_feed_matches": true + false, "true_matches": true, "false_merges": false,
            "false_examples": examples}


def _words(text: str, language: str) -> list[str]:
    if language == "zh":
        import jieba

        return list(jieba.cut(text))
    return text.split(" ")


def _edited(words: list[str], share: float, language: str, rng: random.Random) -> str:
    out = list(words)
    content = [i for i, w in enumerate(out) if w.strip()]
    for i in rng.sample(content, max(1, round(len(content) * share))):
        out[i] = rng.choice([w for w in _EDIT_WORDS[language] if w != out[i]])
    return ("" if language == "zh" else " ").join(out)


def synthetic(entries: list[Entry], limit: int | None = None, seed: int = 11) -> dict[str, Any]:
    """Recall and false matches of edited copies, per language and edit share."""
    rng = random.Random(seed)
    result: dict[str, Any] = {}
    for language in ("en", "zh"):
        # Originals are distinct stories: a text the index already matches (an aggregator's
        # copy of an official item) is left out, so a copy finding "another" text is a real error.
        index = DedupIndex()
        originals: list[Entry] = []
        for e in entries:
            too_short = len(e.text) < STUB_CHARS  # teasers: matched by URL, not by text (by design)
            if e.sig is None or too_short or e.language != language or index.match(e.sig) is not None:
                continue
            index.add(len(originals), len(originals), e.sig, 1)
            originals.append(e)
            if limit is not None and len(originals) >= limit:
                break
        for share in EDITS:
            found = wrong = hashed = 0
            for i, e in enumerate(originals):
                words = _words(e.text[:20_000], language)
                copy = _edited(words, share, language, rng)
                hit = index.match(signature(e.title, copy), 2)
                found += hit is not None and hit[1] == i
                wrong += hit is not None and hit[1] != i
                hashed += content_hash(copy) == content_hash(e.text)
            n = max(1, len(originals))
            result[f"{language}_{round(share * 100)}pct"] = {
                "texts": len(originals), "recall": found / n, "false_matches": wrong,
                "hash_recall": hashed / n,
            }
    return result


QUICK_FILES = {*SETS["B"], *SETS["D"], *SETS["I"], *NEGATIVE}


def run(limit: int | None = None, quick: bool = False) -> dict[str, Any]:
    """All three measurements; `limit` caps the synthetic texts per language, `quick` reads only
    sets B, D, I and N (for the smoke test)."""
    started = time.perf_counter()
    entries = load_entries(QUICK_FILES if quick else None)
    out = {"threshold": THRESHOLD, "feed_pairs": feed_pairs(entries), "corpus": false_merges(entries),
           "synthetic": synthetic(entries, limit)}
    out["seconds"] = time.perf_counter() - started
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="at most N synthetic texts per language")
    print(json.dumps(run(parser.parse_args().limit), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
