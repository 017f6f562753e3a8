"""Smoke test of `python -m benchmarks --quick`: every benchmark runs end to end with tiny limits
and writes its rows into the table (the figures themselves are not checked: --quick is too small)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


# Every benchmark once with tiny limits, after resolving every labelled corpus entry: 67 to 119 s
# on this 2-core machine by its load (3 Dec 2026), so 120 s was a coin toss, not a hang guard.
@pytest.mark.timeout(300)
def test_quick_run_writes_a_row_for_every_benchmark(tmp_path: Path) -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from benchmarks.__main__ import NAMES, TITLES, main

    out = tmp_path / "x.md"
    assert main(["--quick", "--output", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    table = [line for line in page.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| what | this project | reference")
    for prefix in ("Feed parsing", "Extraction F1", "Offline summary ROUGE-1", "Dedup recall, same-story",
                   "Dedup false merges", "End to end: digest wall time", "Prompt tokens per article",
                   "Model calls on a warm re-run", "Delivery wall time", "Delivery messages lost",
                   "Web archive build", "Web archive rebuild", "Restart races: seeded kills",
                   "Search latency", "Search recall of Chinese words",
                   "Chat: /help answer while an old day builds", "Chat: peak RSS",

                   "Section accuracy, held-out fresh + fresh2 + fresh3 + fresh4 + fresh5", "Section accuracy, fresh5 alone",
                   "Section accuracy vs the same model without the feed's lean", "Same-event pairs, Chinese, held-out fresh split",
                   "Model calls for fetch + digest"):
        assert any(line.startswith(f"| {prefix}") for line in table), prefix
    assert "not run" not in page
    for name in NAMES:
        assert f"## {TITLES[name]}" in page
    assert "0 | 8 on the cold run" in page  # the warm re-run made no model call
