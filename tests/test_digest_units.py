"""Small parts of the digest: classifier, button payloads, reading figures, strings, text hygiene."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import DEFAULT_SECTIONS
from bot.digest import buttons
from bot.digest.sections import classify, classify_by_keywords
from bot.digest.stats import efficiency_percent, reading_minutes
from bot.digest.strings import STRINGS, t
from bot.digest.text import clean, clip, clip_cost, safe_url, utf16_len


@pytest.mark.parametrize(
    ("title", "text", "hint", "expected"),
    [
        ("OpenAI launches a new model", "", None, "products"),
        ("Startup raises $1 billion in funding", "", None, "industry"),
        ("How to fine-tune a small model: a tutorial", "", None, "tutorials"),
        ("某公司发布新一代芯片", "", None, "products"),
        ("监管机构就生成式 AI 征求意见", "政策 监管", None, "industry"),
        ("OpenAI launches a new model", "", "tutorials", "tutorials"),  # the feed's hint wins
    ],
)
def test_classify(title: str, text: str, hint: str | None, expected: str) -> None:
    assert classify(title, text, hint, DEFAULT_SECTIONS) == expected


def test_classify_ignores_an_unknown_hint() -> None:
    plain = classify("A quiet day", "nothing to see", None, DEFAULT_SECTIONS)
    assert classify("A quiet day", "nothing to see", "no-such-section", DEFAULT_SECTIONS) == plain


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("A quiet day", "nothing to see", "other"),  # no keyword: the last section
        ("Apple and rapid growth", "", "other"),  # 'app'/'api' match whole words only
        ("OpenAI launches a new model", "", "products"),
    ],
)
def test_classify_by_keywords(title: str, text: str, expected: str) -> None:
    assert classify_by_keywords(title, text, DEFAULT_SECTIONS) == expected


def test_buttons_round_trip_and_fit_platform_limits() -> None:
    payload = buttons.encode("more", 2**63 - 1)
    assert buttons.decode(payload) == ("more", "more", ("9223372036854775807",))
    assert len(payload.encode()) <= 64 and len(payload) <= 100
    assert buttons.encode("more", 12) == "more:12"
    for bad in ["", "more", "more:", "more:-1", "more:01", "MORE:1", "more:1:2", "more:1 ", "x" * 70,
                "more:99999999999999999999", "more:９"]:
        assert buttons.decode(bad) is None
    for action, ident in [("More", 1), ("more", -1), ("", 1), ("a" * 17, 1), ("more", True)]:
        with pytest.raises(ValueError):
            buttons.encode(action, ident)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80))
def test_decode_never_raises(payload: str) -> None:
    result = buttons.decode(payload)
    assert result is None or buttons.encode(result.action, *result.args) == payload


def test_reading_figures_match_the_example_header() -> None:
    assert reading_minutes(["字" * 6930], "zh") == 17
    assert efficiency_percent(86_412, 6_930) == 1147
    assert reading_minutes(["word " * 460], "en") == 2
    assert reading_minutes([], "zh") == 0 and reading_minutes(["短"], "zh") == 1
    assert efficiency_percent(100, 0) == 0


def test_both_languages_have_every_string() -> None:
    assert set(STRINGS["zh"]) == set(STRINGS["en"])
    assert t("zh", "title", date="2026-11-28") == "AI 产业日报 · 2026-11-28"
    assert t("en", "more_button", id=5) == "More detail #5"
    assert t("fr", "purpose_header") == "目的"  # unknown languages fall back to the default


def test_text_hygiene() -> None:
    assert clean(" a\x00\x1b[0m\n\tb\u2028c \ud800") == "a[0m b c \ufffd"
    assert clip("👨‍👩‍👧x", 3) == "👨…"
    assert clip("short", 10) == "short"
    cut = clip_cost("&&&&", 11, lambda ch: 5 if ch == "&" else 1)
    assert cut == "&&…"
    assert utf16_len("😀a") == 3
    assert safe_url("https://e.com/x") == "https://e.com/x"
    for bad in ["javascript:alert(1)", "https://e.com/a b", "https://", "ftp://x", "https://e.com/\u202e"]:
        assert safe_url(bad) is None
