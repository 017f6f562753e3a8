"""The house rules that keep the code readable, checked by walking the imports with ast."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "storage")


def _modules() -> list[Path]:
    return [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _top(name: str) -> str:
    return name.split(".")[0]


def test_platform_sdks_only_in_their_adapters() -> None:
    allowed = {"telegram": "telegram_adapter.py", "discord": "discord_adapter.py"}
    offenders = [
        f"{p.relative_to(ROOT)} imports {name}"
        for p in _modules()
        for name in _imports(p)
        if _top(name) in allowed and p.name != allowed[_top(name)]
    ]
    assert not offenders, offenders


def test_storage_does_not_import_upward() -> None:
    offenders = [
        f"{p.relative_to(ROOT)} imports {name}"
        for p in (ROOT / "storage").rglob("*.py")
        for name in _imports(p)
        if _top(name) in ("bot", "handlers") and name != "bot.models"
    ]
    assert not offenders, offenders


def test_only_storage_talks_to_sqlite() -> None:
    offenders = [
        f"{p.relative_to(ROOT)} imports {name}"
        for p in _modules()
        if p.parts[len(ROOT.parts)] != "storage"
        for name in _imports(p)
        if _top(name) in ("sqlite3", "sqlite_utils")
    ]
    assert not offenders, offenders


def test_handlers_know_no_platform() -> None:
    offenders = [
        f"{p.relative_to(ROOT)} imports {name}"
        for p in (ROOT / "handlers").rglob("*.py")
        for name in _imports(p)
        if name.startswith("bot.delivery") or _top(name) in ("telegram", "discord")
    ]
    assert not offenders, offenders


def test_feedparser_never_fetches_urls_itself() -> None:
    offenders = []
    for p in _modules():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "parse"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "feedparser"
                and node.args
                and isinstance(node.args[0], ast.Name)
                and "url" in node.args[0].id.lower()
            ):
                offenders.append(f"{p.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders


def test_every_module_says_why() -> None:
    missing = [
        str(p.relative_to(ROOT))
        for p in _modules()
        if p.stat().st_size and not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))
    ]
    assert not missing, missing
