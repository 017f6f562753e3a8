"""Per-subscription filters: validation limits and errors, keyword matching, the filtered digest
(sections, highlights, headlines and header figures agreeing), and `subscriptions add|edit|list`."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.digest.builder import compute_stats
from bot.digest.filters import (
    MAX_KEYWORD_CHARS,
    MAX_KEYWORDS,
    FilterError,
    Filters,
    apply_filters,
    filtered_renderer,
    matches,
    validate_keywords,
    validate_sections,
)
from bot.digest.plain import render_plain
from bot.models import (
    AlsoSource,
    Digest,
    DigestItem,
    DigestSection,
    Headline,
    Highlight,
)
from storage import Store

KNOWN = ("products", "industry", "tutorials", "other")


def item(i: int, title: str, points: tuple[str, ...] = ("one point",), source: str = "Example",
         importance: float = 0.5, also: int = 0) -> DigestItem:
    return DigestItem(
        id=i, title=title, emoji="📰", url=f"https://example.com/{i}", source=source,
        published=datetime(2025, 7, 24, i % 24, tzinfo=UTC), points=points, importance=importance,
        original_chars=1000 * i, also=tuple(AlsoSource(f"https://other.example/{i}/{n}", f"O{n}") for n in range(also)),
    )


def digest(*sections: tuple[str, list[DigestItem]], highlights: int = 3) -> Digest:
    items = [i for _, its in sections for i in its]
    return Digest(
        date=datetime(2025, 7, 25).date(), language="en", title="Digest",
        stats=compute_stats(items, sum(len(i.also) for i in items), 2, "en"),
        highlights=tuple(Highlight(i.id, i.title, i.emoji) for i in items[:highlights]),
        sections=tuple(DigestSection(key, key.title(), tuple(its)) for key, its in sections),
    )


# ---------------------------------------------------------------- validation


def test_keywords_are_normalised_deduplicated_and_cleared_by_empty_strings() -> None:
    assert validate_keywords(["  large   language\tmodel ", "ＧＰＴ", "gpt", "", "  "], "include") == (
        "large language model", "GPT")
    assert validate_keywords([""], "exclude") == ()


@pytest.mark.parametrize(
    ("words", "key", "kw"),
    [
        ([f"w{n}" for n in range(MAX_KEYWORDS + 1)], "filter_too_many", {"limit": MAX_KEYWORDS, "count": 51}),
        (["x" * 5000], "filter_too_long", {"limit": MAX_KEYWORD_CHARS}),
        (["!!!"], "filter_bad_keyword", {"value": "!!!"}),
    ],
)
def test_keyword_limits_raise_a_key_with_parameters(words: list[str], key: str, kw: dict[str, object]) -> None:
    with pytest.raises(FilterError) as caught:
        validate_keywords(words, "exclude")
    err = caught.value
    assert err.key == key and kw.items() <= err.kw.items() and err.kw["which"] == "exclude"
    zh, en = err.message("zh"), err.message("en")
    assert zh != en and str(err) == en
    if "limit" in kw:
        assert str(kw["limit"]) in zh and str(kw["limit"]) in en


def test_exactly_the_limits_are_accepted() -> None:
    words = [f"w{n}" for n in range(MAX_KEYWORDS - 1)] + ["y" * MAX_KEYWORD_CHARS]
    assert len(validate_keywords(words, "include")) == MAX_KEYWORDS


def test_sections_must_be_configured_ones() -> None:
    assert validate_sections(["Products", " industry", "products", ""], KNOWN) == ("products", "industry")
    with pytest.raises(FilterError) as caught:
        validate_sections(["products", "gossip"], KNOWN)
    assert caught.value.key == "filter_unknown_section" and caught.value.kw["value"] == "gossip"
    assert "products, industry" in caught.value.message("zh")


# ---------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("text", "words", "expected"),
    [
        ("OpenAI ships a model", ["AI"], False),  # whole words for Latin scripts
        ("An AI-powered phone", ["ai"], True),
        ("微软发布AI新功能", ["AI"], True),  # a Latin word right against Chinese is still a word
        ("Microsoft's new chip", ["microsoft"], True),
        ("MICROSOFTS", ["Microsoft"], False),
        ("国内厂商发布超大模型", ["大模型"], True),  # substrings for Chinese
        ("模型很大", ["大模型"], False),
        ("a Large  Language\nModel", ["large language model"], True),
        ("Ｍｉｃｒｏｓｏｆｔ", ["microsoft"], True),  # NFKC: full-width letters
        ("C++ and Rust", ["c++"], True),
    ],
)
def test_matching_rules(text: str, words: list[str], expected: bool) -> None:
    assert matches([text], words) is expected


# ---------------------------------------------------------------- applying to a digest

MS = item(1, "Microsoft releases Phi-4-mini", importance=0.9, also=2)
CHIP = item(2, "A new chip for phones", points=("Built with Microsoft tools",), importance=0.8)
GOOGLE = item(3, "Google updates Gemini", source="Google AI", importance=0.7, also=1)
GUIDE = item(4, "How to fine-tune a small model", importance=0.2)
ZH = item(5, "国内厂商发布超大模型", points=("参数规模超过千亿。",), importance=0.6)
FULL = digest(("products", [MS, CHIP]), ("industry", [GOOGLE, ZH]), ("tutorials", [GUIDE]))


def ids(d: Digest) -> list[int]:
    return [i.id for i in d.items()]


def test_no_filter_or_nothing_removed_returns_the_same_digest() -> None:
    assert apply_filters(FULL, Filters()) is FULL
    assert apply_filters(FULL, Filters(exclude=("nonexistent",))) is FULL


def test_exclude_matches_title_points_and_source() -> None:
    assert ids(apply_filters(FULL, Filters(exclude=("Microsoft",)))) == [3, 5, 4]
    assert ids(apply_filters(FULL, Filters(exclude=("google ai",)))) == [1, 2, 5, 4]


def test_include_then_exclude_and_sections() -> None:
    assert ids(apply_filters(FULL, Filters(include=("model", "大模型")))) == [5, 4]
    assert ids(apply_filters(FULL, Filters(include=("model", "大模型"), exclude=("fine-tune",)))) == [5]
    only = apply_filters(FULL, Filters(sections=("industry",), exclude=("gemini",)))
    assert [s.key for s in only.sections] == ["industry"] and ids(only) == [5]


def test_filtered_digest_keeps_header_figures_and_highlights_consistent() -> None:
    kept = apply_filters(FULL, Filters(exclude=("Microsoft",)))
    items = kept.items()
    assert kept.stats.articles == len(items) == 3
    assert kept.stats.original_chars == sum(i.original_chars for i in items)
    assert kept.stats.summary_chars == sum(len(p) for i in items for p in i.points)
    assert kept.stats.sources == len({i.source for i in items} | {a.source for i in items for a in i.also})
    assert kept.stats.duplicates_merged == 1 and kept.stats.feeds_failed == 2
    # The surviving highlight (3) first, topped up to three in rank order: 5 (0.6), then 4 (0.2).
    assert [h.id for h in kept.highlights] == [3, 5, 4]
    assert {h.id for h in kept.highlights} <= {i.id for i in items}


def test_a_filtered_digest_tops_its_highlights_up_with_round_ups_last() -> None:
    items = [item(1, "Microsoft Copilot news", importance=0.9),
             item(2, "Gemini Flash pricing; AI Act delays; agents drive traffic | AI weekly digest", importance=0.8),
             item(3, "A robot dog", importance=0.1)]
    kept = apply_filters(digest(("industry", items), highlights=1), Filters(exclude=("microsoft",)))
    # the round-up ranks higher, but the top-up takes the story first, as the builder does
    assert [h.id for h in kept.highlights] == [3]


def test_headlines_are_filtered_too_when_the_digest_has_them() -> None:
    heads = (Headline(1, "Microsoft Build recap", "https://h/1", "X"), Headline(2, "A robot dog", "https://h/2", "Y"))
    d = dataclasses.replace(FULL, stats=dataclasses.replace(FULL.stats, headlines=2), headlines=heads)
    kept = apply_filters(d, Filters(exclude=("microsoft",)))
    assert [h.title for h in kept.headlines] == ["A robot dog"] and kept.stats.headlines == 1
    assert apply_filters(d, Filters(sections=("products",))).headlines == ()


def test_nothing_left_sends_one_short_line_but_an_empty_day_stays_the_usual_digest() -> None:
    render = filtered_renderer(render_plain, Filters(include=("quantum",)))
    assert [m.text for m in render(FULL)] == ["Nothing matched your filters today"]
    zh = filtered_renderer(render_plain, Filters(sections=("other",)))(Digest(**{**FULL.__dict__, "language": "zh"}))
    assert [m.text for m in zh] == ["今天没有符合筛选条件的内容"]
    empty = digest()
    assert [m.text for m in render(empty)] == [m.text for m in render_plain(empty)]
    # No markup characters: the same text is valid Telegram HTML, Discord content and console text.
    assert not set("<>&*_~|`[]#@\\") & set(zh[0].text + render(FULL)[0].text)


# ---------------------------------------------------------------- storage and the CLI


def test_store_keeps_filters_and_subscribe_leaves_them_alone(store: Store) -> None:
    sub = store.subscribe("telegram", "-1", "08:00", "UTC", "en", ["products"], include=["AI"], exclude=["ads"])
    assert (sub.sections, sub.include, sub.exclude) == (("products",), ("AI",), ("ads",))
    again = store.subscribe("telegram", "-1", "09:00", "UTC", "en", ["products"])  # the chat's /subscribe
    assert (again.time, again.include, again.exclude) == ("09:00", ("AI",), ("ads",))
    edited = store.update_subscription(sub.id, exclude=(), language="zh")
    assert edited is not None and (edited.include, edited.exclude, edited.language) == (("AI",), (), "zh")
    assert store.update_subscription(999, time="10:00") is None


@pytest.fixture
def cfg(tmp_path: Path) -> str:
    path = tmp_path / "digestbot.toml"
    path.write_text(f"[storage]\npath = '{tmp_path / 'd.db'}'\n")
    return str(path)


def test_cli_add_edit_list_and_clear(cfg: str, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--config", cfg, "subscriptions"]
    assert main([*base, "add", "telegram", "-100", "--sections", "products,industry",
                 "--include", "AI", "large model", "--exclude", "Microsoft", "--time", "7:05"]) == 0
    assert main([*base, "edit", "telegram", "-100", "--tz", "Europe/Berlin", "--include", "大模型"]) == 0
    assert main([*base, "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == ('#1 telegram -100 07:05 Europe/Berlin zh sections=products,industry '
                       'include=大模型 exclude=Microsoft')
    assert main([*base, "edit", "telegram", "-100", "--exclude", "", "--sections", ""]) == 0
    assert capsys.readouterr().out.strip() == "#1 telegram -100 07:05 Europe/Berlin zh sections=all include=大模型"


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["edit", "telegram", "-100"], 2, "give at least one"),
        (["edit", "telegram", "-999", "--time", "09:00"], 1, "no subscription for telegram -999"),
        (["edit", "telegram", "-100", "--sections", "gossip"], 2, "--sections: 'gossip' is not a section"),
        (["edit", "telegram", "-100", "--include", "x" * 5000], 2, "--include: A keyword is at most 64"),
        (["edit", "telegram", "-100", "--exclude", *[f"w{n}" for n in range(200)]], 2, "At most 50 exclude"),
        (["edit", "telegram", "-100", "--tz", "Mars/Base"], 2, "--tz: unknown time zone"),
        (["add", "telegram", "-101", "--time", "25:00"], 2, "--time must be HH:MM"),
    ],
)
def test_cli_refusals_name_the_option(cfg: str, capsys: pytest.CaptureFixture[str], args: list[str],
                                      code: int, needle: str) -> None:
    assert main(["--config", cfg, "subscriptions", "add", "telegram", "-100"]) == 0
    capsys.readouterr()
    assert main(["--config", cfg, "subscriptions", *args]) == code
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1
