"""The issue's acceptance run through the real command line: corpus feeds served on loopback,
`digestbot digest --date 2025-07-25`, then `digestbot site --output DIR`: the index, the day page
holding every story's link, and feeds that parse and point at the day page.

The suite serves the nine corpus feeds that carry stories of that week (fetching all 45 takes about
20 s here); the same run over the whole folder was done by hand (see the issue 13 report)."""

from __future__ import annotations

import json
from pathlib import Path

from fakes.web import FakeWeb
from site_support import check_atom, check_json_feed, check_site, inert_problems, parse_page
from test_e2e_corpus import _cli

BASE = "https://digest.example.org/ai/"
DAY = "2025-07-25"
# The feeds with entries dated 2025-07-23..25 (official and aggregator copies: "also reported by").
THAT_WEEK = ("anthropic_aggregated.xml", "feed_anthropic_news.xml", "feed_the_batch.xml",
             "google_ai_blog_feed.xml", "google_ai_feeds.xml", "google_deepmind_blog_feed.xml",
             "google_deepmind_feeds.xml", "openai_feeds.xml", "openai_news_feed.xml")


async def test_corpus_digest_then_site(corpus: Path, tmp_path: Path) -> None:
    files = [corpus / "feeds" / name for name in THAT_WEEK]
    async with FakeWeb(root=corpus / "feeds") as web:
        feeds = "".join(f'[[feeds]]\nurl = "{web.url(p.name)}"\nname = "{p.stem}"\n' for p in files)
        (tmp_path / "digestbot.toml").write_text(
            f'[storage]\npath = "{tmp_path / "d.db"}"\n'
            "[fetch]\nallow_private_addresses = true\nfull_text = false\ntimeout_seconds = 30.0\n"
            '[digest]\ntimezone = "UTC"\nlookback_hours = 72\nmax_items = 100\n' + feeds)
        code, out, err = await _cli(tmp_path, "digest", "--date", DAY, "--format", "json")
        assert code == 0, err
    digest = json.loads(out)
    items = [item for section in digest["sections"] for item in section["items"]]
    assert len(items) >= 5

    site = tmp_path / "www"
    code, out, err = await _cli(tmp_path, "site", "--output", str(site), "--base-url", BASE)
    assert code == 0, err
    assert out.startswith(f"site: 1 day(s), 6 file(s) written, 0 unchanged in {site}")

    page = parse_page((site / DAY / "index.html").read_bytes())
    hrefs = {a.get("href") for a in page.iter("a")}
    assert {item["url"] for item in items} <= hrefs  # every story's link, with the ids to anchor it
    assert {f"item-{item['id']}" for item in items} <= {e.get("id") for e in page.iter()}
    heads = {h["url"] for h in digest["headlines"]}  # title-only stories, listed at the end
    assert heads <= hrefs
    allowed = {i["url"] for i in items} | {a["url"] for i in items for a in i["also"]} | heads
    check = check_site(site, allowed, BASE)
    assert check.problems == [] and sorted(check.pages) == [f"{DAY}/index.html", "index.html"]
    assert all(inert_problems(doc) == [] for doc in check.pages.values())

    parsed, _ = check_atom((site / "feed.xml").read_bytes())
    assert [e.link for e in parsed.entries] == [BASE + DAY + "/"]
    feed = check_json_feed((site / "feed.json").read_bytes())
    assert [i["url"] for i in feed["items"]] == [BASE + DAY + "/"]
    assert all(item["url"] in feed["items"][0]["content_html"] for item in items)

    # Run again: nothing changed, so nothing is written.
    code, out, err = await _cli(tmp_path, "site", "--output", str(site), "--base-url", BASE)
    assert code == 0 and out.startswith("site: 1 day(s), 0 file(s) written, 6 unchanged"), (out, err)
