"""The one button payload scheme, `action:article_id`, for Telegram callback_data and Discord custom_id.

Telegram allows 64 bytes of callback_data and Discord 100 characters of custom_id; a payload is at
most 16 + 1 + 19 ASCII bytes, so it fits both and stays stable across restarts (persistent views).
"""

from __future__ import annotations

import re

TELEGRAM_MAX_BYTES = 64
DISCORD_MAX_CHARS = 100
MAX_ID = 2**63 - 1  # SQLite INTEGER PRIMARY KEY range

_ACTION = re.compile(r"[a-z][a-z0-9_]{0,15}")
_PAYLOAD = re.compile(r"([a-z][a-z0-9_]{0,15}):(0|[1-9][0-9]{0,18})")


def encode(action: str, article_id: int) -> str:
    """`encode("more", 12)` → "more:12"; refuses anything that would not decode back."""
    if not _ACTION.fullmatch(action):
        raise ValueError(f"bad button action {action!r}")
    if isinstance(article_id, bool) or not isinstance(article_id, int) or not 0 <= article_id <= MAX_ID:
        raise ValueError(f"bad article id {article_id!r}")
    payload = f"{action}:{article_id}"
    assert len(payload.encode("ascii")) <= TELEGRAM_MAX_BYTES
    return payload


def decode(payload: str) -> tuple[str, int] | None:
    """"more:12" → ("more", 12); None for anything malformed (payloads come from users' clients)."""
    if not isinstance(payload, str) or len(payload) > TELEGRAM_MAX_BYTES:
        return None
    match = _PAYLOAD.fullmatch(payload)
    if match is None:
        return None
    article_id = int(match.group(2))
    if article_id > MAX_ID:
        return None
    return match.group(1), article_id
