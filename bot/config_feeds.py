"""Keeping the store's feeds in step with the config's feed list, and saying what changed.

The config's `[[feeds]]` (or, in a config file without any, the built-in list) is the list of
config feeds: a feed the config no longer lists is disabled (its articles and ids stay) and
reported once; listed again, it is polled again. Feeds added by command or OPML import are never
touched. Without any config file nothing is disabled, so a command run in the wrong folder without
`--config` cannot switch off the feeds of the real one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.config import Settings
from bot.models import Feed
from storage import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedSync:
    """What one start changed: feeds seeded, feeds dropped (disabled), feeds listed again."""

    added: int
    dropped: tuple[Feed, ...]
    restored: tuple[Feed, ...]

    def lines(self, source: str) -> list[str]:
        """One sentence per dropped or restored feed, for the command line and the log."""
        out = [
            f"feed #{f.id} {f.url} is no longer listed in {source}: no longer polled "
            "(its articles stay; list it again to resume)"
            for f in self.dropped
        ]
        out += [f"feed #{f.id} {f.url} is listed in {source} again: polled again" for f in self.restored]
        return out


def sync_config_feeds(store: Store, settings: Settings) -> FeedSync:
    """Seed the config's feeds, restore those it lists again, disable those it dropped; call once
    at start (the CLI's open_store does; `digestbot run` should instead of `seed_feeds`)."""
    seeds = settings.feed_seeds()
    urls = [url for url, _, _ in seeds]
    restored = store.restore_config_feeds(urls)
    added = store.seed_feeds(seeds)
    from_file = settings.source != Settings().source
    dropped = store.drop_unlisted_config_feeds(urls) if from_file else []
    for feed in dropped:
        log.warning("feeds.dropped_from_config feed=%d url=%s config=%s", feed.id, feed.url, settings.source)
    for feed in restored:
        log.info("feeds.back_in_config feed=%d url=%s config=%s", feed.id, feed.url, settings.source)
    if added:
        log.info("feeds.seeded count=%d config=%s", added, settings.source)
    return FeedSync(added, tuple(dropped), tuple(restored))
