"""The web archive built from a real store: valid HTML5 pages whose every link resolves, valid Atom
and JSON feeds, the digest's whole content on its day page, and rebuilds that touch only what changed."""

from __future__ import annotations

import dataclasses
import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from site_support import (
    ATOM,
    check_atom,
    check_json_feed,
    check_site,
    digest_urls,
    inert_problems,
    parse_page,
    text_of,
)
from test_render_support import make_digest, make_item

from bot.config import Settings, SiteSettings
from bot.digest.strings import t
from bot.digest.text import number
from bot.models import AlsoSource, Digest, Headline
from bot.site import render as site_render
from bot.site import writer
from bot.site.build import SiteError, build_site, site_options
from storage import Store

BASE = "https://digest.example.org/ai/"
LAST = date(2026, 11, 28)


def day_digest(day: date, n: int = 6, first_id: int = 1, language: str = "zh") -> Digest:
    items = [
        make_item(i, also=(AlsoSource(f"https://other.example/{i}", f"Other {i}"),) if i % 2 else ())
        for i in range(first_id, first_id + n)
    ]
    digest = make_digest(items, language)
    title = t(language, "title", date=day.isoformat())
    return dataclasses.replace(digest, date=day, title=title)


@pytest.fixture
def filled(tmp_path: Path) -> Store:
    """Four days in Chinese (one of them empty) and one English day that the site must leave out."""
    store = Store(tmp_path / "d.db")
    for k, n in enumerate([6, 0, 5, 7]):
        store.save_digest(day_digest(LAST - timedelta(days=k), n, first_id=100 * k + 1))
    store.save_digest(day_digest(LAST, 3, first_id=900, language="en"))
    yield store
    store.close()


