"""The OpenAI-compatible summarizer: one call per article, strict JSON, every field validated and
cosmetic faults repaired (counted), so only an answer without a usable point is thrown away."""

from __future__ import annotations

import json
import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from bot.config import Settings, SummarizerSettings
from bot.models import Summary
from bot.summarize.extractive import emoji_for, estimate_importance
from bot.summarize.prompts import (
    build_messages,
    max_point_chars,
    point_range,
    response_schema,
    truncate_at_sentence,
)
from bot.summarize.text import cjk_ratio, has_cjk

log = logging.getLogger(__name__)

PROVIDER = "openai"
MAX_TITLE_CHARS = 200
MAX_EMOJI_CHARS = 8  # one emoji can be several code points (ZWJ sequences, flags, VS16)
_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]{}\"'，。；！？、）》」]+", re.IGNORECASE)
_MD_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")
_SENTENCE_END = "。！？；.!?\"'”’」』）)"

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
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.DOTALL)
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


def shorten_point(point: str, limit: int) -> str:
    """`point` cut to at most `limit` characters: after its last whole sentence that fits, else at a
    clause or word boundary with an ellipsis (a model counts characters loosely)."""
    if len(point) <= limit:
        return point
    whole = truncate_at_sentence(point, limit)
    if whole and len(whole) >= limit // 3 and whole[-1] in _SENTENCE_END:
        return whole
    head = point[: limit - 1]
    cut = max(head.rfind(c) for c in "，、：；,;:—")
    if cut < limit // 3 and " " in head:
        cut = head.rfind(" ")
    if cut >= limit // 3:
        head = head[:cut]
    return head.rstrip(" ,;:，、：；—") + "…"


class Checked(NamedTuple):
    """A model answer after validation and repair; `repairs` counts what had to be fixed, by field."""

    title: str
    emoji: str
    points: tuple[str, ...]
    section: str | None  # None: unknown, the digest's offline classifier decides
    importance: float
    repairs: dict[str, int]


def _points(
    points: object, kind: str, language: str, source: str, repairs: Counter[str]
) -> tuple[str, ...]:
    """The usable points of an answer; a point is dropped, cut or kept, never the whole answer
    unless none is left."""
    _, high = point_range(kind)
    limit = max_point_chars(language)
    cleaned: list[str] = []
    for p in points if isinstance(points, list) else []:
        if not isinstance(p, str):
            repairs["points"] += 1
            continue
        p = strip_foreign_links(p.strip(), source)
        if not p or not _language_ok(p, language):
            repairs["points"] += 1
            continue
        if len(p) > limit + 40:  # a little slack before cutting: models count characters loosely
            p = shorten_point(p, limit)
            repairs["points"] += 1
        cleaned.append(p)
    if len(cleaned) > high:
        repairs["points"] += len(cleaned) - high
        cleaned = cleaned[:high]
    if not cleaned:
        raise ValueError("no usable points" if isinstance(points, list) else "points is not a list")
    return tuple(cleaned)


def validate(
    data: dict[str, Any],
    *,
    kind: str,
    language: str,
    sections: Sequence[str],
    source: str,
    article_title: str = "",
) -> Checked:
    """Check every field and repair the cosmetic ones; raise ValueError only when no point is usable.

    An over-long, empty or wrong-language title becomes the article's own title; an emoji that is
    not one is chosen from the section and keywords; an unknown section is left to the offline
    classifier; an over-long point is cut at a sentence boundary; a bad importance is estimated.
    """
    repairs: Counter[str] = Counter()
    points = _points(data.get("points"), kind, language, source, repairs)
    title = data.get("title")
    if isinstance(title, str) and 0 < len(title.strip()) <= MAX_TITLE_CHARS:
        title = strip_foreign_links(title.strip(), source)
    if not isinstance(title, str) or not title or len(title) > MAX_TITLE_CHARS or not _language_ok(
        title, language
    ):
        title = article_title.strip()[:MAX_TITLE_CHARS]
        repairs["title"] += 1
    section = data.get("section")
    if section not in sections:
        section = None
        repairs["section"] += 1
    emoji = data.get("emoji")
    emoji = emoji.strip() if isinstance(emoji, str) else ""
    if not is_emoji(emoji):
        emoji = emoji_for(section, article_title, source)
        repairs["emoji"] += 1
    importance = data.get("importance")
    if isinstance(importance, bool) or not isinstance(importance, int | float) or math.isnan(importance):
        importance = estimate_importance(article_title, source)
        repairs["importance"] += 1
    return Checked(
        title, emoji, points, None if section is None else str(section),
        min(1.0, max(0.0, float(importance))), dict(repairs),
    )


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

    async def summarize(
        self, title: str, text: str, language: str, kind: str
    ) -> tuple[Summary, dict[str, int]]:
        """Ask the model once: the summary and the repairs its answer needed; raise on any
        transport error or an answer without one usable point."""
        cfg = self.settings.summarizer
        sections = self.settings.section_keys()
        response = await self._get_client().chat.completions.create(
            model=self.model,
            messages=build_messages(
                title, text, language, kind, sections, cfg.max_input_chars, cfg.max_input_tokens,
                definitions={s.key: s.description_for(language) for s in self.settings.digest.sections},
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
            checked = validate(
                data, kind=kind, language=language, sections=sections, source=f"{title}\n{text}",
                article_title=title,
            )
        except ValueError as exc:
            raise ModelOutputError(str(exc), prompt_tokens, completion_tokens) from exc
        summary = Summary(
            title=checked.title,
            emoji=checked.emoji,
            points=checked.points,
            section=checked.section,
            importance=checked.importance,
            provider=PROVIDER,
            model=self.model,
            language=language,
            kind="detail" if kind == "detail" else "points",
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )
        return summary, checked.repairs
