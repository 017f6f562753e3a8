"""Handlers called directly with Request objects and a real in-memory Store (no platform involved)."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, date, datetime

import pytest

from bot.config import ChatSettings, Settings, TelegramSettings, validate
from bot.models import Digest, DigestStats, NewArticle, Request, Summary
from bot.services import Services
from handlers import COMMAND_INFO, COMMANDS, command_params, dispatch
from handlers.catalog import CATALOG

NOW = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
ADMIN = "42"


class StubSummaries:
    """Records what was asked; answers with fixed points."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.cached: set[tuple[int, str, str]] = set()  # (article id, language, kind) already summarised

    def cached_summary(self, article, language, kind="points"):
        key = (article.id, language, kind)
        return self._summary(article.title, language, kind) if key in self.cached else None

    def _summary(self, title: str, language: str, kind: str) -> Summary:
        count = 6 if kind == "detail" else 3
        return Summary(
            title=title, emoji="📰", points=tuple(f"{kind} point {i}" for i in range(1, count + 1)),
            section=None, importance=0.5, provider="stub", model="stub", language=language, kind=kind,
        )

    async def summarize_article(self, article, language, kind="points"):
        self.calls.append(("article", str(article.id), kind))
        self.cached.add((article.id, language, kind))
        return self._summary(article.title, language, kind)

    async def summarize_text(self, title, text, url, language, kind="points"):
        self.calls.append(("text", url, kind))
        return self._summary(title, language, kind)


class StubDigests:
    def __init__(self) -> None:
        self.asked: list[tuple[date, str]] = []

    async def get_or_build(self, day, language, *, now, rebuild=False):
        self.asked.append((day, language))
        stats = DigestStats(0, 0, 0, 0, 0, 0, 0, 0)
        return Digest(date=day, language=language, title="t", stats=stats, highlights=(), sections=())


@pytest.fixture
def settings() -> Settings:
    return validate(
        Settings(
            telegram=TelegramSettings(admins=(ADMIN,)),
            chat=ChatSettings(default_time="07:45", summarize_per_user_per_hour=2),
        )
    )


@pytest.fixture
def services(settings, store) -> Services:
    svc = Services(
        settings=settings, store=store, summaries=StubSummaries(), digests=StubDigests(),
        clock=lambda: NOW,
    )
    svc.refreshes = 0  # type: ignore[attr-defined]

    def refresh() -> None:
        svc.refreshes += 1  # type: ignore[attr-defined]

    svc.refresh_schedule = refresh
    return svc


def req(command: str, *args: str, user: str = "7", chat: str = "-100", chat_type: str = "group",
        admin: bool = False, language: str | None = "en", platform: str = "telegram") -> Request:
    return Request(
        platform=platform, chat_id=chat, user_id=user, command=command, args=tuple(args),
        is_chat_admin=admin, chat_type=chat_type, language=language,  # type: ignore[arg-type]
    )


def add_article(store, url: str = "https://example.com/a", title: str = "GPT news") -> int:
    feed = store.add_feed("https://example.com/feed.xml", "Example")
    article = store.add_article(
        NewArticle(
            feed_id=feed.id, url=url, title=title, source="Example", published=NOW, language="en",
            text="Some text. More text. Even more.", original_chars=30, content_hash="h" + url,
        ),
        at=NOW,
    )
    return article.id


# ------------------------------------------------------------------ table and help


def test_table_catalog_and_params_agree() -> None:
    assert set(COMMANDS) == set(COMMAND_INFO) == set(CATALOG)
    for name, info in COMMAND_INFO.items():
        assert set(info) == {"zh", "en"}, name
        assert all(3 <= len(d) <= 100 for d in info.values()), name  # Telegram 3-256, Discord 1-100
        for pname, desc, required in command_params(name):
            assert pname.islower() and " " not in pname and len(pname) <= 32
            assert set(desc) == {"zh", "en"} and isinstance(required, bool)
    assert [p[0] for p in command_params("subscribe")] == ["time", "timezone", "language"]


