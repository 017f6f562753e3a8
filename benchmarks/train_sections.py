"""Train the section model on the training splits of tests/labels/sections.jsonl (every split but
the held-out ones: see benchmarks/labelled.py) and write it to bot/digest/section_model.json (run
after changing labels or features; the result is committed).

    python -m benchmarks.train_sections          # train and write the model
    python -m benchmarks.train_sections --cv     # 5-fold cross-validation on the training splits

Settings are chosen by that cross-validation, on the training splits only, never on a held-out
split (see docs/editing.md).
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from typing import Any

from benchmarks.labelled import TRAIN_SPLITS, Entry, SectionLabel, feed_history, section_labels
from bot.digest.section_model import LEAN_ARTICLES, MODEL_FILE, SectionModel, lean_of, train

LABELS = ("products", "industry", "tutorials", "other")  # the default section keys
SETTINGS: dict[str, Any] = {"epochs": 20, "rate": 0.2, "l2": 3e-4, "min_count": 2, "seed": 12}
FOLDS = 5
CV_SEED = 7


def _items(labelled: list[SectionLabel]) -> list[tuple[str, str, str, str]]:
    return [(x.entry.title, x.entry.text, x.section, x.entry.source) for x in labelled]


class LeanReader:
    """The feed lean of labelled entries (`SectionModel.lean` over `feed_history`), with each
    history entry's probabilities computed once per model: a lean reads up to LEAN_ARTICLES
    entries, and neighbours share most of them."""

    def __init__(self, model: SectionModel) -> None:
        self.model = model
        self._probabilities: dict[tuple[str, str, str], dict[str, float]] = {}

    def __call__(self, entry: Entry) -> dict[str, float] | None:
        history = feed_history(entry, LEAN_ARTICLES)
        if not history:
            return None
        return lean_of(self.model.labels, (self._probability(t, x, entry.source) for t, x in history))

    def _probability(self, title: str, text: str, source: str) -> dict[str, float]:
        key = (title, text, source)
        if key not in self._probabilities:
            self._probabilities[key] = self.model.probabilities(title, text, source)
        return self._probabilities[key]


def cross_validate(labelled: list[SectionLabel], folds: int = FOLDS) -> dict[str, tuple[int, int]]:
    """Right and total per training split, language and "all" when each fold is predicted by a
    model trained on the other folds, with the feed lean (keys as they are) and without it (keys
    prefixed "no lean "); folds are a fixed shuffle, so runs compare like with like."""
    order = list(range(len(labelled)))
    random.Random(CV_SEED).shuffle(order)
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for k in range(folds):
        held = set(order[k::folds])
        model = train(_items([x for i, x in enumerate(labelled) if i not in held]), LABELS, **SETTINGS)
        lean = LeanReader(model)
        for i in held:
            x = labelled[i]
            e = x.entry
            for prefix, with_lean in (("", lean(e)), ("no lean ", None)):
                ok = model.predict(e.title, e.text, e.source, with_lean) == x.section
                for key in (x.split, x.lang, "all"):
                    right[prefix + key] += ok
                    total[prefix + key] += 1
    return {key: (right[key], total[key]) for key in total}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.train_sections")
    parser.add_argument("--cv", action="store_true", help="cross-validate on the training splits; write nothing")
    args = parser.parse_args(argv)
    dev = section_labels(*TRAIN_SPLITS)
    started = time.perf_counter()
    if args.cv:
        for key, (right, total) in sorted(cross_validate(dev).items()):
            print(f"{key:>14}: {right / total:6.1%} of {total}")
        print(f"{FOLDS}-fold cross-validation in {time.perf_counter() - started:.0f} s")
        return
    model = train(_items(dev), LABELS, **SETTINGS)
    MODEL_FILE.write_text(model.to_json() + "\n", encoding="utf-8")
    print(f"trained on {len(dev)} training items in {time.perf_counter() - started:.1f} s; "
          f"{len(model.weights)} features, {MODEL_FILE.stat().st_size:,} bytes → {MODEL_FILE}")


if __name__ == "__main__":
    main()
