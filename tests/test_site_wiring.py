"""The archive built with the digest: `digestbot site`, `digestbot digest --site`, the service's
after-build hook that `digestbot run` wires in when [site] output_dir is set, and the page link each
served digest carries."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

import pytest
from test_digest_builder import DAY, NOW, FakeSummaries, add
from test_site_build import day_digest

from bot.cli import main
from bot.config import DigestSettings, Settings, SiteSettings
from bot.digest.service import DigestService
from bot.services import build_services
from storage import Store

BASE = "https://digest.example.org/ai/"


def config(tmp_path: Path, site: str = "") -> str:
    path = tmp_path / "digestbot.toml"
    path.write_text(f"[storage]\npath = '{tmp_path / 'd.db'}'\n[digest]\ntimezone = 'UTC'\n"
                    f"[[feeds]]\nurl = 'https://seed.example/feed'\n{site}")
    return str(path)


def stored(tmp_path: Path, days: int = 3) -> None:
    store = Store(tmp_path / "d.db")
    for k in range(days):
        store.save_digest(day_digest(date(2026, 11, 28) - timedelta(days=k), 3, first_id=10 * k + 1))
    store.close()


def test_site_command_writes_the_archive_and_says_what_it_did(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config(tmp_path, f"[site]\noutput_dir = '{tmp_path / 'www'}'\nbase_url = '{BASE}'\n")
    stored(tmp_path)
    assert main(["--config", cfg, "site"]) == 0
    out = capsys.readouterr().out
    assert f"site: 3 day(s), 8 file(s) written, 0 unchanged in {tmp_path / 'www'}" in out
    assert "no base URL" not in out
    assert (tmp_path / "www" / "2026-11-27" / "index.html").is_file()
    assert main(["--config", cfg, "site"]) == 0
    assert "0 file(s) written, 8 unchanged" in capsys.readouterr().out

    other = tmp_path / "elsewhere"
    assert main(["--config", cfg, "site", "--output", str(other), "--date", "2026-11-26",
                 "--base-url", "https://mirror.example/"]) == 0
    assert "site: 3 day(s), 7 file(s) written" in capsys.readouterr().out  # a day, its neighbour, the rest
    assert b"https://mirror.example/feed.xml" in (other / "feed.xml").read_bytes()
    assert not (other / "2026-11-28").exists()


def test_site_command_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config(tmp_path)
    stored(tmp_path)
    assert main(["--config", cfg, "site", "--date", "28/11/2026"]) == 2
    assert "--date must be YYYY-MM-DD, not '28/11/2026'" in capsys.readouterr().err
    assert main(["--config", cfg, "site", "--base-url", "javascript:alert(1)"]) == 2
    assert "javascript:alert(1)" in capsys.readouterr().err
    assert main(["--config", cfg, "site", "--output", str(tmp_path / "w"), "--date", "2020-01-01"]) == 1
    assert "no stored zh digest for 2020-01-01" in capsys.readouterr().err
    assert main(["--config", cfg, "site", "--output", str(tmp_path / "w"), "--lang", "en"]) == 0
    assert "site: 0 day(s)" in capsys.readouterr().out  # no English digest stored: an empty archive
    bad = config(tmp_path, "[site]\nbase_url = 'https://x.example/a b'\n")
    assert main(["--config", bad, "site"]) == 2
    assert "site.base_url" in capsys.readouterr().err


def test_digest_with_site_writes_the_day_page(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the default folder is ./site
    cfg = config(tmp_path)
    stored(tmp_path)
    assert main(["--config", cfg, "digest", "--no-fetch", "--date", "2026-11-29", "--site"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("# AI 产业日报 · 2026-11-29")
    assert "site: 4 day(s), 9 file(s) written" in captured.err
    assert (tmp_path / "site" / "2026-11-29" / "index.html").is_file()


async def test_each_build_rebuilds_the_site_and_served_digests_link_to_it(store: Store, tmp_path: Path) -> None:
    add(store, store.add_feed("https://a.example/feed", "A").id, "a", "芯片公司发布新品", "第一句。第二句。", 2)
    settings = Settings(digest=DigestSettings(timezone="UTC"),
                        site=SiteSettings(output_dir=str(tmp_path / "www"), base_url=BASE))
    services = build_services(settings, store, summaries=FakeSummaries())  # type: ignore[arg-type]
    digest = await services.digests.get_or_build(DAY, "zh", now=NOW)
    page = tmp_path / "www" / DAY.isoformat() / "index.html"
    assert page.is_file() and "芯片公司发布新品" in page.read_text(encoding="utf-8")
    assert digest.web_url == BASE + "2026-11-28/"
    assert store.get_digest(DAY.isoformat(), "zh").web_url is None  # the address is never stored
    page.unlink()
    again = await services.digests.get_or_build(DAY, "zh", now=NOW)  # served from the store
    assert again.web_url == digest.web_url and not page.exists()  # no build, so no site rebuild
    english = await services.digests.get_or_build(DAY, "en", now=NOW)
    assert english.web_url is None and not page.exists()  # the site shows Chinese only

    plain = build_services(Settings(), store, summaries=FakeSummaries())  # type: ignore[arg-type]
    assert plain.digests.on_built is None
    assert (await plain.digests.get_or_build(DAY, "zh", now=NOW)).web_url is None


async def test_a_failing_site_never_fails_the_digest(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    calls: list[date] = []

    async def broken(digest) -> None:  # type: ignore[no-untyped-def]
        calls.append(digest.date)
        raise OSError(30, "Read-only file system")

    service = DigestService(store, Settings(), FakeSummaries(), on_built=broken)
    with caplog.at_level(logging.ERROR):
        digest = await service.get_or_build(DAY, "zh", now=NOW)
    assert digest.date == DAY and calls == [DAY]
    assert "after-build hook failed day=2026-11-28 language=zh" in caplog.text
    await service.get_or_build(DAY, "zh", now=NOW, rebuild=True)
    assert calls == [DAY, DAY]