async def test_help_lists_only_what_this_user_may_use(services) -> None:
    member = (await dispatch(req("help"), services)).text
    assert "/digest" in member and "/summarize" in member
    assert "/subscribe" not in member and "/addfeed" not in member and "/status" not in member
    private = (await dispatch(req("help", chat_type="private", chat="7"), services)).text
    assert "/subscribe" in private and "/addfeed" not in private
    admin = (await dispatch(req("help", user=ADMIN), services)).text
    assert "/addfeed" in admin and "/status" in admin and "/subscribe" in admin


async def test_start_introduces_in_the_users_language(services) -> None:
    zh = (await dispatch(req("start", language="zh-hans"), services)).text
    assert "摘要" in zh and "/digest" in zh
    en = (await dispatch(req("start", language="en-US"), services)).text
    assert "digest" in en and "摘要" not in en
    other = (await dispatch(req("start", language="fr"), services)).text  # falls back to config (zh)
    assert "摘要" in other


async def test_subscription_language_wins_over_client_language(services, store) -> None:
    store.subscribe("telegram", "-100", "08:00", "Asia/Shanghai", "zh")
    reply = await dispatch(req("help", language="en"), services)
    assert "可用" in reply.text


# ------------------------------------------------------------------ /digest


async def test_digest_today_in_digest_timezone(services) -> None:
    late = dataclasses.replace(services, clock=lambda: datetime(2025, 3, 10, 17, 0, tzinfo=UTC))
    reply = await dispatch(req("digest"), late)  # 01:00 on the 11th in Shanghai
    assert reply.digest is not None and reply.digest.date == date(2025, 3, 11)
    assert services.digests.asked[-1] == (date(2025, 3, 11), "en")


async def test_digest_of_a_given_day(services) -> None:
    reply = await dispatch(req("digest", "2025-03-01"), services)
    assert reply.digest is not None and reply.digest.date == date(2025, 3, 1)


@pytest.mark.parametrize(("arg", "expected"), [("yesterday", "YYYY-MM-DD"), ("2025-02-30", "YYYY-MM-DD"),
                                                ("2030-01-01", "future")])
async def test_digest_bad_dates_get_one_sentence(services, arg, expected) -> None:
    reply = await dispatch(req("digest", arg), services)
    assert reply.digest is None and expected in reply.text and "\n" not in reply.text
    assert services.digests.asked == []


# ------------------------------------------------------------------ /summarize and /more


async def test_summarize_article_id_gives_points_and_more_button(services, store) -> None:
    article_id = add_article(store)
    reply = await dispatch(req("summarize", f"#{article_id}"), services)
    assert "GPT news" in reply.text and "points point 3" in reply.text
    assert "https://example.com/a" in reply.text
    assert [b.payload for b in reply.buttons] == [f"more:{article_id}"]
    assert reply.buttons[0].label == "More detail"
    assert "<" not in reply.text  # plain text: escaping is the adapter's job


@pytest.mark.parametrize(("args", "needle"), [((), "Usage"), (("999",), "#999"), (("abc",), "not an article id"),
                                               (("example.com/x",), "http")])
async def test_summarize_mistakes(services, args, needle) -> None:
    reply = await dispatch(req("summarize", *args), services)
    assert needle in reply.text and reply.buttons == ()
    assert services.summaries.calls == []


async def test_summarize_inward_url_is_refused_without_saying_why(services, store) -> None:
    # A loopback address is refused before any connection and before the budget is charged; the
    # user learns nothing about the address (that goes to the log only).
    reply = await dispatch(req("summarize", "http://127.0.0.1:9/x"), services)
    assert reply.text == "That address is not allowed."
    assert services.summaries.calls == []
    assert store.budget_used("summarize", NOW.replace(hour=0)) == 0


async def test_summarize_url_is_rate_limited_per_user(services, store, monkeypatch) -> None:
    from bot.ingest import guard

    async def nowhere(host: str, port: int) -> list[str]:
        raise OSError("[Errno -2] Name or service not known")

    monkeypatch.setattr(guard, "resolve", nowhere)  # no DNS lookup leaves the test
    for _ in range(2):
        failed = await dispatch(req("summarize", "http://news.invalid/x"), services)
        assert failed.text == "I could not fetch that page."  # no resolver text
    reply = await dispatch(req("summarize", "http://news.invalid/x"), services)
    assert "2 page summaries in the last hour; try again in 60 min." in reply.text
    other = await dispatch(req("summarize", "http://news.invalid/x", user="8"), services)
    assert "last hour" not in other.text
    assert store.count_user_requests("telegram", "7", "summarize", NOW.replace(hour=0)) == 2


