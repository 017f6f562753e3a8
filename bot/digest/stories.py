"""One story, one best representative, every run: chosen by content, never by id or fetch order.

A story is the articles that near-duplicate detection linked, each under its own URL, plus the
feeds that repeated one of those URLs (sightings). The representative is the article with the
most usable text (what the summariser could make points of, junk left out); among those within
10 % of the longest, the original publisher wins over an aggregator, then the longer text, then
the URL (a stable last resort). Every choice here depends only on what the story holds, so the
same feeds fetched in another order give the same items, points and figures.

Stories that report one event (bot/digest/events.py decides) are merged the same way: the most
complete representative stands for the event, every other URL is "also reported by".
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from bot.digest.event_reading import is_companion, lists_headlines
from bot.digest.events import EventStory, group_events
from bot.ingest.best import registrable_domain
from bot.models import AlsoSource, Article, Feed
from bot.summarize.junk import has_usable, usable_sentences
from bot.summarize.prompts import truncate_at_sentence
from bot.summarize.text import split_sentences, tokens

log = logging.getLogger(__name__)

NEAR_LONGEST = 0.9  # texts within 10 % of the longest count as equally long: the publisher decides


@dataclass(frozen=True)
class Story:
    """A story's representative, the outlet shown for it, the other URLs that reported it."""

    article: Article
    usable_chars: int  # 0: nothing to summarise beyond the title (see `usable_text`)
    source: str  # the name shown for the representative's URL
    also: tuple[AlsoSource, ...]  # other URLs only, one name each, in a stable order
    reports: int  # every (URL, feed) that carried the story; reports - 1 were merged
    feeds: tuple[str, ...] = ()  # the URLs of the feeds that carried it (for their rank weights)
    # Other stories of the same event, folded into this one (their representatives, most complete
    # first): their outlets are in `also`, and the offline summary may take sentences from them.
    others: tuple[Article, ...] = ()

    @property
    def outlets(self) -> int:
        """Independent outlets: the sites (registrable domains) of every URL that reported it."""
        return len({registrable_domain(u) for u in (self.article.url, *(a.url for a in self.also))})


def usable_chars(article: Article) -> int:
    """Characters of the sentences that could become key points (junk and the title left out);
    0 for a newsletter issue whose text does not tell its headlines (`tells_its_headlines`)."""
    if not tells_its_headlines(article):
        return 0
    return sum(len(s) for s in usable_sentences(article.title, split_sentences(article.text)))


def _stems(text: str) -> set[str]:
    """Content words of three letters or more (not "AI", which every issue and letter has), with
    a possessive or plural "s" cut ("Spotify's" and "Spotify", "models" and "model")."""
    out = set()
    for word in tokens(text.replace("’", "'")):
        word = word.removesuffix("'s")
        out.add(word[:-1] if len(word) > 3 and word.endswith("s") else word)
    return {w for w in out if len(w) > 2}


TOLD_WORDS = 3  # one headline sharing this many words with the text is told (a letter on that story)


def tells_its_headlines(article: Article) -> bool:
    """False for an article whose title is a list of headlines (lists_headlines: a newsletter
    issue, "Gemini Flash Gets Pricey, AI Act Delays, Agents Drive Online Traffic") while its text
    shares a word with fewer than half of them and fewer than TOLD_WORDS with any one: the feed
    sent the editor's letter or a teaser, and points made of it would be another story's. Such an
    issue is listed by its title, as a headline. With the whole issue's page the stories are
    there and the rule does not apply."""
    if not lists_headlines(article.title):
        return True
    told = _stems(article.text)
    shared = [len(_stems(p) & told) for p in article.title.split(",") if p.strip()]
    return 2 * sum(1 for n in shared if n) >= len(shared) or max(shared) >= TOLD_WORDS


def usable_text(group: Sequence[Article]) -> dict[int, int]:
    """Each article's usable characters where a choice needs them (a story of several articles);
    for a story of one, 1 or 0: whether it has anything to summarise, found at its first sentence."""
    if len(group) > 1:
        return {a.id: usable_chars(a) for a in group}
    return {a.id: int(_has_text(a)) for a in group}


def _has_text(article: Article) -> bool:
    """Whether any sentence could be a point, splitting one paragraph at a time (sentence splitting
    is the costly part, and a real article answers in its first paragraph)."""
    return tells_its_headlines(article) and any(
        has_usable(article.title, split_sentences(paragraph))
        for paragraph in article.text.split("\n")
        if paragraph.strip()
    )


def _host(url: str) -> str:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    return host.removeprefix("www.")


def is_publisher(feed: Feed | None, url: str) -> bool:
    """True when the feed is served from the article's own site (the same host, or one a
    subdomain of the other): the original publisher, not an aggregator repeating it."""
    if feed is None:
        return False
    feed_host, article_host = _host(feed.url), _host(url)
    if not feed_host or not article_host:
        return False
    return (
        feed_host == article_host
        or article_host.endswith("." + feed_host)
        or feed_host.endswith("." + article_host)
    )


def representative(
    group: Sequence[Article], usable: Mapping[int, int], feeds: Mapping[int, Feed]
) -> Article:
    """The article that stands for the story: most usable text, then publisher, then URL."""
    longest = max(usable[a.id] for a in group)
    near = [a for a in group if usable[a.id] >= NEAR_LONGEST * longest]
    return min(
        near,
        key=lambda a: (
            not is_publisher(feeds.get(a.feed_id), a.url), -usable[a.id], -a.original_chars, a.url,
        ),
    )


