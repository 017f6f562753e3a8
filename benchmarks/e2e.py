"""End to end: 200 articles in 40 local feeds → fetch_all → DigestService build, with the model
server answering every call in 300 ms, against the ideal set by latency × calls ÷ concurrency.

Feeds are written from real corpus texts (Chinese and English full-text feeds, plus the scrapinghub
article bodies), dated within the digest window, full text inline so no page is fetched. FakeWeb
and FakeOpenAI run in a child process (so their CPU does not compete with the pipeline on the same
core); the real `openai` client and httpx talk to them over loopback. Runs, each on a fresh store:
extractive (CPU floor, informational), the model at zero latency (the pipeline's own CPU floor),
the model at 300 ms with concurrency 8, a warm re-run on the same store (model calls must be 0),
the naive pipeline (concurrency 1), and a memory probe in a fresh process (tracemalloc + ru_maxrss).
Then the issue's corpus scenario: every corpus feed fetched once, and the 2025-07-25 digest (744 h)
summarised by a "sloppy" model (a word for the emoji, over-long points: repaired, not discarded),
its summarising time against calls ÷ concurrency × latency.

Token counts: the fake's `usage` is prompt chars ÷ 3 whatever the script, so this benchmark
estimates tokens itself from the exact request and answer text: ~4 characters per token for
Latin text and 1 token per CJK character, +4 per message. Run `python -m benchmarks.e2e [--quick]`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import html
import json
import logging
import math
import multiprocessing
import queue
import re
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.common import CORPUS, require_corpus
from bot.config import FetchSettings, Settings, StorageSettings, SummarizerSettings
from bot.digest.service import DigestService
from bot.ingest.parse import parse_feed_bytes
from bot.ingest.pipeline import fetch_all
from bot.summarize.openai_provider import default_client
from bot.summarize.service import SummaryService
from storage import Store

# The fakes live in tests/fakes (test helpers, not product code); the child process imports them
# by putting tests/ on sys.path.
TESTS = Path(__file__).resolve().parents[1] / "tests"
NOW = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)
ZH_FEEDS = ("36kr.xml", "leiphone.xml", "iteye_news.xml", "ifanr.xml", "geekpark.xml",
            "coolshell.xml", "coolshell-cn-feed.xml", "www-ruangyifeng-com-blog-atom.xml")
EN_FEEDS = ("TechCrunch.xml", "microsoft_ai_blog_feed.xml", "davidbau.xml", "DaringFireball.atom")
MIN_CHARS = 800  # a real article, not a teaser
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def estimate_tokens(text: str) -> int:
    """~1 token per CJK character, ~4 characters per token for everything else."""
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / 4)


# ---------------------------------------------------------------- the corpus feeds


def corpus_articles(count: int) -> list[tuple[str, str, str]]:
    """(title, text, language): half Chinese, half English, real texts of ≥ MIN_CHARS."""
    feeds = CORPUS / "feeds"
    require_corpus(feeds)
    picked: dict[str, list[tuple[str, str, str]]] = {"zh": [], "en": []}
    for lang, names in (("zh", ZH_FEEDS), ("en", EN_FEEDS)):
        for name in names:
            parsed = parse_feed_bytes((feeds / name).read_bytes(), url=f"https://src.example/{name}")
            picked[lang] += [(e.title, e.text, lang) for e in parsed.entries if len(e.text) >= MIN_CHARS]
    truth = json.loads((CORPUS / "articles" / "scrapinghub" / "ground-truth.json").read_text("utf-8"))
    for key in sorted(truth):
        body = truth[key].get("articleBody", "")
        if len(body) >= MIN_CHARS:
            first = re.split(r"(?<=[.!?])\s", body.strip(), maxsplit=1)[0]
            picked["en"].append((first[:90], body, "en"))
    half = count // 2
    if len(picked["zh"]) < half or len(picked["en"]) < count - half:
        raise RuntimeError("not enough corpus articles for the end-to-end benchmark")
    zh, en = picked["zh"][:half], picked["en"][: count - half]
    return [a for pair in zip(zh, en, strict=False) for a in pair] + zh[len(en):] + en[len(zh):]


def _rss(n: int, items: list[tuple[str, str, str]], now: datetime, per_feed: int) -> str:
    lang = items[0][2] if items else "en"
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        f"<channel><title>Bench feed {n}</title><link>https://feed{n}.example/</link>",
        f"<description>Benchmark feed {n}</description><language>{'zh-cn' if lang == 'zh' else 'en'}</language>",
    ]
    for i, (title, text, _) in enumerate(items):
        when = now - timedelta(minutes=60 + 17 * (n * per_feed + i) % 1140)  # 1 h .. 20 h ago
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
        out.append(
            f"<item><title>{html.escape(title)}</title>"
            f"<link>https://feed{n}.example/articles/{i}</link>"
            f"<guid isPermaLink=\"false\">bench-feed-{n}-article-{i}</guid>"
            f"<pubDate>{format_datetime(when)}</pubDate>"
            f"<description>{html.escape(text[:200])}</description>"
            f"<content:encoded><![CDATA[{paragraphs.replace(']]>', ']]&gt;')}]]></content:encoded></item>"
        )
    out.append("</channel></rss>")
    return "\n".join(out)


def write_feeds(root: Path, articles: list[tuple[str, str, str]], feeds: int, now: datetime) -> list[str]:
    """Write `feeds` RSS files of len(articles)/feeds items each (one language per feed)."""
    per = max(1, len(articles) // feeds)
    by_lang = {lang: [a for a in articles if a[2] == lang] for lang in ("zh", "en")}
    chunks: list[list[tuple[str, str, str]]] = []
    for group in by_lang.values():
        chunks += [group[i : i + per] for i in range(0, len(group), per)]
    names = []
    for n, chunk in enumerate(chunks):
        name = f"feed{n:02d}.xml"
        (root / name).write_text(_rss(n, chunk, now, per), encoding="utf-8")
        names.append(name)
    return names


# ---------------------------------------------------------------- the fakes' process


def _serve(root: str, delay: float, ports: Any, control: Any) -> None:
    """Child process: FakeWeb on the feeds and on the corpus feeds, a slow, an instant and a sloppy
    FakeOpenAI; report on request."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from fakes.openai_server import FakeOpenAI
    from fakes.web import FakeWeb

    async def main() -> None:
        async with FakeWeb(root=Path(root)) as web, FakeOpenAI(delay=delay) as slow, FakeOpenAI() as fast, \
                FakeWeb(root=CORPUS / "feeds") as corpus, FakeOpenAI("sloppy", delay=delay) as sloppy:
            ports.put((web.url("/"), slow.base_url, fast.base_url, corpus.url("/"), sloppy.base_url))
            loop = asyncio.get_running_loop()
            while True:
                command = await loop.run_in_executor(None, control.get)
                if command == "stop":
                    return
                fake = {"slow": slow, "sloppy": sloppy}.get(command, fast)
                answers = [json.dumps(fake.answer_for(b), ensure_ascii=False) for b in fake.requests]
                ports.put({"calls": fake.calls, "requests": fake.requests, "answers": answers})
                fake.requests = []
                fake.calls = 0

    asyncio.run(main())


