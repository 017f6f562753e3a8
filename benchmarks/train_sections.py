"""Train the section model on the training splits of tests/labels/sections.jsonl (dev, test, dev2
and dev3: everything but the held-out "fresh" and "fresh2" rounds) and write it to bot/digest/section_model.json
(run after changing labels or features; the result is committed).

    python -m benchmarks.train_sections

Settings chosen by 5-fold cross-validation on the training splits only (see docs/editing.md).
"""

from __future__ import annotations

import time

from benchmarks.labelled import TRAIN_SPLITS, section_labels
from bot.digest.section_model import MODEL_FILE, train

LABELS = ("products", "industry", "tutorials", "other")  # the default section keys
SETTINGS = {"epochs": 20, "rate": 0.2, "l2": 3e-4, "min_count": 2, "seed": 12}


def main() -> None:
    dev = section_labels(*TRAIN_SPLITS)
    started = time.perf_counter()
    model = train([(x.entry.title, x.entry.text, x.section, x.entry.source) for x in dev], LABELS,
                  **SETTINGS)
    MODEL_FILE.write_text(model.to_json() + "\n", encoding="utf-8")
    print(f"trained on {len(dev)} training items in {time.perf_counter() - started:.1f} s; "
          f"{len(model.weights)} features, {MODEL_FILE.stat().st_size:,} bytes → {MODEL_FILE}")


if __name__ == "__main__":
    main()
