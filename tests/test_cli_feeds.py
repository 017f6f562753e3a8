"""`digestbot feeds add` checks a feed as /addfeed does and reports duplicates; OPML import names
every outline it skipped and sections round-trip through export; `fetch --force` retries a feed
in backoff; feeds dropped from the config stop being polled, with a word."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes.web import FakeWeb

from bot.cli import main
from bot.config import Settings, load_settings
from bot.config_feeds import sync_config_feeds
from bot.opml import read_opml, scan_opml
from storage import Store

RSS = (
    "<?xml version='1.0'?><rss version='2.0'><channel><title>Lab notes</title>"
    "<link>https://lab.example/</link>"
    "<item><title>One</title><link>https://lab.example/1</link><description>First.</description></item>"
    "<item><title>Two</title><link>https://lab.example/2</link><description>Second.</description></item>"
    "</channel></rss>"
)


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    """The fake web server on its own loop in a thread, since main() runs its own asyncio.run."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = FakeWeb()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _config(tmp_path: Path, feeds: list[str], private: bool = True) -> str:
    path = tmp_path / "digestbot.toml"
    text = f"[storage]\npath = '{tmp_path / 'd.db'}'\n[digest]\ntimezone = 'UTC'\n"
    if private:
        text += "[fetch]\nallow_private_addresses = true\nfull_text = false\ntimeout_seconds = 5.0\n"
    text += "".join(f"[[feeds]]\nurl = '{url}'\n" for url in feeds)
    path.write_text(text)
    return str(path)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_feeds_add_fetches_once_and_refuses_what_is_not_a_feed(
    web: FakeWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    cfg = _config(tmp_path, ["https://seed.example/feed"])
    good = web.add("/feed.xml", RSS, content_type="application/rss+xml")
    html = web.url("/_h/html")
    missing = web.url("/_h/status/404")
    closed = f"http://127.0.0.1:{_closed_port()}/feed"
    for url, reason in ((html, "not a feed"), (missing, "404"), (closed, "")):
        assert main(["feeds", "add", url, "--config", cfg]) == 1, url
        captured = capsys.readouterr()
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and "not added" in lines[0] and url in lines[0] and reason in lines[0]
        assert "Traceback" not in captured.err and captured.out == ""
    assert main(["feeds", "add", good, "--section", "tutorials", "--config", cfg]) == 0
    assert capsys.readouterr().out.strip() == f"feed #2 added: Lab notes {good}, 2 entries now"
    assert main(["feeds", "add", good, "--config", cfg]) == 0
    assert capsys.readouterr().out.strip() == f"already present as #2: {good}"
    assert main(["feeds", "add", good, "--section", "industry", "--config", cfg]) == 0
    assert capsys.readouterr().out.strip() == f"already present as #2: {good}; section set to 'industry'"
    assert main(["feeds", "add", missing, "--no-check", "--config", cfg]) == 0
    assert web.hits["/_h/status/404"] == 1  # --no-check did not fetch it
    main(["feeds", "list", "--config", cfg])
    listed = capsys.readouterr().out
    assert f"#2 Lab notes [industry] {good}" in listed and missing in listed
    assert html not in listed and closed not in listed


FEEDLY = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>Feedly export</title></head><body>
  <outline text="Tutorials" title="Tutorials">
    <outline type="rss" text="How-to" title="How-to" xmlUrl="https://howto.example/rss" htmlUrl="https://howto.example/"/>
    <outline type="rss" text="Feed scheme" xmlurl="feed://scheme.example/atom.xml"/>
  </outline>
  <outline text="产业资讯">
    <outline type="rss" TEXT="Funding" XMLURL="feed:https://money.example/feed"/>
  </outline>
  <outline text="Podcasts">
    <outline type="rss" text="Talk" xmlUrl="https://talk.example/rss"/>
  </outline>
  <outline type="rss" text="Categorised" xmlUrl="https://cat.example/rss" category="/Tech/products"/>
  <outline type="rss" text="Already here" xmlUrl="https://seed.example/feed"/>
  <outline type="rss" text="Twice" xmlUrl="https://howto.example/rss"/>
  <outline type="rss" text="Script" xmlUrl="javascript:alert(1)"/>
  <outline type="link" text="Just a page" htmlUrl="https://page.example/"/>
  <outline text="Empty"/>
</body></opml>"""


def test_opml_import_reports_every_skip_and_sections_round_trip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    cfg = _config(tmp_path, ["https://seed.example/feed"], private=False)
    source = tmp_path / "feedly.opml"
    source.write_text(FEEDLY, encoding="utf-8")
    assert main(["--config", cfg, "feeds", "import-opml", str(source)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [
        'skipped "Twice" https://howto.example/rss: listed twice in this file',
        'skipped "Script" javascript:alert(1): not an http(s) URL',
        'skipped "Just a page": no feed URL (xmlUrl), only a web page (https://page.example/)',
        'skipped "Empty": no feed URL (xmlUrl)',
        'skipped "Already here" https://seed.example/feed: already present as #1',
        'imported without a section (no section has this name): "Podcasts"',
        "imported 5 new feed(s) of 10 outline(s); 5 skipped",
    ]
    with closing(Store(tmp_path / "d.db")) as store:
        sections = {f.url: f.section for f in store.list_feeds()}
    assert sections == {
        "https://seed.example/feed": None,
        "https://howto.example/rss": "tutorials",  # folder named like the section (any case)
        "http://scheme.example/atom.xml": "tutorials",  # feed:// and a lower-case xmlurl
        "https://money.example/feed": "industry",  # folder named in Chinese, attributes in capitals
        "https://talk.example/rss": None,
        "https://cat.example/rss": "products",  # OPML 2.0 category attribute, accepted on import
    }
    exported = tmp_path / "out.opml"
    assert main(["--config", cfg, "feeds", "export-opml", "-o", str(exported)]) == 0
    feeds = read_opml(exported.read_bytes())
    assert [(f.url, f.category) for f in feeds][:3] == [
        ("https://seed.example/feed", ""), ("https://talk.example/rss", ""),
        ("https://cat.example/rss", "产品介绍"),
    ]
    # into a fresh store: the same sections come back from the folders the export wrote
    other = tmp_path / "other"
    other.mkdir()
    cfg2 = _config(other, ["https://unrelated.example/feed"], private=False)
    assert main(["--config", cfg2, "feeds", "import-opml", str(exported)]) == 0
    assert capsys.readouterr().out.strip().endswith("imported 6 new feed(s) of 6 outline(s); 0 skipped")
    with closing(Store(other / "d.db")) as store:
        again = {f.url: f.section for f in store.list_feeds() if "unrelated" not in f.url}
    assert again == sections


def test_opml_reader_accepts_any_attribute_case_and_nesting() -> None:
    contents = scan_opml(
        b"<opml><body><outline title='Outer'><outline TITLE='Products'>"
        b"<outline xmlURL=' https://a.example/rss '/></outline></outline></body></opml>"
    )
    assert [(f.url, f.category, f.labels) for f in contents.feeds] == [
        ("https://a.example/rss", "Products", ("Products", "Outer")),
    ]
    assert contents.skipped == ()


def test_opml_folders_nested_absurdly_deep_are_skipped_not_a_crash() -> None:
    deep = b"<outline text='f'>" * 5000 + b"<outline xmlUrl='https://deep.example/rss'/>" + b"</outline>" * 5000
    contents = scan_opml(b"<opml><body>" + deep + b"<outline xmlUrl='https://ok.example/rss'/></body></opml>")
    assert [f.url for f in contents.feeds] == ["https://ok.example/rss"]
    assert [s.reason for s in contents.skipped] == ["folders nested more than 32 deep"]


def test_fetch_force_retries_a_feed_in_backoff(
    web: FakeWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    failing = web.add("/flaky.xml", RSS, content_type="application/rss+xml")
    other = web.add("/other.xml", RSS.replace("lab.example", "other.example"), content_type="application/rss+xml")
    cfg = _config(tmp_path, [failing, other])
    later = datetime.now(UTC) + timedelta(hours=6)
    with closing(Store(tmp_path / "d.db")) as store:
        store.seed_feeds([(failing, "", None), (other, "", None)])
        for feed in store.list_feeds():
            store.record_fetch(feed.id, at=datetime.now(UTC), status="failed", error="HTTP 503",
                               failures=3, next_fetch_after=later)
    assert main(["fetch", "--config", cfg]) == 0
    assert "0 failed, 2 skipped" in capsys.readouterr().out
    assert web.hits["/flaky.xml"] == 0
    assert main(["fetch", "--force", "1", "--config", cfg]) == 0
    out = capsys.readouterr().out
    assert "new        #1" in out and "skipped    #2" in out
    assert (web.hits["/flaky.xml"], web.hits["/other.xml"]) == (1, 0)
    assert main(["fetch", "--force", "--config", cfg]) == 0
    assert "1 skipped" not in capsys.readouterr().out
    assert (web.hits["/flaky.xml"], web.hits["/other.xml"]) == (2, 1)


def test_feeds_dropped_from_the_config_stop_and_come_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    a, b = "https://a.example/feed", "https://b.example/feed"
    cfg = _config(tmp_path, [a, b], private=False)
    assert main(["--config", cfg, "feeds", "add", "https://mine.example/rss", "--no-check"]) == 0
    capsys.readouterr()
    _config(tmp_path, [a], private=False)
    assert main(["--config", cfg, "feeds", "list"]) == 0
    captured = capsys.readouterr()
    assert captured.err.strip() == (
        f"digestbot: feed #2 {b} is no longer listed in {cfg}: no longer polled "
        "(its articles stay; list it again to resume)"
    )
    assert b not in captured.out and a in captured.out and "mine.example" in captured.out
    assert main(["--config", cfg, "feeds", "list"]) == 0
    assert capsys.readouterr().err == ""  # said once
    _config(tmp_path, [a, b], private=False)
    assert main(["--config", cfg, "feeds", "list"]) == 0
    captured = capsys.readouterr()
    assert captured.err.strip() == f"digestbot: feed #2 {b} is listed in {cfg} again: polled again"
    assert b in captured.out


def test_without_a_config_file_nothing_is_dropped(tmp_path: Path) -> None:
    """A command run without --config in the wrong folder must not switch the real feeds off."""
    with closing(Store(tmp_path / "d.db")) as store:
        store.seed_feeds([("https://mine.example/feed", "", None)])
        sync = sync_config_feeds(store, Settings())
        assert sync.dropped == () and sync.added > 0
        assert "https://mine.example/feed" in [f.url for f in store.list_feeds()]
        (tmp_path / "c.toml").write_text("[digest]\ntimezone = 'UTC'\n")  # a file: built-in list
        sync = sync_config_feeds(store, load_settings(str(tmp_path / "c.toml")))
        assert [f.url for f in sync.dropped] == ["https://mine.example/feed"]
