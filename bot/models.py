"""The project's own value types: frozen dataclasses shared by every package, no platform types."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

Language = Literal["zh", "en"]
Platform = Literal["telegram", "discord", "console"]


# ---------------------------------------------------------------- feeds and articles


@dataclass(frozen=True)
class Feed:
    """A feed the bot polls, with its conditional-GET and failure state."""

    id: int
    url: str
    name: str
    section: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0
    next_fetch_after: datetime | None = None
    last_error: str | None = None
    last_fetched: datetime | None = None
    last_status: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class ParsedEntry:
    """One feed entry after parsing and sanitising, before it is stored."""

    url: str  # canonical URL
    title: str
    text: str  # plain text, sanitised
    guid: str | None = None
    published: datetime | None = None  # timezone-aware UTC, or None when the feed gave none
    language: str | None = None  # "zh" / "en" / None (unknown)
    is_stub: bool = False  # the feed carries only a summary or a teaser


@dataclass(frozen=True)
class ParsedFeed:
    """A whole feed after parsing: its own metadata, entries and any non-fatal warnings."""

    title: str
    link: str | None
    language: str | None
    entries: tuple[ParsedEntry, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class NewArticle:
    """What ingest hands to storage: an article not yet given an id."""

    feed_id: int
    url: str
    title: str
    source: str
    published: datetime  # aware
    language: str
    text: str
    original_chars: int
    content_hash: str
    guid: str | None = None
    signature: bytes | None = None  # near-duplicate signature (MinHash), opaque to storage
    text_origin: str = "feed"  # "feed" (its full text), "page" (extracted), "teaser" (a stub)
    publisher: bool = False  # the feed that supplied the text is the article's own publisher


@dataclass(frozen=True)
class Article:
    """A stored article. `id` is stable: chat commands and buttons use it."""

    id: int
    feed_id: int
    url: str
    title: str
    source: str
    published: datetime
    language: str
    text: str
    original_chars: int
    content_hash: str
    story_id: int  # id of the first article of its story (its own id when alone)
    fetched_at: datetime
    guid: str | None = None
    text_origin: str | None = None  # as NewArticle; None for articles stored before it was kept
    publisher: bool = False


@dataclass(frozen=True)
class FeedOutcome:
    """The result of polling one feed once: one line of `digestbot fetch`."""

    feed_id: int
    url: str
    name: str
    status: Literal["new", "unchanged", "failed", "skipped"]
    new_articles: int = 0
    seen_articles: int = 0
    error: str | None = None
    new_ids: tuple[int, ...] = ()  # the articles this poll stored, so summarising can start early


# ---------------------------------------------------------------- summaries and digests


@dataclass(frozen=True)
class Summary:
    """Key points of one article, from either provider; `fallback` marks offline points used
    because the model failed."""

    title: str
    emoji: str
    points: tuple[str, ...]
    section: str | None
    importance: float  # 0.0 .. 1.0
    provider: str
    model: str
    language: str
    kind: Literal["points", "detail"] = "points"
    fallback: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0


# What a model answer may have repaired (see bot/summarize/openai_provider.py); each has a counter
# column in `model_calls` and a `repair_<field>` figure in `Store.model_usage_since`.
MODEL_REPAIRS = ("title", "emoji", "points", "section", "importance")


@dataclass(frozen=True)
class AlsoSource:
    url: str
    source: str


@dataclass(frozen=True)
class DigestItem:
    id: int
    title: str
    emoji: str
    url: str
    source: str
    published: datetime
    points: tuple[str, ...]
    also: tuple[AlsoSource, ...] = ()
    importance: float = 0.0
    original_chars: int = 0
    fallback: bool = False
    # The article's own title when `title` is the model's headline in the digest's language.
    original_title: str = ""


@dataclass(frozen=True)
class DigestSection:
    key: str
    name: str
    items: tuple[DigestItem, ...]


@dataclass(frozen=True)
class Highlight:
    id: int
    title: str
    emoji: str


@dataclass(frozen=True)
class Headline:
    """A story with nothing to summarise beyond its title: listed under "More headlines"."""

    id: int
    title: str
    url: str
    source: str


@dataclass(frozen=True)
class DigestStats:
    articles: int
    sources: int
    original_chars: int
    summary_chars: int
    reading_minutes: int
    efficiency_percent: int
    duplicates_merged: int
    feeds_failed: int
    offline_summaries: int = 0
    headlines: int = 0  # stories listed by title only, after the items


@dataclass(frozen=True)
class Digest:
    """One day's digest in one language: what every renderer takes."""

    date: date
    language: str
    title: str
    stats: DigestStats
    highlights: tuple[Highlight, ...]
    sections: tuple[DigestSection, ...]
    failed_feeds: tuple[tuple[str, str], ...] = ()  # (feed name, reason)
    headlines: tuple[Headline, ...] = ()  # title-only stories, rendered last
    # The day's page on the published web archive ([site] base_url); attached when served by
    # DigestService, never stored (the address may change), so not part of to_dict().
    web_url: str | None = None

    def items(self) -> list[DigestItem]:
        return [item for section in self.sections for item in section.items]

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON schema (see README); `from_dict` reads it back."""
        return {
            "date": self.date.isoformat(),
            "language": self.language,
            "title": self.title,
            "stats": dataclasses.asdict(self.stats),
            "highlights": [dataclasses.asdict(h) for h in self.highlights],
            "sections": [
                {
                    "key": s.key,
                    "name": s.name,
                    "items": [
                        {
                            "id": i.id,
                            "title": i.title,
                            "emoji": i.emoji,
                            "url": i.url,
                            "source": i.source,
                            "published": i.published.isoformat(),
                            "points": list(i.points),
                            "also": [{"url": a.url, "source": a.source} for a in i.also],
                            "importance": i.importance,
                            "original_chars": i.original_chars,
                            "fallback": i.fallback,
                            "original_title": i.original_title,
                        }
                        for i in s.items
                    ],
                }
                for s in self.sections
            ],
            "failed_feeds": [{"name": n, "reason": r} for n, r in self.failed_feeds],
            "headlines": [dataclasses.asdict(h) for h in self.headlines],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Digest:
        return cls(
            date=date.fromisoformat(data["date"]),
            language=data["language"],
            title=data["title"],
            stats=DigestStats(**data["stats"]),
            highlights=tuple(Highlight(**h) for h in data["highlights"]),
            sections=tuple(
                DigestSection(
                    key=s["key"],
                    name=s["name"],
                    items=tuple(
                        DigestItem(
                            id=i["id"],
                            title=i["title"],
                            emoji=i["emoji"],
                            url=i["url"],
                            source=i["source"],
                            published=datetime.fromisoformat(i["published"]),
                            points=tuple(i["points"]),
                            also=tuple(AlsoSource(**a) for a in i.get("also", [])),
                            importance=i.get("importance", 0.0),
                            original_chars=i.get("original_chars", 0),
                            fallback=i.get("fallback", False),
                            original_title=i.get("original_title", ""),
                        )
                        for i in s["items"]
                    ),
                )
                for s in data["sections"]
            ),
            failed_feeds=tuple((f["name"], f["reason"]) for f in data.get("failed_feeds", [])),
            headlines=tuple(Headline(**h) for h in data.get("headlines", [])),
        )


# ---------------------------------------------------------------- rendered messages


@dataclass(frozen=True)
class Button:
    """A button under a message; `payload` is `action:article_id` (see bot/digest/buttons.py)."""

    label: str
    payload: str


@dataclass(frozen=True)
class Choice:
    """One option of a Select: what it shows, the value it stands for, whether it is chosen now, and
    `toggle`, the button payload that flips this option alone where a platform has no menus
    (Telegram renders each option as such a button)."""

    label: str
    value: str
    selected: bool = False
    toggle: str = ""


@dataclass(frozen=True)
class Select:
    """A menu of options under a message (a Discord select menu, component type 3). `payload` is
    its custom_id, a payload of bot/digest/buttons.py whose action validates every chosen value."""

    payload: str
    options: tuple[Choice, ...]
    placeholder: str = ""
    min_values: int = 1
    max_values: int = 1


@dataclass(frozen=True)
class Embed:
    title: str
    description: str
    url: str | None = None


@dataclass(frozen=True)
class OutMessage:
    """One platform message, already rendered and escaped for its platform."""

    text: str = ""
    embeds: tuple[Embed, ...] = ()
    buttons: tuple[Button, ...] = ()
    selects: tuple[Select, ...] = ()  # menus, above the buttons

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "text": self.text,
            "embeds": [dataclasses.asdict(e) for e in self.embeds],
            "buttons": [dataclasses.asdict(b) for b in self.buttons],
        }
        if self.selects:  # digests have none: their stored rows keep their old shape
            data["selects"] = [dataclasses.asdict(s) for s in self.selects]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutMessage:
        return cls(
            text=data.get("text", ""),
            embeds=tuple(Embed(**e) for e in data.get("embeds", [])),
            buttons=tuple(Button(**b) for b in data.get("buttons", [])),
            selects=tuple(
                Select(**{**s, "options": tuple(Choice(**o) for o in s.get("options", []))})
                for s in data.get("selects", [])
            ),
        )


# ---------------------------------------------------------------- subscriptions and outbox


@dataclass(frozen=True)
class Subscription:
    id: int
    platform: str
    chat_id: str
    time: str  # "HH:MM", local to `timezone`
    timezone: str
    language: str
    sections: tuple[str, ...] = ()  # empty: all sections
    enabled: bool = True
    disabled_reason: str | None = None
    # Slots at or before this instant are not owed: it is when the chat subscribed, changed its
    # time or zone, or came back, so the "Next: …" it was promised holds. None: no limit.
    schedule_from: datetime | None = None
    include: tuple[str, ...] = ()  # keep only items matching one of these keywords (empty: all)
    exclude: tuple[str, ...] = ()  # drop items matching any of these keywords


@dataclass(frozen=True)
class Delivery:
    """One digest for one subscription and date; unique on (subscription_id, date)."""

    id: int
    subscription_id: int
    date: str  # YYYY-MM-DD
    status: Literal["pending", "sent", "failed"]
    error: str | None = None


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    delivery_id: int
    seq: int
    message: OutMessage
    status: Literal["pending", "sent"]
    platform_message_id: str | None = None
    attempts: int = 0


@dataclass(frozen=True)
class PlatformHealth:
    """A chat platform's state as the running service last recorded it (`digestbot status`)."""

    platform: str
    state: Literal["starting", "up", "retrying", "failed", "stopped"]
    reason: str | None
    since: datetime
    pid: int | None = None


