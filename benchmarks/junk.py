"""Junk and boilerplate in feed text, before and after cleaning, on every feed of the corpus.

"Before" is what parsing gave before this cleaning existed (the cleaning step replaced by the
identity); "after" is the stored form. Junk is counted with markers written independently of
the cleaning rules (the kinds issue 9 lists, as regular expressions), per entry and per line;
content kept is the characters left outside those lines. Entries that lose more than half of
their non-junk text are listed for reading. Run `python -m benchmarks.junk [--show N]`.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from unittest import mock

from benchmarks.common import CORPUS, require_corpus

FEEDS = CORPUS / "feeds"

# The kinds of junk issue 9 names, each as a marker that matches one line.
MARKERS: dict[str, re.Pattern[str]] = {
    "aggregator suffix": re.compile(r"Organization: [^|\n]{1,60}(?:\||$)|\| Source: \w[^|\n]{0,40}\("),
    "feed footer": re.compile(r"appeared first on|^Read more at |^(?:相关文章|延伸阅读|推荐阅读|您可能也感兴趣)"),
    "script": re.compile(r"\b(?:let|const|var) \$\w+|document\.\w+\(|addEventListener\(|\$\w+\.style\."),
    "tag list": re.compile(r"^(?:Tags?|标签)\s*[:：]"),
    "byline": re.compile(r"^(?:作者|责编|编辑|文|By)\s*[:：|｜]\s*\S{1,40}|^By [A-Z][a-z]+ [A-Z][a-z]+$"),
    "image credit": re.compile(r"^(?:题图|图片|图)(?:来自|来源|自)\s*[:：]|^(?:Image|Photo) credits?\s*:|^Photos?:"),
    "escaped LaTeX": re.compile(r"\$[^$\n]{0,200}\\[A-Za-z]+[^$\n]{0,200}\$"),
    "counter": re.compile(r"^#?\s*(?:Points|Score|Comments|Upvotes)\s*:\s*\d+$"),
    "follow prompt": re.compile(r"关注.{0,12}(?:公众号|公众账号|微信号)|^Follow @"),
}


def _parse(path: Path, cleaned: bool) -> list[tuple[str, str, bool]]:
    """(url, text, is_stub) per entry, with or without the cleaning step."""
    from bot.ingest import parse

    feed_url = f"https://corpus.example/{path.name}"
    if cleaned:
        feed = parse.parse_feed_bytes(path.read_bytes(), url=feed_url)
    else:
        with mock.patch.object(parse, "clean_entry_texts", lambda pairs: [text for _, text in pairs]), \
             mock.patch.object(parse, "render_math", lambda text: text):
            feed = parse.parse_feed_bytes(path.read_bytes(), url=feed_url)
    return [(e.url, e.text, e.is_stub) for e in feed.entries]


def _junk_lines(text: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for line in text.split("\n"):
        for kind, marker in MARKERS.items():
            if marker.search(line.strip()):
                found[kind] += 1
    return found


def _content_lines(text: str) -> list[str]:
    """Lines no marker calls junk (and no math markup, which cleaning rewrites on purpose)."""
    return [line.strip() for line in text.split("\n") if line.strip() and "$" not in line
            and not any(m.search(line.strip()) for m in MARKERS.values())]


def lost_lines(raw: str, clean: str) -> list[str]:
    """The raw text's content lines that the cleaned text no longer holds. A line the cleaned
    text holds without its opening "Label: " lost only that label, which is what is listed."""
    kept = {line.strip() for line in clean.split("\n")}
    out = []
    for line in _content_lines(raw):
        if line in kept or line in clean:
            continue
        label, colon, rest = line.partition(": ")
        out.append(f"{label}:" if colon and len(label) <= 60 and rest and rest in clean else line)
    return out


def run(show: int = 0, limit: int | None = None) -> dict[str, Any]:
    """Figures over every feed in corpus/feeds (the first `limit`); `show` prints what was dropped."""
    require_corpus(FEEDS)
    lines_before: Counter[str] = Counter()
    lines_after: Counter[str] = Counter()
    entries_before: Counter[str] = Counter()
    entries_after: Counter[str] = Counter()
    chars_before = chars_after = content_before = content_lost = 0
    lost_by_feed: dict[str, Counter[str]] = defaultdict(Counter)
    stubs_before = stubs_after = entries = 0
    losses: list[tuple[float, str, str]] = []
    for path in sorted(p for p in FEEDS.iterdir() if p.is_file())[:limit]:
        try:
            before, after = _parse(path, False), _parse(path, True)
        except Exception as exc:  # noqa: BLE001 (a feed the parser refuses is not this benchmark's business)
            print(f"skipped {path.name}: {type(exc).__name__}")
            continue
        for (url, raw, stub0), (_, clean, stub1) in zip(before, after, strict=True):
            entries += 1
            jb, ja = _junk_lines(raw), _junk_lines(clean)
            lines_before.update(jb)
            lines_after.update(ja)
            entries_before.update(jb.keys())
            entries_after.update(ja.keys())
            chars_before += len(raw)
            chars_after += len(clean)
            content = sum(len(line) for line in _content_lines(raw))
            lost = lost_lines(raw, clean)
            content_before += content
            content_lost += sum(len(line) for line in lost)
            for line in lost:
                lost_by_feed[path.name][line] += 1
            stubs_before += stub0
            stubs_after += stub1
            if content >= 200 and sum(len(line) for line in lost) > 0.5 * content:
                losses.append((sum(len(line) for line in lost) / content, path.name, url))
    losses.sort(reverse=True)
    for share, name, url in losses[:show]:
        print(f"lost {share:.0%} of non-junk text: {name} {url}")
    if show:
        for name, lines in sorted(lost_by_feed.items()):
            print(f"== {name}: {sum(lines.values())} lines dropped ({len(lines)} distinct)")
            for line, count in lines.most_common(show):
                print(f"   {count:4d} {line[:140]}")
    return {
        "feeds_entries": entries,
        "junk_lines_before": sum(lines_before.values()),
        "junk_lines_after": sum(lines_after.values()),
        "entries_with_junk_before": sum(1 for _ in entries_before.elements()),
        "entries_with_junk_after": sum(1 for _ in entries_after.elements()),
        "by_kind": {k: [entries_before[k], entries_after[k]] for k in MARKERS},
        "chars_before": chars_before,
        "chars_after": chars_after,
        "content_chars": content_before,
        "content_chars_dropped": content_lost,
        "entries_losing_half": len(losses),
        "stubs_before": stubs_before,
        "stubs_after": stubs_after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show", type=int, default=20)
    args = parser.parse_args()
    for key, value in run(args.show).items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