async def test_more_gives_detail_link_and_other_sources(services, store) -> None:
    article_id = add_article(store)
    second = store.add_feed("https://other.example/feed", "Other Site")
    store.add_sighting(article_id, second.id, "https://other.example/same-story", at=NOW)
    reply = await dispatch(req("more", str(article_id)), services)
    assert services.summaries.calls == [("article", str(article_id), "detail")]
    assert "detail point 6" in reply.text
    assert "Link: https://example.com/a" in reply.text
    assert "Other Site: https://other.example/same-story" in reply.text
    assert (await dispatch(req("more", "12345"), services)).text == "There is no article #12345."


# ------------------------------------------------------------------ subscriptions


async def test_group_member_cannot_subscribe(services, store) -> None:
    reply = await dispatch(req("subscribe", "08:30"), services)
    assert "administrators" in reply.text
    assert store.find_subscription("telegram", "-100") is None and services.refreshes == 0


async def test_group_admin_subscribes_with_time_zone_and_language(services, store) -> None:
    reply = await dispatch(req("subscribe", "08:30", "Asia/Shanghai", "en", admin=True), services)
    sub = store.find_subscription("telegram", "-100")
    assert (sub.time, sub.timezone, sub.language) == ("08:30", "Asia/Shanghai", "en")
    assert "08:30" in reply.text and "2025-03-11 08:30" in reply.text  # 10:00 now: next is tomorrow
    assert services.refreshes == 1


async def test_subscribe_defaults_and_keeps_current_values(services, store) -> None:
    await dispatch(req("subscribe", chat="7", chat_type="private", language=None), services)
    sub = store.find_subscription("telegram", "7")
    assert (sub.time, sub.timezone, sub.language) == ("07:45", "Asia/Shanghai", "zh")
    await dispatch(req("subscribe", "Europe/Berlin", chat="7", chat_type="private"), services)
    sub = store.find_subscription("telegram", "7")
    assert (sub.time, sub.timezone, sub.language) == ("07:45", "Europe/Berlin", "zh")


@pytest.mark.parametrize(("arg", "needle"), [("25:00", "not a time"), ("8.5", "not a time"),
                                              ("Mars/Olympus", "time zone"), ("fr", "did not understand")])
async def test_subscribe_bad_values(services, store, arg, needle) -> None:
    reply = await dispatch(req("subscribe", arg, admin=True), services)
    assert needle in reply.text
    assert store.find_subscription("telegram", "-100") is None


async def test_unsubscribe_and_settings(services, store) -> None:
    assert "no subscription" in (await dispatch(req("settings"), services)).text
    await dispatch(req("subscribe", "09:15", "UTC", "en", admin=True), services)
    assert "09:15 (UTC)" in (await dispatch(req("settings"), services)).text
    assert "administrators" in (await dispatch(req("unsubscribe"), services)).text
    reply = await dispatch(req("unsubscribe", admin=True), services)
    assert reply.text.startswith("Unsubscribed")
    assert store.list_subscriptions(enabled_only=True) == []
    assert "no subscription" in (await dispatch(req("unsubscribe", admin=True), services)).text


# ------------------------------------------------------------------ admin


async def test_non_admin_addfeed_is_refused_and_changes_nothing(services, store) -> None:
    before = store.list_feeds(include_disabled=True)
    reply = await dispatch(req("addfeed", "https://example.org/feed.xml", admin=True), services)
    assert reply.text == "Only the bot's administrators may use /addfeed."
    assert store.list_feeds(include_disabled=True) == before
    for command in ("feeds", "removefeed", "status"):
        assert "administrators" in (await dispatch(req(command, "1"), services)).text


