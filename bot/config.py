"""Settings: TOML → frozen, validated dataclasses, loaded once before anything starts.

Secrets never live in the TOML: the config names an environment variable and `secret()` (the only
place in the project that reads the environment for secrets) resolves it.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CONFIG_ENV = "DIGESTBOT_CONFIG"
DEFAULT_CONFIG_FILE = "digestbot.toml"


class ConfigError(Exception):
    """A setting is missing, unknown or wrong; the message names the key and the file."""


# A short built-in list of AI-news feeds so `digestbot digest` works with no config at all.
DEFAULT_FEEDS: tuple[tuple[str, str, str | None], ...] = (
    ("https://openai.com/news/rss.xml", "OpenAI News", None),
    ("https://blog.google/technology/ai/rss/", "Google AI Blog", None),
    ("https://deepmind.google/blog/rss.xml", "Google DeepMind", None),
    ("https://huggingface.co/blog/feed.xml", "Hugging Face Blog", "tutorials"),
    ("https://www.microsoft.com/en-us/ai/blog/feed/", "Microsoft AI Blog", None),
    ("https://www.jiqizhixin.com/rss", "机器之心", None),
    ("https://www.qbitai.com/feed", "量子位", None),
    ("https://36kr.com/feed", "36氪", "industry"),
)


@dataclass(frozen=True)
class StorageSettings:
    path: str = "./digestbot.db"
    keep_log_days: int = 90


@dataclass(frozen=True)
class FetchSettings:
    concurrency: int = 16
    timeout_seconds: float = 20.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    interval_minutes: int = 60
    allow_private_addresses: bool = False
    full_text: bool = True
    user_agent: str = "digestbot/0.1 (+https://github.com/digestbot/digestbot)"
    max_backoff_minutes: int = 1440


@dataclass(frozen=True)
class FeedSettings:
    url: str
    name: str = ""
    section: str = ""
    weight: float = 1.0  # multiplies the rank of this feed's stories (bot/digest/ranking.py)


@dataclass(frozen=True)
class SummarizerSettings:
    provider: str = "extractive"
    base_url: str = "https://api.openai.com/v1"
    model: str = "gpt-4o-mini"
    api_key_env: str = "OPENAI_API_KEY"
    max_input_chars: int = 4000
    max_input_tokens: int = 850
    max_output_tokens: int = 400
    concurrency: int = 8
    timeout_seconds: float = 30.0
    max_retries: int = 2
    # Stories of one digest sent to the model, fetch-time warming included; 0: 2 × digest.max_items.
    max_model_candidates: int = 0
    # An embedding model at the same endpoint, for same-event detection; "": offline only.
    embedding_model: str = ""


@dataclass(frozen=True)
class SectionSettings:
    key: str
    name: dict[str, str]
    description: dict[str, str] = field(default_factory=dict)  # what belongs here, per language
    keywords: tuple[str, ...] = ()

    def name_for(self, language: str) -> str:
        return self.name.get(language) or next(iter(self.name.values()), self.key)

    def description_for(self, language: str) -> str:
        """The definition in `language`, else any the config gives, else empty."""
        return self.description.get(language) or next(iter(self.description.values()), "")


DEFAULT_SECTIONS: tuple[SectionSettings, ...] = (
    SectionSettings(
        key="products",
        name={"zh": "产品介绍", "en": "Products"},
        description={
            "zh": "介绍一个具体的产品、模型、工具、应用、芯片或服务：它能做什么、如何获取或使用、"
                  "价格多少、与同类相比如何。",
            "en": "Presents a specific product, model, tool, app, chip or service: what it does, how "
                  "to get or use it, what it costs, how it compares with alternatives.",
        },
        keywords=(
            "launch", "launches", "released", "release", "introducing", "introduces", "announces",
            "available", "new model", "app", "feature", "api", "version", "update", "preview",
            "发布", "推出", "上线", "新品", "开源", "版本", "产品", "功能", "模型", "亮相",
        ),
    ),
    SectionSettings(
        key="industry",
        name={"zh": "产业资讯", "en": "Industry news"},
        description={
            "zh": "行业里发生的事：公司动向、作为公司新闻报道的发布、融资与估值、交易、政策与监管、"
                  "人事、诉讼、作为新闻报道的研究成果、基础设施。",
            "en": "Something that happened in the industry: company moves, launches reported as "
                  "company news, funding and valuations, deals, policy and regulation, people, "
                  "lawsuits, research results reported as news, infrastructure.",
        },
        keywords=(
            "funding", "raises", "acquire", "acquisition", "investment", "partnership", "policy",
            "regulation", "lawsuit", "revenue", "market", "ceo", "startup", "billion", "million",
            "融资", "收购", "投资", "合作", "政策", "监管", "市场", "营收", "亿元", "估值", "公司",
        ),
    ),
    SectionSettings(
        key="tutorials",
        name={"zh": "技术教程", "en": "Tutorials"},
        description={
            "zh": "帮助读者学习或动手：操作指南、学习路线、技术原理讲解、论文解读、工程实践总结。",
            "en": "Helps a reader learn or build: how-tos, learning paths, explanations of "
                  "techniques, papers explained, engineering write-ups.",
        },
        keywords=(
            "how to", "tutorial", "guide", "step by step", "building", "fine-tune", "fine-tuning",
            "benchmark", "paper", "research", "engineering", "lessons", "deep dive", "explained",
            "教程", "指南", "如何", "实践", "入门", "论文", "技术", "详解", "原理", "代码",
        ),
    ),
    SectionSettings(
        key="other",
        name={"zh": "其他", "en": "Other"},
        description={
            "zh": "年度回顾、趋势预测、观点与评论、市场议论、社会与文化。",
            "en": "Year reviews, predictions, opinion and commentary, market talk, society and "
                  "culture.",
        },
        keywords=(),
    ),
)


@dataclass(frozen=True)
class DigestSettings:
    language: str = "zh"
    timezone: str = "Asia/Shanghai"
    lookback_hours: int = 24
    max_items: int = 30
    highlights: int = 10
    title: str = ""
    sections: tuple[SectionSettings, ...] = DEFAULT_SECTIONS
    highlights_per_source: int = 2  # at most this many highlights from one site, unless none is left
    event_window_hours: int = 48  # stories this close that report one event are one item; 0: never


@dataclass(frozen=True)
class TelegramSettings:
    token_env: str = "TELEGRAM_BOT_TOKEN"
    admins: tuple[str, ...] = ()
    base_url: str = ""
    mode: str = "polling"
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret_env: str = "TELEGRAM_WEBHOOK_SECRET"


@dataclass(frozen=True)
class DiscordSettings:
    token_env: str = "DISCORD_BOT_TOKEN"
    admins: tuple[str, ...] = ()
    api_base_url: str = ""
    gateway_url: str = ""


@dataclass(frozen=True)
class SchedulerSettings:
    catch_up_grace_minutes: int = 360
    misfire_grace_seconds: int = 300


@dataclass(frozen=True)
class ChatSettings:
    default_time: str = "08:00"
    summarize_per_user_per_hour: int = 10


@dataclass(frozen=True)
class LimitsSettings:
    """What chat users may make the bot spend: model-backed answers, page fetches, digest builds."""

    user_answers_per_hour: int = 20
    answers_per_hour: int = 300
    user_digest_builds_per_hour: int = 2
    digest_builds_per_hour: int = 6
    max_digest_age_days: int = 30
    concurrent_page_fetches: int = 2
    user_urls_may_reach_private: bool = False
    offline_worker: str = "process"
    user_searches_per_hour: int = 30
    searches_per_hour: int = 600


@dataclass(frozen=True)
class LoggingSettings:
    level: str = "INFO"


@dataclass(frozen=True)
class SiteSettings:
    output_dir: str = ""  # empty: `digestbot run` builds no site; `digestbot site` writes ./site
    base_url: str = ""  # where the site is published; empty: no web links, relative feed links
    title: str = ""  # empty: the language's default ("AI 产业日报" / "AI Daily Digest")
    language: str = ""  # empty: digest.language
    feed_days: int = 30


@dataclass(frozen=True)
class Settings:
    storage: StorageSettings = field(default_factory=StorageSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    feeds: tuple[FeedSettings, ...] = ()
    summarizer: SummarizerSettings = field(default_factory=SummarizerSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)
    chat: ChatSettings = field(default_factory=ChatSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    site: SiteSettings = field(default_factory=SiteSettings)
    source: str = "<built-in defaults>"  # the file these came from, for messages

    def initial_feeds(self) -> tuple[FeedSettings, ...]:
        """The feeds to seed the store with: the config's own, else the built-in list."""
        if self.feeds:
            return self.feeds
        return tuple(FeedSettings(url=u, name=n, section=s or "") for u, n, s in DEFAULT_FEEDS)

    def feed_seeds(self) -> list[tuple[str, str, str | None]]:
        """The initial feeds as (url, name, section or None), the form `Store.seed_feeds` takes."""
        return [(f.url, f.name, f.section or None) for f in self.initial_feeds()]

    def section_keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.digest.sections)

    def model_candidates(self) -> int:
        """How many stories of one digest may be summarised (with a model: model calls, warming
        included): summarizer.max_model_candidates, or twice digest.max_items when it is 0."""
        return self.summarizer.max_model_candidates or 2 * self.digest.max_items

    def feed_weights(self) -> dict[str, float]:
        """The configured feeds' rank weights by URL (feeds added by command weigh 1.0)."""
        return {f.url: f.weight for f in self.feeds if f.weight != 1.0}


