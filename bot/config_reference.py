"""Generates docs/configuration.md from config.example.toml, so the reference cannot drift from it.

Run `python -m bot.config_reference > docs/configuration.md`; a test checks the file is current.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_HEADER = re.compile(r"^\[\[?([\w.]+)\]\]?\s*$")
_KEY = re.compile(r"^(\w+)\s*=\s*(.+)$")


def render_reference(example: str) -> str:
    """One table per config section: key, default (as written in the example), meaning."""
    out = [
        "# Configuration reference",
        "",
        "Generated from `config.example.toml` by `python -m bot.config_reference`; every key is",
        "optional and shows its default. Secrets are never set here: the `*_env` keys name the",
        "environment variable that holds them.",
        "",
    ]
    comments: list[str] = []
    table = ""
    seen_tables: set[str] = set()
    seen_keys: set[tuple[str, str]] = set()
    for raw in example.splitlines():
        line = raw.strip()
        if line.startswith("#"):
            comments.append(line.lstrip("# ").rstrip())
            continue
        if not line:
            if not table:
                comments = []  # the file's own preamble
            continue
        header = _HEADER.match(line)
        if header:
            table = header.group(1)
            if table not in seen_tables:
                seen_tables.add(table)
                repeated = line.startswith("[[")
                out += ["", f"## `[{'[' if repeated else ''}{table}{']' if repeated else ''}]`", ""]
                if comments:
                    out += [" ".join(comments), ""]
                out += ["| key | default | meaning |", "|---|---|---|"]
            comments = []
            continue
        key = _KEY.match(line)
        if key and table and (table, key.group(1)) not in seen_keys:
            seen_keys.add((table, key.group(1)))
            value = key.group(2).replace("|", "\\|")
            if len(value) > 60:
                value = value[:57] + "…"
            meaning = " ".join(comments).replace("|", "\\|")
            out.append(f"| `{key.group(1)}` | `{value}` | {meaning} |")
        comments = []
    return "\n".join(out) + "\n"


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    sys.stdout.write(render_reference((root / "config.example.toml").read_text(encoding="utf-8")))


if __name__ == "__main__":
    main()