# ---------------------------------------------------------------- one pipeline run


def _settings(db: str, provider: str, base_url: str, concurrency: int) -> Settings:
    return Settings(
        storage=StorageSettings(path=db),
        fetch=FetchSettings(allow_private_addresses=True),
        # every article is a candidate: this benchmark times the model calls of all of them
        summarizer=SummarizerSettings(provider=provider, base_url=base_url, model="fake-model",
                                      concurrency=concurrency, timeout_seconds=30.0,
                                      max_model_candidates=10_000),
    )


# (start, end) perf_counter of every chat completion the benchmark's clients made: where the
# model run's time goes (first call, time per call as the client sees it, calls in flight).
CALL_SPANS: list[tuple[float, float]] = []


def _factory(cfg: SummarizerSettings, key: str | None) -> Any:
    client = default_client(cfg, "sk-benchmark-fake")  # the fake accepts any key
    completions = client.chat.completions  # one object per client (cached by the SDK)
    create = completions.create

    async def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await create(*args, **kwargs)
        finally:
            CALL_SPANS.append((started, time.perf_counter()))

    completions.create = timed
    return client


def call_timeline(spans: list[tuple[float, float]], started: float, ended: float) -> dict[str, float]:
    """How a run's wall time splits: until the first call, the calls (their mean duration as the
    client sees it and how many were in flight on average), after the last answer."""
    if not spans:
        return {}
    first, last = min(a for a, _ in spans), max(b for _, b in spans)
    busy = sum(b - a for a, b in spans)
    return {"first_call_after_seconds": first - started, "mean_call_seconds": busy / len(spans),
            "mean_calls_in_flight": busy / (last - first) if last > first else float(len(spans)),
            "after_last_call_seconds": ended - last}


