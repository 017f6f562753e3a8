"""Editing in the builder: one item per event (with every other outlet under "also reported by"),
a rank by outlets, importance, recency and feed weight, highlights from many sites, and the model's
headline in every renderer with the original title kept in the JSON."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import digest_without_ids
from test_digest_builder import FakeSummaries

from bot.config import FeedSettings, Settings
from bot.digest import stories as stories_module
from bot.digest.builder import build_digest
from bot.digest.discord_render import render_discord
from bot.digest.event_reading import lists_headlines
from bot.digest.json_render import render_json
from bot.digest.markdown import render_markdown
from bot.digest.plain import render_plain
from bot.digest.ranking import choose_highlights
from bot.digest.telegram_render import render_telegram
from bot.models import Article, Digest, DigestItem, NewArticle, Summary
from storage import Store

FIXTURES = Path(__file__).parent / "labels" / "event_fixtures.jsonl"
DAY = date(2030, 3, 31)
NOW = datetime(2030, 3, 31, tzinfo=UTC)


def wide(settings: Settings | None = None, **digest: Any) -> Settings:
    """Settings whose window holds every fixture (March 2030), UTC days."""
    s = settings or Settings()
    return dataclasses.replace(s, digest=dataclasses.replace(
        s.digest, timezone="UTC", **{"lookback_hours": 24 * 40, "max_items": 100, **digest}))


def slug(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:8]


def add_fixtures(store: Store, rows: Iterable[dict[str, Any]]) -> dict[str, Article]:
    """Each invented fixture story as an article of its outlet's own feed and site."""
    out = {}
    for row in rows:
        site = f"https://{slug(row['source'])}.example"
        feed = store.add_feed(f"{site}/feed.xml", row["source"])
        published = datetime.fromisoformat(row["published"])
        out[row["id"]] = store.add_article(NewArticle(
            feed_id=feed.id, url=f"{site}/{row['id']}", title=row["title"], source=row["source"],
            published=published, language=row["lang"], text=row["text"], original_chars=len(row["text"]),
            content_hash=hashlib.sha256(row["text"].encode()).hexdigest(),
        ), at=published)
    return out


def fixture_rows() -> list[dict[str, Any]]:
    """The invented stories of March 2030 (the held-out fresh ones, dated 2031, are not for tests)."""
    rows = [json.loads(line) for line in FIXTURES.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["published"].startswith("2030-03")]




class Recording(FakeSummaries):
    """FakeSummaries that keeps every article it was asked to summarise (texts included)."""

    def __init__(self, provider: str = "extractive", **kw: Any) -> None:
        super().__init__(**kw)
        self.provider = provider
        self.seen: list[Article] = []

    async def summarize_many(self, articles: Sequence[Article], language: str, kind: str = "points", *,
                             bill: object = None) -> dict[int, Summary]:
        self.seen += articles
        return await super().summarize_many(articles, language, kind)


# ---------------------------------------------------------------- one item per event


async def test_stories_of_one_event_are_one_item_whatever_the_fetch_order() -> None:
    rows = fixture_rows()
    digests = []
    for order in (rows, rows[::-1]):
        store = Store(":memory:")
        arts = add_fixtures(store, order)
        digests.append((await build_digest(store, wide(), Recording(), day=DAY, language="en", now=NOW),
                        arts))
        store.close()
    (forward, arts), (backward, _) = digests
    assert digest_without_ids(forward) == digest_without_ids(backward)
    by_url = {i.url: i for i in forward.items()}
    # Amazon buying Kinetix, told by two outlets in other words: one item, the other outlet beside it
    kinetix = [by_url[u] for u in (arts["e02-a"].url, arts["e02-b"].url) if u in by_url]
    assert len(kinetix) == 1, "one item for the event"
    other = ({arts["e02-a"].url, arts["e02-b"].url} - {kinetix[0].url}).pop()
    assert [a.url for a in kinetix[0].also] == [other]
    merged = sum(len(i.also) for i in forward.items())
    assert merged >= 20 and forward.stats.duplicates_merged == merged
    every = [i.url for i in forward.items()] + [a.url for i in forward.items() for a in i.also]
    assert sorted(every) == sorted(a.url for a in arts.values()), "no story lost, none told twice"


