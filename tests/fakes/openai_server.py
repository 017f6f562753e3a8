"""A fake OpenAI-compatible chat-completions server on 127.0.0.1 for tests and benchmarks.

Usage:
    async with FakeOpenAI() as fake:          # fake.base_url == "http://127.0.0.1:PORT/v1"
        fake.mode = "valid"                   # or "malformed", "prose", "bad_fields", "429", "500",
                                              # "sloppy" (a word for emoji, over-long points),
                                              # "no_points" (valid JSON with an empty points list)
        fake.delay = 0.3                      # seconds before answering (latency / timeouts)
        fake.failure_ratio = 0.3              # every ~3rd of 10 calls answers 500, deterministically
        fake.point_suffix = " http://x.example"  # appended to the first point (a hijacked model)
        ...
        fake.calls, fake.requests             # call count and the JSON bodies received
        fake.embedding_mode = "valid"         # /embeddings: or "500", "short" (one vector too few)
        fake.embedding_requests               # the JSON bodies /embeddings received

"valid" answers are built from the request: the first sentences of the delimited article (prefixed
so they are in the digest language), the first section of the schema's enum, usage included.
/embeddings answers with a vector per input: its words hashed into EMBEDDING_DIM counts, so texts
that share words point the same way (what a real model does for same-event reports, roughly).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import time
from typing import Any

from aiohttp import web

from fakes.loopback import LoopbackServer

BEGIN, END = "<<<ARTICLE_BEGIN>>>", "<<<ARTICLE_END>>>"
MODES = ("valid", "malformed", "prose", "bad_fields", "429", "500", "sloppy", "no_points")
EMBEDDING_DIM = 64


def hashed_vector(text: str) -> list[float]:
    """Words (and CJK characters) hashed into EMBEDDING_DIM buckets, unit length."""
    counts = [0.0] * EMBEDDING_DIM
    for word in re.findall(r"[a-z0-9]+|[\u4e00-\u9fff]", text.lower()):
        counts[hashlib.sha1(word.encode()).digest()[0] % EMBEDDING_DIM] += 1.0
    norm = math.sqrt(sum(c * c for c in counts)) or 1.0
    return [c / norm for c in counts]


class FakeOpenAI(LoopbackServer):
    """POST {base}/chat/completions (with or without /v1); see the module docstring."""

    def __init__(self, mode: str = "valid", delay: float = 0.0, failure_ratio: float = 0.0) -> None:
        self.mode = mode
        self.delay = delay
        self.failure_ratio = failure_ratio
        self.point_suffix = ""
        self.section: str | None = None  # default: the first key of the schema's enum
        self.retry_after = "0"
        self.calls = 0
        self.requests: list[dict[str, Any]] = []
        self.embedding_mode = "valid"
        self.embedding_requests: list[dict[str, Any]] = []

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._handle)
        app.router.add_post("/chat/completions", self._handle)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_post("/embeddings", self._embeddings)

    @property
    def base_url(self) -> str:
        """What to give the openai client as base_url."""
        return f"http://127.0.0.1:{self.port}/v1"

    # ------------------------------------------------------------ answering

    def _should_fail(self, n: int) -> bool:
        """Spread failures evenly: call n fails when floor((n+1)·r) > floor(n·r)."""
        r = self.failure_ratio
        return r > 0 and int((n + 1) * r) > int(n * r)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        n = self.calls
        self.calls += 1
        self.requests.append(body)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.mode == "429":
            return web.json_response(
                {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}},
                status=429,
                headers={"retry-after": self.retry_after},
            )
        if self.mode == "500" or self._should_fail(n):
            return web.json_response(
                {"error": {"message": "internal error", "type": "server_error"}}, status=500
            )
        content = self._content(body)
        prompt_chars = sum(len(m.get("content") or "") for m in body.get("messages", []))
        return web.json_response(
            {
                "id": f"chatcmpl-fake{n}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "finish_reason": "stop",
                        "logprobs": None,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_chars // 3,
                    "completion_tokens": len(content) // 3,
                    "total_tokens": prompt_chars // 3 + len(content) // 3,
                },
            }
        )

    async def _embeddings(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.embedding_requests.append(body)
        if self.embedding_mode == "500":
            return web.json_response(
                {"error": {"message": "internal error", "type": "server_error"}}, status=500
            )
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        if self.embedding_mode == "short":
            texts = texts[:-1]
        return web.json_response({
            "object": "list", "model": body.get("model", "fake"),
            "data": [{"object": "embedding", "index": i, "embedding": hashed_vector(t)}
                     for i, t in enumerate(texts)],
            "usage": {"prompt_tokens": len(texts), "total_tokens": len(texts)},
        })

    def _content(self, body: dict[str, Any]) -> str:
        if self.mode == "malformed":
            return '{"title": "half an answer", "points": ["one",'
        answer = self.answer_for(body)
        if self.mode == "bad_fields":
            answer.update(section="not-a-section", emoji="no emoji here")
        if self.mode == "sloppy":  # a model that ignores the cosmetic rules but says something
            answer.update(emoji="robot", points=self._long_points(body, len(answer["points"])))
        if self.mode == "no_points":
            answer.update(points=[])
        text = json.dumps(answer, ensure_ascii=False)
        if self.mode == "prose":  # a server that ignores response_format and chats
            return f"Sure! Here is the summary:\n```json\n{text}\n```"
        return text

    def answer_for(self, body: dict[str, Any]) -> dict[str, Any]:
        """A valid structured answer derived from the request's delimited article."""
        user = next((m["content"] for m in body["messages"] if m["role"] == "user"), "")
        language = m.group(1) if (m := re.search(r"Digest language: (\w+)", user)) else "en"
        want = int(m.group(1)) if (m := re.search(r"Points wanted: (\d+)", user)) else 3
        article = user.split(BEGIN, 1)[-1].split(END, 1)[0]
        title_m = re.search(r"Title: (.*)", article)
        title = title_m.group(1).strip() if title_m else "Untitled"
        body_text = article.split("\n\n", 1)[-1] if title_m else article
        sentences = [s.strip() for s in re.split(r"(?<=[.!?。！？])\s*", body_text) if s.strip()]
        points = [self._in_language(s[:100], language, i) for i, s in enumerate(sentences[:want])]
        while len(points) < want:
            points.append(self._in_language(f"Point {len(points) + 1}", language, len(points)))
        if self.point_suffix:
            points[0] += self.point_suffix
        schema = (body.get("response_format") or {}).get("json_schema", {}).get("schema", {})
        enum = schema.get("properties", {}).get("section", {}).get("enum") or ["other"]
        return {
            "title": self._in_language(title[:80], language, -1),
            "emoji": "🤖",
            "points": points,
            "section": self.section or enum[0],
            "importance": 0.7,
        }

    def _long_points(self, body: dict[str, Any], want: int) -> list[str]:
        """`want` points of several whole sentences each, well over the prompt's length limit."""
        user = next((m["content"] for m in body["messages"] if m["role"] == "user"), "")
        language = m.group(1) if (m := re.search(r"Digest language: (\w+)", user)) else "en"
        article = user.split(BEGIN, 1)[-1].split(END, 1)[0]
        body_text = article.split("\n\n", 1)[-1]
        sentences = [s.strip() for s in re.split(r"(?<=[.!?。！？])\s*", body_text) if s.strip()]
        sentences = sentences or ["Nothing was said."]
        limit = 200 if language == "zh" else 330
        points = []
        for i in range(want):
            point, j = "", i
            while len(point) <= limit:
                point = (point + " " + sentences[j % len(sentences)]).strip()
                j += 1
            points.append(self._in_language(point, language, i))
        return points

    @staticmethod
    def _in_language(text: str, language: str, i: int) -> str:
        cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
        if language == "zh" and not cjk:
            return f"要点：{text}" if i >= 0 else f"标题：{text}"
        if language == "en" and cjk * 2 > len(text):
            return f"Point {i + 1} (translated)" if i >= 0 else "Translated title"
        return text
