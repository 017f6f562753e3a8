"""A burst of `/summarize URL` in a process of its own, reporting its memory (for
tests/test_hostile_chat_load.py and benchmarks/chat.py).

    python -m fakes.chat_burst_child '<json>'

The JSON gives the page URL, how many users ask at once, the SQLite path, limits.concurrent_page_fetches
and whether to import the chat SDKs first (so the baseline is the real service's). Every request goes
through handlers.dispatch with the real services: the network guard (users allowed to reach the
local server), the size caps, extraction and the offline summariser (in a worker thread, so all the
memory is this process's). Prints one JSON line: baseline and peak RSS (VmHWM) in MB, and the replies.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any


def _status_mb(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def rss_mb() -> float:
    """This process's resident memory now, in MB."""
    return _status_mb("VmRSS")


def peak_mb() -> float:
    """The largest resident memory of this process's own address space (VmHWM). Not ru_maxrss:
    Linux carries the parent's peak at fork into a spawned child's ru_maxrss."""
    return _status_mb("VmHWM")


async def burst(cfg: dict[str, Any]) -> dict[str, Any]:
    from bot.config import LimitsSettings, Settings, StorageSettings, validate
    from bot.models import Request
    from bot.services import build_services
    from handlers import dispatch
    from storage import Store

    settings = validate(Settings(
        storage=StorageSettings(path=cfg["db"]),
        limits=LimitsSettings(user_urls_may_reach_private=True, offline_worker="thread",
                              concurrent_page_fetches=int(cfg["concurrency"])),
    ))
    store = Store(settings.storage.path)
    services = build_services(settings, store)

    def ask(user: int, url: str) -> Any:
        request = Request(platform="telegram", chat_id=str(user), user_id=str(user), command="summarize",
                          args=(url,), language="en")
        return dispatch(request, services)

    try:
        warm = await ask(1, cfg["small_url"])  # imports, jieba-free English summary, a first page
        baseline = rss_mb()
        started = time.perf_counter()
        replies = await asyncio.gather(*(ask(100 + i, cfg["url"]) for i in range(int(cfg["count"]))))
        elapsed = time.perf_counter() - started
    finally:
        await services.summaries.aclose()
        store.close()
    return {
        "baseline_mb": round(baseline, 1), "peak_mb": round(peak_mb(), 1), "seconds": round(elapsed, 2),
        "warm": warm.text[:80], "replies": [r.text[:80] for r in replies],
    }


def main() -> None:
    cfg = json.loads(sys.argv[1])
    if cfg.get("sdks"):  # the service's own baseline: both chat SDKs loaded
        import discord  # noqa: F401
        import telegram.ext  # noqa: F401
    print(json.dumps(asyncio.run(burst(cfg))))


if __name__ == "__main__":
    main()