# ---------------------------------------------------------------- loading


def find_config(explicit: str | None) -> Path | None:
    """Lookup order: --config, then $DIGESTBOT_CONFIG, then ./digestbot.toml, then none."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    local = Path(DEFAULT_CONFIG_FILE)
    return local if local.exists() else None


def load_settings(explicit: str | None = None) -> Settings:
    path = find_config(explicit)
    if path is None:
        return validate(Settings())
    if not path.exists():
        raise ConfigError(f"{path}: config file not found")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a config file") from None
    except OSError as exc:  # unreadable: permissions, a dangling link, an I/O error
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or type(exc).__name__}") from None
    return parse_settings(data, str(path))


def parse_settings(data: dict[str, Any], source: str = "<config>") -> Settings:
    """Turn parsed TOML into Settings, naming the key and the file in every error."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a table")
    values = _build(Settings, data, "", source, skip=frozenset({"source"}))
    return validate(dataclasses.replace(values, source=source))


def _build(cls: Any, data: Any, prefix: str, source: str, skip: frozenset[str] = frozenset()) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: [{prefix.rstrip('.')}] must be a table")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in skip}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{source}: unknown key '{prefix}{unknown[0]}'")
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        kwargs[name] = _convert(hints[name], value, f"{prefix}{name}", source)
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required key is missing
        missing = [
            f.name
            for f in dataclasses.fields(cls)
            if f.name not in kwargs
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ]
        key = f"{prefix}{missing[0]}" if missing else prefix.rstrip(".")
        raise ConfigError(f"{source}: missing key '{key}'") from exc


