"""Property: whatever a TOML file holds, parse_settings either returns Settings or raises ConfigError
naming the file: never a TypeError, KeyError or OSError escaping into a traceback at start-up."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot import config
from bot.config import ConfigError, Settings, parse_settings

SOURCE = "fuzz.toml"
SECTIONS = {f.name: f.type for f in dataclasses.fields(Settings) if f.name != "source"}
CLASSES = [config.StorageSettings, config.FetchSettings, config.FeedSettings, config.SummarizerSettings,
           config.SectionSettings, config.DigestSettings, config.TelegramSettings, config.DiscordSettings,
           config.SchedulerSettings, config.ChatSettings, config.LoggingSettings]
FIELDS = {cls: [f.name for f in dataclasses.fields(cls)] for cls in CLASSES}
NAMES = sorted({name for names in FIELDS.values() for name in names} | set(SECTIONS) | {"zh", "en", "*"})

# Values a config author (or a typo) could plausibly write, plus the awkward ones.
TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["UTC", "Asia/Shanghai", "America", "Etc", "Asia/", "../../etc/passwd", "x" * 300,
                     "08:00", "8:00", "24:00", "07:60", "zh", "en", "openai", "extractive", "polling",
                     "webhook", "DEBUG", "products", "other", "http://x", "https://feeds.example/a.xml",
                     "ftp://x", "", " ", "\x00", "\ud800", "Asia/Shanghai\x00"]),
)
SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
    st.datetimes(timezones=st.none() | st.just(dt.UTC)),
    st.dates(),
    st.times(),
)
KEYS = st.one_of(st.sampled_from(NAMES), st.text(max_size=12))
ANY = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=12,
)


def table(cls: type) -> st.SearchStrategy[dict]:
    """A table with mostly the class's own keys, sometimes a stray one, each with any value."""
    own = st.sampled_from(FIELDS[cls])
    return st.dictionaries(st.one_of(own, own, own, KEYS), ANY, max_size=6)


def shaped_section(cls: type) -> st.SearchStrategy:
    if cls is config.DigestSettings:  # reach the sections list, where most of the validation is
        section = st.fixed_dictionaries(
            {"key": TEXT}, optional={"name": st.one_of(TEXT, st.dictionaries(KEYS, TEXT | ANY, max_size=3)),
                                     "keywords": st.lists(TEXT | ANY, max_size=3), "description": ANY},
        )
        return st.one_of(table(cls), table(cls).flatmap(
            lambda d: st.lists(section | ANY, max_size=4).map(lambda s: {**d, "sections": s})))
    return table(cls)


TOP = st.dictionaries(
    st.one_of(st.sampled_from(sorted(SECTIONS)), st.sampled_from(sorted(SECTIONS)), st.text(max_size=8)),
    st.one_of(ANY, *(shaped_section(c) for c in CLASSES if c not in (config.FeedSettings, config.SectionSettings)),
              st.lists(st.one_of(table(config.FeedSettings), ANY), max_size=3)),
    max_size=6,
)


def check(doc: object) -> None:
    try:
        result = parse_settings(doc, SOURCE)  # type: ignore[arg-type]
    except ConfigError as exc:
        assert SOURCE in str(exc)
        return
    assert isinstance(result, Settings) and result.source == SOURCE
    assert result.fetch.timeout_seconds > 0 and not math.isnan(result.fetch.timeout_seconds)


@given(TOP)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example({"digest": {"timezone": "America"}})  # a directory of the zone database, not a zone
@example({"digest": {"timezone": "x" * 300}})  # a name longer than the file system allows
@example({"fetch": {"timeout_seconds": math.nan}})
@example({"feeds": [{"url": "https://a.example/", "section": "nope"}]})
@example({"digest": {"sections": [{"key": "a", "name": {"zh": 1}}]}})
@example([])
def test_parse_settings_raises_nothing_but_config_error(doc: object) -> None:
    check(doc)


@given(ANY)
@settings(max_examples=100, deadline=None)
def test_any_value_at_the_top_level(doc: object) -> None:
    check(doc)