def _pair(store: Store) -> dict[str, Article]:
    """One event told by a publisher's short post, a wire's long report and a title-only stub."""
    feeds = {n: store.add_feed(f"https://{n}.example/feed", n.capitalize()) for n in ("acme", "wire", "stub")}
    lead = "Acme released its Roadrunner robot on Monday. It sorts parcels twice as fast as before."
    long = "The wire reports that Acme put its Roadrunner parcel robot on sale on Monday." + (
        " Shipments start in April. The robot costs forty thousand dollars. Three retailers have signed"
        " up. Analysts expect the launch to pressure rivals. Acme did not say how many it will build.")
    rows = {"acme": ("https://acme.example/roadrunner", "Acme launches Roadrunner", lead, 2.0),
            "wire": ("https://wire.example/acme-robot", "Acme's parcel robot is here", long, 3.0),
            "stub": ("https://stub.example/7", "Roadrunner robot announced", "", 1.0)}
    out = {}
    for name, (url, title, text, hours) in rows.items():
        out[name] = store.add_article(NewArticle(
            feed_id=feeds[name].id, url=url, title=title, source=feeds[name].name,
            published=NOW - timedelta(hours=hours), language="en", text=text, original_chars=len(text),
            content_hash=hashlib.sha256((url + text).encode()).hexdigest()), at=NOW)
    return out


@pytest.fixture
def as_one_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """A detector that puts every story of the window into one event (the wiring under test)."""
    monkeypatch.setattr(stories_module, "group_events",
                        lambda records, window, vectors=None: [tuple(r.id for r in records)])


async def test_the_most_complete_report_represents_the_event_and_lends_its_sentences(
        store: Store, as_one_event: None) -> None:
    arts = _pair(store)
    offline = Recording()
    digest = await build_digest(store, wide(), offline, day=DAY, language="en", now=NOW)
    (item,) = digest.items()
    assert item.url == arts["wire"].url and item.source == "Wire"  # the longest text
    assert [(a.url, a.source) for a in item.also] == [
        (arts["acme"].url, "Acme"), (arts["stub"].url, "Stub")]
    assert digest.headlines == () and digest.stats.duplicates_merged == 2
    # offline, the other reports' leads follow the representative as extra candidate sentences
    (sent,) = offline.seen
    assert sent.id == arts["wire"].id and sent.text.startswith(arts["wire"].text)
    assert arts["acme"].text not in arts["wire"].text and arts["acme"].text in sent.text
    # with a model, the most complete article alone (the summary warming and /summarize share)
    model = Recording(provider="openai")
    await build_digest(store, wide(), model, day=DAY, language="en", now=NOW)
    assert [a.text for a in model.seen] == [arts["wire"].text]


async def test_a_launch_not_its_system_card_represents_the_event(store: Store, as_one_event: None) -> None:
    feed = store.add_feed("https://orion.example/news.xml", "Orion News")
    launch = "Zephyr agent browses, runs code and fills in forms for you. It is rolling out to Pro users today."
    card = "This system card describes the safety work behind Zephyr agent. " + (
        "We evaluated the model for biological, cyber and persuasion risks and describe each mitigation. " * 4)
    arts = {}
    for slug_, title, text in (("introducing-zephyr-agent", "Introducing Zephyr agent", launch),
                               ("zephyr-agent-system-card", "Zephyr agent System Card", card)):
        arts[slug_] = store.add_article(NewArticle(
            feed_id=feed.id, url=f"https://orion.example/index/{slug_}", title=title, source="Orion News",
            published=NOW - timedelta(hours=2), language="en", text=text, original_chars=len(text),
            content_hash=hashlib.sha256(text.encode()).hexdigest()), at=NOW)
    digest = await build_digest(store, wide(), Recording(), day=DAY, language="en", now=NOW)
    (item,) = digest.items()
    # the card's text is four times longer, yet the launch is what a reader wants to read about
    assert item.url == arts["introducing-zephyr-agent"].url
    assert [a.url for a in item.also] == [arts["zephyr-agent-system-card"].url]


