"""End to end through the real command line: the corpus feeds served on loopback, fetched twice,
then one digest built and checked against the documented JSON schema and the issue's rules."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import jsonschema

from bot.digest.json_render import DIGEST_JSON_SCHEMA
from storage import Store
from fakes.web import FakeWeb

ROOT = Path(__file__).resolve().parents[1]
OFFICIAL, AGGREGATOR = "Google AI (official)", "Google AI (aggregator)"


async def _cli(cwd: Path, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGESTBOT")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "--config", str(cwd / "digestbot.toml"), *args,
        cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=100)
    return proc.returncode or 0, out.decode(), err.decode()


def _config(tmp: Path, web: FakeWeb, files: list[Path]) -> None:
    names = {"google_ai_blog_feed.xml": OFFICIAL, "google_ai_feeds.xml": AGGREGATOR}
    feeds = "".join(
        f'[[feeds]]\nurl = "{web.url(p.name)}"\nname = "{names.get(p.name, p.stem)}"\n' for p in files
    )
    (tmp / "digestbot.toml").write_text(
        f'[storage]\npath = "{tmp / "d.db"}"\n'
        "[fetch]\nallow_private_addresses = true\nfull_text = false\ntimeout_seconds = 30.0\n"
        '[digest]\ntimezone = "UTC"\nlookback_hours = 72\nmax_items = 500\nhighlights = 5\n' + feeds
    )


async def test_fetch_twice_then_digest(corpus: Path, tmp_path: Path) -> None:
    files = sorted(p for p in (corpus / "feeds").iterdir() if p.is_file())
    async with FakeWeb(root=corpus / "feeds") as web:
        _config(tmp_path, web, files)
        code, out, err = await _cli(tmp_path, "fetch")
        assert code == 0, err
        lines = out.strip().splitlines()
        assert len(lines) == len(files) + 1 and lines[-1].startswith(f"{len(files)} feeds:")
        assert not [line for line in lines if line.startswith("failed")], out
        stored = int(lines[-1].split("(")[1].split()[0])
        assert stored > 2000

        # The second poll costs one 304 per feed and stores nothing.
        code, out, err = await _cli(tmp_path, "fetch")
        assert code == 0, err
        assert f"0 with new articles (0 articles), {len(files)} unchanged" in out

        code, out, err = await _cli(tmp_path, "digest", "--no-fetch", "--date", "2025-07-24",
                                    "--format", "json")
        assert code == 0, err
    digest = json.loads(out)
    jsonschema.validate(digest, DIGEST_JSON_SCHEMA)
    items = [item for section in digest["sections"] for item in section["items"]]
    ids = [item["id"] for item in items]
    assert len(items) > 10 and len(ids) == len(set(ids)), "every item in exactly one section"
    keys = [s["key"] for s in digest["sections"]]
    assert set(keys) <= {"products", "industry", "tutorials", "other"}
    assert all(len(item["points"]) <= 3 for item in items)

    stats = digest["stats"]
    assert stats["articles"] == len(items)
    store = Store(tmp_path / "d.db")
    articles = {i: store.get_article(i) for i in ids}
    store.close()
    assert stats["original_chars"] == sum(a.original_chars for a in articles.values() if a)
    assert stats["summary_chars"] == sum(len(p) for i in items for p in i["points"])
    assert stats["duplicates_merged"] > 0

    # Set B: the same 20 Google AI posts (the same URLs) in an official RSS and an aggregator's Atom
    # feed: one source per URL, so "also reported by" never repeats the item's own URL.
    google = [i for i in items if i["source"] in (OFFICIAL, AGGREGATOR)]
    assert google, "the Google AI stories of that week are in the digest"
    for item in google:
        assert item["url"] not in [a["url"] for a in item["also"]], item
    urls = [i["url"] for i in items]
    assert len(urls) == len(set(urls)), "no story appears twice"


async def test_summarize_a_page_and_refuse_an_internal_one(tmp_path: Path) -> None:
    """`digestbot summarize URL`: key points of a served page; with the guard on, loopback is refused."""
    paragraphs = "".join(
        f"<p>Sentence {i}: the lab released a new open model that runs on a single graphics card, "
        f"and developers measured it on {i + 3} public benchmarks.</p>"
        for i in range(10)
    )
    page = (f"<html><head><title>A new open model</title></head><body><nav>Home | About</nav>"
            f"<article>{paragraphs}</article></body></html>")
    async with FakeWeb() as web:
        url = web.add("/post", page)
        (tmp_path / "digestbot.toml").write_text(
            f'[storage]\npath = "{tmp_path / "d.db"}"\n[fetch]\nallow_private_addresses = true\n'
        )
        code, out, err = await _cli(tmp_path, "summarize", url, "--lang", "en")
        assert code == 0, err
        lines = out.strip().splitlines()
        assert lines[0].endswith("A new open model") and lines[-1] == url
        assert len([line for line in lines if line.startswith("- ")]) == 3
        (tmp_path / "digestbot.toml").write_text(f'[storage]\npath = "{tmp_path / "d.db"}"\n')
        code, out, err = await _cli(tmp_path, "summarize", url)
    assert code == 1 and "loopback" in err and out == ""
