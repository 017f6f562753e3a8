"""The systemd unit in deploy/ parses and says what running the bot as a service needs."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

UNIT = Path(__file__).resolve().parents[1] / "deploy" / "digestbot.service"


def _parse() -> configparser.RawConfigParser:
    # systemd allows repeated keys (e.g. SystemCallFilter); strict=False keeps the last one.
    parser = configparser.RawConfigParser(strict=False, delimiters=("=",), comment_prefixes=("#", ";"))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def test_unit_has_the_three_sections() -> None:
    assert _parse().sections() == ["Unit", "Service", "Install"]


def test_service_runs_digestbot_with_a_config_and_env_file() -> None:
    service = _parse()["Service"]
    assert service["Type"] == "simple"
    argv = shlex.split(service["ExecStart"])
    assert Path(argv[0]).name == "digestbot" and argv[0].startswith("/")  # systemd wants absolute
    assert argv[-1] == "run"
    assert argv[argv.index("--config") + 1].endswith(".toml")
    assert service["RestartPreventExitStatus"] == "2"  # a refused token or a second instance
    assert service["EnvironmentFile"].startswith("/")
    assert service["Restart"] == "on-failure"
    assert service["User"] not in ("", "root")


def test_service_is_hardened() -> None:
    service = _parse()["Service"]
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
    }.items():
        assert service.get(key) == value, key
    assert service.get("CapabilityBoundingSet") == ""
    assert "digestbot" in service["ReadWritePaths"]


def test_every_line_is_a_section_comment_or_key_value() -> None:
    for number, line in enumerate(UNIT.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        assert (stripped.startswith("[") and stripped.endswith("]")) or "=" in stripped, (number, line)


def test_install_section_targets_multi_user() -> None:
    assert _parse()["Install"]["WantedBy"] == "multi-user.target"
