"""Main-text extraction: F1 and pages/s on the scrapinghub article-extraction benchmark pages.

Our extractor is measured side by side with trafilatura's default settings and readability-lxml in
one process. F1 follows the benchmark's own definition: `\\w+` tokens, multisets of 4-token
shingles, per-page TP/FP/FN normalised to sum to 1, precision and recall averaged over pages,
F1 the harmonic mean of the two averages. Run `python -m benchmarks.extraction [--limit N]`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable

from benchmarks.common import CORPUS, require_corpus

PAGES = CORPUS / "articles" / "scrapinghub"
_TOKEN = re.compile(r"\w+", re.UNICODE)


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def page_counts(true: str, pred: str) -> tuple[float, float, float]:
    """(TP, FP, FN) over shingle multisets, normalised so a long page weighs as much as a short one."""
    t, p = _shingles(true), _shingles(pred)
    tp = float(sum((t & p).values()))
    fp = float(sum((p - t).values()))
    fn = float(sum((t - p).values()))
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def scores(counts: list[tuple[float, float, float]]) -> dict[str, float]:
    def precision(tp: float, fp: float, fn: float) -> float:
        if fp == fn == 0:
            return 1.0
        return 0.0 if tp == fp == 0 else tp / (tp + fp)

    def recall(tp: float, fp: float, fn: float) -> float:
        if fp == fn == 0:
            return 1.0
        return 0.0 if tp == fn == 0 else tp / (tp + fn)

    p = statistics.mean(precision(*c) for c in counts if c[0] + c[1] > 0)
    r = statistics.mean(recall(*c) for c in counts if c[0] + c[2] > 0)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def load_pages(limit: int | None = None) -> list[tuple[str, str, str]]:
    """(html, url, true text) for each benchmark page, in id order."""
    truth = json.loads((PAGES / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth)[:limit]:
        html = gzip.decompress((PAGES / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8", "replace")
        pages.append((html, truth[page_id].get("url", ""), truth[page_id].get("articleBody", "")))
    return pages


def _ours() -> Callable[[str, str], str]:
    from bot.ingest.extract import extract_text

    return lambda html, url: extract_text(html, url)[1] or ""


def _trafilatura_default() -> Callable[[str, str], str]:
    import trafilatura

    return lambda html, url: trafilatura.extract(html, url=url) or ""


def _readability() -> Callable[[str, str], str]:
    import lxml.html
    from readability import Document

    def run(html: str, url: str) -> str:
        summary = Document(html).summary(html_partial=True)
        return lxml.html.fromstring(summary).text_content() if summary.strip() else ""

    return run


EXTRACTORS: dict[str, Callable[[], Callable[[str, str], str]]] = {
    "digestbot (trafilatura fast mode, title from the head)": _ours,
    "trafilatura default": _trafilatura_default,
    "readability-lxml": _readability,
}


def run(limit: int | None = None, rounds: int = 1) -> dict[str, dict[str, float]]:
    """F1 and single-core pages/s per extractor, measured in one process on the same pages."""
    require_corpus(PAGES)
    pages = load_pages(limit)
    results: dict[str, dict[str, float]] = {}
    for name, factory in EXTRACTORS.items():
        try:
            extract = factory()
        except ImportError:  # readability-lxml comes with the bench extra, not with the test one
            continue
        timings = []
        outputs: list[str] = []
        for _ in range(rounds):
            started = time.perf_counter()
            outputs = [extract(html, url) for html, url, _ in pages]
            timings.append(time.perf_counter() - started)
        counts = [page_counts(true, pred) for (_, _, true), pred in zip(pages, outputs, strict=True)]
        results[name] = {**scores(counts), "pages_per_s": len(pages) / statistics.median(timings),
                         "pages": len(pages)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    for name, r in run(args.limit, args.rounds).items():
        print(f"{name:<48} F1={r['f1']:.3f} P={r['precision']:.3f} R={r['recall']:.3f} "
              f"{r['pages_per_s']:.1f} pages/s ({r['pages']:.0f} pages)")


if __name__ == "__main__":
    main()
