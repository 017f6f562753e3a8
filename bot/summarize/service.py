"""SummaryService: cache first, then the model (bounded), falling back to extractive per article."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence

from bot.config import Settings, secret
from bot.locks import KeyedLocks
from bot.models import Article, Summary
from bot.summarize import extractive
from bot.summarize.cache import summary_key
from bot.summarize.embeddings import Embedder
from bot.summarize.offload import OfflineRunner
from bot.summarize.openai_provider import (
    ClientFactory,
    ModelOutputError,
    OpenAISummarizer,
)
from storage.store import Store

log = logging.getLogger(__name__)


def describe_error(exc: BaseException) -> str:
    """One short line for the model_calls table and the log."""
    status = getattr(exc, "status_code", None)
    if isinstance(exc, ModelOutputError):
        return f"invalid output: {exc.reason}"[:300]
    name = type(exc).__name__
    if status:
        return f"HTTP {status} ({name})"
    return f"{name}: {exc}"[:300]


class ModelBill:
    """How many model calls one digest may still make: shared by the early summarising during the
    fetch and the build, so their calls together stay within `limit` (a call is charged when it is
    about to be made; cached answers and calls already in flight for the same story are free).
    `refused` holds the refs (article ids) that got offline points because the bill was spent."""

    def __init__(self, limit: int) -> None:
        self.limit = max(0, limit)
        self.spent = 0
        self.refused: set[object] = set()

    @property
    def left(self) -> int:
        return self.limit - self.spent

    def charge(self, ref: object) -> bool:
        """Take one call from the bill for `ref`; False (and `ref` noted) when none is left."""
        if self.spent >= self.limit:
            self.refused.add(ref)
            return False
        self.spent += 1
        self.refused.discard(ref)
        return True


class SummaryService:
    """Summaries for the digest and chat commands: cached, bounded, never blocked by the model."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        client_factory: ClientFactory | None = None,
        offline: OfflineRunner | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        # Offline summaries are CPU work: computed in one worker, off the event loop.
        self.offline = offline or OfflineRunner(settings.limits.offline_worker)
        cfg = settings.summarizer
        self._semaphore = asyncio.Semaphore(cfg.concurrency)
        self._locks = KeyedLocks()
        self._stats = {
            "model_calls": 0, "cache_hits": 0, "fallbacks": 0, "prompt_tokens": 0,
            "completion_tokens": 0, "repaired": 0, "over_budget": 0,
        }
        self.model: OpenAISummarizer | None = None
        # Same-event detection's embeddings (summarizer.embedding_model), with the model's endpoint.
        self.embedder: Embedder | None = None
        if cfg.provider == "openai":
            key = secret(cfg.api_key_env)
            if key is None and client_factory is None:
                log.warning(
                    "summarizer=openai but env %s is unset; using the extractive summarizer",
                    cfg.api_key_env,
                )
            else:
                self.model = OpenAISummarizer(settings, key, client_factory)
                if cfg.embedding_model:
                    self.embedder = Embedder(cfg, key, client_factory)
        elif cfg.embedding_model:
            log.warning("summarizer.embedding_model %r needs provider = \"openai\"; same-event "
                        "detection stays offline", cfg.embedding_model)

    @property
    def stats(self) -> dict[str, int]:
        """Counts for this process: model_calls, cache_hits, fallbacks, prompt/completion tokens,
        repaired (model answers kept after a cosmetic repair) and over_budget (offline summaries
        given because a digest's model bill was spent)."""
        return dict(self._stats)

    @property
    def provider(self) -> str:
        return "openai" if self.model else extractive.PROVIDER

    async def aclose(self) -> None:
        """Close the model client and the offline worker; call once at shutdown."""
        self.offline.close()
        if self.model is not None:
            await self.model.aclose()
        if self.embedder is not None:
            await self.embedder.aclose()

    async def summarize_many(
        self, articles: Sequence[Article], language: str, kind: str = "points", *,
        bill: ModelBill | None = None,
    ) -> dict[int, Summary]:
        """Summaries keyed by article id; concurrent, one failure never affects the others.

        `bill`: model calls are charged to it in the order of `articles`; once it is spent, the
        rest get their offline summary (marked `fallback`)."""
        results = await asyncio.gather(
            *(self._summarize(a.title, a.text, language, kind, a.id, bill=bill) for a in articles)
        )
        return {a.id: s for a, s in zip(articles, results, strict=True)}

    async def summarize_article(self, article: Article, language: str, kind: str = "points") -> Summary:
        """One stored article's summary, from the cache when it has one."""
        return await self._summarize(article.title, article.text, language, kind, article.id)

    async def summarize_text(
        self, title: str, text: str, url: str, language: str, kind: str = "points"
    ) -> Summary:
        """A page that is not in the store (`/summarize URL`), cached like a stored article."""
        return await self._summarize(title, text, language, kind, url)

    async def _summarize(
        self, title: str, text: str, language: str, kind: str, ref: object, *,
        bill: ModelBill | None = None,
    ) -> Summary:
        kind = "detail" if kind == "detail" else "points"
        if self.model is None:
            return await self._extractive(title, text, language, kind)
        key = summary_key(title, text, "openai", self.model.model, language, kind, self.settings)
        # One lock per story (title and text): the same story in two feeds costs one call, and
        # different stories that happen to share a stub never wait for each other.
        async with self._locks.hold(key):
            cached = self.store.get_summary(key, "openai", self.model.model, language, kind)
            if cached is not None:
                self._stats["cache_hits"] += 1
                return cached
            if bill is not None and not bill.charge(ref):
                self._stats["over_budget"] += 1
                over = await self._extractive(title, text, language, kind, count_hit=False)
                return dataclasses.replace(over, fallback=True)
            summary = await self._call_model(title, text, language, kind, ref)
            if summary is not None:
                self.store.put_summary(key, summary)
                return summary
        self._stats["fallbacks"] += 1
        offline = await self._extractive(title, text, language, kind, count_hit=False)
        return dataclasses.replace(offline, fallback=True)

    async def _call_model(
        self, title: str, text: str, language: str, kind: str, ref: object
    ) -> Summary | None:
        assert self.model is not None
        async with self._semaphore:
            self._stats["model_calls"] += 1
            try:
                summary, repairs = await self.model.summarize(title, text, language, kind)
            except Exception as exc:  # any failure for one article → offline points for it
                prompt = getattr(exc, "prompt_tokens", 0)
                completion = getattr(exc, "completion_tokens", 0)
                self._count_tokens(prompt, completion)
                reason = describe_error(exc)
                self.store.record_model_call(self.model.model, False, prompt, completion, reason)
                log.warning("model summary failed article=%s error=%s; using extractive", ref, reason)
                return None
        self._count_tokens(summary.prompt_tokens, summary.completion_tokens)
        self.store.record_model_call(
            self.model.model, True, summary.prompt_tokens, summary.completion_tokens, repairs=repairs
        )
        if repairs:
            self._stats["repaired"] += 1
            log.info("model answer repaired article=%s repairs=%s", ref, _describe(repairs))
        return summary

    def _count_tokens(self, prompt: int, completion: int) -> None:
        self._stats["prompt_tokens"] += prompt
        self._stats["completion_tokens"] += completion

    async def _extractive(
        self, title: str, text: str, language: str, kind: str, count_hit: bool = True
    ) -> Summary:
        key = summary_key(title, text, extractive.PROVIDER, extractive.MODEL, language, kind)
        cached = self.store.get_summary(key, extractive.PROVIDER, extractive.MODEL, language, kind)
        if cached is not None:
            if count_hit:
                self._stats["cache_hits"] += 1
            return cached
        summary = await self.offline.summarize(title, text, language, kind)
        self.store.put_summary(key, summary)
        return summary

    def cached_summary(self, article: Article, language: str, kind: str = "points") -> Summary | None:
        """The stored summary `summarize_article` would answer with, or None: chat budgets charge
        only for what is not cached yet."""
        kind = "detail" if kind == "detail" else "points"
        if self.model is not None:
            key = summary_key(article.title, article.text, "openai", self.model.model, language, kind,
                              self.settings)
            return self.store.get_summary(key, "openai", self.model.model, language, kind)
        key = summary_key(article.title, article.text, extractive.PROVIDER, extractive.MODEL, language, kind)
        return self.store.get_summary(key, extractive.PROVIDER, extractive.MODEL, language, kind)


def _describe(repairs: dict[str, int]) -> str:
    return ",".join(f"{field}:{n}" for field, n in sorted(repairs.items()))