async def test_admin_feed_commands(services, store) -> None:
    feed = store.add_feed("https://example.com/feed.xml", "Example", "industry")
    listing = (await dispatch(req("feeds", user=ADMIN), services)).text
    assert f"#{feed.id} Example — https://example.com/feed.xml (industry)" in listing
    bad = await dispatch(req("addfeed", "https://x.example/f", "nosuch", user=ADMIN), services)
    assert "not a section" in bad.text and "products" in bad.text
    dup = await dispatch(req("addfeed", "https://example.com/feed.xml", user=ADMIN), services)
    assert f"#{feed.id}" in dup.text
    refused = await dispatch(req("addfeed", "http://127.0.0.1:9/feed", user=ADMIN), services)
    assert refused.text.startswith("I could not use that feed:") and "127.0.0.1" in refused.text
    # a Chinese admin is told why in Chinese, in /addfeed's refusal and in /feeds' listing
    chinese = await dispatch(req("addfeed", "http://127.0.0.1:9/feed", user=ADMIN, language="zh"), services)
    assert chinese.text == "无法使用该订阅源：已拒绝：127.0.0.1 是非公网地址。"
    store.record_fetch(feed.id, at=NOW, status="failed", error="HTTP 404", failures=1)
    assert "失败：HTTP 404（未找到）" in (await dispatch(req("feeds", user=ADMIN, language="zh"), services)).text
    assert len(store.list_feeds()) == 1
    assert "#999" in (await dispatch(req("removefeed", "999", user=ADMIN), services)).text
    removed = await dispatch(req("removefeed", str(feed.id), user=ADMIN), services)
    assert removed.text.startswith(f"Removed feed #{feed.id}") and store.list_feeds() == []


async def test_status_reports_fetch_failures_runs_usage_and_queue(services, store) -> None:
    feed = store.add_feed("https://example.com/feed.xml", "Example")
    store.record_fetch(feed.id, at=NOW, status="failed", error="HTTP 404", failures=1)
    store.record_model_call("m", True, prompt_tokens=120, completion_tokens=30, at=NOW)
    services.next_runs = lambda: [("08:30 Asia/Shanghai", datetime(2025, 3, 11, 0, 30, tzinfo=UTC))]
    text = (await dispatch(req("status", user=ADMIN), services)).text
    assert "Last fetch: 2025-03-10 10:00" in text
    assert "Example: HTTP 404" in text
    assert "08:30 Asia/Shanghai: 2025-03-11 08:30" in text
    assert "Model calls today: 1 (0 failed), tokens 120 in / 30 out" in text
    assert "Messages waiting to be sent: 0" in text
    chinese = (await dispatch(req("status", user=ADMIN, language="zh"), services)).text
    assert f"#{feed.id} Example：HTTP 404（未找到）" in chinese


# ------------------------------------------------------------------ errors


async def test_unknown_command(services) -> None:
    assert "/frobnicate" in (await dispatch(req("frobnicate"), services)).text


async def test_unexpected_exception_gets_the_apology_and_is_logged(services, store, caplog) -> None:
    add_article(store)

    async def boom(*a, **k):
        raise RuntimeError("secret internal detail")

    services.summaries.summarize_article = boom  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, logger="handlers"):
        reply = await dispatch(req("more", "1", language="zh"), services)
    assert reply.text == "抱歉，我这边出了点问题，请稍后再试。"
    assert "secret" not in reply.text and "Traceback" not in reply.text
    record = next(r for r in caplog.records if "command.failed" in r.getMessage())
    assert "command=more" in record.getMessage() and record.exc_info is not None


WEIRD_ARGS = [(), ("",), ("-1",), ("0",), ("99999999999999999999",), ("#",), ("<b>x</b>",),
              ("2025-13-45",), ("http://",), ("a", "b", "c", "d"), ("🙂",), ("12:00", "12:00")]


async def test_no_reply_ever_contains_a_traceback(services, store) -> None:
    add_article(store)
    for command in COMMANDS:
        for args in WEIRD_ARGS:
            for user in ("7", ADMIN):
                reply = await dispatch(req(command, *args, user=user, admin=True), services)
                assert "Traceback" not in reply.text and 'File "' not in reply.text, (command, args)
                assert reply.text or reply.digest is not None, (command, args)
