"""What every benchmark shares: where the corpus is, and a clean stop when it is absent."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


class CorpusMissing(RuntimeError):
    """The shared corpus is not beside the checkout; benchmarks that need it cannot run."""


def require_corpus(path: Path) -> None:
    if not path.exists():
        raise CorpusMissing(f"{path} is missing: benchmarks need ../shared/corpus beside the checkout")
