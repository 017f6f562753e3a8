"""`digestbot search QUERY [--days N] [--limit N] [--offset N] [--format text|json]`.

Text: one result per two lines (id, date, title, source; then the link). JSON: one object,
`{"query", "days", "limit", "offset", "results": [{"id", "title", "published", "source", "url",
"language"}]}`, results best first (the README documents it).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from bot.cli_base import UsageError
from bot.digest.text import clean
from bot.search import MAX_LIMIT, SearchError, hit_to_dict, search
from storage import Store


def add_parser(commands: Any) -> None:
    """Register `search` on the CLI's subcommands."""
    p = commands.add_parser("search", help="find stored articles by words (Chinese or any language)")
    p.add_argument("query", nargs="+", help='words to find; "a phrase" in quotes; every word must match')
    p.add_argument("--days", type=int, help="only articles published in the last N days")
    p.add_argument("--limit", type=int, default=10, help=f"results to show (default 10, at most {MAX_LIMIT})")
    p.add_argument("--offset", type=int, default=0, help="skip this many results (the next page)")
    p.add_argument("--format", choices=("text", "json"), default="text")


def search_command(args: argparse.Namespace, store: Store, out: TextIO, now: datetime | None = None) -> int:
    """Print the results; no words or a bad number is a usage error (exit 2)."""
    query = " ".join(args.query)
    if (pending := store.pending_search_count()) > 500:
        print(f"indexing {pending:,} new articles for search …", file=sys.stderr)
    store.index_pending()  # what fetches stored since the index last caught up
    try:
        hits = search(store, query, days=args.days, limit=args.limit, offset=args.offset,
                      now=now or datetime.now(UTC))
    except SearchError as exc:
        raise UsageError(f"search: {exc}") from exc
    if args.format == "json":
        doc = {"query": query, "days": args.days, "limit": args.limit, "offset": args.offset,
               "results": [hit_to_dict(h) for h in hits]}
        out.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        return 0
    if not hits:
        print(f"no stored article matches {clean(query)!r}", file=out)
    for hit in hits:
        print(f"#{hit.article_id}  {hit.published:%Y-%m-%d}  {clean(hit.title)} — {clean(hit.source)}", file=out)
        print(f"    {clean(hit.url)}", file=out)
    return 0
