"""Which carrier's text an article keeps when several feeds carry the same URL: decided by the
texts themselves, never by which feed finished fetching first.

Every carrier offers a candidate: its own feed text ("feed" when it is more than a stub), the
page's main text ("page", fetched for a stub), or its stub ("teaser"). Candidates are ordered by
a total order, so the best of a set is the same whatever order the set arrives in:

1. origin: feed text > page text > teaser. A feed's full text is what the publisher wrote, with
   no extraction error, and needs no fetch; ranking it first also keeps the result independent of
   order (a page is fetched only for the first stub carrier, so a page text must not outrank a
   full feed text that another order would have seen first, without any page).
2. length of the cleaned text, where a near-tie (the shorter within LENGTH_STEP of the longer)
   counts as a tie;
3. the original publisher (the feed's own site shares the article's registrable domain) over an
   aggregator;
4. exact length, then the feed's URL (any fixed order).

Comparing each newcomer with the stored text alone gives the same result as choosing from all the
carriers at once: a text dropped earlier lost to the stored one, and cannot beat a newcomer that
the stored text does not beat (tests/test_ingest_best.py checks every arrival order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

Origin = Literal["feed", "page", "teaser"]

_ORIGIN_RANK: dict[str, int] = {"teaser": 0, "page": 1, "feed": 2}
LENGTH_STEP = 1.1  # texts within about 10 % of each other are a near-tie
# Second-level labels under which a country code's registrable domain has three labels.
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go"})


@dataclass(frozen=True)
class Candidate:
    """One carrier's offer for an article's text."""

    text: str
    origin: Origin
    publisher: bool
    feed_url: str


def registrable_domain(url_or_host: str) -> str:
    """example.com for https://news.example.com/x, example.co.uk for www.example.co.uk (a close
    approximation of the public-suffix rule that needs no list; IP addresses stay whole)."""
    host = urlsplit(url_or_host).hostname if "//" in url_or_host else url_or_host
    host = (host or "").lower().rstrip(".")
    labels = host.split(".")
    if len(labels) <= 2 or host.replace(".", "").isdigit() or ":" in host:
        return host
    if len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def is_publisher(site_url: str | None, article_url: str) -> bool:
    """Whether a feed whose own site is `site_url` is the publisher of the article at `article_url`."""
    if not site_url:
        return False
    site, article = registrable_domain(site_url), registrable_domain(article_url)
    return bool(site) and site == article


def better(new: Candidate, stored: Candidate) -> bool:
    """Whether `new` should replace `stored` as the article's text and source."""
    if new.origin != stored.origin:
        return _ORIGIN_RANK[new.origin] > _ORIGIN_RANK[stored.origin]
    longest = max(len(new.text), len(stored.text))
    new_close = len(new.text) * LENGTH_STEP >= longest
    stored_close = len(stored.text) * LENGTH_STEP >= longest
    if new_close != stored_close:
        return new_close
    return (new.publisher, len(new.text), new.feed_url) > (stored.publisher, len(stored.text), stored.feed_url)
