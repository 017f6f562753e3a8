"""Offline section classifier: the feed's own section hint first, then the trained section model
(bot/digest/section_model.py) over the sections it knows, then keyword scores, then the last
section."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from bot.config import SectionSettings
from bot.digest.section_model import shipped_model

TITLE_WEIGHT = 3  # a keyword in the title says more than one deep in the body
TEXT_SCAN_CHARS = 3000  # the lead of the article is enough, and keeps long texts cheap


@lru_cache(maxsize=1024)
def _pattern(keyword: str) -> re.Pattern[str]:
    """ASCII keywords match whole words ('app' must not match 'apple'); CJK ones match anywhere."""
    kw = keyword.lower().strip()
    if kw.isascii():
        return re.compile(r"(?<![a-z0-9])" + re.escape(kw) + r"(?![a-z0-9])")
    return re.compile(re.escape(kw))


def keyword_scores(title: str, text: str, sections: Sequence[SectionSettings]) -> dict[str, int]:
    """How strongly each section's keywords match (title hits count TITLE_WEIGHT times)."""
    title_l = (title or "").lower()
    text_l = (text or "")[:TEXT_SCAN_CHARS].lower()
    scores = {}
    for section in sections:
        score = 0
        for keyword in section.keywords:
            if not keyword.strip():
                continue
            pattern = _pattern(keyword)
            score += TITLE_WEIGHT * len(pattern.findall(title_l)) + len(pattern.findall(text_l))
        scores[section.key] = score
    return scores


def classify_by_keywords(title: str, text: str, sections: Sequence[SectionSettings]) -> str:
    """The best keyword match, else the last section (ties keep the earlier section)."""
    scores = keyword_scores(title, text, sections)
    best_key, best_score = sections[-1].key, 0
    for section in sections:
        if scores[section.key] > best_score:
            best_key, best_score = section.key, scores[section.key]
    return best_key


def classify(
    title: str, text: str, feed_section: str | None, sections: Sequence[SectionSettings],
    source: str = "", lean: Mapping[str, float] | None = None,
) -> str:
    """The key of the section an article belongs in; always one of `sections`' keys. `source` is
    the feed's name: the model reads the generic words in it ("changelog", "research", 日报);
    `lean` is the feed's lean (`SectionModel.lean` over its recent articles), which the model
    weighs beside the article's own words.

    Order: the feed's hint; a configured section the model does not know whose keywords match
    (sections added by the user keep working by keywords); the model's best among the sections
    it knows; keywords alone when the model knows none of them (or is missing)."""
    if not sections:
        raise ValueError("classify needs at least one section")
    keys = [s.key for s in sections]
    if feed_section and feed_section in keys:
        return feed_section
    model = shipped_model()
    known = [k for k in keys if model is not None and k in model.labels]
    if model is None or not known:
        return classify_by_keywords(title, text, sections)
    custom = [s for s in sections if s.key not in known]
    if custom:
        scores = keyword_scores(title, text, custom)
        best = max(custom, key=lambda s: scores[s.key])
        if scores[best.key] > 0:
            return best.key
    model_scores = model.scores(title, text, source, lean)
    return max(known, key=lambda k: model_scores[k])


def feed_lean(articles: Iterable[tuple[str, str]], source: str = "") -> dict[str, float] | None:
    """The lean of a feed from its recent articles ((title, text) pairs), or None without a
    model (see `SectionModel.lean`)."""
    model = shipped_model()
    return model.lean(articles, source) if model is not None else None
