"""Hostile text in the web archive: scripts, javascript: links, 1 MB titles, RTL overrides and emoji
arrive in the pages and feeds as inert, escaped text, both straight from the model and from a real
hostile feed fetched, stored and built into a digest whose build rebuilds the site."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path

from fakes.web import FakeWeb
from hypothesis import given, settings
from hypothesis import strategies as st
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
from test_hostile_e2e import SCRIPTED_PAGE, healthy_feed, hostile_content_feed

from bot.config import DigestSettings, FetchSettings, Settings, SiteSettings, validate
from bot.digest.service import DigestService
from bot.digest.text import clean, clip
from bot.ingest.guard import make_client
from bot.ingest.pipeline import fetch_all
from bot.models import AlsoSource, Digest, DigestItem, DigestSection, DigestStats, Highlight
from bot.site.build import SitePublisher, build_site, render_site, site_options, write_site
from bot.site.render import StoredDay, shown
from bot.summarize.service import SummaryService
from storage import Store

SCRIPT = "<script>alert(1)</script>"
RTL = "\u202eevil override\u202c مرحبا بالعالم שלום"
EMOJI = "👨‍👩‍👧‍👦🇨🇳"
HUGE = "Huge " + "enormous title " * 70_000  # about 1 MB
BASE = "https://digest.example.org/"


def hostile_digest() -> Digest:
    """What a hijacked model or a broken store could hand the site, beyond what ingest lets in."""
    items = (
        DigestItem(1, f'{SCRIPT}"><img src=x onerror=alert(2)> title', "<b>", "javascript:alert(3)",
                   f"Source {SCRIPT}", datetime(2026, 3, 2, 1, tzinfo=UTC),
                   (f"</li></ul>{SCRIPT}", "<a href=javascript:alert(4)>click</a>", "&amp; &lt; &#0;"),
                   also=(AlsoSource("data:text/html;base64,PHNjcmlwdD4=", "<i>data</i>"),
                         AlsoSource('https://ok.example/"onmouseover="alert(5)', "quote breakout"))),
        DigestItem(2, HUGE, EMOJI, "https://huge.example/1", "x" * 100_000,
                   datetime(2026, 3, 2, 2, tzinfo=UTC), ("point " * 50_000,)),
        DigestItem(3, RTL, "🚀", "https://rtl.example/1", RTL, datetime(2026, 3, 2, 3, tzinfo=UTC),
                   (RTL, "Ctrl\x00\x1b[31m\x07 chars\ud800 and \ufffe noncharacters")),
        DigestItem(4, "Long link", "", "https://long.example/" + "a" * 1900, "Long",
                   datetime(2026, 3, 2, 4, tzinfo=UTC), ("x",)),
    )
    return Digest(
        date=date(2026, 3, 2), language="en", title=f"Digest {SCRIPT} {RTL}",
        stats=DigestStats(4, 4, 10**9, 10, 1, 10**6, 0, 1),
        highlights=tuple(Highlight(i.id, i.title, i.emoji) for i in items),
        sections=(DigestSection('products"><script>', f"<h1>{SCRIPT}</h1>", items),),
        failed_feeds=((f"Feed {SCRIPT}", f"reason <iframe src=javascript:alert(6)> {HUGE}"),),
    )


def assert_inert_site(site: Path, digests: list[Digest], base_url: str | None) -> dict[str, ET.Element]:
    allowed = {u for u in digest_urls(digests) if u.startswith(("http://", "https://"))}
    check = check_site(site, allowed, base_url)
    assert check.problems == []
    for rel, doc in check.pages.items():
        assert inert_problems(doc) == [], rel
        assert (site / rel).stat().st_size < 400_000, rel  # a 1 MB title is clipped, not copied
    _, root = check_atom((site / "feed.xml").read_bytes())
    contents = [e.findtext(f"{ATOM}content") or "" for e in root.iter(f"{ATOM}entry")]
    feed = check_json_feed((site / "feed.json").read_bytes())
    contents += [i["content_html"] for i in feed["items"]]
    assert contents
    for html in contents:  # what a feed reader renders, parsed the same strict way
        fragment = parse_page(b"<!DOCTYPE html><title>x</title>" + html.encode())
        assert inert_problems(fragment) == []
    return check.pages


def test_hostile_model_output_is_inert_text_in_pages_and_feeds(tmp_path: Path) -> None:
    # Rendered straight from the model (a lone surrogate could not even be stored).
    digest = hostile_digest()
    opts = site_options(Settings(site=SiteSettings(base_url=BASE)), output=str(tmp_path / "s"), language="en")
    files, failed = render_site([StoredDay(digest, datetime(2026, 3, 2, 8, tzinfo=UTC))], opts)
    result = write_site(files, opts.output_dir, 1, failed)
    assert result.failed == ()
    pages = assert_inert_site(opts.output_dir, [digest], BASE)
    day = pages["2026-03-02/index.html"]
    text = text_of(day)
    assert SCRIPT in text and "<h1>" in text and "</li></ul>" in text  # shown as the words they are
    assert "onerror=alert(2)" in text  # as text, never as an attribute
    hrefs = {a.get("href") for a in day.iter("a")}
    assert "https://huge.example/1" in hrefs and "https://rtl.example/1" in hrefs
    assert not any(h and ("javascript" in h or h.startswith("data:")) for h in hrefs)
    assert "https://long.example/" + "a" * 1900 in hrefs  # a long but plain link still works
    assert "Huge enormous title" in text and "…" in text  # clipped with an ellipsis
    assert "مرحبا بالعالم" in text and "שלום" in text and EMOJI in text
    rtl_title = next(h for h in day.iter("h3") if "مرحبا" in "".join(h.itertext()))
    assert rtl_title.get("dir") == "auto"  # an override inside a title cannot spill past it
    assert "\x00" not in text and "\x1b" not in text and "\x07" not in text and "\ufffe" not in text
    ids = [e.get("id") for e in day.iter() if e.get("id", "").startswith("section-")]
    assert ids == ["section-products---script-"]


async def test_a_hostile_feed_built_into_a_digest_rebuilds_an_inert_site(tmp_path: Path) -> None:
    """fetch_all → store → DigestService (with the site publisher as its after-build hook) → site."""
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    fetch = FetchSettings(timeout_seconds=5.0, max_bytes=2_000_000)
    settings = validate(Settings(
        fetch=fetch, digest=DigestSettings(language="en", timezone="UTC"),
        site=SiteSettings(output_dir=str(tmp_path / "site"), base_url=BASE),
    ))
    store = Store(tmp_path / "d.db")
    async with FakeWeb() as web:
        web.add("/healthy.xml", healthy_feed(), content_type="application/rss+xml")
        web.add("/page.html", SCRIPTED_PAGE)
        web.add("/evil.xml", hostile_content_feed(web.url("/page.html")), content_type="application/rss+xml")
        for path in ("/healthy.xml", "/evil.xml"):
            store.add_feed(web.url(path), "")
        async with make_client(fetch, exempt=frozenset({("127.0.0.1", web.port)})) as client:
            outcomes = await fetch_all(store, settings, now=now, client=client)
    assert [o.status for o in outcomes] == ["new", "new"]
    summaries = SummaryService(store, settings)
    publisher = SitePublisher(store, site_options(settings))
    built: list[object] = []

    async def hook(digest: Digest) -> None:
        built.append(await publisher(digest))

    try:
        digest = await DigestService(store, settings, summaries, on_built=hook).get_or_build(
            now.date(), "en", now=now)
    finally:
        await summaries.aclose()
    assert len(built) == 1 and digest.web_url == BASE + "2026-03-02/"
    assert len(digest.items()) + len(digest.headlines) == 11  # title-only stories are headlines
    pages = assert_inert_site(tmp_path / "site", [digest], BASE)
    text = text_of(pages["2026-03-02/index.html"])
    # ingest already turned tags in titles into their words; what is left of markup stays text
    for title in ("Solar farm output doubles", "Huge enormous title", "مرحبا بالعالم", "👨‍👩‍👧‍👦",
                  "Breaking news & more", "@everyone @here <@&1> **bold**", "Quote in link"):
        assert title in text, title
    assert "steal()" not in text and "document.cookie" not in text  # scripts were never text either
    store.close()


def test_only_plain_http_links_become_links(tmp_path: Path) -> None:
    """javascript: and data: URLs are shown as their label; a quote inside an http URL stays inside
    the one href it belongs to (escaped), never opening an attribute of its own."""
    base = hostile_digest()
    only_bad = dataclasses.replace(base, sections=(dataclasses.replace(base.sections[0],
                                                                       items=base.sections[0].items[:1]),))
    store = Store(":memory:")
    store.save_digest(only_bad)
    opts = site_options(Settings(), output=str(tmp_path / "s"), language="en")
    build_site(store, opts)
    raw = (opts.output_dir / "2026-03-02" / "index.html").read_bytes()
    day = parse_page(raw)
    external = [a for a in day.iter("a") if "://" in (a.get("href") or "")]
    assert [a.get("href") for a in external] == ['https://ok.example/"onmouseover="alert(5)']
    assert set(external[0].attrib) == {"href"} and b'&#34;onmouseover=&#34;' in raw
    assert "<i>data</i>" in text_of(day)  # the data: link's label, as text
    store.close()


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.text(alphabet=st.sampled_from(["a", " ", "\n", "\x00", "中", "\u2028", "\u200d", "\ufe0f", "é", "\xa0",
                                      "\x85", "\ud800", "\ufdd0", "\U0001fffe", "\t", "\x9f", "🚀"]),
            max_size=1200),
    # mostly clean text, where the shortcut is taken: spaces in runs and at the ends must still go
    st.text(alphabet=st.sampled_from(["a", "b", " ", "中", "é", "🚀", "\u200d"]), max_size=600),
    st.text(max_size=300)),
       st.sampled_from([1, 2, 5, 60, 200, 600]))
def test_cleaning_only_what_shows_gives_the_same_text(text: str, limit: int) -> None:
    assert shown(text, limit) == clip(clean(text), limit)
