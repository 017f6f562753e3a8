"""The hand-made labels in tests/labels/, resolved against ../shared/corpus/feeds (the labels hold
references only: feed file + link, or + GUID when a feed repeats a link).

Used by the `sections` and `events` benchmarks, the training script of the section model and the
tests that check the shipped methods against the test split. See docs/editing.md for the rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from benchmarks.common import CORPUS, require_corpus
from bot.ingest.lang import detect_language
from bot.ingest.parse import parse_feed_bytes

LABELS = Path(__file__).resolve().parents[1] / "tests" / "labels"
FEEDS = CORPUS / "feeds"


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


@dataclass(frozen=True)
class EventLabels:
    """Every story the event benchmark runs on, and the gold answers over them."""

    entries: tuple[Entry, ...]
    groups: dict[str, tuple[tuple[str, ...], str, str]]  # id → (entry keys, languages, split)
    negatives: tuple[tuple[str, str, str, str], ...]  # (key a, key b, languages, split)
    ambiguous: frozenset[frozenset[str]]  # pairs left out of every count


def _read_jsonl(name: str) -> list[dict[str, Any]]:
    path = LABELS / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def ref_key(ref: dict[str, str]) -> str:
    """The key of a label's reference: fixture id, or feed|link[|guid]."""
    if "fixture" in ref:
        return f"fixture:{ref['fixture']}"
    parts = [ref["feed"], ref["link"]] + ([ref["guid"]] if ref.get("guid") else [])
    return "|".join(parts)


@lru_cache(maxsize=64)
def _feed_entries(feed: str) -> dict[str, Entry]:
    """All entries of one corpus feed by key (both feed|link and feed|link|guid)."""
    require_corpus(FEEDS)
    parsed = parse_feed_bytes((FEEDS / feed).read_bytes(), url=f"https://corpus.example/{feed}")
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


def resolve(ref: dict[str, str]) -> Entry:
    """The corpus entry (or fixture) a label points at; KeyError names the reference."""
    if "fixture" in ref:
        return fixtures()[ref["fixture"]]
    entries = _feed_entries(ref["feed"])
    key = ref_key(ref)
    if key not in entries:
        raise KeyError(f"label points at no entry of {ref['feed']}: {key}")
    return entries[key]


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


def section_labels(split: str | None = None) -> list[SectionLabel]:
    """The labelled entries of tests/labels/sections.jsonl (one split, or all)."""
    out = []
    for row in _read_jsonl("sections.jsonl"):
        if split is None or row["split"] == split:
            out.append(SectionLabel(resolve(row), row["section"], row["split"]))
    return out


def event_labels() -> EventLabels:
    """The event benchmark's stories (every section-labelled entry, every entry an event label
    names, every fixture) and its gold groups, hard negatives and ambiguous pairs."""
    rows = _read_jsonl("events.jsonl")
    entries: dict[str, Entry] = {}

    def add(refs: Iterable[dict[str, str]]) -> list[str]:
        keys = []
        for ref in refs:
            entry = resolve(ref)
            entries.setdefault(entry.key, entry)
            keys.append(entry.key)
        return keys

    for label in section_labels():
        entries.setdefault(label.entry.key, label.entry)
    for fx in fixtures().values():
        entries.setdefault(fx.key, fx)
    groups: dict[str, tuple[tuple[str, ...], str, str]] = {}
    negatives = []
    ambiguous = set()
    for row in rows:
        if row["kind"] == "group":
            groups[row["id"]] = (tuple(add(row["items"])), row["languages"], row["split"])
        elif row["kind"] == "negative":
            a, b = add([row["a"], row["b"]])
            negatives.append((a, b, row["languages"], row["split"]))
        elif row["kind"] == "ambiguous":
            a, b = add([row["a"], row["b"]])
            ambiguous.add(frozenset((a, b)))
    return EventLabels(tuple(entries.values()), groups, tuple(negatives), frozenset(ambiguous))
