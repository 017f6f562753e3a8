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

from benchmarks.labelled import TRAIN_SPLITS, SectionLabel, section_labels
from bot.digest.section_model import MODEL_FILE, train

LABELS = ("products", "industry", "tutorials", "other")  # the default section keys
SETTINGS = {"epochs": 20, "rate": 0.2, "l2": 3e-4, "min_count": 2, "seed": 12}
FOLDS = 5
CV_SEED = 7


def _items(labelled: list[SectionLabel]) -> list[tuple[str, str, str, str]]:
    return [(x.entry.title, x.entry.text, x.section, x.entry.source) for x in labelled]


def cross_validate(labelled: list[SectionLabel], folds: int = FOLDS) -> dict[str, tuple[int, int]]:
    """Right and total per training split (and "all") when each fold is predicted by a model
    trained on the other folds; folds are a fixed shuffle, so runs compare like with like."""
    order = list(range(len(labelled)))
    random.Random(CV_SEED).shuffle(order)
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for k in range(folds):
        held = set(order[k::folds])
        model = train(_items([x for i, x in enumerate(labelled) if i not in held]), LABELS, **SETTINGS)
        for i in held:
            x = labelled[i]
            ok = model.predict(x.entry.title, x.entry.text, x.entry.source) == x.section
            for key in (x.split, "all"):
                right[key] += ok
                total[key] += 1
    return {key: (right[key], total[key]) for key in total}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.train_sections")
    parser.add_argument("--cv", action="store_true", help="cross-validate on the training splits; write nothing")
    args = parser.parse_args(argv)
    dev = section_labels(*TRAIN_SPLITS)
    started = time.perf_counter()
    if args.cv:
        for key, (right, total) in sorted(cross_validate(dev).items()):
            print(f"{key:>6}: {right / total:6.1%} of {total}")
        print(f"{FOLDS}-fold cross-validation in {time.perf_counter() - started:.0f} s")
        return
    model = train(_items(dev), LABELS, **SETTINGS)
    MODEL_FILE.write_text(model.to_json() + "\n", encoding="utf-8")
    print(f"trained on {len(dev)} training items in {time.perf_counter() - started:.1f} s; "
          f"{len(model.weights)} features, {MODEL_FILE.stat().st_size:,} bytes → {MODEL_FILE}")


if __name__ == "__main__":
    main()