# ---------------------------------------------------------------- search


@dataclass(frozen=True)
class SearchHit:
    """One stored article found by a search, best first; `article_id` is what /summarize takes."""

    article_id: int
    title: str
    source: str
    url: str
    published: datetime  # aware
    language: str


# ---------------------------------------------------------------- chat requests


@dataclass(frozen=True)
class Request:
    """A chat command, translated by an adapter into platform-neutral terms."""

    platform: str
    chat_id: str
    user_id: str
    command: str
    args: tuple[str, ...] = ()
    is_chat_admin: bool = False
    chat_type: Literal["private", "group", "channel"] = "private"
    language: str | None = None  # the user's client language, if the platform says
    # The button action this request comes from (bot/digest/buttons.py), None when it was typed:
    # only an adapter decoding a payload sets it, so a handler can tell a press from a command.
    press: str | None = None


@dataclass(frozen=True)
class Reply:
    """A handler's answer: plain text (the adapter escapes it) and buttons, or a digest to render
    with the platform's own renderer."""

    text: str = ""
    buttons: tuple[Button, ...] = ()
    digest: Digest | None = None
    ephemeral: bool = False
    selects: tuple[Select, ...] = ()
    # Answering a button press: replace the message whose button was pressed (edited in place where
    # the platform allows) instead of posting a new one. Ignored for typed commands.
    replace: bool = False


@dataclass(frozen=True)
class BudgetRule:
    """One kind of spending a chat user can cause, with its limits over a sliding window: per
    subject (a user, or a chat for anonymous senders) and for the whole bot; None means no limit."""

    kind: str
    per_subject: int | None
    overall: int | None
    window: timedelta = timedelta(hours=1)
