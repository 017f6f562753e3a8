"""The command line as a user meets it: options before or after the subcommand, and every user or
environment error as one line on stderr with its documented exit code (1 runtime, 2 usage/config),
never a traceback — including a reader that closes the pipe early (`| head`)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import _parser, main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "digestbot.toml"
    path.write_text(
        f"[storage]\npath = '{tmp_path / 'd.db'}'\n[digest]\ntimezone = 'UTC'\n"
        "[[feeds]]\nurl = 'https://seed.example/feed'\nname = 'Seed'\n"
    )
    return path


def _every_command(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every path of subcommands down to a leaf (`feeds add`, `run`, …), whoever added them."""
    paths = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                paths += _every_command(child, (*prefix, name)) or [(*prefix, name)]
    return paths


_POSITIONALS = {"add": ["https://x.example/feed"], "remove": ["3"], "import-opml": ["f.opml"],
                "summarize": ["https://x.example/a"], "search": ["phi"]}


def _leaf_args(path: tuple[str, ...]) -> list[str]:
    if path[:2] in (("subscriptions", "add"), ("subscriptions", "edit")):
        return ["telegram", "-1001234567890"]
    return _POSITIONALS.get(path[-1], [])


def test_config_and_verbose_anywhere_on_the_line() -> None:
    """`digestbot run --config X` (the systemd unit's form) as well as `digestbot --config X run`,
    for every subcommand and sub-subcommand, including ones added later."""
    parser = _parser()
    commands = _every_command(parser)
    assert ("run",) in commands and ("feeds", "add") in commands
    for path in commands:
        leaf = _leaf_args(path)
        after = parser.parse_args([*path, *leaf, "--config", "after.toml", "-v"])
        assert (after.config, after.verbose) == ("after.toml", True), path
        before = parser.parse_args(["--config", "before.toml", "-v", *path, *leaf])
        assert (before.config, before.verbose) == ("before.toml", True), path
        plain = parser.parse_args([*path, *leaf])
        assert (plain.config, plain.verbose) == (None, False), path
    between = parser.parse_args(["--config", "a.toml", "feeds", "--config", "b.toml", "list"])
    assert between.config == "b.toml"  # the one nearest the action wins


