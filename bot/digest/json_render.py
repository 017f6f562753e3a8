"""The documented JSON output (README): stable key order, UTF-8 text, and its JSON Schema."""

from __future__ import annotations

import json
from typing import Any

from bot.models import Digest


def render_json(digest: Digest) -> str:
    """The digest as JSON in the documented schema; key order is the schema's, never sorted."""
    return json.dumps(digest.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required if required is not None else list(properties),
        "additionalProperties": False,
    }


_STR = {"type": "string"}
_INT = {"type": "integer", "minimum": 0}
_URL = {"type": "string", "pattern": "^https?://"}

DIGEST_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "digestbot digest",
    **_obj(
        {
            "date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
            "language": {"type": "string", "enum": ["zh", "en"]},
            "title": _STR,
            "stats": _obj(
                {
                    "articles": _INT,
                    "sources": _INT,
                    "original_chars": _INT,
                    "summary_chars": _INT,
                    "reading_minutes": _INT,
                    "efficiency_percent": _INT,
                    "duplicates_merged": _INT,
                    "feeds_failed": _INT,
                    "offline_summaries": _INT,
                    "headlines": _INT,
                }
            ),
            "highlights": {
                "type": "array",
                "items": _obj({"id": _INT, "title": _STR, "emoji": _STR}),
            },
            "sections": {
                "type": "array",
                "items": _obj(
                    {
                        "key": _STR,
                        "name": _STR,
                        "items": {
                            "type": "array",
                            "items": _obj(
                                {
                                    "id": _INT,
                                    "title": _STR,
                                    "emoji": _STR,
                                    "url": _URL,
                                    "source": _STR,
                                    "published": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T"},
                                    "points": {"type": "array", "items": _STR},
                                    "also": {"type": "array", "items": _obj({"url": _URL, "source": _STR})},
                                    "importance": {"type": "number", "minimum": 0, "maximum": 1},
                                    "original_chars": _INT,
                                    "fallback": {"type": "boolean"},
                                    "original_title": _STR,
                                }
                            ),
                        },
                    }
                ),
            },
            "failed_feeds": {"type": "array", "items": _obj({"name": _STR, "reason": _STR})},
            "headlines": {
                "type": "array",
                "items": _obj({"id": _INT, "title": _STR, "url": _URL, "source": _STR}),
            },
        }
    ),
}
