"""`digestbot fetch`'s output: a progress bar on a terminal, one plain line per feed when piped,
and the totals (the digest command fetches through the same function)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TextIO

from bot.config import Settings
from bot.models import FeedOutcome
from storage import Store


async def fetch_with_progress(
    store: Store,
    settings: Settings,
    out: TextIO,
    lines: bool = True,
    on_outcome: Callable[[FeedOutcome], object] | None = None,
    force: bool | frozenset[int] = False,
) -> list[FeedOutcome]:
    """Poll every feed; a progress bar on a terminal, one plain line per feed when piped
    (`lines=False`: none, the caller summarises). `on_outcome` sees each feed as it finishes;
    `force` polls all (True) or the given feeds even while they back off after failures."""
    from bot.ingest.pipeline import fetch_all

    now = datetime.now(UTC)
    if out.isatty():
        from rich.progress import Progress

        with Progress(transient=True) as progress:
            task = progress.add_task("Fetching feeds", total=len(store.list_feeds()))

            def tick(o: FeedOutcome) -> None:
                progress.advance(task)
                if on_outcome:
                    on_outcome(o)

            outcomes = await fetch_all(store, settings, now=now, progress=tick, force=force)
        if lines:
            for o in outcomes:
                print(_outcome_line(o), file=out)
        return outcomes

    def line(o: FeedOutcome) -> None:
        if lines:
            print(_outcome_line(o), file=out, flush=True)
        if on_outcome:
            on_outcome(o)

    return await fetch_all(store, settings, now=now, progress=line, force=force)


def _outcome_line(o: FeedOutcome) -> str:
    name = o.name or o.url
    if o.status == "failed":
        return f"failed     #{o.feed_id} {name}: {o.error}"
    if o.status == "new":
        return f"new        #{o.feed_id} {name}: {o.new_articles} new article(s)"
    if o.status == "skipped":
        return f"skipped    #{o.feed_id} {name}: {o.error or 'backing off after failures'}"
    return f"unchanged  #{o.feed_id} {name}"


def print_fetch_summary(outcomes: Sequence[FeedOutcome], out: TextIO) -> None:
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in ("new", "unchanged", "failed", "skipped")}
    new = sum(o.new_articles for o in outcomes)
    print(
        f"{len(outcomes)} feeds: {counts['new']} with new articles ({new} articles), "
        f"{counts['unchanged']} unchanged, {counts['failed']} failed, {counts['skipped']} skipped",
        file=out,
    )
