"""Would a static embedding model shipped inside a PyPI wheel sharpen same-event detection? The
check behind docs/editing.md's answer (no), on the training pairs only; the held-out split is
not read.

    pip install wordllama                           # not a dependency of digestbot
    python -m benchmarks.events_embedding           # separation of each evidence (AUC), ~30 s
    python -m benchmarks.events_embedding --fit     # the weight the fit gives it, ~5 min

WordLlama's 256-dimension model (token embeddings averaged over the title and lead) is read
straight from the files in its wheel: the package's own loader looks for the tokenizer in the
wrong folder and then tries Hugging Face, and nothing here may download.
"""

from __future__ import annotations

import argparse
import bisect
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

from benchmarks import events as be
from benchmarks.labelled import event_labels
from bot.digest import events as ev

SPLITS = ("dev", "test", "dev3")  # training pairs: the fit's (dev, test) and the invented dev3
COMPARED = ("embedding", "cosine", "title_cosine", "names", "content")


def load_embedder() -> Callable[[str], Any]:
    """text → unit vector, from the weights and tokenizer inside the installed wordllama wheel."""
    try:
        import numpy as np
        import wordllama
        from safetensors import safe_open
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise SystemExit(f"this check needs wordllama (pip install wordllama): {exc.name} "
                         "is missing") from None
    package = Path(wordllama.__file__).parent
    tokenizer = Tokenizer.from_file(str(package / "tokenizers" / "l2_supercat_tokenizer_config.json"))
    with safe_open(str(package / "weights" / "l2_supercat_256.safetensors"), framework="np") as f:
        table = f.get_tensor("embedding.weight").astype(np.float32)

    def embed(text: str) -> Any:
        ids = tokenizer.encode(text).ids or [0]
        vector = table[ids].mean(axis=0)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    return embed


def with_embedding(embed: Callable[[str], Any]) -> Callable[..., dict[str, float]]:
    """same_language_features plus "embedding": the cosine of the two stories' title + lead."""
    original = ev.same_language_features
    vectors: dict[Any, Any] = {}

    def vector(p: Any) -> Any:
        if p.story.id not in vectors:
            vectors[p.story.id] = embed(f"{p.story.title}\n{(p.story.text or '')[:ev.LEAD_CHARS]}")
        return vectors[p.story.id]

    def features(a: Any, b: Any, *rest: Any) -> dict[str, float]:
        out = original(a, b, *rest)
        out["embedding"] = float(vector(a) @ vector(b))
        return out

    return features


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """The chance that a positive pair scores above a negative one (ties count half)."""
    ordered = sorted(negatives)
    total = 0.0
    for p in positives:
        below, upto = bisect.bisect_left(ordered, p), bisect.bisect_right(ordered, p)
        total += below + 0.5 * (upto - below)
    return total / (len(positives) * len(ordered)) if positives and ordered else float("nan")


def separation(features: Callable[..., dict[str, float]]) -> list[dict[str, Any]]:
    """AUC of each compared evidence over the candidate pairs of each training split and
    language (positives against negatives of that split)."""
    labels = event_labels()
    stories = be.stories(be.dated(labels))
    keys = [s.id for s in stories]
    with mock.patch.object(ev, "same_language_features", features):
        evidence = ev.pair_evidence(stories, be.WINDOW)
    rows = []
    for split in SPLITS:
        gold = be.gold_pairs(labels, split)
        for kind in ("en", "zh"):
            pos, neg = [], []
            for (i, j), (feats, cross) in evidence.items():
                pair = frozenset((keys[i], keys[j]))
                if not cross and pair in gold.positives[kind]:
                    pos.append(feats)
                elif not cross and pair in gold.negatives[kind]:
                    neg.append(feats)
            rows.append({"split": split, "kind": kind, "positives": len(pos), "negatives": len(neg),
                         **{name: round(auc([f[name] for f in pos], [f[name] for f in neg]), 3)
                            for name in COMPARED}})
    return rows


def scored(fitted: dict[str, Any], thresholds: Sequence[float] = (0.93, 0.95)) -> list[dict[str, Any]]:
    """Pairwise precision / recall of the detector with the fitted weights (embedding included;
    call with same_language_features patched) at each same-language threshold, on the training
    splits."""
    labels = event_labels()
    entries = be.dated(labels)
    rows = []
    with mock.patch.object(ev, "SAME_LANGUAGE_WEIGHTS", fitted["weights"]), \
            mock.patch.object(ev, "SAME_LANGUAGE_BIAS", fitted["bias"]):
        for threshold in thresholds:
            with mock.patch.object(ev, "SAME_LANGUAGE_THRESHOLD", threshold):
                predicted = be.detector_pairs(entries)
            for split in SPLITS:
                s = be.score(predicted, be.gold_pairs(labels, split))
                rows.append({"threshold": threshold, "split": split,
                             **{f"{k}_{m}": round(s[k][m], 3) for k in (*be.KINDS, "all")
                                for m in ("precision", "recall")}})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.events_embedding")
    parser.add_argument("--fit", action="store_true",
                        help="also fit the same-language weights with the embedding cosine added")
    args = parser.parse_args()
    features = with_embedding(load_embedder())
    for row in separation(features):
        print(json.dumps(row))
    if args.fit:
        with mock.patch.object(ev, "same_language_features", features):
            fitted = be.fit()
            print(json.dumps(fitted))
            for row in scored(fitted):
                print(json.dumps(row))


if __name__ == "__main__":
    main()
