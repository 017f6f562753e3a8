"""The command line's feed, OPML and subscription commands, and its exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.opml import OpmlError, read_opml


@pytest.fixture
def cfg(tmp_path: Path) -> str:
    path = tmp_path / "digestbot.toml"
    path.write_text(
        f"[storage]\npath = '{tmp_path / 'd.db'}'\n"
        "[[feeds]]\nurl = 'https://seed.example/feed'\nname = 'Seed'\n"
    )
    return str(path)


def test_feeds_add_list_remove(cfg: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", cfg, "feeds", "add", "https://a.example/rss", "--section", "tutorials",
                 "--no-check"]) == 0
    assert main(["--config", cfg, "feeds", "list"]) == 0
    out = capsys.readouterr().out
    assert "#1 Seed https://seed.example/feed" in out
    assert "[tutorials] https://a.example/rss" in out
    assert main(["--config", cfg, "feeds", "remove", "1"]) == 0
    assert main(["--config", cfg, "feeds", "remove", "1"]) == 1
    capsys.readouterr()
    main(["--config", cfg, "feeds", "list"])
    assert "seed.example" not in capsys.readouterr().out


def test_bad_usage_exits_2(cfg: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", cfg, "feeds", "add", "ftp://x"]) == 2
    assert main(["--config", cfg, "feeds", "add", "https://x.example", "--section", "nope"]) == 2
    assert main(["--config", cfg, "subscriptions", "add", "telegram", "-100", "--time", "7pm"]) == 2
    assert main(["--config", cfg, "subscriptions", "add", "telegram", "-100", "--tz", "Nowhere/X"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["--config", cfg, "no-such-command"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "ftp://x" in err and "nope" in err and "7pm" in err and "Nowhere/X" in err


def test_bad_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[fetch]\ntimeout_seconds = 'soon'\n")
    assert main(["--config", str(bad), "feeds", "list"]) == 2
    assert "fetch.timeout_seconds" in capsys.readouterr().err


def test_opml_round_trip(cfg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    opml = tmp_path / "in.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>'
        '<outline text="AI"><outline text="One" xmlUrl="https://one.example/feed"/>'
        '<outline text="Two" xmlUrl="https://two.example/atom" /></outline>'
        '<outline text="Bad" xmlUrl="javascript:alert(1)"/></body></opml>'
    )
    assert main(["--config", cfg, "feeds", "import-opml", str(opml)]) == 0
    out_lines = capsys.readouterr().out.splitlines()
    assert out_lines == ['skipped "Bad" javascript:alert(1): not an http(s) URL',
                         'imported without a section (no section has this name): "AI"',
                         "imported 2 new feed(s) of 3 outline(s); 1 skipped"]
    out = tmp_path / "out.opml"
    assert main(["--config", cfg, "feeds", "export-opml", "-o", str(out)]) == 0
    urls = [f.url for f in read_opml(out.read_bytes())]
    assert urls == ["https://seed.example/feed", "https://one.example/feed", "https://two.example/atom"]


def test_opml_errors_are_readable() -> None:
    with pytest.raises(OpmlError, match="not <opml>"):
        read_opml(b"<rss/>")
    with pytest.raises(OpmlError, match="entities"):
        read_opml(b'<!DOCTYPE x [<!ENTITY a "b">]><opml/>')
    with pytest.raises(OpmlError, match="well-formed"):
        read_opml(b"<opml>")


def test_subscriptions_add_list_remove(cfg: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", cfg, "subscriptions", "add", "telegram", "-1001", "--time", "8:30",
                 "--tz", "Asia/Shanghai", "--lang", "en", "--sections", "products,industry"]) == 0
    assert main(["--config", cfg, "subscriptions", "add", "discord", "1104512345678901234"]) == 0
    capsys.readouterr()
    assert main(["--config", cfg, "subscriptions", "list"]) == 0
    out = capsys.readouterr().out
    assert "#1 telegram -1001 08:30 Asia/Shanghai en sections=products,industry" in out
    assert "#2 discord 1104512345678901234 08:00 Asia/Shanghai zh sections=all" in out
    assert main(["--config", cfg, "subscriptions", "remove", "1"]) == 0
    assert main(["--config", cfg, "subscriptions", "remove", "1"]) == 1


def test_http_libraries_never_log_request_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx logs each request URL at INFO, and a Telegram Bot API URL contains the token."""
    import logging

    from bot.cli import setup_logging
    from bot.config import Settings

    setup_logging(Settings(), verbose=True, service=True)
    for name in ("httpx", "httpx2", "httpcore", "telegram"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING, name


def test_digest_send_through_the_console_once_per_day(cfg: str, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """`digestbot digest --send` with no tokens: the console gets the digest, a rerun sends nothing."""
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    assert main(["--config", cfg, "subscriptions", "add", "console", "me", "--time", "00:00"]) == 0
    capsys.readouterr()
    assert main(["--config", cfg, "digest", "--no-fetch", "--send", "--all"]) == 0
    out = capsys.readouterr().out
    assert "AI 产业日报" in out and out.rstrip().endswith("#1 console:me: sent 1 message")
    assert main(["--config", cfg, "digest", "--no-fetch", "--send", "--all"]) == 0
    assert capsys.readouterr().out.strip() == "#1 console:me: skipped: already sent"
