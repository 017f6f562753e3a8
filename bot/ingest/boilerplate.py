"""Per-feed boilerplate: text that a feed repeats across its entries is the feed's, not the story's.

A feed's entries are compared with each other. Each entry's text is cut into fragments (its lines,
and the parts of a line between ` | ` separators, so an appended ` | Organization: X | Source: Y`
counts piece by piece); the entry's own title inside a fragment is replaced by a placeholder (so
WordPress's "The post <title> appeared first on <blog>." is the same fragment in every entry) and
digits are folded ("已有 0 人发表留言" and "已有 1 人…" are one fragment).

A fragment is boilerplate when it occurs in at least MIN_ENTRIES entries of the feed; a long one
(over LONG_CHARS characters) must also occur in at least LONG_SHARE of the entries, because a long
paragraph found in three entries is more likely one story told three times than a template.
Measured on ../shared/corpus/feeds (45 feeds, 3,543 entries; see docs/architecture.md): every
repeated fragment there is at most 100 characters long, and at MIN_ENTRIES = 3 what is caught is
templates, sponsor lines, share prompts, related-article lists and counters, while the real
paragraphs two entries of one feed share (leiphone: 2 of 20) stay.

A feed may also open its fragments with its own label: "The Batch AI News and Insights: <the
letter>", "DeepSeek news: <the news>". A lead-in of at most LABEL_CHARS characters before a
colon that starts fragments of at least MIN_ENTRIES entries and LABEL_SHARE of them is the
feed's, and is cut off; the rest of the fragment stays (it is the story). In the corpus: The Batch
(124 and 61 of its entries, two spellings), DeepSeek's news feed (14), Hacker News's "Article
URL" and "Score" lines.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable

log = logging.getLogger(__name__)

MIN_ENTRIES = 3
LONG_CHARS = 160
LONG_SHARE = 0.3
LABEL_CHARS = 60
LABEL_SHARE = 0.2

_PIPE = re.compile(r"\s+[|｜]\s+|^[|｜]\s*|\s*[|｜]$")
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
_TITLE = "\x00"
_LABEL = re.compile(rf"^([^:：\n]{{3,{LABEL_CHARS}}}?)\s*[:：]\s+(?=\S)")
_LABEL_KEY = "\x01"  # label keys live beside fragment keys, marked so they never clash


def _label(fragment: str) -> tuple[str, str] | None:
    """(the label's key, the fragment after it) when the fragment opens with "Label: "."""
    m = _LABEL.match(fragment)
    if m is None:
        return None
    return _LABEL_KEY + _SPACE.sub(" ", m.group(1)).strip().casefold(), fragment[m.end():]


def _key(fragment: str, title: str) -> str:
    text = fragment
    if title and len(title) >= 8:
        text = text.replace(title, _TITLE)
    return _DIGITS.sub("0", _SPACE.sub(" ", text).strip().casefold())


def _fragments(line: str) -> list[str]:
    return [part.strip() for part in _PIPE.split(line) if part.strip()]


def repeated_fragments(entries: Iterable[tuple[str, str]]) -> frozenset[str]:
    """Keys of the fragments that are boilerplate in this feed, from its (title, text) pairs."""
    seen: Counter[str] = Counter()
    total = 0
    for title, text in entries:
        total += 1
        fragments = [fragment for line in text.split("\n") for fragment in _fragments(line)]
        keys = {_key(fragment, title) for fragment in fragments}
        keys |= {label[0] for fragment in fragments if (label := _label(fragment))}
        seen.update(k for k in keys if k)
    if total < MIN_ENTRIES:
        return frozenset()
    out = set()
    for key, count in seen.items():
        if count < MIN_ENTRIES:
            continue
        if len(key) > LONG_CHARS and count < LONG_SHARE * total:
            continue
        if key.startswith(_LABEL_KEY) and count < LABEL_SHARE * total:
            continue
        out.add(key)
    return frozenset(out)


def _unlabelled(fragment: str, boilerplate: frozenset[str]) -> str:
    """The fragment without its opening label when that label is the feed's."""
    label = _label(fragment)
    return label[1] if label is not None and label[0] in boilerplate else fragment


def strip_repeated(text: str, title: str, boilerplate: frozenset[str]) -> str:
    """The text without the feed's boilerplate fragments (other fragments of a line stay, joined
    as they were), without its labels before what they introduce, and without lines that only
    repeat the title."""
    if not text:
        return text
    own_title = _key(title, title) if title else ""
    out: list[str] = []
    for line in text.split("\n"):
        parts = _fragments(line)
        if not parts:
            out.append("")
            continue
        keys = [_key(p, title) for p in parts]
        kept = [p for p, k in zip(parts, keys, strict=True) if k not in boilerplate and k != own_title]
        unlabelled = [_unlabelled(p, boilerplate) for p in kept]
        if unlabelled == parts:
            out.append(line)
        elif unlabelled:
            out.append(" | ".join(unlabelled))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()
