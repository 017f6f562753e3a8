"""Chat budgets on their own: the store's sliding windows and retry times, who is charged, and what
the handlers charge for (cached answers free, admins never refused, old days refused)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import LimitsSettings, Settings, TelegramSettings, validate
from bot.models import BudgetRule, NewArticle, Request, Summary
from bot.services import Services
from handlers import budget, dispatch
from storage import Store

NOW = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
RULE = BudgetRule("answer", per_subject=2, overall=3)


def test_charges_slide_over_the_window_and_say_when_room_comes_back(store: Store) -> None:
    assert store.charge_budget("telegram", "7", [RULE], NOW) is None
    assert store.charge_budget("telegram", "7", [RULE], NOW + timedelta(minutes=10)) is None
    # Over the per-user limit: nothing recorded; room again when the first charge is an hour old.
    assert store.charge_budget("telegram", "7", [RULE], NOW + timedelta(minutes=20)) == (
        NOW + timedelta(hours=1), "subject")
    assert store.budget_used("answer", NOW - timedelta(hours=1), "telegram", "7") == 2
    # Another user fits under the bot-wide limit once, then the whole bot is full.
    assert store.charge_budget("telegram", "8", [RULE], NOW + timedelta(minutes=30)) is None
    assert store.charge_budget("discord", "9", [RULE], NOW + timedelta(minutes=40)) == (
        NOW + timedelta(hours=1), "overall")
    # An hour and a minute later the window has slid past the first charge.
    assert store.charge_budget("telegram", "7", [RULE], NOW + timedelta(minutes=61)) is None


def test_several_rules_are_all_or_nothing(store: Store) -> None:
    pages = BudgetRule("summarize", per_subject=1, overall=None)
    assert store.charge_budget("telegram", "7", [pages, RULE], NOW) is None
    assert store.charge_budget("telegram", "7", [pages, RULE], NOW) is not None
    assert store.budget_used("answer", NOW - timedelta(hours=1)) == 1  # the refused one charged nothing


def test_the_budget_survives_a_restart(tmp_path) -> None:
    path = tmp_path / "bot.db"
    first = Store(path)
    for minute in (0, 1):
        assert first.charge_budget("telegram", "7", [RULE], NOW + timedelta(minutes=minute)) is None
    first.close()
    again = Store(path)
    try:
        assert again.charge_budget("telegram", "7", [RULE], NOW + timedelta(minutes=2)) is not None
    finally:
        again.close()


def req(user: str = "7", chat: str = "-100", platform: str = "telegram", *args: str, command: str = "more") -> Request:
    return Request(platform=platform, chat_id=chat, user_id=user, command=command, args=args, language="en")


@pytest.mark.parametrize(("user", "chat", "platform", "subject"), [
    ("7", "-100", "telegram", "7"),
    ("1087968824", "-100", "telegram", "chat:-100"),  # GroupAnonymousBot
    ("136817688", "-200", "telegram", "chat:-200"),  # Channel_Bot
    ("777000", "-300", "telegram", "chat:-300"),  # channel posts relayed into a linked group
    ("", "-400", "telegram", "chat:-400"),
    ("1087968824", "55", "discord", "1087968824"),  # an ordinary Discord id that happens to match
])
def test_shared_senders_are_charged_per_chat(user: str, chat: str, platform: str, subject: str) -> None:
    assert budget.subject_of(req(user, chat, platform)) == subject


class CountingSummaries:
    """Answers instantly; remembers which (article, kind) it has summarised, like the cache."""

    def __init__(self) -> None:
        self.made: set[tuple[int, str]] = set()

    def _summary(self, title: str, language: str, kind: str) -> Summary:
        return Summary(title=title, emoji="📰", points=("a", "b", "c"), section=None, importance=0.5,
                       provider="stub", model="stub", language=language, kind=kind)

    def cached_summary(self, article, language, kind="points"):  # type: ignore[no-untyped-def]
        return self._summary(article.title, language, kind) if (article.id, kind) in self.made else None

    async def summarize_article(self, article, language, kind="points"):  # type: ignore[no-untyped-def]
        self.made.add((article.id, kind))
        return self._summary(article.title, language, kind)


@pytest.fixture
def services(store: Store) -> Services:
    settings = validate(Settings(telegram=TelegramSettings(admins=("42",)),
                                 limits=LimitsSettings(user_answers_per_hour=2, answers_per_hour=100)))
    feed = store.add_feed("https://example.com/feed.xml", "Example")
    for i in range(5):
        store.add_article(NewArticle(feed_id=feed.id, url=f"https://example.com/{i}", title=f"T{i}", source="E",
                                     published=NOW, language="en", text="x", original_chars=1,
                                     content_hash=f"h{i}"), at=NOW)
    return Services(settings=settings, store=store, summaries=CountingSummaries(),  # type: ignore[arg-type]
                    digests=None, clock=lambda: NOW)  # type: ignore[arg-type]


async def test_cached_answers_are_free_and_admins_are_never_refused(services: Services) -> None:
    texts = [(await dispatch(req("7", "7", "telegram", str(i)), services)).text for i in (1, 2, 3)]
    assert ["Link:" in t for t in texts] == [True, True, False]
    assert "try again in 60 min" in texts[2]
    assert "Link:" in (await dispatch(req("7", "7", "telegram", "1"), services)).text  # cached: free
    # /summarize wants the other kind of summary, not cached yet: charged, so refused.
    assert "try again in" in (await dispatch(req("7", "7", "telegram", "1", command="summarize"), services)).text
    admin = [(await dispatch(req("42", "42", "telegram", str(i)), services)).text for i in (3, 4, 5)]
    assert all("Link:" in t for t in admin)  # recorded, never refused
    assert services.store.budget_used("answer", NOW - timedelta(hours=1)) == 5
