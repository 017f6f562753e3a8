"""/settings (and what its buttons send), /filter, /time, /lang and /search called through `dispatch`
with a real in-memory store; the platforms' side is in test_chat_settings_*.py."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from test_handlers_commands import ADMIN, NOW, StubDigests, StubSummaries, req

from bot.config import ChatSettings, LimitsSettings, Settings, TelegramSettings, validate
from bot.delivery.schedule import due_date
from bot.digest.buttons import decode
from bot.digest.filters import MAX_KEYWORDS
from bot.models import NewArticle, Reply
from bot.services import Services
from handlers import dispatch

GROUP = "-100"


@pytest.fixture
def services(store) -> Services:  # type: ignore[no-untyped-def]
    settings = validate(Settings(telegram=TelegramSettings(admins=(ADMIN,)), chat=ChatSettings(default_time="07:45")))
    svc = Services(settings=settings, store=store, summaries=StubSummaries(), digests=StubDigests(),  # type: ignore[arg-type]
                   clock=lambda: NOW)
    svc.refreshes = 0  # type: ignore[attr-defined]

    def refresh() -> None:
        svc.refreshes += 1  # type: ignore[attr-defined]

    svc.refresh_schedule = refresh
    return svc


def subscribe(store, chat: str = GROUP, language: str = "en", **kw):  # type: ignore[no-untyped-def]
    return store.subscribe("telegram", chat, "08:00", "UTC", language, at=NOW - timedelta(days=3), **kw)


async def ask(services, command: str, *args: str, **kw) -> Reply:  # type: ignore[no-untyped-def]
    return await dispatch(req(command, *args, **kw), services)


async def press(services, payload: str, chosen=None, **kw) -> Reply:  # type: ignore[no-untyped-def]
    """What an adapter does with a button press: decode the payload, run the command it stands for."""
    found = decode(payload, chosen)
    assert found is not None, payload
    request = dataclasses.replace(req(found.command, *found.args, **kw), press=found.action)
    return await dispatch(request, services)


# ------------------------------------------------------------------ the panel


async def test_settings_panel_shows_everything_with_its_controls(services, store) -> None:
    subscribe(store, sections=("products", "tutorials"), include=("GPT", "open source"), exclude=("Microsoft",))
    reply = await ask(services, "settings")
    lines = reply.text.splitlines()
    assert lines[0] == "⚙️ This chat's settings"
    assert "Time: every day at 08:00 (UTC)" in lines and "Next digest: 2025-03-10 08:00 UTC" in lines
    assert "Language: English" in lines and "Sections: Products, Tutorials" in lines
    assert 'Include (keep only items that mention one): GPT, "open source"' in lines
    assert "Exclude (drop items that mention any): Microsoft" in lines and lines[-1] == "Status: active"
    (menu,) = reply.selects
    assert menu.payload == "secs" and (menu.min_values, menu.max_values) == (1, 4)
    assert [(o.value, o.selected, o.toggle) for o in menu.options] == [
        ("products", True, "sec:products:off"), ("industry", False, "sec:industry:on"),
        ("tutorials", True, "sec:tutorials:off"), ("other", False, "sec:other:on")]
    assert [(b.label, b.payload) for b in reply.buttons] == [("Switch to 中文", "lang:zh"), ("⏸ Pause", "pause")]
    assert reply.replace and not reply.ephemeral


async def test_settings_without_a_subscription_says_what_subscribe_would_do(services) -> None:
    reply = await ask(services, "settings")
    assert reply.text.startswith("This chat has no subscription") and reply.buttons == () and reply.selects == ()


async def test_a_long_keyword_list_is_cut_in_the_panel_and_listed_whole_by_filter(services, store) -> None:
    words = tuple(f"keyword{i:02d}" for i in range(MAX_KEYWORDS))
    subscribe(store, include=words)
    panel = (await ask(services, "settings")).text
    assert "keyword00" in panel and "keyword49" not in panel and "more (/filter lists them all)" in panel
    assert len(panel) < 1500  # one Discord message (2,000) with room to spare
    listed = (await ask(services, "filter")).text
    assert all(w in listed for w in words)


# ------------------------------------------------------------------ who may change what

CHANGES = [("settings", "pause"), ("settings", "resume"), ("settings", "section", "products", "off"),
           ("settings", "sections", "products"), ("filter", "+GPT"), ("filter", "clear"),
           ("time", "09:30"), ("lang", "zh")]


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: " ".join(c))
async def test_group_members_may_look_but_not_change(services, store, change) -> None:
    subscribe(store, include=("keep",))
    before = store.find_subscription("telegram", GROUP)
    reply = await ask(services, *change)
    assert reply.text == "Only this chat's administrators may change its subscription." and reply.ephemeral
    assert store.find_subscription("telegram", GROUP) == before and services.refreshes == 0
    assert "Status: active" in (await ask(services, "settings")).text  # looking is for everyone


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: " ".join(c))
async def test_admins_and_private_chats_may_change(services, store, change) -> None:
    for chat, kw in ((GROUP, {"admin": True}), ("7", {"chat_type": "private"})):
        subscribe(store, chat=chat)
        reply = await ask(services, *change, chat=chat, **kw)
        assert reply.text.startswith(("✅ Saved.", "✅ 已保存。")), (chat, reply.text)


@pytest.mark.parametrize("change", CHANGES[2:], ids=lambda c: " ".join(c))
async def test_a_chat_without_a_subscription_is_told_so(services, store, change) -> None:
    reply = await ask(services, *change, admin=True)
    assert reply.text == "This chat has no subscription; send /subscribe to start one."
    assert store.list_subscriptions() == []


async def test_a_settings_button_is_checked_like_its_command(services, store) -> None:
    subscribe(store)
    refused = await press(services, "pause")  # a member of the group
    assert "administrators" in refused.text and store.find_subscription("telegram", GROUP).enabled
    done = await press(services, "pause", admin=True)
    assert done.replace and "Status: paused" in done.text
    assert [b.payload for b in done.buttons] == ["lang:zh", "resume"]


# ------------------------------------------------------------------ sections


async def test_section_toggles_and_the_menu_set_the_sections(services, store) -> None:
    subscribe(store)
    off = await press(services, "sec:industry:off", admin=True)
    assert store.find_subscription("telegram", GROUP).sections == ("products", "tutorials", "other")
    assert "Sections: Products, Tutorials, Other" in off.text
    await press(services, "sec:industry:on", admin=True)  # every section again: stored as "all"
    assert store.find_subscription("telegram", GROUP).sections == ()
    chosen = await press(services, "secs", ["tutorials", "products"], admin=True)
    assert store.find_subscription("telegram", GROUP).sections == ("products", "tutorials")  # config order
    assert [o.selected for o in chosen.selects[0].options] == [True, False, True, False]
    typed = await ask(services, "settings", "sections", "other,industry", admin=True)
    assert "Sections: Industry news, Other" in typed.text


async def test_the_last_section_cannot_be_switched_off_and_unknown_ones_are_named(services, store) -> None:
    sub = subscribe(store, sections=("products",))
    last = await press(services, "sec:products:off", admin=True)
    assert last.text == "Keep at least one section; to get every section, choose them all."
    gone = await press(services, "sec:gossip:on", admin=True)  # a section the config no longer has
    assert gone.text.startswith("'gossip' is not a section; choose from: products, industry")
    store.update_subscription(sub.id, language="zh")  # a Chinese chat is answered in Chinese
    typed = await ask(services, "settings", "sections", "gossip", admin=True)
    assert typed.text.startswith("没有“gossip”这个栏目")
    assert store.find_subscription("telegram", GROUP).sections == ("products",)


# ------------------------------------------------------------------ /filter


async def test_filter_adds_moves_and_clears_words(services, store) -> None:
    subscribe(store)
    reply = await ask(services, "filter", "+GPT", '+"open', 'source"', "-Microsoft", "＋大模型", admin=True)
    sub = store.find_subscription("telegram", GROUP)
    assert sub.include == ("GPT", "open source", "大模型") and sub.exclude == ("Microsoft",)
    assert reply.text.startswith("✅ Saved.") and 'GPT, "open source", 大模型' in reply.text
    await ask(services, "filter", "-gpt", "+microsoft", admin=True)  # a word moves to its new list
    sub = store.find_subscription("telegram", GROUP)
    assert sub.include == ("open source", "大模型", "microsoft") and sub.exclude == ("gpt",)
    await ask(services, "filter", "clear", admin=True)
    sub = store.find_subscription("telegram", GROUP)
    assert (sub.include, sub.exclude) == ((), ())


@pytest.mark.parametrize(("args", "expected"), [
    (("GPT",), "'GPT' is not +word or -word"),
    (("+ok", "plain"), "'plain' is not +word or -word"),
    (("+",), "'+' is not +word or -word"),
    (tuple(f"+w{i}" for i in range(200)), "At most 50 include keywords are allowed, not 201."),
    (("-" + "x" * 5000,), "A keyword is at most 64 characters; 'xxxxxxxxxxxxxxxxxxxx'… is longer."),
    (("+!!!",), "'!!!' cannot be a keyword: it needs a letter or a digit."),
])
async def test_bad_filters_get_one_line_and_change_nothing(services, store, args, expected) -> None:
    subscribe(store, include=("keep",))
    reply = await ask(services, "filter", *args, admin=True)
    assert reply.text.startswith(expected) and "\n" not in reply.text and len(reply.text) < 300
    assert store.find_subscription("telegram", GROUP).include == ("keep",)


async def test_filter_refusals_speak_the_chats_language(services, store) -> None:
    subscribe(store, language="zh")
    reply = await ask(services, "filter", *[f"+w{i}" for i in range(60)], admin=True)
    assert reply.text == "包含关键词最多 50 个，这里有 60 个。"


# ------------------------------------------------------------------ /time and /lang


async def test_time_moves_the_digest_and_owes_nothing_for_the_passed_slot(services, store) -> None:
    subscribe(store)  # 08:00 UTC; it is 02:00 UTC now
    reply = await ask(services, "time", "01:30", "Europe/Berlin", admin=True)  # 00:30 UTC: passed today
    sub = store.find_subscription("telegram", GROUP)
    assert (sub.time, sub.timezone, sub.schedule_from) == ("01:30", "Europe/Berlin", NOW)
    assert "Next digest: 2025-03-11 01:30 CET" in reply.text and services.refreshes == 1
    assert due_date(sub, NOW + timedelta(minutes=5), grace=timedelta(hours=6)) is None
    zone_kept = await ask(services, "time", "7:05", admin=True)
    assert "every day at 07:05 (Europe/Berlin)" in zone_kept.text


@pytest.mark.parametrize(("args", "expected"), [
    ((), "Usage: /time HH:MM [timezone]"),
    (("25:00",), "'25:00' is not a time"),
    (("08:00", "Mars/Olympus"), "'Mars/Olympus' is not a time zone"),
    (("08:00", "Europe/" + "x" * 5000), "is not a time zone I know"),
    (("08:00", "UTC", "en"), "Usage: /time HH:MM [timezone]"),
])
async def test_bad_times_get_one_line(services, store, args, expected) -> None:
    subscribe(store)
    reply = await ask(services, "time", *args, admin=True)
    assert expected in reply.text and len(reply.text) < 200
    assert store.find_subscription("telegram", GROUP).time == "08:00"


async def test_lang_switches_the_digest_and_the_answer(services, store) -> None:
    subscribe(store)
    reply = await ask(services, "lang", "zh", admin=True)
    assert store.find_subscription("telegram", GROUP).language == "zh"
    assert reply.text.startswith("✅ 已保存。") and "语言：中文" in reply.text
    assert [b.payload for b in reply.buttons] == ["lang:en", "pause"]
    back = await press(services, "lang:en", admin=True)
    assert back.text.startswith("✅ Saved.") and store.find_subscription("telegram", GROUP).language == "en"
    assert (await ask(services, "lang", "fr", admin=True)).text == "Use /lang zh or /lang en."


# ------------------------------------------------------------------ pause and resume


async def test_pause_sends_nothing_and_resume_owes_nothing_missed(services, store) -> None:
    sub = subscribe(store)
    await ask(services, "settings", "pause", admin=True)
    paused = store.find_subscription("telegram", GROUP)
    assert not paused.enabled and paused.disabled_reason == "paused"
    assert store.list_subscriptions(enabled_only=True) == []  # what every send run delivers to
    # Resumed at 09:00 UTC, an hour after the 08:00 slot it missed: that slot is not owed.
    later = dataclasses.replace(services, clock=lambda: datetime(2025, 3, 10, 9, 0, tzinfo=UTC))
    reply = await ask(later, "settings", "resume", admin=True)
    resumed = store.find_subscription("telegram", GROUP)
    assert resumed.enabled and "Status: active" in reply.text
    assert due_date(resumed, datetime(2025, 3, 10, 9, 1, tzinfo=UTC), grace=timedelta(hours=6)) is None
    assert due_date(resumed, datetime(2025, 3, 11, 8, 1, tzinfo=UTC), grace=timedelta(hours=6)) is not None
    assert resumed.id == sub.id and services.refreshes == 2


async def test_a_chat_stopped_by_a_delivery_failure_does_not_see_the_failure_text(services, store) -> None:
    sub = subscribe(store)
    store.disable_subscription(sub.id, "chat unavailable: 403 Forbidden (code 50001) token=abc")
    text = (await ask(services, "settings")).text
    assert "could not be posted here" in text and "403" not in text and "token" not in text


# ------------------------------------------------------------------ /search


def add_articles(store, count: int, title: str = "Robot arm news") -> list[int]:  # type: ignore[no-untyped-def]
    feed = store.add_feed("https://example.com/feed.xml", "@robots_daily")
    ids = []
    for i in range(count):
        ids.append(store.add_article(NewArticle(
            feed_id=feed.id, url=f"https://example.com/{i}", title=f"{title} {i} /start #tag",
            source="@robots_daily", published=NOW - timedelta(hours=i), language="en",
            text="Robots sort parcels. " * 20, original_chars=400, content_hash=f"h{i}"), at=NOW).id)
    store.index_pending()  # as the service's fetch job does after storing
    return ids


async def test_search_pages_five_at_a_time_with_a_more_button(services, store) -> None:
    ids = add_articles(store, 12)
    first = await ask(services, "search", "robot", "arm")
    lines = first.text.splitlines()
    assert lines[0] == "Results 1–5 for “robot arm”:" and len(lines) == 1 + 5 * 3
    assert lines[1].startswith("1. Robot arm news 0 /\u2060start #\u2060tag")  # feed text stays inert
    assert lines[2] == f"   2025-03-10 · @\u2060robots_daily · #{ids[0]}" and lines[3] == "   https://example.com/0"
    (more,) = first.buttons
    assert more.label == "More results" and more.payload.startswith("srch:") and more.payload.endswith(":5")
    second = await press(services, more.payload)
    assert second.text.startswith("Results 6–10 for “robot arm”:") and "https://example.com/5" in second.text
    third = await press(services, second.buttons[0].payload)
    assert third.text.startswith("Results 11–12") and third.buttons == ()


async def test_a_search_button_from_another_chat_or_forgotten_has_expired(services, store) -> None:
    add_articles(store, 7)
    payload = (await ask(services, "search", "robot", chat="-200")).buttons[0].payload
    elsewhere = await press(services, payload, chat="-300")  # the id is another chat's query
    assert elsewhere.text == "This button has expired." and elsewhere.ephemeral
    assert (await press(services, "srch:999:5")).text == "This button has expired."
    assert "Results 6–7" in (await press(services, payload, chat="-200")).text


async def test_search_answers_nothing_found_and_bad_queries_in_one_line(services, store) -> None:
    add_articles(store, 2)
    assert (await ask(services, "search", "submarine")).text == "Nothing found for “submarine”."
    assert (await ask(services, "search")).text == "Usage: /search <words>"
    long = await ask(services, "search", "x" * 300)
    assert long.text == "A search is at most 200 characters long." and long.ephemeral
    zh = await ask(services, "search", "x" * 300, language="zh")
    assert zh.text == "搜索词最长 200 个字符。"
    assert store.budget_used("search", NOW - timedelta(hours=1)) == 1  # the refused ones cost nothing


async def test_searches_are_budgeted_per_user(services, store) -> None:
    add_articles(store, 2)
    tight = dataclasses.replace(
        services, settings=dataclasses.replace(services.settings, limits=LimitsSettings(user_searches_per_hour=2)))
    answers = [(await ask(tight, "search", "robot")).text for _ in range(3)]
    assert answers[0].startswith("Results 1–2") and answers[1] == answers[0]
    assert answers[2] == "You have used this hour's allowance for that; try again in 60 min."
    assert (await ask(tight, "search", "robot", user="8")).text.startswith("Results")
