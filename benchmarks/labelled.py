"""The hand-made labels in tests/labels/, resolved against ../shared/corpus (the labels hold
references only: feed file + link, or + GUID when a feed repeats a link; a feed named with a folder,
such as "feeds-bulk/jobbole.xml", lives under the corpus root, a bare name under feeds/; an LCSTS
document of summaries/lcsts/PART_III.txt is referenced by its doc id).

Splits: "dev" and "test" are the first labelling round (the test split was looked at during
development, so both now train and tune); "fresh" is the held-out round labelled afterwards and
reported; "dev2" is more training data labelled after the fresh round was committed; "dev3" and
"fresh2" are a third round, split by a hash before anyone labelled it: dev3 trains, fresh2 is held
out; "dev4" and "fresh3" are a fourth round (English AI-company and tech blogs) split the same way,
"dev5" and "fresh4" a fifth (more English entries of the feeds earlier rounds drew from), "dev6"
and "fresh5" a sixth (what those feeds had left) (docs/editing.md tells the history).

Used by the `sections` and `events` benchmarks, the training script of the section model and the
tests that check the shipped methods against the test split. See docs/editing.md for the rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from benchmarks.common import CORPUS, require_corpus
from bot.ingest.lang import detect_language
from bot.ingest.parse import parse_feed_bytes

LABELS = Path(__file__).resolve().parents[1] / "tests" / "labels"
FEEDS = CORPUS / "feeds"
LCSTS = CORPUS / "summaries" / "lcsts" / "PART_III.txt"
OLD_SPLITS = ("dev", "test")
TRAIN_SPLITS = ("dev", "test", "dev2", "dev3", "dev4", "dev5", "dev6")  # what the section model learns from and is tuned on
HELD_OUT_SPLITS = ("fresh", "fresh2", "fresh3", "fresh4", "fresh5")  # what the section benchmark reports; never trained on
# Section entries that also serve as event stories. "dev2" (more training labels, read later) is
# left out: nobody read those entries for same-event pairs.
EVENT_POOL_SPLITS = ("dev", "test", "fresh")


@dataclass(frozen=True)
class Entry:
    """One corpus entry (or invented fixture) with what the methods see."""

    key: str  # "feed|link" or "feed|link|guid", or "fixture:ID"
    source: str
    title: str
    text: str
    language: str
    published: datetime | None


@dataclass(frozen=True)
class SectionLabel:
    entry: Entry
    section: str
    split: str
    lang: str = ""  # the reader's language label (the detector can be wrong on code-heavy posts)


@dataclass(frozen=True)
class EventLabels:
    """Every story the event benchmark runs on, and the gold answers over them."""

    entries: tuple[Entry, ...]
    groups: dict[str, tuple[tuple[str, ...], str, str]]  # id → (entry keys, languages, split)
    negatives: tuple[tuple[str, str, str, str], ...]  # (key a, key b, languages, split)
    ambiguous: frozenset[frozenset[str]]  # pairs left out of every count
    fresh: frozenset[str] = frozenset()  # stories first labelled in the held-out round
    dev3: frozenset[str] = frozenset()  # stories written for the third round's training pairs


def _read_jsonl(name: str) -> list[dict[str, Any]]:
    path = LABELS / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def ref_key(ref: dict[str, str]) -> str:
    """The key of a label's reference: fixture id, or feed|link[|guid]."""
    if "fixture" in ref:
        return f"fixture:{ref['fixture']}"
    if "lcsts" in ref:
        return f"lcsts:{ref['lcsts']}"
    parts = [ref["feed"], ref["link"]] + ([ref["guid"]] if ref.get("guid") else [])
    return "|".join(parts)


@cache  # ~130 feeds are named; each is parsed once per process
def _feed_entries(feed: str) -> dict[str, Entry]:
    """All entries of one corpus feed by key (both feed|link and feed|link|guid)."""
    path = CORPUS / feed if "/" in feed else FEEDS / feed
    require_corpus(path)
    parsed = parse_feed_bytes(path.read_bytes(), url=f"https://corpus.example/{path.name}")
    out: dict[str, Entry] = {}
    for e in parsed.entries:
        language = e.language or detect_language(f"{e.title}\n{e.text}")
        base = f"{feed}|{e.url}"
        entry = Entry(base, parsed.title or feed, e.title, e.text, language, e.published)
        out.setdefault(base, entry)
        if e.guid:
            out[f"{base}|{e.guid}"] = Entry(f"{base}|{e.guid}", entry.source, e.title, e.text,
                                            language, e.published)
    return out


def feed_history(entry: Entry, limit: int) -> list[tuple[str, str]]:
    """(title, text) of the `limit` latest entries of the entry's feed published no later than it
    (itself among them; undated entries count as the latest), as the store would hold them when
    the digest classifies it: what the section model's feed lean reads. No labels are read.
    Empty for an entry with no feed (LCSTS, fixtures)."""
    if entry.key.startswith(("lcsts:", "fixture:")):
        return []
    feed = entry.key.split("|", 1)[0]
    unique = {e.key.split("|")[1]: e for e in _feed_entries(feed).values()}  # one per link
    when = entry.published
    seen = [e for e in unique.values() if when is None or e.published is None or e.published <= when]
    seen.sort(key=lambda e: (e.published is None, e.published or when, e.key), reverse=True)
    return [(e.title, e.text) for e in seen[:limit]]


