"""Same-event detection: pairwise precision and recall of bot.digest.events on the hand-made
labels (tests/labels/events.jsonl, event_pool.jsonl, event_fixtures.jsonl), beside MinHash
(bot.ingest.dedup).

The detector runs once over every labelled story (corpus entries with their real publication
times, and the invented fixtures), as the builder would run it over a window. Which split is
which: "fresh" is the held-out round, labelled and committed before any method ran on it, and is
what the benchmark reports; it scores every pair within 48 h that touches a fresh story
(positives inside its gold groups, its hard negatives, every other such pair as a negative).
"dev" and "test" are the first round's pairs (first-round stories only; a pair belongs to test
when a hash of its two keys says so, one in three); both were seen during development and now
tune the weights and thresholds. Pairs marked ambiguous are left out. Precision = predicted
same-event pairs that are gold positives ÷ predicted pairs among the scored ones; recall = gold
positive pairs predicted. Counted separately for Chinese pairs, English pairs and Chinese↔English
pairs.

Speed: the detector over ~7,000 real stories from ../shared/corpus/feeds and feeds-bulk.
Run `python -m benchmarks.events [--sweep|--fit]` (both work on the training pairs only).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any
from unittest import mock

from benchmarks.common import CORPUS
from benchmarks.labelled import Entry, EventLabels, event_labels
from bot.digest import events as ev
from bot.ingest.dedup import THRESHOLD, signature, similarity

WINDOW = ev.DEFAULT_WINDOW
KINDS = ("zh", "en", "cross")
# What the same-language weights are fitted and the thresholds swept on: real stories only. The
# invented dev3 stories pulled the fit towards signals (hours apart, days named) that separate
# invented busy days but not the real one of the fresh split (docs/editing.md, look 3).
FIT_SPLITS = ("dev", "test")


@dataclass(frozen=True)
class Gold:
    """The scored pairs of one split, by kind: positives and negatives."""

    positives: dict[str, set[frozenset[str]]]
    negatives: dict[str, set[frozenset[str]]]


def _kind(a: Entry, b: Entry) -> str:
    za, zb = a.language.startswith("zh"), b.language.startswith("zh")
    return "cross" if za != zb else ("zh" if za else "en")


def _pair_split(a: str, b: str) -> str:
    digest = hashlib.sha1("|".join(sorted((a, b))).encode()).digest()
    return "test" if digest[0] % 3 == 0 else "dev"


def dated(labels: EventLabels) -> list[Entry]:
    """Labelled stories that carry a publication time (the detector needs one)."""
    return [e for e in labels.entries if e.published is not None]


def gold_pairs(labels: EventLabels, split: str) -> Gold:
    """Positives and negatives of one split (see the module docstring). The "fresh" split scores
    every pair that touches a story first labelled in the held-out round; "dev" and "test" score
    only pairs of first-round stories, as they always did."""
    entries = {e.key: e for e in dated(labels)}
    group_of: dict[str, str] = {}
    positives: dict[str, set[frozenset[str]]] = {k: set() for k in KINDS}
    negatives: dict[str, set[frozenset[str]]] = {k: set() for k in KINDS}

    def in_scope(a: str, b: str) -> bool:
        fresh = a in labels.fresh or b in labels.fresh
        if split == "fresh":
            return fresh
        third = a in labels.dev3 or b in labels.dev3
        return not fresh and (third if split == "dev3" else not third)

    for gid, (keys, _langs, gsplit) in labels.groups.items():
        keys = tuple(k for k in keys if k in entries)
        for k in keys:
            group_of[k] = gid
        if gsplit != split:
            continue
        for i, ka in enumerate(keys):
            for kb in keys[i + 1:]:
                if in_scope(ka, kb):
                    positives[_kind(entries[ka], entries[kb])].add(frozenset((ka, kb)))
    explicit = {frozenset((a, b)): s for a, b, _k, s in labels.negatives}
    for pair, s in explicit.items():
        ka, kb = tuple(pair)
        if s == split and ka in entries and kb in entries and in_scope(ka, kb):
            negatives[_kind(entries[ka], entries[kb])].add(pair)
    ordered = sorted(entries.values(), key=lambda e: e.published)  # type: ignore[arg-type,return-value]
    span = WINDOW.total_seconds()
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b.published.timestamp() - a.published.timestamp() > span:  # type: ignore[union-attr]
                break
            pair = frozenset((a.key, b.key))
            same = group_of.get(a.key) is not None and group_of.get(a.key) == group_of.get(b.key)
            if same or pair in labels.ambiguous or pair in explicit or not in_scope(a.key, b.key):
                continue
            if split in ("fresh", "dev3") or _pair_split(a.key, b.key) == split:
                negatives[_kind(a, b)].add(pair)
    return Gold(positives, negatives)


def score(predicted: set[frozenset[str]], gold: Gold) -> dict[str, dict[str, float]]:
    """Pairwise precision and recall per kind and over all kinds."""
    out: dict[str, dict[str, float]] = {}
    tp_all = fp_all = pos_all = 0
    for kind in KINDS:
        pos, neg = gold.positives[kind], gold.negatives[kind]
        tp, fp = len(predicted & pos), len(predicted & neg)
        out[kind] = {"positives": len(pos), "negatives": len(neg), "tp": tp, "fp": fp,
                     "precision": tp / (tp + fp) if tp + fp else 1.0,
                     "recall": tp / len(pos) if pos else 1.0}
        tp_all, fp_all, pos_all = tp_all + tp, fp_all + fp, pos_all + len(pos)
    out["all"] = {"positives": pos_all, "tp": tp_all, "fp": fp_all,
                  "precision": tp_all / (tp_all + fp_all) if tp_all + fp_all else 1.0,
                  "recall": tp_all / pos_all if pos_all else 1.0}
    return out


def stories(entries: Iterable[Entry]) -> list[ev.EventStory]:
    return [ev.EventStory(e.key, e.title, e.text, e.language, e.published, e.source)  # type: ignore[arg-type]
            for e in entries if e.published is not None]


def detector_pairs(entries: list[Entry]) -> set[frozenset[str]]:
    """Same-event pairs the detector predicts over these stories."""
    return {frozenset(p) for p in ev.pairs_of(ev.group_events(stories(entries), WINDOW))}  # type: ignore[misc,arg-type]


def minhash_pairs(entries: list[Entry], gold: Gold) -> set[frozenset[str]]:
    """Scored pairs that ingest's MinHash would link (both sketched, similarity ≥ THRESHOLD)."""
    sigs = {e.key: signature(e.title, e.text) for e in entries}
    out = set()
    for kind in KINDS:
        for pair in gold.positives[kind] | gold.negatives[kind]:
            a, b = tuple(pair)
            sa, sb = sigs.get(a), sigs.get(b)
            if sa is not None and sb is not None and similarity(sa, sb) >= THRESHOLD:
                out.add(pair)
    return out


