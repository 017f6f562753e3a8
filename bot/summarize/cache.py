"""The summary cache key: everything a summary depends on, so two stories never share one by accident.

A key built from the text alone let every entry of a feed that carries the same stub ("Organization:
Anthropic | Source: Anthropic (news)") share one summary, and serialised their model calls behind one
lock. The key now covers the title and the text, the provider and its model, the language and kind,
and the settings that shape a model's answer (endpoint, prompt version, sections, input and output
budgets). The same story carried by two feeds (same title, same text) still maps to one key, so it
costs one model call. Keys carry a format prefix: rows written under an older format never match.
"""

from __future__ import annotations

import hashlib
import json

from bot.config import Settings

KEY_FORMAT = "s2"  # s1 (unprefixed): sha256 of the text alone
# Bump when the prompt, the schema or the repair rules change what a model answer becomes.
PROMPT_VERSION = "p2"


def summary_key(
    title: str, text: str, provider: str, model: str, language: str, kind: str,
    settings: Settings | None = None,
) -> str:
    """A stable key for one (story, summariser, language, kind); model settings count when given."""
    parts: list[object] = [title.strip(), text.strip(), provider, model, language, kind]
    if settings is not None:
        cfg = settings.summarizer
        parts += [
            PROMPT_VERSION, cfg.base_url, cfg.max_input_chars, cfg.max_input_tokens,
            cfg.max_output_tokens, list(settings.section_keys()),
        ]
    blob = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return f"{KEY_FORMAT}:{hashlib.sha256(blob.encode('utf-8', 'surrogatepass')).hexdigest()}"