async def test_a_newsletter_issue_whose_text_is_its_letter_is_a_headline(store: Store) -> None:
    """The Batch's feed names each issue by its headlines and sends the editor's letter as its
    text: points made of the letter would be another story's, so the issue is listed by title."""
    feed = store.add_feed("https://letters.example/feed.xml", "The Letter")
    title = "Orion Ships Zephyr, Chip Export Rules Tighten, Robots Learn to Fold Laundry"
    letter = ("Dear friends, I spent the weekend teaching my nephew to bake bread. "
              "Patience matters more than any recipe, and the same holds for learning to code.")
    told = ("Orion shipped Zephyr, its agent, to every paying user. New export rules tighten sales of "
            "advanced chips. A lab's robots learned to fold laundry from a few hours of video.")
    for n, text in ((1, letter), (2, told)):
        store.add_article(NewArticle(
            feed_id=feed.id, url=f"https://letters.example/issue-{n}", title=title, source="The Letter",
            published=NOW - timedelta(hours=n), language="en", text=text, original_chars=len(text),
            content_hash=hashlib.sha256(text.encode()).hexdigest()), at=NOW)
    digest = await build_digest(store, wide(event_window_hours=0), Recording(), day=DAY, language="en", now=NOW)
    assert [h.url for h in digest.headlines] == ["https://letters.example/issue-1"]
    assert [i.url for i in digest.items()] == ["https://letters.example/issue-2"]


async def test_an_event_with_nothing_to_summarise_stays_separate_headlines(
        store: Store, as_one_event: None) -> None:
    feed = store.add_feed("https://a.example/feed", "A")
    for n in (1, 2):
        store.add_article(NewArticle(
            feed_id=feed.id, url=f"https://a{n}.example/x", title=f"Title only {n}", source="A",
            published=NOW - timedelta(hours=n), language="en", text="", original_chars=0,
            content_hash=str(n)), at=NOW)
    digest = await build_digest(store, wide(), Recording(), day=DAY, language="en", now=NOW)
    assert digest.items() == [] and sorted(h.url for h in digest.headlines) == [
        "https://a1.example/x", "https://a2.example/x"]


async def test_a_zero_event_window_merges_nothing(store: Store, as_one_event: None) -> None:
    _pair(store)
    digest = await build_digest(store, wide(event_window_hours=0), Recording(), day=DAY, language="en", now=NOW)
    assert len(digest.items()) == 2 and all(not i.also for i in digest.items())


# ---------------------------------------------------------------- ranking and highlights


TEXT = "First sentence says what happened. Second sentence says why it matters. Third one adds detail."


def _story(store: Store, site: str, n: int, hours: float, copies: Sequence[str] = ()) -> Article:
    feed = store.add_feed(f"https://{site}.example/feed", site)
    first = store.add_article(NewArticle(
        feed_id=feed.id, url=f"https://{site}.example/{n}", title=f"{site} story {n}", source=site,
        published=NOW - timedelta(hours=hours), language="en", text=f"Story {n} of {site}. {TEXT}",
        original_chars=100, content_hash=f"{site}{n}"), at=NOW)
    for other in copies:  # the same story under other sites' URLs (as near-duplicate detection links it)
        f = store.add_feed(f"https://{other}.example/feed", other)
        store.add_article(NewArticle(
            feed_id=f.id, url=f"https://{other}.example/{site}-{n}", title=f"{site} story {n}", source=other,
            published=NOW - timedelta(hours=hours), language="en", text=f"Story {n} of {site}. {TEXT}",
            original_chars=100, content_hash=f"{other}{site}{n}"), story_id=first.id, at=NOW)
    return first


async def test_rank_by_outlets_recency_and_feed_weight(store: Store) -> None:
    covered = _story(store, "alpha", 1, 20, copies=("beta", "gamma", "delta"))  # four sites, older
    fresh = _story(store, "epsilon", 2, 1)
    stale = _story(store, "zeta", 3, 30)
    settings = wide(event_window_hours=0)
    order = [i.id for i in (await build_digest(store, settings, Recording(), day=DAY, language="en",
                                               now=NOW)).items()]
    assert order == [covered.id, fresh.id, stale.id]  # all 'other': one section, in rank order
    heavy = dataclasses.replace(settings, feeds=(FeedSettings(url="https://zeta.example/feed", weight=3.0),))
    order = [i.id for i in (await build_digest(store, heavy, Recording(), day=DAY, language="en",
                                               now=NOW)).items()]
    assert order[0] == stale.id  # the operator's favourite feed first


