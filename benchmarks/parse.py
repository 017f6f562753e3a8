"""Feed parsing: the project's parse path against plain feedparser on the corpus's bulk feeds.

Both run in one process on the same bytes, alternating per round so machine noise hits both.
Ours does more (encoding repair, sanitising HTML to text, language detection, canonical URLs), so
the interesting figures are the cost of that extra work and how many items both agree on.
Run `python -m benchmarks.parse [--rounds N]`.
"""

from __future__ import annotations

import argparse
import statistics
import time
from urllib.parse import urljoin

import feedparser

from benchmarks.common import CORPUS, require_corpus
from bot.ingest import FetchError
from bot.ingest.parse import parse_feed_bytes
from bot.ingest.urls import canonical_url

BULK = CORPUS / "feeds-bulk"


def _ours(body: bytes, url: str) -> set[str]:
    try:
        return {e.url for e in parse_feed_bytes(body, url=url).entries}
    except FetchError:
        return set()


def _plain(body: bytes, url: str) -> set[str]:
    result = feedparser.parse(body)
    links = set()
    for entry in result.get("entries", []):
        link = entry.get("link")
        if isinstance(link, str) and link.strip():
            absolute = urljoin(url, link.strip())
            if absolute.startswith(("http://", "https://")):
                links.add(canonical_url(absolute))
    return links


def run(rounds: int = 3) -> dict[str, float]:
    require_corpus(BULK)
    files = sorted(p for p in BULK.iterdir() if p.is_file())
    bodies = [(p.read_bytes(), f"https://feeds.example/{p.name}") for p in files]
    megabytes = sum(len(b) for b, _ in bodies) / 1e6
    ours_t, plain_t = [], []
    ours_items: list[set[str]] = []
    plain_items: list[set[str]] = []
    for _ in range(rounds):
        started = time.perf_counter()
        plain_items = [_plain(b, u) for b, u in bodies]
        plain_t.append(time.perf_counter() - started)
        started = time.perf_counter()
        ours_items = [_ours(b, u) for b, u in bodies]
        ours_t.append(time.perf_counter() - started)
    agree = sum(len(a & b) for a, b in zip(ours_items, plain_items, strict=True))
    plain_total = sum(len(b) for b in plain_items)
    ours_total = sum(len(a) for a in ours_items)
    ours_s, plain_s = statistics.median(ours_t), statistics.median(plain_t)
    return {
        "feeds": len(files),
        "megabytes": megabytes,
        "ours_feeds_per_s": len(files) / ours_s,
        "plain_feeds_per_s": len(files) / plain_s,
        "ours_mb_per_s": megabytes / ours_s,
        "plain_mb_per_s": megabytes / plain_s,
        "ours_items": ours_total,
        "plain_items": plain_total,
        "items_agreeing": agree,
        "time_ratio": ours_s / plain_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    r = run(parser.parse_args().rounds)
    print(
        f"{r['feeds']:.0f} feeds, {r['megabytes']:.1f} MB: ours {r['ours_feeds_per_s']:.1f} feeds/s "
        f"({r['ours_mb_per_s']:.2f} MB/s), plain feedparser {r['plain_feeds_per_s']:.1f} feeds/s "
        f"({r['plain_mb_per_s']:.2f} MB/s), time ratio {r['time_ratio']:.2f}; items: ours "
        f"{r['ours_items']:.0f}, feedparser {r['plain_items']:.0f}, agreeing {r['items_agreeing']:.0f}"
    )


if __name__ == "__main__":
    main()