def _one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["digest", "--no-fetch", "--output", "{tmp}/missing-dir/x.md"], 2, "no such directory"),
        (["digest", "--no-fetch", "--output", "{tmp}"], 2, "is a directory"),
        (["feeds", "export-opml", "-o", "{tmp}/missing-dir/f.opml"], 2, "no such directory"),
        (["digest", "--no-fetch", "--date", "2099-01-01"], 2, "in the future"),
        (["digest", "--no-fetch", "--date", "1999-12-31"], 2, "before 2000-01-01"),
        (["digest", "--no-fetch", "--date", "20250725"], 2, "YYYY-MM-DD"),
        (["digest", "--no-fetch", "--date", "2025-W30-5"], 2, "YYYY-MM-DD"),
        (["digest", "--no-fetch", "--date", "2025-02-30"], 2, "no day"),
        (["digest", "--no-fetch", "--date", ""], 2, "YYYY-MM-DD"),
        (["digest", "--no-fetch", "--all"], 2, "--all only applies with --send"),
        (["digest", "--no-fetch", "--send", "--format", "json"], 2, "--format does not apply"),
        (["digest", "--no-fetch", "--send", "--output", "x.md"], 2, "--output does not apply"),
        (["digest", "--no-fetch", "--send", "--lang", "en"], 2, "--lang does not apply"),
        (["digest", "--no-fetch", "--resend"], 2, "--resend only applies with --send"),
        (["digest", "--no-fetch", "--send", "--site"], 2, "--site does not apply"),
        (["digest", "--lang", "fr"], 2, "invalid choice"),
        (["subscriptions", "add", "telegram", "abc"], 2, "telegram chat id"),
        (["subscriptions", "add", "telegram", "0"], 2, "telegram chat id"),
        (["subscriptions", "add", "telegram", "@mychannel"], 2, "username"),
        (["subscriptions", "add", "telegram", "-100123", "--sections", "nope"], 2, "'nope' is not a section"),
        (["subscriptions", "add", "telegram", "-100123", "--tz", "America"], 2, "unknown time zone"),
        (["subscriptions", "add", "telegram", "-100123", "--tz", ""], 2, "unknown time zone"),
        (["subscriptions", "add", "telegram", "-100123", "--time", ""], 2, "HH:MM"),
        (["subscriptions", "add", "discord", "42"], 2, "snowflake"),
        (["subscriptions", "add", "discord", "99999999999999999999"], 2, "snowflake"),
        (["subscriptions", "add", "console", "a b"], 2, "console chat id"),
        (["subscriptions", "remove", "99999999999999999999"], 2, "not an id"),
        (["feeds", "remove", "abc"], 2, "not an id"),
        (["feeds", "remove", "0"], 2, "not an id"),
        (["feeds", "remove", "7"], 1, "no feed #7"),
        (["feeds", "add", "ftp://x.example/feed"], 2, "not an http(s) URL"),
        (["feeds", "add", "https://"], 2, "no host"),
        (["feeds", "add", "http://[::1"], 2, "not a valid URL"),
        (["feeds", "add", "https://x.example/feed", "--section", "nope"], 2, "unknown section"),
        (["feeds", "import-opml", "{tmp}/missing.opml"], 2, "No such file"),
        (["feeds", "import-opml", "{tmp}"], 2, "is a directory"),
        (["feeds", "import-opml", "{cfg}"], 2, "not well-formed"),
        (["fetch", "--force", "9"], 2, "no feed #9"),
        (["fetch", "--force", "x"], 2, "not an id"),
        (["summarize", "http://[::1"], 1, "not a usable URL"),
        (["no-such-command"], 2, "invalid choice"),
    ],
)
def test_each_error_is_one_line_with_its_exit_code(
    argv: list[str], code: int, says: str, cfg: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [a.format(tmp=cfg.parent, cfg=cfg) for a in argv]
    try:
        got = main(["--config", str(cfg), *argv])
    except SystemExit as exc:  # argparse's own errors: one line too, exit 2
        got = exc.code  # type: ignore[assignment]
    captured = capsys.readouterr()
    line = _one_line(captured.err)
    assert got == code, captured.err
    assert says in line
    assert line.startswith("digestbot")


@pytest.mark.parametrize(
    ("setup", "says"),
    [
        ("dir-config", "is a directory"),
        ("storage-dir", "it is a directory"),
        ("storage-under-file", "cannot open the database"),
        ("storage-not-sqlite", "file is not a database"),
    ],
)
def test_config_and_storage_paths_that_cannot_be_opened_exit_2(
    setup: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "c.toml"
    junk = tmp_path / "junk.txt"
    junk.write_text("not a database, and it must stay as it is\n" * 100)
    storage = {"dir-config": tmp_path / "d.db", "storage-dir": tmp_path,
               "storage-under-file": junk / "d.db", "storage-not-sqlite": junk}[setup]
    config.write_text(f"[storage]\npath = '{storage}'\n")
    target = tmp_path if setup == "dir-config" else config
    assert main(["feeds", "list", "--config", str(target)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert says in line and (str(target) in line or str(storage) in line)
    assert junk.read_text().startswith("not a database, and it must stay")


def test_an_unexpected_error_is_one_redacted_line(
    cfg: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The last resort: one line, exit 1, and a token in the exception text never shown."""
    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-secret"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)

    async def broken(*args: object) -> int:
        raise RuntimeError(f"request to https://api.telegram.org/bot{token}/getMe failed")

    monkeypatch.setattr("bot.cli.feeds_command", broken)
    assert main(["--config", str(cfg), "feeds", "list"]) == 1
    line = _one_line(capsys.readouterr().err)
    assert "RuntimeError" in line and "[redacted]" in line and token not in line
    assert "AAHdqTcv" not in line


def _cli(*args: str, cwd: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGESTBOT", "TELEGRAM", "DISCORD"))}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen([sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_run_takes_its_config_after_the_subcommand(tmp_path: Path) -> None:
    """The systemd unit's `digestbot run --config FILE` in a real process: the file is read (its
    bad key is named), not refused as an unrecognised argument."""
    bad = tmp_path / "digestbot.toml"
    bad.write_text("[fetch]\ntimeout_seconds = 'soon'\n")
    proc = _cli("run", "--config", str(bad), "-v", cwd=tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    line = _one_line(err.decode())
    assert "fetch.timeout_seconds" in line and str(bad) in line and out == b""


def test_a_reader_closing_the_pipe_early_is_no_error(tmp_path: Path, cfg: Path) -> None:
    """`digestbot feeds list | head -3`: more output than a pipe holds, the reader leaves after three
    lines; the command ends quietly with exit 0, no BrokenPipeError, no traceback."""
    outlines = "".join(f'<outline text="Feed {n}" xmlUrl="https://f{n}.example/rss/{"x" * 40}"/>'
                       for n in range(2500))
    opml = tmp_path / "many.opml"
    opml.write_text(f"<opml version='2.0'><head/><body>{outlines}</body></opml>")
    assert main(["--config", str(cfg), "feeds", "import-opml", str(opml)]) == 0
    proc = _cli("feeds", "list", "--config", str(cfg), cwd=tmp_path)
    assert proc.stdout is not None and proc.stderr is not None
    head = [proc.stdout.readline() for _ in range(3)]
    proc.stdout.close()  # what `head` does after its three lines
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert head[0].startswith(b"#1 Seed") and len(head) == 3
    assert err == ""