async def test_equal_scores_go_to_the_more_recent_story(store: Store) -> None:
    """Old enough, recency adds nothing and the importance estimate is the same: the date decides,
    not the URL (the older story's URL sorts first)."""
    older = _story(store, "aaa", 1, 24 * 500)
    newer = _story(store, "zzz", 2, 24 * 400)
    settings = wide(event_window_hours=0, lookback_hours=24 * 600)
    digest = await build_digest(store, settings, Recording(), day=DAY, language="en", now=NOW)
    assert [i.id for i in digest.items()] == [newer.id, older.id]


def _item(n: int, site: str) -> DigestItem:
    return DigestItem(id=n, title=f"t{n}", emoji="📰", url=f"https://www.{site}.example/{n}", source=site,
                      published=NOW, points=("p",))


def test_highlights_take_at_most_two_per_site_unless_nothing_else_is_left() -> None:
    items = [_item(n, "big") for n in range(6)] + [_item(10, "one"), _item(11, "two")]
    picked = choose_highlights(items, 5, 2)
    assert [i.id for i in picked] == [0, 1, 2, 10, 11]  # the third from 'big' fills the last place
    # (chosen last, listed in rank order)
    assert [i.id for i in choose_highlights(items, 3, 2)] == [0, 1, 10]
    assert [i.id for i in choose_highlights(items, 4, 0)] == [0, 1, 2, 3]  # 0: no limit
    # blog.big.example and www.big.example are one site
    same = [_item(1, "big"), dataclasses.replace(_item(2, "big"), url="https://blog.big.example/2"),
            _item(3, "big"), _item(4, "small")]
    assert [i.id for i in choose_highlights(same, 3, 2)] == [1, 2, 4]


def test_round_ups_are_highlights_only_when_nothing_else_is_left() -> None:
    briefing = dataclasses.replace(_item(1, "wire"), title="销售疲软？苹果营收下滑； 微信群新功能 | 雷锋早报")
    weekly = dataclasses.replace(_item(2, "news"), title="Un titre", original_title="This week in AI: five launches")
    items = [briefing, weekly, _item(3, "a"), _item(4, "b"), _item(5, "a")]
    # the briefing ranks first but lists stories that are items of their own; the model's
    # headline of the weekly hides nothing: its original title is read
    assert [i.id for i in choose_highlights(items, 3, 2)] == [3, 4, 5]
    assert [i.id for i in choose_highlights(items, 3, 0)] == [3, 4, 5]
    # over the per-site cap before a round-up; a round-up only when nothing else is left
    assert [i.id for i in choose_highlights(items, 3, 1)] == [3, 4, 5]
    assert [i.id for i in choose_highlights(items, 4, 2)] == [1, 3, 4, 5]
    assert [i.id for i in choose_highlights(items, 9, 2)] == [1, 2, 3, 4, 5]
    # a newsletter issue named by its headlines is a round-up too; a news title is not
    issue = dataclasses.replace(_item(6, "batch"), title="Gemini Flash Gets Pricey, AI Act Delays, Agents Drive Traffic")
    assert [i.id for i in choose_highlights([issue, *items[2:]], 3, 2)] == [3, 4, 5]
    for title in ("Gemini Flash Gets Pricey, AI Act Delays, Agents Drive Online Traffic",
                  "Spotify Earnings, Individualized Networks, AI and Aggregation"):
        assert lists_headlines(title), title
    for title in ("Jesse Jackson, civil rights leader and U.S. presidential hopeful, dies at 84",
                  "Claude Science, an AI workbench for scientists, is now available",
                  "Introducing computer use, a new Claude 3.5 Sonnet, and Claude 3.5 Haiku",
                  "Giant Bombcast 598: The Tank, the Healer, and the Damage-Dealer",
                  "Android UI 设计工具 (Photoshop, Android 5.0, Nexus 4)", "Faster, Cheaper, Better"):
        assert not lists_headlines(title), title


async def test_the_digest_highlights_come_from_many_sites(store: Store) -> None:
    for n in range(6):
        _story(store, "big", n, 1 + n / 10)
    for n, site in enumerate(("one", "two", "three")):
        _story(store, site, 10 + n, 5)
    settings = wide(event_window_hours=0, highlights=5)
    digest = await build_digest(store, settings, Recording(), day=DAY, language="en", now=NOW)
    sites = [next(i for i in digest.items() if i.id == h.id).url.split("/")[2] for h in digest.highlights]
    assert sites.count("big.example") == 2 and len(set(sites)) == 4 and len(sites) == 5
    loose = dataclasses.replace(settings, digest=dataclasses.replace(settings.digest, highlights_per_source=0))
    digest = await build_digest(store, loose, Recording(), day=DAY, language="en", now=NOW)
    assert {next(i for i in digest.items() if i.id == h.id).url.split("/")[2] for h in digest.highlights} == {
        "big.example"}