def resolve(ref: dict[str, str]) -> Entry:
    """The corpus entry (or fixture) a label points at; KeyError names the reference."""
    if "fixture" in ref:
        return fixtures()[ref["fixture"]]
    if "lcsts" in ref:
        return lcsts_documents()[int(ref["lcsts"])]
    entries = _feed_entries(ref["feed"])
    key = ref_key(ref)
    if key not in entries:
        raise KeyError(f"label points at no entry of {ref['feed']}: {key}")
    return entries[key]


@lru_cache(maxsize=1)
def lcsts_documents() -> dict[int, Entry]:
    """LCSTS Weibo news posts by doc id: the human-written summary is the headline, the short
    text the body (Chinese news without dates: section labels only)."""
    require_corpus(LCSTS)
    raw = LCSTS.read_text(encoding="utf-8")
    pattern = re.compile(r"<doc id=(\d+)>.*?<summary>\s*(.*?)\s*</summary>\s*<short_text>\s*(.*?)\s*"
                         r"</short_text>", re.DOTALL)
    return {int(m.group(1)): Entry(f"lcsts:{m.group(1)}", "LCSTS", m.group(2), m.group(3), "zh", None)
            for m in pattern.finditer(raw)}


@lru_cache(maxsize=1)
def fixtures() -> dict[str, Entry]:
    """The invented same-event fixtures (tests/labels/event_fixtures.jsonl), by id."""
    out = {}
    for row in _read_jsonl("event_fixtures.jsonl"):
        out[row["id"]] = Entry(f"fixture:{row['id']}", row["source"], row["title"], row["text"],
                               row["lang"], datetime.fromisoformat(row["published"]))
    return out


def fixture_groups() -> dict[str, str]:
    """Fixture id → its group id (a story alone in its group is a singleton)."""
    return {row["id"]: row["group"] for row in _read_jsonl("event_fixtures.jsonl")}


def section_labels(*splits: str) -> list[SectionLabel]:
    """The labelled entries of tests/labels/sections.jsonl (of the given splits, or all)."""
    out = []
    for row in _read_jsonl("sections.jsonl"):
        if not splits or row["split"] in splits:
            out.append(SectionLabel(resolve(row), row["section"], row["split"], row["lang"]))
    return out


def _pool_rows() -> list[dict[str, Any]]:
    path = LABELS / "event_pool.jsonl"
    return _read_jsonl("event_pool.jsonl") if path.exists() else []


def event_labels() -> EventLabels:
    """The event benchmark's stories (every section-labelled entry, every entry an event label
    or tests/labels/event_pool.jsonl names, every fixture) and its gold groups, hard negatives
    and ambiguous pairs. Stories of the third round's training fixtures (split "dev3") are
    scored in the "dev3" split; stories that neither a first-round nor a dev3 label names are the
    fresh ones: pairs touching them are scored in the "fresh" split only."""
    rows = _read_jsonl("events.jsonl")
    entries: dict[str, Entry] = {}
    old: set[str] = set()
    dev3: set[str] = set()

    def add(refs: Iterable[dict[str, str]]) -> list[str]:
        keys = []
        for ref in refs:
            entry = resolve(ref)
            entries.setdefault(entry.key, entry)
            keys.append(entry.key)
        return keys

    for label in section_labels(*EVENT_POOL_SPLITS):
        entries.setdefault(label.entry.key, label.entry)
        if label.split in OLD_SPLITS:
            old.add(label.entry.key)
    for row in _read_jsonl("event_fixtures.jsonl"):
        fx = fixtures()[row["id"]]
        entries.setdefault(fx.key, fx)
        if row.get("split", "dev") in OLD_SPLITS:
            old.add(fx.key)
        elif row.get("split") == "dev3":
            dev3.add(fx.key)
    add(_pool_rows())
    groups: dict[str, tuple[tuple[str, ...], str, str]] = {}
    negatives = []
    ambiguous = set()
    for row in rows:
        first_round = row.get("split", "dev") in OLD_SPLITS
        if row["kind"] == "group":
            keys = add(row["items"])
            groups[row["id"]] = (tuple(keys), row["languages"], row["split"])
        else:
            keys = add([row["a"], row["b"]])
            if row["kind"] == "negative":
                negatives.append((keys[0], keys[1], row["languages"], row["split"]))
            elif row["kind"] == "ambiguous":
                ambiguous.add(frozenset(keys))
        if first_round:
            old.update(keys)
    fresh = frozenset(k for k in entries if k not in old and k not in dev3)
    return EventLabels(tuple(entries.values()), groups, tuple(negatives), frozenset(ambiguous), fresh,
                       frozenset(dev3))
