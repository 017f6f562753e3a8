"""Reading-time and efficiency figures for the digest header, language-aware.

Definitions (kept identical everywhere):
- reading_minutes: time to read the digest's key points, each point at its own language's rate
  (a point that is mostly Chinese at ~400 characters per minute, any other at ~230 words per
  minute), whatever the digest's language. At least 1 when there is any text, rounded to nearest.
- efficiency_percent: round(original_chars / summary_chars * 100 - 100), i.e. how much shorter the
  reading is, in percent. With one reading speed for both texts this equals
  (original reading time / digest reading time - 1) * 100. The example header checks out:
  86,412 / 6,930 * 100 - 100 = 1,147 %, 6,930 chars / 400 per min = 17 min.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ZH_CHARS_PER_MINUTE = 400
EN_WORDS_PER_MINUTE = 230

_WORD = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


def _minutes(text: str) -> float:
    """Minutes for one text at its own language's rate: mostly Chinese → characters ÷ 400,
    otherwise words ÷ 230 (with any CJK characters counted two to a word)."""
    cjk = len(_CJK.findall(text))
    visible = sum(1 for c in text if not c.isspace())
    if visible and cjk / visible > 0.3:
        return len(text) / ZH_CHARS_PER_MINUTE
    return (len(_WORD.findall(text)) + cjk / 2) / EN_WORDS_PER_MINUTE


def reading_minutes(texts: Iterable[str], language: str) -> int:
    """Minutes to read `texts`, each at its own language's rate: a Chinese digest may carry English
    points and an English digest Chinese ones (`language` is the digest's; the text decides)."""
    texts = [t for t in texts if t.strip()]
    if not texts:
        return 0
    return max(1, round(sum(_minutes(t) for t in texts)))


def efficiency_percent(original_chars: int, summary_chars: int) -> int:
    """How much less there is to read, in percent (see module docstring); 0 when undefined."""
    if summary_chars <= 0 or original_chars <= 0:
        return 0
    return max(0, round(original_chars / summary_chars * 100 - 100))