async def _pipeline(store: Store, settings: Settings, now: datetime, *, rebuild: bool = False
                    ) -> tuple[float, dict[str, int], Any]:
    """Timed fetch_all + digest build, the way `digestbot digest` runs them (each feed's new
    articles start summarising as it finishes); returns (seconds, summarizer stats, digest)."""
    summaries = SummaryService(store, settings, client_factory=_factory)
    digests = DigestService(store, settings, summaries)
    day = now.astimezone(ZoneInfo(settings.digest.timezone)).date()
    try:
        started = time.perf_counter()
        language = settings.digest.language
        await fetch_all(
            store, settings, now=now,
            progress=digests.warming(day, language, now=now),
        )
        fetched = time.perf_counter()
        started_during_fetch = summaries.stats["model_calls"]
        digest = await digests.get_or_build(day, settings.digest.language, now=now, rebuild=rebuild)
        ended = time.perf_counter()
        seconds = ended - started
    finally:
        await summaries.aclose()
    stats = {**summaries.stats, "fetch_ms": round(1000 * (fetched - started)),
             "calls_started_during_fetch": started_during_fetch, "started": started, "ended": ended}
    return seconds, stats, digest


def _fresh_store(tmp: Path, label: str, feed_urls: list[str]) -> Store:
    store = Store(tmp / f"{label}.db")
    for i, url in enumerate(feed_urls):
        store.add_feed(url, f"Bench feed {i}")
    return store


