"""Config: the example documents every key, and bad input fails naming the key and the file."""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings, parse_settings, secret

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config.example.toml"


def _keys(cls: type, prefix: str = "") -> set[str]:
    """Every settable key of a settings dataclass, dotted, tables recursed into."""
    out: set[str] = set()
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name == "source":
            continue
        hint = hints[f.name]
        key = f"{prefix}{f.name}"
        inner = typing.get_args(hint)[0] if typing.get_origin(hint) is tuple else hint
        if dataclasses.is_dataclass(inner):
            out |= _keys(inner, key + ".")
        else:
            out.add(key)
    return out


def _example_keys(data: dict, prefix: str = "") -> set[str]:
    out: set[str] = set()
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and k not in ("name", "description"):  # per-language text tables
            out |= _example_keys(v, key + ".")
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            for item in v:
                out |= _example_keys(item, key + ".")
        else:
            out.add(key)
    return out


def test_example_documents_every_setting() -> None:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    missing = _keys(Settings) - _example_keys(data)
    assert not missing, f"config.example.toml does not document: {sorted(missing)}"


def test_example_loads_and_matches_defaults() -> None:
    settings = load_settings(str(EXAMPLE))
    defaults = load_settings(None) if not Path("digestbot.toml").exists() else None
    assert settings.source == str(EXAMPLE)
    assert settings.fetch.allow_private_addresses is False
    if defaults is not None:
        # The example states the defaults: every table but the feed list equals the built-in one.
        for name in ("storage", "fetch", "summarizer", "telegram", "discord", "scheduler", "chat"):
            assert getattr(settings, name) == getattr(defaults, name), name
        assert settings.digest == defaults.digest


def test_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[fetch]\nconcurrenci = 3\n")
    with pytest.raises(ConfigError) as err:
        load_settings(str(path))
    assert "fetch.concurrenci" in str(err.value) and str(path) in str(err.value)


@pytest.mark.parametrize(
    "toml, key",
    [
        ("[fetch]\nconcurrency = 'many'\n", "fetch.concurrency"),
        ("[fetch]\nconcurrency = 0\n", "fetch.concurrency"),
        ("[fetch]\nallow_private_addresses = 1\n", "fetch.allow_private_addresses"),
        ("[digest]\nlanguage = 'fr'\n", "digest.language"),
        ("[digest]\ntimezone = 'Mars/Olympus'\n", "digest.timezone"),
        ("[summarizer]\nprovider = 'magic'\n", "summarizer.provider"),
        ("[chat]\ndefault_time = '25:00'\n", "chat.default_time"),
        ("[[feeds]]\nname = 'no url'\n", "feeds[0].url"),
        ("[[feeds]]\nurl = 'ftp://x'\n", "feeds[0].url"),
        ("[[feeds]]\nurl = 'https://x/feed'\nsection = 'nope'\n", "feeds[0].section"),
        ("[[feeds]]\nurl = 'https://x/feed'\nweight = 0\n", "feeds[0].weight"),
        ("[[feeds]]\nurl = 'https://x/feed'\nweight = nan\n", "feeds[0].weight"),
        ("[digest]\nhighlights_per_source = -1\n", "digest.highlights_per_source"),
        ("[summarizer]\nmax_model_candidates = -3\n", "summarizer.max_model_candidates"),
        ("storage = 3\n", "storage"),
        ("[telegram]\nmode = 'webhook'\n", "telegram.webhook_url"),
        ("[telegram]\nwebhook_port = 70000\n", "telegram.webhook_port"),
        ("[[digest.sections]]\nkey = 'a'\nname = 'A'\n[[digest.sections]]\nkey = 'a'\nname = 'B'\n",
         "digest.sections"),
    ],
)
def test_bad_values_name_the_key(toml: str, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_settings(tomllib.loads(toml), "my.toml")
    assert key in str(err.value) and "my.toml" in str(err.value)


def test_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings(None).source == "<built-in defaults>"
    (tmp_path / "digestbot.toml").write_text("[digest]\nlanguage = 'en'\n")
    assert load_settings(None).digest.language == "en"
    env_file = tmp_path / "env.toml"
    env_file.write_text("[digest]\nmax_items = 7\n")
    monkeypatch.setenv("DIGESTBOT_CONFIG", str(env_file))
    assert load_settings(None).digest.max_items == 7
    explicit = tmp_path / "explicit.toml"
    explicit.write_text("[digest]\nmax_items = 9\n")
    assert load_settings(str(explicit)).digest.max_items == 9
    with pytest.raises(ConfigError, match="not found"):
        load_settings(str(tmp_path / "missing.toml"))


def test_section_names_fill_both_languages() -> None:
    s = parse_settings(
        tomllib.loads("[[digest.sections]]\nkey = 'research'\nname = 'Research'\n"
                      "[[digest.sections]]\nkey = 'other'\nname = { en = 'Misc' }\n"),
        "x.toml",
    )
    assert s.digest.sections[0].name_for("zh") == "Research"
    assert s.digest.sections[1].name_for("en") == "Misc"
    assert s.digest.sections[1].name_for("zh") == "其他"  # built-in name for a known key


def test_secrets_come_from_the_environment_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_TG_TOKEN", "123:secret")
    s = parse_settings({"telegram": {"token_env": "MY_TG_TOKEN"}}, "x.toml")
    assert secret(s.telegram.token_env) == "123:secret"
    assert "123:secret" not in repr(s)
    monkeypatch.delenv("MY_TG_TOKEN")
    assert secret(s.telegram.token_env) is None
    with pytest.raises(ConfigError, match="telegram.token"):
        parse_settings({"telegram": {"token": "123:secret"}}, "x.toml")


def test_admin_ids_may_be_numbers() -> None:
    s = parse_settings({"telegram": {"admins": [12345, "678"]}}, "x.toml")
    assert s.telegram.admins == ("12345", "678")


def test_initial_feeds_default_to_builtin_list() -> None:
    s = Settings()
    assert len(s.initial_feeds()) >= 5
    s2 = parse_settings({"feeds": [{"url": "https://x.example/feed"}]}, "x.toml")
    assert [f.url for f in s2.initial_feeds()] == ["https://x.example/feed"]


def test_configuration_reference_is_generated_from_the_example() -> None:
    from bot.config_reference import render_reference

    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert doc == render_reference(EXAMPLE.read_text(encoding="utf-8")), (
        "docs/configuration.md is stale: run `python -m bot.config_reference > docs/configuration.md`"
    )
    for key in _keys(Settings):
        assert f"`{key.split('.')[-1]}`" in doc, key
