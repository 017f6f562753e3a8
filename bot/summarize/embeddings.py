"""Story embeddings from an OpenAI-compatible endpoint, for same-event detection.

With `summarizer.embedding_model` set (and the summarizer's base URL and key), the builder asks
the endpoint for one vector per story of the window: its title and lead, the text the offline
detector reads (bot/digest/events.py, which keeps apart the same-language pairs whose vectors
say unrelated, however alike their words). Each article is embedded once per model and text:
vectors are kept in the store. Requests carry up to BATCH texts; each request is recorded in the
store's model_calls (so `digestbot status` counts them). An endpoint that fails (HTTP error,
time-out, a reply of the wrong shape) is recorded and logged in one line without its message
(SDK messages can carry keys); no more requests are made for that build and the stories it did
not embed are compared offline: the digest does not fail because of it.
"""

from __future__ import annotations

import logging
import sys
from array import array
from collections.abc import Sequence
from typing import Any

from bot.config import SummarizerSettings
from bot.digest.events import LEAD_CHARS
from bot.models import Article
from bot.summarize.openai_provider import ClientFactory, default_client
from storage.store import Store

log = logging.getLogger(__name__)

BATCH = 64  # texts per request: well under every provider's limit (OpenAI takes 2,048)


def embedding_text(title: str, text: str) -> str:
    """What is embedded: the title and the lead, as the offline detector reads them."""
    return f"{title}\n{(text or '')[:LEAD_CHARS]}".strip()


def _little_endian(values: array[float]) -> array[float]:
    """The array in the stored byte order (little-endian), swapped in place on other machines."""
    if sys.byteorder == "big":
        values.byteswap()
    return values


def pack(vector: Sequence[float]) -> bytes:
    """Little-endian float32, as stored."""
    return _little_endian(array("f", vector)).tobytes()


def unpack(blob: bytes) -> array[float]:
    """A stored vector as an array of float32 (4 bytes a value, not a Python float's 32)."""
    return _little_endian(array("f", blob))


def _short_error(exc: BaseException) -> str:
    """The failure's kind and HTTP status, never its message."""
    status = getattr(exc, "status_code", None)
    return f"HTTP {status} ({type(exc).__name__})" if status else type(exc).__name__


class Embedder:
    """Vectors for articles from `summarizer.embedding_model`, cached in the store."""

    def __init__(
        self, summarizer: SummarizerSettings, api_key: str | None,
        client_factory: ClientFactory | None = None,
    ) -> None:
        self.settings = summarizer
        self.model = summarizer.embedding_model
        self._api_key = api_key
        self._factory = client_factory or default_client  # the summariser's client, same settings
        self._client: Any = None
        self.requests = 0  # made by this process
        self.failures = 0

    def _get_client(self) -> Any:
        if self._client is None:
            self._client = self._factory(self.settings, self._api_key)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None and hasattr(self._client, "close"):
            await self._client.close()
        self._client = None

    async def embed(self, texts: list[str]) -> list[array[float]]:
        """One request; the vectors in input order. Raises ValueError on a reply of another shape."""
        return (await self._request(texts))[0]

    async def _request(self, texts: list[str]) -> tuple[list[array[float]], int]:
        """One request: the vectors in input order and the prompt tokens the reply reports."""
        self.requests += 1
        reply = await self._get_client().embeddings.create(
            model=self.model, input=texts, encoding_format="float"
        )
        tokens = int(getattr(getattr(reply, "usage", None), "prompt_tokens", 0) or 0)
        data = sorted(reply.data, key=lambda d: d.index)
        if [d.index for d in data] != list(range(len(texts))):
            raise ValueError(f"{len(data)} vectors for {len(texts)} texts")
        vectors = [array("f", map(float, d.embedding)) for d in data]
        if not vectors[0] or any(len(v) != len(vectors[0]) for v in vectors):
            raise ValueError("vectors of different lengths")
        return vectors, tokens

    async def vectors(self, store: Store, articles: Sequence[Article]) -> dict[int, array[float]]:
        """Article id → vector for every article the store or the endpoint has one for (those
        the endpoint failed on, and those with no title or text at all, are left out and
        compared offline)."""
        articles = [a for a in articles if embedding_text(a.title, a.text)]  # "" is refused
        wanted = {a.id: a.content_hash for a in articles}
        found = {aid: unpack(blob) for aid, blob in store.get_embeddings(self.model, wanted).items()}
        missing = sorted((a for a in articles if a.id not in found), key=lambda a: a.id)
        for start in range(0, len(missing), BATCH):
            batch = missing[start:start + BATCH]
            try:
                vectors, tokens = await self._request([embedding_text(a.title, a.text)
                                                       for a in batch])
            except Exception as exc:  # noqa: BLE001 (any failure: the detector goes on offline)
                self.failures += 1
                store.record_model_call(self.model, False, error=_short_error(exc))
                log.warning("embeddings: model %s failed (%s); %d stories compared offline",
                            self.model, _short_error(exc), len(missing) - start)
                break
            store.record_model_call(self.model, True, prompt_tokens=tokens)
            store.put_embeddings(self.model, {a.id: (a.content_hash, pack(v))
                                              for a, v in zip(batch, vectors, strict=True)})
            found.update((a.id, v) for a, v in zip(batch, vectors, strict=True))
        return found
