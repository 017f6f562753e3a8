"""Chat commands with the real SummaryService talking to the fake OpenAI-compatible server."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.config import Settings, SummarizerSettings, TelegramSettings, validate
from bot.models import NewArticle, Request
from bot.services import build_services
from fakes.openai_server import FakeOpenAI
from handlers import dispatch

NOW = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)
KEY_ENV = "DIGESTBOT_TEST_MODEL_KEY"


def request(command: str, *args: str, user: str = "1") -> Request:
    return Request(platform="telegram", chat_id="1", user_id=user, command=command, args=args, language="en")


async def test_more_uses_the_model_once_and_status_counts_calls_and_tokens(store, monkeypatch) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-test")
    async with FakeOpenAI() as fake:
        settings = validate(
            Settings(
                summarizer=SummarizerSettings(provider="openai", base_url=fake.base_url, api_key_env=KEY_ENV,
                                              max_retries=0, timeout_seconds=5),
                telegram=TelegramSettings(admins=("1",)),
            )
        )
        services = build_services(settings, store, clock=lambda: NOW)
        feed = store.add_feed("https://example.com/feed", "Example")
        text = " ".join(f"Sentence {i} says something specific about the new model release." for i in range(12))
        article = store.add_article(
            NewArticle(feed_id=feed.id, url="https://example.com/a", title="A new model", source="Example",
                       published=NOW, language="en", text=text, original_chars=len(text), content_hash="abc"),
            at=NOW,
        )
        try:
            first = await dispatch(request("more", str(article.id)), services)
            again = await dispatch(request("more", str(article.id)), services)
            assert first.text == again.text and "Link: https://example.com/a" in first.text
            assert fake.calls == 1  # the detail summary is cached
            status = (await dispatch(request("status"), services)).text
            usage = store.model_usage_since(NOW.replace(hour=0))
            assert usage["calls"] == 1 and usage["prompt_tokens"] > 0
            assert f"Model calls today: 1 (0 failed), tokens {usage['prompt_tokens']} in" in status

            fake.mode = "500"  # the model fails: the user still gets points (offline), no apology
            offline = await dispatch(request("summarize", str(article.id)), services)
            assert "Sentence" in offline.text and "Sorry" not in offline.text
            assert "(offline summary: the model was unavailable)" in offline.text
        finally:
            await services.summaries.aclose()