# ---------------------------------------------------------------- titles in the digest's language


class Translating(Recording):
    """A model-like summarizer whose headline is a Chinese title."""

    def _summary(self, title: str, text: str, language: str, kind: str) -> Summary:
        base = super()._summary(title, text, language, kind)
        return dataclasses.replace(base, title=f"中文标题：{title[:12]}", provider="openai", model="m")


async def test_the_models_headline_replaces_the_title_everywhere_and_the_original_stays(store: Store) -> None:
    original = _story(store, "alpha", 1, 2).title
    digest = await build_digest(store, wide(), Translating(provider="openai"), day=DAY, language="zh",
                                now=NOW)
    (item,) = digest.items()
    assert item.title.startswith("中文标题：") and item.original_title == original
    assert digest.highlights[0].title == item.title
    for text in (render_markdown(digest), "\n".join(m.text for m in render_plain(digest))):
        assert item.title in text and original not in text
    for message in render_telegram(digest):
        assert original not in message.text
    assert any(item.title in m.text for m in render_telegram(digest))
    embeds = [e for m in render_discord(digest) for e in m.embeds]
    assert any(item.title in e.title for e in embeds) and not any(original in e.title for e in embeds)
    data = json.loads(render_json(digest))
    (row,) = [i for s in data["sections"] for i in s["items"]]
    assert row["title"] == item.title and row["original_title"] == original
    assert Digest.from_dict(data) == digest
    offline = await build_digest(store, wide(), Recording(), day=DAY, language="zh", now=NOW)
    assert offline.items()[0].original_title == ""  # the shown title is the article's own


# ---------------------------------------------------------------- settings the editing reads


def test_the_bill_defaults_to_twice_the_items_and_weights_come_from_the_config() -> None:
    from bot.config import parse_settings

    s = parse_settings({"digest": {"max_items": 60}, "feeds": [
        {"url": "https://a.example/feed", "weight": 2.5}, {"url": "https://b.example/feed"}]})
    assert s.model_candidates() == 120 and s.feed_weights() == {"https://a.example/feed": 2.5}
    assert parse_settings({"summarizer": {"max_model_candidates": 40}}).model_candidates() == 40


async def test_the_model_prompt_carries_the_configured_section_definitions(monkeypatch: pytest.MonkeyPatch,
                                                                          store: Store) -> None:
    from fakes.openai_server import FakeOpenAI
    from test_summarize_service import KEY_ENV, article, settings_for

    from bot.config import SectionSettings
    from bot.summarize.service import SummaryService

    monkeypatch.setenv(KEY_ENV, "sk-test")
    async with FakeOpenAI() as fake:
        base = settings_for(fake.base_url)
        sections = (SectionSettings(key="chips", name={"en": "Chips"},
                                    description={"en": "Silicon news only.", "zh": "只谈芯片。"}),
                    SectionSettings(key="rest", name={"en": "Rest"}))
        settings = dataclasses.replace(base, digest=dataclasses.replace(base.digest, sections=sections))
        service = SummaryService(store, settings)
        try:
            await service.summarize_many([article(1)], "en")
            await service.summarize_many([article(1)], "zh")
        finally:
            await service.aclose()
    systems = [next(m["content"] for m in r["messages"] if m["role"] == "system") for r in fake.requests]
    assert "- chips: Silicon news only." in systems[0] and "  - rest\n" in systems[0]
    assert "- chips: 只谈芯片。" in systems[1]


def test_the_readme_json_section_shows_every_item_field_of_the_schema() -> None:
    from bot.digest.json_render import DIGEST_JSON_SCHEMA

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## JSON output", 1)[1].split("\n## ", 1)[0]
    example = section.split("```json", 1)[1].split("```", 1)[0]
    fields = DIGEST_JSON_SCHEMA["properties"]["sections"]["items"]["properties"]["items"]["items"]["properties"]
    assert "original_title" in fields
    assert [f for f in fields if f'"{f}"' not in example] == []
    assert "`original_title`" in section
