"""The web archive: a month of digests (30 days, ~100 stories a day) built from a real SQLite store
into a fresh folder, then rebuilt with nothing changed (which must rewrite no file).

Reference, in the same run: rendering the same 30 digests as Markdown (`render_markdown`), the
cheapest text the project makes of a digest. Run `python -m benchmarks.site [--days N --items N]`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.config import Settings, SiteSettings
from bot.digest.markdown import render_markdown
from bot.digest.strings import t
from bot.models import AlsoSource, Digest, DigestItem, DigestSection, DigestStats, Highlight
from bot.site.build import build_site, site_options
from storage import Store

SECTIONS = (("products", "产品介绍"), ("industry", "产业资讯"), ("tutorials", "技术教程"), ("other", "其他"))
_WORDS = ("模型", "芯片", "开源", "推理", "训练", "数据", "发布", "融资", "智能体", "算力", "云服务", "评测",
          "多模态", "参数", "开发者", "企业", "价格", "性能", "安全", "研究")


def _sentence(rng: random.Random, words: int) -> str:
    return "".join(rng.choice(_WORDS) for _ in range(words)) + "。"


def month_of_digests(days: int, items: int, seed: int = 13) -> list[Digest]:
    """Deterministic digests shaped like real ones: titles of ~25 characters, three points of
    ~60, up to three "also reported by" sources, four sections, ten highlights."""
    rng = random.Random(seed)
    last = date(2026, 11, 30)
    out = []
    for d in range(days):
        day = last - timedelta(days=d)
        stories = [
            DigestItem(
                id=d * 1000 + i, title=_sentence(rng, 12)[:-1], emoji=rng.choice("🚀🤖💰📚🔬🧠"),
                url=f"https://news{i % 17}.example.com/{day.isoformat()}/{i}",
                source=f"来源 {i % 17}", published=datetime(day.year, day.month, day.day, i % 24, tzinfo=UTC),
                points=tuple(_sentence(rng, 30) for _ in range(3)),
                also=tuple(AlsoSource(f"https://wire{n}.example.org/{d}/{i}", f"通讯社 {n}")
                           for n in range(rng.randint(0, 3))),
                original_chars=rng.randint(800, 6000),
            )
            for i in range(items)
        ]
        sections = tuple(DigestSection(k, name, tuple(stories[j::4])) for j, (k, name) in enumerate(SECTIONS))
        summary = sum(len(p) for s in stories for p in s.points)
        original = sum(s.original_chars for s in stories)
        out.append(Digest(
            date=day, language="zh", title=t("zh", "title", date=day.isoformat()),
            stats=DigestStats(items, 17, original, summary, max(1, summary // 400),
                              original * 100 // max(1, summary) - 100, items // 10, 1),
            highlights=tuple(Highlight(s.id, s.title, s.emoji) for s in stories[:10]),
            sections=sections,
        ))
    return out


def run(days: int = 30, items: int = 100, rounds: int = 3) -> dict[str, float]:
    """Median build and rebuild times, files rewritten by the rebuild, and the Markdown reference."""
    digests = month_of_digests(days, items)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        for digest in digests:
            store.save_digest(digest)
        settings = Settings(site=SiteSettings(base_url="https://digest.example.org/"))
        builds, rebuilds, markdown = [], [], []
        rewritten: list[int] = []
        files = 0
        size = 0
        for n in range(rounds):
            options = site_options(settings, output=str(Path(tmp) / f"site{n}"))
            started = time.perf_counter()
            first = build_site(store, options)
            builds.append(time.perf_counter() - started)
            files = len(first.written)
            size = sum(p.stat().st_size for p in options.output_dir.rglob("*") if p.is_file())
            stamps = {p: p.stat().st_mtime_ns for p in options.output_dir.rglob("*") if p.is_file()}
            started = time.perf_counter()
            again = build_site(store, options)
            rebuilds.append(time.perf_counter() - started)
            touched = sum(1 for p, m in stamps.items() if p.stat().st_mtime_ns != m)
            rewritten.append(max(len(again.written), touched))
            started = time.perf_counter()
            for digest in digests:
                render_markdown(digest)
            markdown.append(time.perf_counter() - started)
        store.close()
    return {
        "days": days, "items_per_day": items, "rounds": rounds,
        "build_seconds": statistics.median(builds), "rebuild_seconds": statistics.median(rebuilds),
        "markdown_seconds": statistics.median(markdown), "files": files, "bytes": size,
        "rebuild_files_rewritten": max(rewritten),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--items", type=int, default=100)
    args = parser.parse_args()
    print(run(args.days, args.items))
