"""Text from feeds must not turn into chat entities: break @mentions, /commands, #hashtags and
$cashtags with an invisible word joiner, as Discord's escaping breaks '@'.

Telegram finds these in every message on its own, HTML or not (tdlib's MessageEntity.cpp): a
mention, command or cashtag needs an ASCII letter, digit or '_' right after its sign, a hashtag a
letter, digit, '_', U+200C, U+00B7 or Sinhala; none starts after a word character (a command not after '/',
'<' or '>' either). U+2060 (WORD JOINER) is none of those, so "@\u2060name" shows as "@name" and
is plain text. The sign is left alone where Telegram would not start an entity ("a@b.c", "a/b").
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"

# A sign that could start an entity: not after a word character (for '/' not after '/', '<' or
# '>' either, so URLs and paths stay intact), and followed by something an entity may start with.
_SIGN = re.compile(r"(?:(?<![\w/<>])/|(?<!\w)[@#$])(?=[\w\u200c\u00b7\u0d80-\u0dff])")


def inert_entities(text: str) -> str:
    """`text` with a word joiner after every sign that would make a mention, command or tag."""
    return _SIGN.sub(lambda m: m.group(0) + WORD_JOINER, text or "")