def _bulk_stories(limit: int) -> list[ev.EventStory]:
    """Real dated entries of feeds/ and feeds-bulk/ (the speed test's input), at most `limit`."""
    from bot.ingest import FetchError
    from bot.ingest.lang import detect_language
    from bot.ingest.parse import parse_feed_bytes

    out: list[ev.EventStory] = []
    for folder in (CORPUS / "feeds", CORPUS / "feeds-bulk"):
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            try:
                parsed = parse_feed_bytes(path.read_bytes(), url=f"https://corpus.example/{path.name}")
            except FetchError:
                continue
            for e in parsed.entries:
                if e.published is None:
                    continue
                lang = e.language or detect_language(f"{e.title}\n{e.text}")
                out.append(ev.EventStory(f"{path.name}|{len(out)}", e.title, e.text, lang,
                                         e.published, parsed.title))
                if len(out) >= limit:
                    return out
    return out


def speed(count: int = 7000, rounds: int = 3) -> dict[str, float]:
    """Median seconds to group `count` real stories: with their own publication times (as a wide
    digest window would see them) and squeezed into one 48-hour window (the worst case: every
    pair is in range)."""
    batch = sorted(_bulk_stories(count), key=lambda s: s.published)
    base = batch[0].published
    squeezed = [ev.EventStory(s.id, s.title, s.text, s.language,
                              base + timedelta(seconds=i * 47 * 3600 / max(1, len(batch))), s.source)
                for i, s in enumerate(batch)]
    out: dict[str, float] = {"stories": len(batch)}
    for name, data in (("real_times", batch), ("one_window", squeezed)):
        timings = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            ev.group_events(data, WINDOW)
            timings.append(time.perf_counter() - t0)
        out[f"{name}_seconds"] = statistics.median(timings)
    return out


@lru_cache(maxsize=1)
def labelled_run() -> tuple[EventLabels, tuple[Entry, ...], frozenset[frozenset[str]]]:
    """The labels, the dated stories and the detector's pairs over them (computed once per
    process: the benchmark and the tests share it)."""
    labels = event_labels()
    entries = dated(labels)
    return labels, tuple(entries), frozenset(detector_pairs(entries))