def _feed_label(feed: Feed) -> str:
    """How storage names a feed in `story_sources` (its name, else its URL)."""
    return feed.name or feed.url


def story(
    group: Sequence[Article],
    sources: Sequence[AlsoSource],
    usable: Mapping[int, int],
    feeds: Mapping[int, Feed],
) -> Story:
    """The story of `group` (its articles in the window) given every (url, feed name) that
    carried it: the representative, the name shown for it and the other URLs."""
    rep = representative(group, usable, feeds)
    by_label = {_feed_label(f): f for f in sorted(feeds.values(), key=lambda f: f.id)}
    names: dict[str, set[str]] = {}
    for src in sources:
        names.setdefault(src.url, set()).add(src.source)
    names.setdefault(rep.url, set()).add(rep.source)

    def pick(url: str) -> str:
        """One name per URL: the publisher's feed when one carried it, else the first by name."""
        return min(names[url], key=lambda n: (not is_publisher(by_label.get(n), url), n))

    also = sorted(
        (AlsoSource(url=url, source=pick(url)) for url in names if url != rep.url),
        key=lambda a: (a.source, a.url),
    )
    reports = len({(s.url, s.source) for s in sources}) or 1
    carriers = {by_label[s.source].url for s in sources if s.source in by_label}
    carriers |= {feeds[a.feed_id].url for a in group if a.feed_id in feeds}
    return Story(rep, usable[rep.id], pick(rep.url), tuple(also), reports, tuple(sorted(carriers)))


# ---------------------------------------------------------------- events: several stories, one item

OTHER_LEAD_CHARS = 600  # what the offline summary may borrow from each other report of an event


def merge_event(members: Sequence[Story], feeds: Mapping[int, Feed]) -> Story:
    """The stories of one event told as one: represented by the most complete article (the same
    order as within a story: most usable text, the publisher, then the URL), every other URL of
    every member under "also reported by", their reports added up. A launch's companion document
    (a system card, an addendum) never stands for the event while a report of the launch itself
    has text to summarise: a reader wants what was launched, not its safety evaluations."""
    if len(members) == 1:
        return members[0]
    reps = [m.article for m in members]
    usable = {a.id: usable_chars(a) for a in reps}
    launches = [a for a in reps if usable[a.id] > 0 and not is_companion(a.title)]
    rep = representative(launches or reps, usable, feeds)
    chosen = next(m for m in members if m.article.id == rep.id)
    names: dict[str, str] = {}  # a URL belongs to one story only, so each has one name already
    for m in members:
        names[m.article.url] = m.source
        names.update((a.url, a.source) for a in m.also)
    also = sorted(
        (AlsoSource(url=url, source=name) for url, name in names.items() if url != rep.url),
        key=lambda a: (a.source, a.url),
    )
    others = sorted((a for a in reps if a.id != rep.id), key=lambda a: (-usable[a.id], a.url))
    return Story(
        article=rep, usable_chars=usable[rep.id], source=chosen.source, also=tuple(also),
        reports=sum(m.reports for m in members),
        feeds=tuple(sorted({url for m in members for url in m.feeds})), others=tuple(others),
    )


def merge_events(
    told: Sequence[Story], feeds: Mapping[int, Feed], window: timedelta,
    vectors: Mapping[int, Sequence[float]] | None = None,
) -> list[Story]:
    """The window's stories with those that report one event merged (bot/digest/events.py decides
    which; each story is known to it by its representative's URL, so the answer does not depend
    on ids or fetch order). A zero window merges nothing. `vectors` (article id → embedding) go
    to the detector for the representatives that have one."""
    if window <= timedelta(0) or len(told) < 2:
        return list(told)
    by_url = {s.article.url: s for s in told}
    records = [
        EventStory(
            id=s.article.url, title=s.article.title, text=s.article.text,
            language=s.article.language, published=s.article.published,
            # one site is one source: its own posts need far stronger evidence to be one event
            source=registrable_domain(s.article.url),
        )
        for s in told
    ]
    embedded = {s.article.url: v for s in told if (v := (vectors or {}).get(s.article.id))}
    merged: list[Story] = []
    for group in group_events(records, window, embedded or None):
        members = [by_url[str(u)] for u in group]
        event = merge_event(members, feeds)
        # An event with nothing to summarise is listed as headlines, which show no other outlets:
        # each of its stories stays a headline of its own rather than hide a link.
        merged += [event] if event.usable_chars > 0 else members
    folded = len(told) - len(merged)
    if folded:
        log.info("events merged stories=%d events=%d folded=%d", len(told), len(merged), folded)
    return merged


def summary_input(told: Story, borrow: bool) -> Article:
    """What is summarised for a story: its representative, and with `borrow` (offline) the leads
    of the event's other reports after it, as extra candidate sentences."""
    if not borrow or not told.others:
        return told.article
    leads = [truncate_at_sentence(a.text, OTHER_LEAD_CHARS) for a in told.others]
    text = "\n".join([told.article.text, *(lead for lead in leads if lead)])
    return dataclasses.replace(told.article, text=text)
