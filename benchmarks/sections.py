"""Section classifier: accuracy on the held-out splits of tests/labels/sections.jsonl ("fresh" to
"fresh5", each alone and together), beside the majority baseline (always the commonest section of
the training labels) and the keyword classifier the project had before the model
(`classify_by_keywords` with the default sections), overall and per language (the reader's
language label); and the time per item.

Which split is which: the model (bot/digest/section_model.json) learned from the training splits
(first-round dev and test, dev2 to dev6); "fresh" to "fresh5" were labelled, and committed,
before any method was run on them (fresh2 to fresh5 were split off the third to sixth rounds by a
hash before they were labelled). No feed hints are given: the model
sees the title, the lead, the feed's name and the feed's lean (its latest entries in the corpus
file up to the item, as the store would hold them), as in the builder; the model without the
lean is reported beside.

A second reader labelled 200 items of the fresh split blind, by the same written rules
(tests/labels/sections_second_reader.jsonl): how often the two readers agree says how far a reader
of these rules gets, and so how much of the model's shortfall is the task and how much the model.
Run `python -m benchmarks.sections`.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from typing import Any

from benchmarks.labelled import (
    HELD_OUT_SPLITS,
    LABELS,
    TRAIN_SPLITS,
    SectionLabel,
    ref_key,
    section_labels,
)
from benchmarks.train_sections import LeanReader
from bot.config import DEFAULT_SECTIONS
from bot.digest.section_model import shipped_model
from bot.digest.sections import classify, classify_by_keywords


def _accuracy(items: list[SectionLabel], predict: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    for lang in ("all", "zh", "en"):
        chosen = [x for x in items if lang == "all" or x.lang == lang]
        hits = sum(1 for x in chosen if predict(x) == x.section)
        out[lang] = hits / len(chosen) if chosen else 0.0
        out[f"{lang}_n"] = len(chosen)
    return out


def second_reader(fresh: list[SectionLabel], predict: Any) -> dict[str, Any]:
    """Agreement of a second, blind reader with the first on a sample of the fresh split (overall,
    per language, Cohen's kappa), and the model's accuracy on that sample against either reader
    and on the items where both agree."""
    path = LABELS / "sections_second_reader.jsonl"
    first = {x.entry.key: x for x in fresh}
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    pairs = [(first[ref_key(row)], row["section"]) for row in rows]  # KeyError names a stray reference
    n = len(pairs)
    agree = [x for x, second in pairs if x.section == second]
    by_first, by_second = Counter(x.section for x, _ in pairs), Counter(s for _, s in pairs)
    chance = sum(by_first[k] * by_second[k] for k in by_first) / (n * n)
    observed = len(agree) / n
    out: dict[str, Any] = {
        "items": n, "agreement": observed, "kappa": (observed - chance) / (1 - chance),
        "model_vs_first": sum(predict(x) == x.section for x, _ in pairs) / n,
        "model_vs_second": sum(predict(x) == s for x, s in pairs) / n,
        "model_where_readers_agree": sum(predict(x) == x.section for x in agree) / len(agree),
        "readers_agree_items": len(agree),
    }
    for lang in ("zh", "en"):
        chosen = [(x, s) for x, s in pairs if x.lang == lang]
        out[f"agreement_{lang}"] = sum(x.section == s for x, s in chosen) / len(chosen)
        out[f"{lang}_n"] = len(chosen)
    return out


def per_item_microseconds(items: list[SectionLabel], leans: dict[str, Any], rounds: int = 5) -> float:
    """Median over rounds of the mean time of one `classify` call (model path, no hint, the feed's
    lean given: the builder reads each feed's lean once per digest, not once per item)."""
    timings = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for x in items:
            classify(x.entry.title, x.entry.text, None, DEFAULT_SECTIONS, x.entry.source, leans[x.entry.key])
        timings.append((time.perf_counter() - t0) / len(items))
    return statistics.median(timings) * 1e6


def run(rounds: int = 5) -> dict[str, Any]:
    """Accuracies (model, majority, keywords) on the held-out splits together and each alone, the
    model's confusion, the second reader, and speed."""
    dev, test = section_labels(*TRAIN_SPLITS), section_labels(*HELD_OUT_SPLITS)
    if shipped_model() is None:
        raise RuntimeError("bot/digest/section_model.json is missing: run python -m benchmarks.train_sections")
    majority = Counter(x.section for x in dev).most_common(1)[0][0]
    reader = LeanReader(shipped_model())  # type: ignore[arg-type]  # checked above
    leans = {x.entry.key: reader(x.entry) for x in test}

    def model(x: SectionLabel) -> str:
        return classify(x.entry.title, x.entry.text, None, DEFAULT_SECTIONS, x.entry.source,
                        leans[x.entry.key])

    def model_alone(x: SectionLabel) -> str:  # the article's own words, without its feed's lean
        return classify(x.entry.title, x.entry.text, None, DEFAULT_SECTIONS, x.entry.source)

    def keywords(x: SectionLabel) -> str:
        return classify_by_keywords(x.entry.title, x.entry.text, DEFAULT_SECTIONS)

    confusion: Counter[str] = Counter()
    for x in test:
        confusion[f"{x.section}>{model(x)}"] += 1
    classify("warm-up", "", None, DEFAULT_SECTIONS)  # the model file loads once
    splits = {split: {"model": _accuracy(part, model), "majority": _accuracy(part, lambda x: majority),
                      "keywords": _accuracy(part, keywords), "no_lean": _accuracy(part, model_alone)}
              for split in HELD_OUT_SPLITS for part in [[x for x in test if x.split == split]]}
    return {
        "train_items": len(dev), "test_items": len(test), "test_split": "+".join(HELD_OUT_SPLITS),
        "splits": splits,
        "majority_label": majority,
        "model": _accuracy(test, model),
        "majority": _accuracy(test, lambda x: majority),
        "keywords": _accuracy(test, keywords),
        "no_lean": _accuracy(test, model_alone),
        "confusion": dict(confusion),
        "second_reader": second_reader([x for x in test if x.split == "fresh"], model),
        "microseconds_per_item": per_item_microseconds(test, leans, rounds),
    }


def main() -> None:
    print(json.dumps(run(), indent=2))


if __name__ == "__main__":
    main()
