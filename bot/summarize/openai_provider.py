"""The OpenAI-compatible summarizer: one call per article, strict JSON, every field validated."""

from __future__ import annotations

import json
import logging
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from bot.config import Settings, SummarizerSettings
from bot.models import Summary
from bot.summarize.prompts import (
    build_messages,
    max_point_chars,
    point_range,
    response_schema,
)
from bot.summarize.text import cjk_ratio, has_cjk, split_sentences

log = logging.getLogger(__name__)

PROVIDER = "openai"
MAX_TITLE_CHARS = 200
MAX_EMOJI_CHARS = 8  # one emoji can be several code points (ZWJ sequences, flags, VS16)
_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]{}\"'，。；！？、）》」]+", re.I)
_MD_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")

ClientFactory = Callable[[SummarizerSettings, str | None], Any]


class ModelOutputError(Exception):
    """The model answered, but not with a usable summary; carries the tokens it cost."""

    def __init__(self, reason: str, prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens


def default_client(summarizer: SummarizerSettings, api_key: str | None) -> Any:
    """The official client, with base_url and api_key passed explicitly (it reads env otherwise)."""
    from openai import AsyncOpenAI

    return AsyncOpenAI(
        base_url=summarizer.base_url,
        api_key=api_key or "missing",
        timeout=summarizer.timeout_seconds,
        max_retries=summarizer.max_retries,
    )


def parse_json(content: str | None) -> dict[str, Any]:
    """The JSON object in a reply, also when a server ignored response_format and added prose."""
    if not content:
        raise ValueError("empty reply")
    text = content.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.S)
    if fenced:
        text = fenced.group(1).strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            raise ValueError("reply is not JSON") from None
        try:
            data = json.loads(text[start : end + 1])
        except json.JSONDecodeError as exc:
            raise ValueError(f"reply is not JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ValueError("reply is not a JSON object")
    return data


def is_emoji(value: str) -> bool:
    """A short string of symbols only: no letters, digits, spaces or punctuation."""
    if not value or len(value) > MAX_EMOJI_CHARS:
        return False
    for ch in value:
        cat = unicodedata.category(ch)
        if ch in "\u200d\ufe0f\u20e3" or cat in ("So", "Sk", "Mn", "Cf") and ord(ch) > 0x2000:
            continue
        return False
    return True


def strip_foreign_links(point: str, source: str) -> str:
    """Drop every link the source text does not contain (the model must not invent links)."""

    def keep(url: str) -> bool:
        return url.rstrip(".,;:!?") in source

    def md(m: re.Match[str]) -> str:
        return m.group(0) if keep(m.group(2)) else m.group(1)

    point = _MD_LINK.sub(md, point)
    point = _URL.sub(lambda m: m.group(0) if keep(m.group(0)) else "", point)
    return re.sub(r"\s{2,}", " ", point).strip(" :：-—")


def _language_ok(value: str, language: str) -> bool:
    if language == "zh":
        return has_cjk(value)
    if language == "en":
        return cjk_ratio(value) < 0.5
    return True


def validate(
    data: dict[str, Any],
    *,
    kind: str,
    language: str,
    sections: Sequence[str],
    source: str,
) -> tuple[str, str, tuple[str, ...], str, float]:
    """Check every field; raise ValueError naming the first violation (the caller falls back)."""
    title, emoji, points, section, importance = (
        data.get("title"), data.get("emoji"), data.get("points"), data.get("section"),
        data.get("importance"),
    )
    if not isinstance(title, str) or not title.strip() or len(title.strip()) > MAX_TITLE_CHARS:
        raise ValueError("title missing or too long")
    title = strip_foreign_links(title.strip(), source)
    if not title or not _language_ok(title, language):
        raise ValueError(f"title is not in {language}")
    if not isinstance(emoji, str) or not is_emoji(emoji.strip()):
        raise ValueError(f"emoji is not a short emoji: {str(emoji)[:20]!r}")
    if not isinstance(points, list) or not all(isinstance(p, str) for p in points):
        raise ValueError("points must be a list of strings")
    low, high = point_range(kind)
    available = len(split_sentences(source))
    if not (min(low, max(1, available)) <= len(points) <= high):
        raise ValueError(f"{len(points)} points, expected {low}-{high}")
    limit = max_point_chars(language) + 40  # a little slack: models count characters loosely
    cleaned = []
    for p in points:
        p = strip_foreign_links(p.strip(), source)
        if not p or len(p) > limit:
            raise ValueError("a point is empty or too long")
        if not _language_ok(p, language):
            raise ValueError(f"a point is not in {language}")
        cleaned.append(p)
    if section not in sections:
        raise ValueError(f"section {section!r} is not one of {list(sections)}")
    if isinstance(importance, bool) or not isinstance(importance, int | float):
        raise ValueError("importance is not a number")
    if math.isnan(importance):
        raise ValueError("importance is NaN")
    return title, emoji.strip(), tuple(cleaned), str(section), min(1.0, max(0.0, float(importance)))


class OpenAISummarizer:
    """One chat completion per article through any OpenAI-compatible endpoint."""

    def __init__(
        self, settings: Settings, api_key: str | None, client_factory: ClientFactory | None = None
    ) -> None:
        self.settings = settings
        self.model = settings.summarizer.model
        self._api_key = api_key
        self._factory = client_factory or default_client
        self._client: Any = None

    def _get_client(self) -> Any:
        if self._client is None:
            self._client = self._factory(self.settings.summarizer, self._api_key)
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP client (and its connection pool) if one was made."""
        if self._client is not None and hasattr(self._client, "close"):
            await self._client.close()
        self._client = None

    async def summarize(self, title: str, text: str, language: str, kind: str) -> Summary:
        """Ask the model once; raise on any transport error or invalid answer."""
        cfg = self.settings.summarizer
        sections = self.settings.section_keys()
        response = await self._get_client().chat.completions.create(
            model=self.model,
            messages=build_messages(
                title, text, language, kind, sections, cfg.max_input_chars, cfg.max_input_tokens
            ),
            response_format=response_schema(kind, sections),
            max_tokens=cfg.max_output_tokens,
            temperature=0.2,
        )
        usage = getattr(response, "usage", None)
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        try:
            if not response.choices:
                raise ValueError("no choices in reply")
            message = response.choices[0].message
            if getattr(message, "refusal", None):
                raise ValueError("the model refused")
            data = parse_json(message.content)
            new_title, emoji, points, section, importance = validate(
                data, kind=kind, language=language, sections=sections, source=f"{title}\n{text}"
            )
        except ValueError as exc:
            raise ModelOutputError(str(exc), prompt_tokens, completion_tokens) from exc
        return Summary(
            title=new_title,
            emoji=emoji,
            points=points,
            section=section,
            importance=importance,
            provider=PROVIDER,
            model=self.model,
            language=language,
            kind="detail" if kind == "detail" else "points",
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )
