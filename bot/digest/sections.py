"""Offline section classifier: the feed's own section hint first, then keyword scores, then 'other'."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from bot.config import SectionSettings

TITLE_WEIGHT = 3  # a keyword in the title says more than one deep in the body
TEXT_SCAN_CHARS = 3000  # the lead of the article is enough, and keeps long texts cheap


@lru_cache(maxsize=1024)
def _pattern(keyword: str) -> re.Pattern[str]:
    """ASCII keywords match whole words ('app' must not match 'apple'); CJK ones match anywhere."""
    kw = keyword.lower().strip()
    if kw.isascii():
        return re.compile(r"(?<![a-z0-9])" + re.escape(kw) + r"(?![a-z0-9])")
    return re.compile(re.escape(kw))


def classify(
    title: str, text: str, feed_section: str | None, sections: Sequence[SectionSettings]
) -> str:
    """The key of the section an article belongs in; always one of `sections`' keys."""
    if not sections:
        raise ValueError("classify needs at least one section")
    keys = [s.key for s in sections]
    if feed_section and feed_section in keys:
        return feed_section
    title_l = (title or "").lower()
    text_l = (text or "")[:TEXT_SCAN_CHARS].lower()
    best_key, best_score = keys[-1], 0
    for section in sections:
        score = 0
        for keyword in section.keywords:
            if not keyword.strip():
                continue
            pattern = _pattern(keyword)
            score += TITLE_WEIGHT * len(pattern.findall(title_l)) + len(pattern.findall(text_l))
        if score > best_score:  # strict: ties keep the earlier section
            best_key, best_score = section.key, score
    return best_key