def _peak_rss_mb() -> float:
    """This process's peak RSS. Linux carries ru_maxrss across fork+exec (a spawned child starts
    with its parent's peak), so VmHWM of the process's own address space is read when available."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _memory_probe(db: str, feed_urls: list[str], base_url: str, concurrency: int, trace: bool,
                  out: Any) -> None:
    """Fresh process: the model pipeline once; report the tracemalloc peak (when `trace`; its own
    bookkeeping inflates RSS, so max RSS comes from a second, untraced probe)."""
    logging.disable(logging.WARNING)
    settings = _settings(db, "openai", base_url, concurrency)
    store = Store(db)
    for i, url in enumerate(feed_urls):
        store.add_feed(url, f"Bench feed {i}")
    if trace:
        tracemalloc.start()
    seconds, _, _ = asyncio.run(_pipeline(store, settings, NOW))
    store.close()
    if trace:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out.put({"tracemalloc_peak_mb": peak / 1e6, "seconds_under_tracemalloc": seconds})
    else:
        out.put({"peak_rss_mb": _peak_rss_mb()})


def _tokens(report: dict[str, Any]) -> dict[str, Any]:
    prompts = [sum(estimate_tokens(m.get("content") or "") + 4 for m in r["messages"]) for r in report["requests"]]
    answers = [estimate_tokens(a) for a in report["answers"]]
    bounded = [r.get("max_tokens") for r in report["requests"]]
    n = max(1, len(prompts))
    by_script: dict[str, list[int]] = {"zh": [], "en": []}
    for r, tokens in zip(report["requests"], prompts, strict=True):
        user = r["messages"][-1].get("content") or ""
        by_script["zh" if len(_CJK.findall(user)) * 4 > len(user) else "en"].append(tokens)
    return {
        **{f"prompt_tokens_per_{k}_article": sum(v) / len(v) for k, v in by_script.items() if v},
        "calls_seen_by_server": report["calls"],
        "prompt_tokens_per_article": sum(prompts) / n,
        "prompt_tokens_max": max(prompts, default=0),
        "completion_tokens_per_article": sum(answers) / n,
        "max_tokens_on_every_call": bool(bounded) and all(isinstance(b, int) and b > 0 for b in bounded),
        "max_tokens_values": sorted({b for b in bounded if b is not None}),
    }


async def _all_runs(tmp: Path, feed_urls: list[str], slow_url: str, fast_url: str,
                    concurrency: int, naive: bool, control: Any, reports: Any) -> dict[str, Any]:
    loop = asyncio.get_running_loop()

    async def report(which: str) -> dict[str, Any]:
        control.put(which)
        return await loop.run_in_executor(None, reports.get)

    result: dict[str, Any] = {}
    # warm imports, connection set-up and the corpus in the OS cache outside the timings
    warm = _fresh_store(tmp, "warm", feed_urls[:2])
    await _pipeline(warm, _settings(str(tmp / "warm.db"), "openai", fast_url, concurrency), NOW)
    warm.close()
    await report("fast")
    warm = _fresh_store(tmp, "warm-extractive", feed_urls[:2])  # loads jieba's dictionary
    await _pipeline(warm, _settings("", "extractive", fast_url, concurrency), NOW)
    warm.close()

    store = _fresh_store(tmp, "extractive", feed_urls)
    secs, _, digest = await _pipeline(store, _settings("", "extractive", fast_url, concurrency), NOW)
    result["extractive_seconds"] = secs
    store.close()

    store = _fresh_store(tmp, "zero", feed_urls)
    secs, stats, _ = await _pipeline(store, _settings("", "openai", fast_url, concurrency), NOW)
    result["zero_latency_model_seconds"] = secs
    result["zero_latency_fetch_seconds"] = stats["fetch_ms"] / 1000
    store.close()
    await report("fast")

    store = _fresh_store(tmp, "model", feed_urls)
    CALL_SPANS.clear()
    secs, stats, digest = await _pipeline(store, _settings("", "openai", slow_url, concurrency), NOW)
    result.update(call_timeline(CALL_SPANS, stats["started"], stats["ended"]))
    served = await report("slow")
    result["calls_started_during_fetch"] = stats["calls_started_during_fetch"]
    result.update(model_seconds=secs, model_fetch_seconds=stats["fetch_ms"] / 1000,
                  model_build_seconds=secs - stats["fetch_ms"] / 1000, model_calls=stats["model_calls"], fallbacks=stats["fallbacks"],
                  fake_usage_prompt_per_call=stats["prompt_tokens"] / max(1, stats["model_calls"]),
                  fake_usage_completion_per_call=stats["completion_tokens"] / max(1, stats["model_calls"]),
                  stories=len({a.story_id for a in store.articles_between(NOW - timedelta(days=2), NOW)}),
                  digest_items=sum(len(s.items) for s in digest.sections),
                  articles_stored=store.count_articles(), **_tokens(served))

    secs, warm_stats, _ = await _pipeline(store, _settings("", "openai", slow_url, concurrency), NOW, rebuild=True)
    served = await report("slow")
    result.update(warm_rerun_seconds=secs, warm_rerun_model_calls=warm_stats["model_calls"],
                  warm_rerun_calls_seen_by_server=served["calls"])
    store.close()

    if naive:
        store = _fresh_store(tmp, "naive", feed_urls)
        secs, stats, _ = await _pipeline(store, _settings("", "openai", slow_url, 1), NOW)
        await report("slow")
        result.update(naive_seconds=secs, naive_model_calls=stats["model_calls"])
        store.close()
    return result


CORPUS_DAY = datetime(2025, 7, 25, tzinfo=UTC).date()
CORPUS_NOW = datetime(2025, 7, 26, tzinfo=UTC)


def _corpus_settings(db: str, base_url: str, concurrency: int) -> Settings:
    """The issue's corpus scenario: every corpus feed, no page fetches, 744 h ending 2025-07-25."""
    base = _settings(db, "openai", base_url, concurrency)
    return dataclasses.replace(
        base,
        fetch=dataclasses.replace(base.fetch, full_text=False, timeout_seconds=60.0),
        digest=dataclasses.replace(base.digest, timezone="UTC", lookback_hours=744, max_items=500),
    )