def _convert(hint: Any, value: Any, key: str, source: str) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, key + ".", source)
    if origin is tuple:
        (inner, _ellipsis) = typing.get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(f"{source}: '{key}' must be a list")
        return tuple(_convert(inner, v, f"{key}[{i}]", source) for i, v in enumerate(value))
    if origin is dict:
        if isinstance(value, str):  # a plain name stands for every language
            return {"*": value}
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ConfigError(f"{source}: '{key}' must be a string or a table of strings")
        return dict(value)
    if origin in (typing.Union, types.UnionType):
        raise ConfigError(f"{source}: '{key}' has an unsupported type")  # not used in Settings
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{source}: '{key}' must be a number, not {value!r}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{source}: '{key}' must be an integer, not {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{source}: '{key}' must be true or false, not {value!r}")
        return value
    if hint is str:
        if isinstance(value, int) and not isinstance(value, bool) and key.split("[")[0].endswith(
            "admins"
        ):
            return str(value)  # user ids may be written as numbers
        if not isinstance(value, str):
            raise ConfigError(f"{source}: '{key}' must be a string, not {value!r}")
        return value
    raise ConfigError(f"{source}: '{key}' has an unsupported type")


_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def parse_hhmm(value: str) -> tuple[int, int] | None:
    """'08:30' → (8, 30); None when it is not a valid 24-hour time."""
    value = value.strip()
    if len(value) == 4 and value[1] == ":":
        value = "0" + value
    if not _TIME.match(value):
        return None
    return int(value[:2]), int(value[3:])


def valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a directory; long names
        return False
    return True


def validate(s: Settings) -> Settings:
    """Check values (not only types); fill section names for every language."""
    src = s.source

    def fail(key: str, why: str) -> None:
        raise ConfigError(f"{src}: '{key}' {why}")

    positive = {
        "fetch.concurrency": s.fetch.concurrency,
        "fetch.timeout_seconds": s.fetch.timeout_seconds,
        "fetch.max_bytes": s.fetch.max_bytes,
        "fetch.interval_minutes": s.fetch.interval_minutes,
        "fetch.max_backoff_minutes": s.fetch.max_backoff_minutes,
        "summarizer.max_input_chars": s.summarizer.max_input_chars,
        "summarizer.max_input_tokens": s.summarizer.max_input_tokens,
        "summarizer.max_output_tokens": s.summarizer.max_output_tokens,
        "summarizer.concurrency": s.summarizer.concurrency,
        "summarizer.timeout_seconds": s.summarizer.timeout_seconds,
        "digest.lookback_hours": s.digest.lookback_hours,
        "digest.max_items": s.digest.max_items,
        "chat.summarize_per_user_per_hour": s.chat.summarize_per_user_per_hour,
        "limits.user_answers_per_hour": s.limits.user_answers_per_hour,
        "limits.answers_per_hour": s.limits.answers_per_hour,
        "limits.user_digest_builds_per_hour": s.limits.user_digest_builds_per_hour,
        "limits.digest_builds_per_hour": s.limits.digest_builds_per_hour,
        "limits.max_digest_age_days": s.limits.max_digest_age_days,
        "limits.concurrent_page_fetches": s.limits.concurrent_page_fetches,
        "limits.user_searches_per_hour": s.limits.user_searches_per_hour,
        "limits.searches_per_hour": s.limits.searches_per_hour,
    }
    for key, value in positive.items():
        if not value > 0:  # written this way so that nan fails too
            fail(key, f"must be greater than 0, not {value}")
    for key, value in {
        "fetch.max_redirects": s.fetch.max_redirects,
        "summarizer.max_retries": s.summarizer.max_retries,
        "digest.highlights": s.digest.highlights,
        "digest.highlights_per_source": s.digest.highlights_per_source,
        "digest.event_window_hours": s.digest.event_window_hours,
        "summarizer.max_model_candidates": s.summarizer.max_model_candidates,
        "scheduler.catch_up_grace_minutes": s.scheduler.catch_up_grace_minutes,
        "scheduler.misfire_grace_seconds": s.scheduler.misfire_grace_seconds,
        "storage.keep_log_days": s.storage.keep_log_days,
    }.items():
        if not value >= 0:
            fail(key, f"must not be negative, not {value}")
    if s.summarizer.provider not in ("extractive", "openai"):
        fail("summarizer.provider", f"must be 'extractive' or 'openai', not {s.summarizer.provider!r}")
    if s.summarizer.provider == "openai" and not s.summarizer.base_url.startswith(("http://", "https://")):
        fail("summarizer.base_url", "must be an http(s) URL")
    if s.digest.language not in ("zh", "en"):
        fail("digest.language", f"must be 'zh' or 'en', not {s.digest.language!r}")
    if not valid_timezone(s.digest.timezone):
        fail("digest.timezone", f"is not a known time zone: {s.digest.timezone!r}")
    if parse_hhmm(s.chat.default_time) is None:
        fail("chat.default_time", f"must be HH:MM, not {s.chat.default_time!r}")
    if s.telegram.mode not in ("polling", "webhook"):
        fail("telegram.mode", f"must be 'polling' or 'webhook', not {s.telegram.mode!r}")
    if s.telegram.mode == "webhook" and not s.telegram.webhook_url.startswith("https://"):
        fail("telegram.webhook_url", "must be an https:// URL in webhook mode (Telegram requires it)")
    if not 0 < s.telegram.webhook_port < 65536:
        fail("telegram.webhook_port", f"must be a port number, not {s.telegram.webhook_port}")
    if s.site.language not in ("", "zh", "en"):
        fail("site.language", f"must be 'zh', 'en' or empty, not {s.site.language!r}")
    if s.site.base_url and site_base_url(s.site.base_url) is None:
        fail("site.base_url", f"must be an http(s) URL without spaces or quotes, not {s.site.base_url!r}")
    if not s.site.feed_days > 0:
        fail("site.feed_days", f"must be greater than 0, not {s.site.feed_days}")
    if s.limits.offline_worker not in ("process", "thread"):
        fail("limits.offline_worker", f"must be 'process' or 'thread', not {s.limits.offline_worker!r}")
    if s.logging.level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        fail("logging.level", f"must be DEBUG, INFO, WARNING or ERROR, not {s.logging.level!r}")
    for i, feed in enumerate(s.feeds):
        if not feed.url.startswith(("http://", "https://")):
            fail(f"feeds[{i}].url", f"must be an http(s) URL, not {feed.url!r}")
        if not 0 < feed.weight <= 100:  # written this way so that nan fails too
            fail(f"feeds[{i}].weight", f"must be greater than 0 and at most 100, not {feed.weight}")
    if not s.digest.sections:
        fail("digest.sections", "must list at least one section")
    keys = [sec.key for sec in s.digest.sections]
    if len(set(keys)) != len(keys):
        fail("digest.sections", "has two sections with the same key")
    for i, feed in enumerate(s.feeds):
        if feed.section and feed.section not in keys:
            fail(f"feeds[{i}].section", f"names no section in digest.sections: {feed.section!r}")
    for i, sec in enumerate(s.digest.sections):
        if not re.fullmatch(r"[a-z0-9_-]{1,32}", sec.key):
            fail(f"digest.sections[{i}].key", "must be 1-32 of a-z, 0-9, _ or -")
    sections = tuple(
        dataclasses.replace(sec, name=_names(sec), description=_descriptions(sec))
        for sec in s.digest.sections
    )
    return dataclasses.replace(s, digest=dataclasses.replace(s.digest, sections=sections))


def site_base_url(value: str) -> str | None:
    """A site's base URL, normalised to end in one '/', or None unless it is a plain http(s) URL of
    printable ASCII (it goes into every page, feed and chat message: nothing may break a link)."""
    value = value.strip()
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or rest[:1] in ("", "/") or len(value) > 200:
        return None
    if any(not 33 <= ord(ch) < 127 or ch in "\"'<>\\`?#" for ch in rest):
        return None
    return value.rstrip("/") + "/"


def _names(sec: SectionSettings) -> dict[str, str]:
    if "*" in sec.name:
        return {"zh": sec.name["*"], "en": sec.name["*"]}
    default = next((d for d in DEFAULT_SECTIONS if d.key == sec.key), None)
    names = dict(default.name) if default else {}
    names.update(sec.name)
    return names


def _descriptions(sec: SectionSettings) -> dict[str, str]:
    """A plain string stands for every language; a default section the config gives no
    description keeps the built-in definitions (both languages)."""
    if "*" in sec.description:
        return {"zh": sec.description["*"], "en": sec.description["*"]}
    default = next((d for d in DEFAULT_SECTIONS if d.key == sec.key), None)
    out = dict(default.description) if default and not sec.description else {}
    out.update(sec.description)
    return out


def secret(env_name: str) -> str | None:
    """Resolve a secret named in the config from the environment; None when unset or empty."""
    if not env_name:
        return None
    value = os.environ.get(env_name, "").strip()
    return value or None