def run(
    speed_count: int = 7000, rounds: int = 3,
    splits: tuple[str, ...] = ("fresh", "dev", "test", "dev3"),
) -> dict[str, Any]:
    """Fresh (held-out) figures, and the training splits' for reference, for the detector and
    for MinHash alone, and the speed figure."""
    labels, entries_t, predicted_f = labelled_run()
    entries, predicted = list(entries_t), set(predicted_f)
    out: dict[str, Any] = {"window_hours": WINDOW.total_seconds() / 3600,
                           "thresholds": {"same": ev.SAME_LANGUAGE_THRESHOLD,
                                          "same_source": ev.SAME_SOURCE_THRESHOLD,
                                          "cross": ev.CROSS_LANGUAGE_THRESHOLD},
                           "groups": len(labels.groups), "negatives": len(labels.negatives),
                           "stories": len(entries)}
    for split in splits:
        gold = gold_pairs(labels, split)
        out[split] = {"detector": score(predicted, gold),
                      "minhash": score(minhash_pairs(entries, gold), gold)}
    out["speed"] = speed(speed_count, rounds)
    return out


def training_gold(labels: EventLabels) -> Gold:
    """The pairs the weights are fitted and the thresholds swept on: the real stories of the
    first round's dev and test splits (FIT_SPLITS). dev3 and the fresh split stay out; `run`
    reports them."""
    parts = [gold_pairs(labels, split) for split in FIT_SPLITS]
    return Gold({k: set().union(*(g.positives[k] for g in parts)) for k in KINDS},
                {k: set().union(*(g.negatives[k] for g in parts)) for k in KINDS})


def sweep() -> list[dict[str, Any]]:
    """Training-pair precision/recall for a grid of thresholds and link shares (how the shipped
    ones were chosen; training_gold). The pair scores are computed once: only the grouping
    changes along the grid."""
    labels = event_labels()
    entries = dated(labels)
    gold = training_gold(labels)
    rows = []
    scored: dict[tuple[Any, ...], Any] = {}
    real = ev.pair_scores

    def cached(stories: Any, window: Any = WINDOW, vectors: Any = None) -> Any:
        key = tuple(s.id for s in stories)
        if key not in scored:
            scored[key] = real(stories, window, vectors)
        return scored[key]

    grid = [(same, own, link) for same in (0.8, 0.85, 0.9, 0.93, 0.95) for own in (0.995, 0.998)
            for link in (0.5, 0.75, 1.0)]
    with mock.patch.object(ev, "pair_scores", cached):
        for same, own, link in grid:
            with mock.patch.object(ev, "SAME_LANGUAGE_THRESHOLD", same), \
                    mock.patch.object(ev, "SAME_SOURCE_THRESHOLD", own), \
                    mock.patch.object(ev, "LINK_SHARE", link):
                s = score(detector_pairs(entries), gold)
            rows.append({"same": same, "same_source": own, "link_share": link,
                         **{f"{k}_{m}": round(s[k][m], 3) for k in (*KINDS, "all")
                            for m in ("precision", "recall")}})
    return rows


def fit(epochs: int = 3000, rate: float = 0.5, l2: float = 1e-3) -> dict[str, Any]:
    """Fit SAME_LANGUAGE_WEIGHTS on the training pairs (training_gold): logistic regression
    (batch gradient descent, classes weighted to balance) over the evidence of every
    same-language candidate pair that is a positive or negative there. Deterministic; prints
    what to paste into events.py."""
    labels = event_labels()
    entries = dated(labels)
    gold = training_gold(labels)
    keys = [s.id for s in stories(entries)]
    evidence = ev.pair_evidence(stories(entries), WINDOW)
    pos = set().union(*(gold.positives[k] for k in ("zh", "en")))
    neg = set().union(*(gold.negatives[k] for k in ("zh", "en")))
    rows: list[tuple[dict[str, float], int]] = []
    for (i, j), (feats, cross) in sorted(evidence.items()):
        pair = frozenset((keys[i], keys[j]))
        if not cross and (pair in pos or pair in neg):
            rows.append((feats, int(pair in pos)))
    names = sorted(rows[0][0])
    n_pos = sum(y for _f, y in rows)
    weight = {1: len(rows) / (2 * n_pos), 0: len(rows) / (2 * (len(rows) - n_pos))}
    w = dict.fromkeys(names, 0.0)
    b = 0.0
    for _ in range(epochs):
        gw = dict.fromkeys(names, 0.0)
        gb = 0.0
        for feats, y in rows:
            z = b + sum(w[k] * feats[k] for k in names)
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            g = (p - y) * weight[y]
            gb += g
            for k in names:
                gw[k] += g * feats[k]
        b -= rate * gb / len(rows)
        for k in names:
            w[k] -= rate * (gw[k] / len(rows) + l2 * w[k])
    return {"pairs": len(rows), "positives": n_pos, "bias": round(b, 3),
            "weights": {k: round(v, 3) for k, v in w.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help="print the dev threshold sweep")
    parser.add_argument("--fit", action="store_true", help="fit the same-language weights on dev")
    args = parser.parse_args()
    if args.fit:
        print(json.dumps(fit(), indent=2))
        return
    if args.sweep:
        for row in sweep():
            print(json.dumps(row))
        return
    print(json.dumps(run(), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
