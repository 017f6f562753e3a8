"""Do embeddings sharpen same-event detection? Two sources of vectors, measured the same way:

* a static model shipped inside a PyPI wheel, to ship with digestbot (WordLlama; the answer in
  docs/editing.md was no), and
* an OpenAI-compatible embeddings endpoint, as `summarizer.embedding_model` uses it: the vectors
  come through bot/summarize/embeddings.py and the official client. For a model here,
  benchmarks/embedding_server.py serves all-MiniLM-L6-v2 from its PyPI wheel on 127.0.0.1.

    pip install wordllama                           # not a dependency of digestbot
    python -m benchmarks.events_embedding           # separation of each evidence (AUC), ~30 s
    python -m benchmarks.events_embedding --fit     # the weight the fit gives it, ~5 min
    python -m benchmarks.events_embedding --endpoint http://127.0.0.1:PORT/v1 --model NAME \
        [--fit] [--floor] [--look]

Separation, the fit (the weight the endpoint's evidence gets beside the rest) and the floor
(the smallest "embedding" evidence of a real training positive pair, and the shipped
EMBEDDING_FLOOR's rule: the largest multiple of 0.05 at or below it) read the training pairs
only. `--look` scores the held-out fresh split with the shipped EMBEDDING_FLOOR beside the
offline detector: run it once, after the floor is committed, and record it in docs/editing.md.

WordLlama's 256-dimension model (token embeddings averaged over the title and lead) is read
straight from the files in its wheel: the package's own loader looks for the tokenizer in the
wrong folder and then tries Hugging Face, and nothing here may download.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import math
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


def endpoint_vectors(base_url: str, model: str) -> dict[str, Sequence[float]]:
    """Story key → vector of every dated labelled story, from the endpoint through digestbot's
    Embedder (the same text, batches and client as the builder)."""
    from bot.config import SummarizerSettings
    from bot.summarize.embeddings import BATCH, Embedder, embedding_text

    labels = event_labels()
    stories = be.stories(be.dated(labels))
    embedder = Embedder(SummarizerSettings(provider="openai", base_url=base_url,
                                           embedding_model=model, max_retries=0), "none")

    async def all_vectors() -> list[Sequence[float]]:
        out: list[Sequence[float]] = []
        try:
            for start in range(0, len(stories), BATCH):
                out += await embedder.embed([embedding_text(s.title, s.text)
                                             for s in stories[start:start + BATCH]])
        finally:
            await embedder.aclose()
        return out

    return {str(s.id): v for s, v in zip(stories, asyncio.run(all_vectors()), strict=True)}


def with_vectors(vectors: dict[str, Sequence[float]]) -> Callable[..., Any]:
    """ev.pair_evidence that is given `vectors` whenever its caller gives none (so the fit and
    the detector both see the embedding)."""
    original = ev.pair_evidence

    def evidence(stories: Any, window: Any = ev.DEFAULT_WINDOW, given: Any = None) -> Any:
        return original(stories, window, given if given is not None else vectors)

    return evidence


def look(vectors: dict[str, Sequence[float]]) -> list[dict[str, Any]]:
    """Held-out fresh split: the offline detector and the one with the endpoint's vectors (the
    shipped EMBEDDING_FLOOR), pairwise precision / recall per kind."""
    labels = event_labels()
    entries = be.dated(labels)
    gold = be.gold_pairs(labels, "fresh")
    rows = []
    for name, patch in (("offline", None), ("embedding", with_vectors(vectors))):
        if patch is None:
            predicted = be.detector_pairs(entries)
        else:
            with mock.patch.object(ev, "pair_evidence", patch):
                predicted = be.detector_pairs(entries)
        s = be.score(predicted, gold)
        rows.append({"split": "fresh", "detector": name,
                     **{f"{k}_{m}": round(s[k][m], 3) for k in (*be.KINDS, "all")
                        for m in ("precision", "recall")},
                     "false_merges": s["all"]["fp"]})
    return rows


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
    parser.add_argument("--endpoint", help="an OpenAI-compatible base URL to take vectors from "
                        "instead of WordLlama")
    parser.add_argument("--model", default="all-MiniLM-L6-v2", help="the endpoint's model name")
    parser.add_argument("--floor", action="store_true",
                        help="with --endpoint: the embedding floor's rule on the training pairs")
    parser.add_argument("--look", action="store_true",
                        help="with --endpoint: score the held-out fresh split (record it)")
    args = parser.parse_args()
    if args.endpoint:
        endpoint(args.endpoint, args.model, args.fit, args.floor, args.look)
        return
    features = with_embedding(load_embedder())
    for row in separation(features):
        print(json.dumps(row))
    if args.fit:
        with mock.patch.object(ev, "same_language_features", features):
            fitted = be.fit()
            print(json.dumps(fitted))
            for row in scored(fitted):
                print(json.dumps(row))


def floor(vectors: dict[str, Sequence[float]]) -> dict[str, Any]:
    """The smallest "embedding" evidence of a real training positive pair (be.FIT_SPLITS) per
    language, and the floor the rule gives: the largest multiple of 0.05 at or below all of
    them, so that no such pair would be kept apart."""
    labels = event_labels()
    stories = be.stories(be.dated(labels))
    keys = [s.id for s in stories]
    evidence = ev.pair_evidence(stories, be.WINDOW, vectors)
    gold = be.training_gold(labels)
    lowest = {}
    for kind in ("en", "zh"):
        values = [f["embedding"] for (i, j), (f, cross) in evidence.items()
                  if not cross and frozenset((keys[i], keys[j])) in gold.positives[kind]]
        lowest[kind] = round(min(values), 3)
    return {"lowest_positive": lowest,
            "floor": math.floor(min(lowest.values()) / 0.05 + 1e-9) * 0.05}


def endpoint(base_url: str, model: str, fit: bool, with_floor: bool, held_out: bool) -> None:
    """The endpoint's embedding as digestbot uses it (centred, in units of the batch's scale)."""
    vectors = endpoint_vectors(base_url, model)
    with mock.patch.object(ev, "pair_evidence", with_vectors(vectors)):
        for row in separation(ev.same_language_features):
            print(json.dumps(row))
        if fit:
            print(json.dumps(be.fit()))
    if with_floor:
        print(json.dumps(floor(vectors)))
    if held_out:
        for row in look(vectors):
            print(json.dumps(row))


if __name__ == "__main__":
    main()
