"""Articles, the feeds that carried them (sightings) and the stories they form."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.models import (
    AlsoSource,
    Article,
    NewArticle,
)
from storage.base import StoreBase, _dt, _iso, _now


class ArticlesMixin(StoreBase):
    @staticmethod
    def _article(row: dict[str, Any]) -> Article:
        published = _dt(row["published"])
        fetched = _dt(row["fetched_at"])
        assert published is not None and fetched is not None
        return Article(
            id=row["id"],
            feed_id=row["feed_id"],
            url=row["url"],
            guid=row["guid"],
            title=row["title"],
            source=row["source"],
            published=published,
            language=row["language"],
            text=row["text"],
            original_chars=row["original_chars"],
            content_hash=row["content_hash"],
            story_id=row["story_id"],
            fetched_at=fetched,
            text_origin=row.get("text_origin"),
            publisher=bool(row.get("publisher") or 0),
        )

    def find_article(self, url: str, guid: str | None = None) -> Article | None:
        """The stored article with this canonical URL, or (failing that) this GUID."""
        row = self._one("SELECT * FROM articles WHERE url = ?", [url])
        if row is None and guid:
            row = self._one("SELECT * FROM articles WHERE guid = ? LIMIT 1", [guid])
        return self._article(row) if row else None

    def add_article(self, new: NewArticle, story_id: int | None = None, at: datetime | None = None) -> Article:
        """Store a new article (first in its story unless `story_id` is given) and its sighting."""
        at = at or _now()
        with self.db.conn:
            cur = self.db.execute(
                "INSERT INTO articles (feed_id, url, guid, title, source, published, language, "
                "text, original_chars, content_hash, story_id, fetched_at, signature, text_origin, "
                "publisher) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    new.feed_id, new.url, new.guid, new.title, new.source, _iso(new.published),
                    new.language, new.text, new.original_chars, new.content_hash,
                    story_id or 0, _iso(at), new.signature, new.text_origin, int(new.publisher),
                ],
            )
            article_id = cur.lastrowid
            if not story_id:
                self.db.execute("UPDATE articles SET story_id = id WHERE id = ?", [article_id])
            self.db.execute(
                "INSERT OR IGNORE INTO sightings (article_id, feed_id, url, seen_at) VALUES (?,?,?,?)",
                [article_id, new.feed_id, new.url, _iso(at)],
            )
        article = self.get_article(int(article_id or 0))
        assert article is not None
        return article

    def add_sighting(self, article_id: int, feed_id: int, url: str, at: datetime | None = None) -> bool:
        """Record that a feed carried an article already stored; True when this feed is new to it."""
        with self.db.conn:
            cur = self.db.execute(
                "INSERT OR IGNORE INTO sightings (article_id, feed_id, url, seen_at) VALUES (?,?,?,?)",
                [article_id, feed_id, url, _iso(at or _now())],
            )
        return cur.rowcount > 0

    def update_article_text(self, article_id: int, text: str, original_chars: int, content_hash: str) -> None:
        with self.db.conn:
            self.db.execute(
                "UPDATE articles SET text = ?, original_chars = ?, content_hash = ? WHERE id = ?",
                [text, original_chars, content_hash, article_id],
            )

    def replace_article_text(self, article_id: int, new: NewArticle) -> Article:
        """Give a stored article another carrier's text (a better one): its feed, title, source,
        date, language, text and sketch change; id, URL, GUID, story and first-fetched time stay."""
        with self.db.conn:
            self.db.execute(
                "UPDATE articles SET feed_id = ?, title = ?, source = ?, published = ?, language = ?, "
                "text = ?, original_chars = ?, content_hash = ?, signature = ?, text_origin = ?, "
                "publisher = ? WHERE id = ?",
                [new.feed_id, new.title, new.source, _iso(new.published), new.language, new.text,
                 new.original_chars, new.content_hash, new.signature, new.text_origin,
                 int(new.publisher), article_id],
            )
        article = self.get_article(article_id)
        assert article is not None
        return article

    def get_article(self, article_id: int) -> Article | None:
        row = self._one("SELECT * FROM articles WHERE id = ?", [article_id])
        return self._article(row) if row else None

    def articles_between(self, start: datetime, end: datetime) -> list[Article]:
        """Articles published in [start, end), oldest first."""
        rows = self._all(
            "SELECT * FROM articles WHERE published >= ? AND published < ? ORDER BY published, id",
            [_iso(start), _iso(end)],
        )
        return [self._article(r) for r in rows]

    def feed_latest(
        self, feed_id: int, before: datetime, limit: int, chars: int
    ) -> list[tuple[str, str]]:
        """(title, first `chars` characters of the text) of the feed's `limit` latest articles
        published before `before`, newest first: what the section model reads to tell what kind
        of feed it is."""
        rows = self.db.execute(
            "SELECT title, substr(text, 1, ?) FROM articles WHERE feed_id = ? AND published < ? "
            "ORDER BY published DESC, url DESC LIMIT ?",
            [chars, feed_id, _iso(before), limit],
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def recent_signatures(self, since: datetime) -> list[tuple[int, int, bytes]]:
        """(article id, story id, signature) of articles fetched or published since `since`."""
        rows = self.db.execute(
            "SELECT id, story_id, signature FROM articles WHERE signature IS NOT NULL "
            "AND (published >= ? OR fetched_at >= ?)",
            [_iso(since), _iso(since)],
        ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    def story_articles(self, story_id: int) -> list[Article]:
        rows = self._all("SELECT * FROM articles WHERE story_id = ? ORDER BY id", [story_id])
        return [self._article(r) for r in rows]

    def story_sources(self, story_id: int) -> list[AlsoSource]:
        """Every (url, source name) that carried this story: its articles and the feeds that
        repeated them, de-duplicated, first seen first."""
        rows = self._all(
            "SELECT s.url AS url, COALESCE(NULLIF(f.name, ''), f.url) AS source, s.seen_at "
            "FROM sightings s JOIN articles a ON a.id = s.article_id "
            "JOIN feeds f ON f.id = s.feed_id WHERE a.story_id = ? ORDER BY s.seen_at, a.id",
            [story_id],
        )
        seen: set[tuple[str, str]] = set()
        out: list[AlsoSource] = []
        for r in rows:
            key = (r["url"], r["source"])
            if key not in seen:
                seen.add(key)
                out.append(AlsoSource(url=r["url"], source=r["source"]))
        return out

    def count_articles(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    # near-duplicate matching ignores matches within one feed, so it needs the feed of each sketch
    def recent_signatures_by_feed(self, since: datetime) -> list[tuple[int, int, int, bytes]]:
        """(article id, story id, feed id, signature) of articles fetched or published since `since`."""
        rows = self.db.execute(
            "SELECT id, story_id, feed_id, signature FROM articles WHERE signature IS NOT NULL "
            "AND (published >= ? OR fetched_at >= ?)",
            [_iso(since), _iso(since)],
        ).fetchall()
        return [(r[0], r[1], r[2], r[3]) for r in rows]