def options(tmp_path: Path, **site: object):
    settings = Settings(site=SiteSettings(**site))  # type: ignore[arg-type]
    return site_options(settings, output=str(tmp_path / "site"))


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime) of every file: a rename or a rewrite changes one of them."""
    return {p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in root.rglob("*") if p.is_file()}


def test_every_page_is_valid_html5_and_every_link_resolves(filled: Store, tmp_path: Path) -> None:
    opts = options(tmp_path, base_url=BASE)
    result = build_site(filled, opts)
    site = opts.output_dir
    assert result.failed == () and result.days == 4
    zh = [d for d, _ in filled.stored_digests("zh")]
    check = check_site(site, {u for u in digest_urls(zh) if u.startswith("http")}, BASE)
    assert check.problems == []
    assert sorted(check.pages) == ["2026-11-25/index.html", "2026-11-26/index.html",
                                   "2026-11-27/index.html", "2026-11-28/index.html", "index.html"]
    for rel, doc in check.pages.items():
        assert inert_problems(doc) == [], rel
        head = {(e.get("rel"), e.get("href")) for e in doc.iter("link")}
        assert ("stylesheet", "../style.css" if "/" in rel else "style.css") in head
    assert (site / "style.css").read_bytes().startswith(b"/*") and (site / "favicon.svg").is_file()


def test_a_day_page_has_the_markdown_digests_content(filled: Store, tmp_path: Path) -> None:
    opts = options(tmp_path, base_url=BASE)
    build_site(filled, opts)
    digest = filled.get_digest("2026-11-25", "zh")
    assert digest is not None
    doc = parse_page((opts.output_dir / "2026-11-25" / "index.html").read_bytes())
    text = text_of(doc)
    hrefs = [a.get("href") for a in doc.iter("a")]
    ids = {e.get("id") for e in doc.iter() if e.get("id")}
    assert digest.title in text and t("zh", "purpose") in text
    for figure in (digest.stats.original_chars, digest.stats.summary_chars, digest.stats.articles):
        assert number(figure) in text
    assert [h.title for h in digest.highlights] and all(f"#item-{h.id}" in hrefs for h in digest.highlights)
    for section in digest.sections:
        assert section.name in text and f"section-{section.key}" in ids
    for item in digest.items():
        assert f"item-{item.id}" in ids and item.title in text and item.emoji in text
        assert item.url in hrefs and item.source in text
        assert all(p in text for p in item.points)
        assert all(a.url in hrefs and a.source in text for a in item.also)
    assert "坏源" in text and "HTTP 404" in text  # the failed feed is reported, as in Markdown
    canonical = [e.get("href") for e in doc.iter("link") if e.get("rel") == "canonical"]
    assert canonical == [BASE + "2026-11-25/"]
    nav = {a.get("rel"): a.get("href") for a in doc.iter("a") if a.get("rel") in ("prev", "next")}
    assert nav == {"next": "../2026-11-26/"}  # the first day has no previous one


def test_index_shows_the_latest_digest_and_lists_the_earlier_days(filled: Store, tmp_path: Path) -> None:
    opts = options(tmp_path)
    build_site(filled, opts)
    doc = parse_page((opts.output_dir / "index.html").read_bytes())
    latest = filled.get_digest("2026-11-28", "zh")
    assert latest is not None
    hrefs = [a.get("href") for a in doc.iter("a")]
    assert all(item.url in hrefs for item in latest.items())
    archive = [a.get("href") for ul in doc.iter("ul") if ul.get("class") == "days" for a in ul.iter("a")]
    assert archive == ["2026-11-27/", "2026-11-26/", "2026-11-25/"]  # newest first, latest not repeated
    assert not [h for h in doc.iter("h3") if "年" in (h.text or "")]  # few days: one plain list


def test_index_groups_by_month_once_there_are_many(tmp_path: Path) -> None:
    store = Store(":memory:")
    for k in range(40):
        store.save_digest(day_digest(LAST - timedelta(days=k), 1, first_id=k + 1))
    opts = options(tmp_path)
    build_site(store, opts)
    doc = parse_page((opts.output_dir / "index.html").read_bytes())
    archive_section = next(s for s in doc.iter("section") if s.get("id") == "archive")
    months = [h.text for h in archive_section.iter("h3")]
    assert months == ["2026 年 11 月", "2026 年 10 月"]
    archive = [a.get("href") for ul in doc.iter("ul") if ul.get("class") == "days" for a in ul.iter("a")]
    assert len(archive) == 39 and archive == sorted(archive, reverse=True)
    assert check_site(opts.output_dir, digest_urls(d for d, _ in store.stored_digests("zh"))).problems == []


def test_feeds_are_valid_and_point_at_the_day_pages(filled: Store, tmp_path: Path) -> None:
    opts = options(tmp_path, base_url=BASE, feed_days=3)
    build_site(filled, opts)
    parsed, root = check_atom((opts.output_dir / "feed.xml").read_bytes())
    days = ["2026-11-28", "2026-11-27", "2026-11-26"]  # the last three days, newest first
    assert [e.link for e in parsed.entries] == [BASE + d + "/" for d in days]
    assert [e.id for e in parsed.entries] == [BASE + d + "/" for d in days]
    assert parsed.feed.title == "AI 产业日报" and root.find(f"{ATOM}link[@rel='self']").get("href") == BASE + "feed.xml"
    latest = filled.get_digest("2026-11-28", "zh")
    assert latest is not None
    content = parsed.entries[0].content[0].value
    assert all(item.url in content for item in latest.items())
    assert f'href="{BASE}2026-11-28/#item-{latest.highlights[0].id}"' in content  # anchors absolute

    feed = check_json_feed((opts.output_dir / "feed.json").read_bytes())
    assert [i["url"] for i in feed["items"]] == [BASE + d + "/" for d in days]
    assert feed["feed_url"] == BASE + "feed.json" and feed["home_page_url"] == BASE
    assert all(item.url in feed["items"][0]["content_html"] for item in latest.items())
    for entry in feed["items"]:
        fragment = parse_page(b"<!DOCTYPE html><title>x</title>" + entry["content_html"].encode())
        assert inert_problems(fragment) == []


def test_feeds_without_a_base_url_stay_valid(filled: Store, tmp_path: Path) -> None:
    opts = options(tmp_path)
    result = build_site(filled, opts)
    assert any("no base URL" in line for line in result.report(opts))
    parsed, root = check_atom((opts.output_dir / "feed.xml").read_bytes())
    assert len(parsed.entries) == 4
    assert next(root.iter(f"{ATOM}entry")).find(f"{ATOM}link").get("href") == "2026-11-28/"
    assert all(e.id.startswith("urn:uuid:") for e in parsed.entries)
    assert len({e.id for e in parsed.entries}) == 4
    feed = check_json_feed((opts.output_dir / "feed.json").read_bytes())
    assert feed["items"][0]["url"] == "2026-11-28/" and "feed_url" not in feed


def test_a_rebuild_rewrites_only_what_changed(filled: Store, tmp_path: Path) -> None:
    opts = options(tmp_path, base_url=BASE)
    first = build_site(filled, opts)
    assert len(first.written) == 9 and first.unchanged == 0
    before = snapshot(opts.output_dir)

    again = build_site(filled, opts)
    assert again.written == () and again.unchanged == 9
    assert snapshot(opts.output_dir) == before  # not one file renamed or touched

    # One earlier day is rebuilt with other stories (as many as before, so the index's count stays):
    # its page and the feeds change, nothing else.
    changed = day_digest(date(2026, 11, 26), 5, first_id=251)
    filled.save_digest(changed)
    third = build_site(filled, opts)
    assert sorted(third.written) == ["2026-11-26/index.html", "feed.json", "feed.xml"]
    after = snapshot(opts.output_dir)
    assert {k for k in after if after[k] != before[k]} == set(third.written)

    # A new day: its page, the page before it (now with a "next" link), the index and the feeds.
    filled.save_digest(day_digest(date(2026, 11, 29), 2, first_id=700))
    fourth = build_site(filled, opts, only=date(2026, 11, 29))
    assert sorted(fourth.written) == ["2026-11-28/index.html", "2026-11-29/index.html", "feed.json",
                                      "feed.xml", "index.html"]
    assert not list(opts.output_dir.rglob("*.tmp"))


def test_a_failed_write_keeps_the_old_page_whole(filled: Store, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    opts = options(tmp_path)
    build_site(filled, opts)
    page = opts.output_dir / "2026-11-28" / "index.html"
    old = page.read_bytes()
    filled.save_digest(day_digest(LAST, 2, first_id=500))
    real_replace = os.replace

    def failing_replace(src: str, dst: str) -> None:
        if Path(dst) == page:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(writer.os, "replace", failing_replace)
    result = build_site(filled, opts)
    assert result.failed == (("2026-11-28/index.html", "No space left on device"),)
    assert page.read_bytes() == old  # the reader still gets the whole old page
    assert "index.html" in result.written  # the other files were still written
    assert not [p for p in page.parent.iterdir() if p.name != "index.html"]  # no temp file left


def test_one_page_failing_to_render_does_not_stop_the_others(filled: Store, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    real = site_render.render_day

    def broken(digest: Digest, *args: object) -> bytes:
        if digest.date == date(2026, 11, 27):
            raise ValueError("template blew up")
        return real(digest, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(site_render, "render_day", broken)
    opts = options(tmp_path)
    result = build_site(filled, opts)
    assert result.failed == (("2026-11-27/index.html", "ValueError: template blew up"),)
    assert (opts.output_dir / "2026-11-28" / "index.html").is_file()
    assert (opts.output_dir / "2026-11-26" / "index.html").is_file()
    assert (opts.output_dir / "feed.xml").is_file()


def test_bad_output_folder_and_unknown_day_are_named(filled: Store, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    opts = dataclasses.replace(options(tmp_path), output_dir=blocker)
    with pytest.raises(SiteError, match="file"):
        build_site(filled, opts)
    with pytest.raises(SiteError, match="no stored zh digest for 2026-01-01"):
        build_site(filled, options(tmp_path), only=date(2026, 1, 1))
    with pytest.raises(SiteError, match="javascript"):
        site_options(Settings(), base_url="javascript:alert(1)")




def test_headlines_and_original_titles_show_once_the_model_has_them(tmp_path: Path) -> None:
    base = day_digest(LAST, 2)
    item = base.sections[0].items[0]

    first = dataclasses.replace(item, original_title="Chipmaker ships its first inference card")
    sections = (dataclasses.replace(base.sections[0], items=(first, *base.sections[0].items[1:])),
                *base.sections[1:])
    digest = dataclasses.replace(
        base, sections=sections,
        headlines=(Headline(id=77, title="A headline without points <b>", url="https://h.example/77",
                            source="Wire"),
                   Headline(id=78, title="Bad link", url="javascript:alert(1)", source="")),
    )
    page = site_render.render_day(digest, options(tmp_path), None, None)
    doc = parse_page(page)
    block = [s for s in doc.iter("section") if s.get("id") == "headlines"]
    assert len(block) == 1 and "更多标题" in text_of(block[0])
    assert [a.get("href") for a in block[0].iter("a")] == ["https://h.example/77"]
    assert "A headline without points <b>" in text_of(block[0]) and "Bad link" in text_of(block[0])
    assert "原标题：Chipmaker ships its first inference card" in text_of(doc)
    plain = site_render.render_day(base, options(tmp_path), None, None)
    assert b'id="headlines"' not in plain and "原标题".encode() not in plain