async def _corpus_digest(store: Store, settings: Settings) -> tuple[float, float, dict[str, int], Any]:
    """One digest build of CORPUS_DAY on a fetched store, no fetch: (summarising seconds, i.e. the
    builder's one `summarize_many` call, whole build seconds, summarizer stats, digest)."""
    summaries = SummaryService(store, settings, client_factory=_factory)
    digests = DigestService(store, settings, summaries)
    summarising = 0.0
    summarize_many = summaries.summarize_many

    async def timed(*args: Any, **kwargs: Any) -> Any:
        nonlocal summarising
        started = time.perf_counter()
        try:
            return await summarize_many(*args, **kwargs)
        finally:
            summarising += time.perf_counter() - started

    summaries.summarize_many = timed  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        digest = await digests.get_or_build(CORPUS_DAY, "zh", now=CORPUS_NOW, rebuild=True)
        seconds = time.perf_counter() - started
    finally:
        await summaries.aclose()
    return summarising, seconds, summaries.stats, digest


async def _corpus_digest_run(tmp: Path, corpus_root: str, sloppy_url: str, fast_url: str, delay: float,
                             concurrency: int, control: Any, reports: Any) -> dict[str, Any]:
    """The corpus digest of 2025-07-25 summarised by a model that answers with a word for the emoji
    and over-long points (each answer repaired, not discarded), beside the same build against the
    instant fake (the CPU floor) on a copy of the same fetched store."""
    loop = asyncio.get_running_loop()

    async def report(which: str) -> dict[str, Any]:
        control.put(which)
        return await loop.run_in_executor(None, reports.get)

    names = sorted(p.name for p in (CORPUS / "feeds").iterdir() if p.is_file())
    store = Store(tmp / "corpus.db")
    for name in names:
        store.add_feed(corpus_root + name, Path(name).stem)
    await fetch_all(store, _corpus_settings("", fast_url, concurrency), now=CORPUS_NOW)
    store.close()
    shutil.copy(tmp / "corpus.db", tmp / "corpus-floor.db")
    floor_store = Store(tmp / "corpus-floor.db")
    floor, _, _, _ = await _corpus_digest(floor_store, _corpus_settings("", fast_url, concurrency))
    floor_store.close()
    await report("fast")
    store = Store(tmp / "corpus.db")
    seconds, build, stats, digest = await _corpus_digest(store, _corpus_settings("", sloppy_url, concurrency))
    usage = store.model_usage_since(datetime(2000, 1, 1, tzinfo=UTC))
    store.close()
    served = await report("sloppy")
    items = [i for s in digest.sections for i in s.items]
    calls = stats["model_calls"]
    bound = delay * calls / concurrency
    return {
        "corpus_summarising_seconds": seconds, "corpus_build_seconds": build,
        "corpus_cpu_floor_seconds": floor, "corpus_model_calls": calls,
        "corpus_calls_seen_by_server": served["calls"], "corpus_latency_bound_seconds": bound,
        "corpus_rounds_bound_seconds": delay * math.ceil(calls / concurrency),
        "corpus_ratio_to_ideal": seconds / bound if bound else None,
        "corpus_items": len(items), "corpus_headlines": len(digest.headlines),
        "corpus_items_with_model_points": sum(1 for i in items if not i.fallback),
        "corpus_model_share": (sum(1 for i in items if not i.fallback) / len(items)) if items else 0.0,
        "corpus_fallbacks": stats["fallbacks"], "corpus_repaired_answers": usage["repaired"],
        **{f"corpus_{k}": v for k, v in usage.items() if k.startswith("repair_")},
    }


def _first(inbox: Any, child: Any, timeout: float = 60) -> Any:
    """The child's first message, or an error as soon as the child is gone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return inbox.get(timeout=0.2)
        except queue.Empty:
            if not child.is_alive():
                raise RuntimeError("a benchmark child process died before it reported") from None
    raise RuntimeError(f"a benchmark child process did not report within {timeout:.0f} s")


def run(articles: int = 200, feeds: int = 40, delay: float = 0.3, concurrency: int = 8,
        naive: bool = True, memory: bool = True, corpus_digest: bool = True) -> dict[str, Any]:
    """Run every phase once and return the figures (see the module docstring)."""
    logging.disable(logging.WARNING)  # the pipeline's per-feed info/warnings are not the output
    try:
        return _run(articles, feeds, delay, concurrency, naive, memory, corpus_digest)
    finally:
        logging.disable(logging.NOTSET)


def _run(articles: int, feeds: int, delay: float, concurrency: int, naive: bool, memory: bool,
         corpus_digest: bool) -> dict[str, Any]:
    texts = corpus_articles(articles)
    ctx = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="digestbot-e2e-") as tmpdir:
        tmp = Path(tmpdir)
        (tmp / "feeds").mkdir()
        names = write_feeds(tmp / "feeds", texts, feeds, NOW)
        reports, control = ctx.Queue(), ctx.Queue()
        child = ctx.Process(target=_serve, args=(str(tmp / "feeds"), delay, reports, control), daemon=True)
        child.start()
        try:
            web_root, slow_url, fast_url, corpus_root, sloppy_url = _first(reports, child)
            feed_urls = [web_root + n for n in names]
            # each run's store path is set by _fresh_store; settings only need it for the probe
            result = asyncio.run(_all_runs(tmp, feed_urls, slow_url, fast_url, concurrency, naive,
                                           control, reports))
            if corpus_digest:
                result.update(asyncio.run(_corpus_digest_run(
                    tmp, corpus_root, sloppy_url, fast_url, delay, concurrency, control, reports)))
            for trace in (True, False) if memory else ():
                out = ctx.Queue()
                probe = ctx.Process(target=_memory_probe, args=(
                    str(tmp / f"memory-{trace}.db"), feed_urls, slow_url, concurrency, trace, out))
                probe.start()
                result.update(_first(out, probe, 600))
                probe.join(30)
        finally:
            control.put("stop")
            child.join(10)
            if child.is_alive():
                child.kill()
    calls = result["model_calls"]
    latency_bound = delay * calls / concurrency
    floor = result["zero_latency_model_seconds"]
    ideal = max(latency_bound, floor)
    result.update(
        articles=len(texts), feeds=len(names), delay_seconds=delay, concurrency=concurrency,
        latency_bound_seconds=latency_bound, cpu_floor_seconds=floor, ideal_seconds=ideal,
        ratio_to_ideal=result["model_seconds"] / ideal if ideal else None,
    )
    if naive:
        result["speedup_vs_naive"] = result["naive_seconds"] / result["model_seconds"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="20 articles in 4 feeds, no naive run, no corpus digest")
    args = parser.parse_args()
    figures = run(20, 4, naive=False, corpus_digest=False) if args.quick else run()
    print(json.dumps(figures, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
