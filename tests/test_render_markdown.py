"""Markdown and JSON output: the example's shape, inert feed text, the documented schema."""

from __future__ import annotations

import json
import re
from typing import Any

from test_render_support import make_digest, make_item

from bot.digest.json_render import DIGEST_JSON_SCHEMA, render_json
from bot.digest.markdown import escape_markdown, render_markdown
from bot.digest.plain import render_plain
from bot.models import AlsoSource, Digest


def check_schema(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """A tiny JSON Schema checker for the keywords DIGEST_JSON_SCHEMA uses."""
    errors: list[str] = []
    kind = schema.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool}
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return [f"{path}: not an integer"]
    elif kind == "number":
        if not isinstance(value, int | float) or isinstance(value, bool):
            return [f"{path}: not a number"]
    elif kind and not isinstance(value, types[kind]):
        return [f"{path}: not {kind}"]
    if "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{path}: below minimum")
    if "maximum" in schema and value > schema["maximum"]:
        errors.append(f"{path}: above maximum")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: not in enum")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f"{path}: does not match {schema['pattern']}")
    if kind == "object":
        props = schema.get("properties", {})
        errors += [f"{path}: missing {k}" for k in schema.get("required", []) if k not in value]
        if schema.get("additionalProperties") is False:
            errors += [f"{path}: unexpected {k}" for k in value if k not in props]
        for k, v in value.items():
            if k in props:
                errors += check_schema(v, props[k], f"{path}.{k}")
    if kind == "array" and "items" in schema:
        for n, v in enumerate(value):
            errors += check_schema(v, schema["items"], f"{path}[{n}]")
    return errors


def sample() -> Digest:
    items = [make_item(i, also=(AlsoSource("https://example.org/b", "来源 B"),) if i == 1 else ())
             for i in range(1, 6)]
    return make_digest(items, highlights=3)


def test_markdown_follows_the_example_shape() -> None:
    md = render_markdown(sample())
    heads = [line for line in md.splitlines() if line.startswith("#")]
    assert heads[:3] == ["# AI 产业日报 · 2026-11-28", "## 目的", "## 看点"]
    assert heads[3:7] == ["## 产品介绍", "### 某芯片公司发布第 1 代推理加速卡 🚀",
                          "### 某芯片公司发布第 5 代推理加速卡 🚀", "## 产业资讯"]
    assert "> 原文共计 **10,015** 字，简读后为 " in md
    assert "为您提高阅读效率 **1,147%**" in md
    assert "今日 5 篇文章来自 7 个来源，合并重复报道 5 篇；2 个订阅源抓取失败。" in md
    assert "> 要点解析：\n\n- 第一条要点 1：一句话讲清是什么。" in md
    assert "原文链接：[https://example.com/a/1](https://example.com/a/1)" in md
    assert "同时报道：[来源 B](https://example.org/b)" in md
    assert md.count("\n- 某芯片公司") == 3  # three highlights


def test_markdown_escapes_feed_text() -> None:
    item = make_item(1, title="[click](https://evil.example) <img src=x> *x*",
                     points=("- nested", "1. ordered", "# heading", "&amp; ![i](https://e/i.png)"),
                     url="https://e.example/a(b)<c>")
    md = render_markdown(make_digest([item]))
    assert "\\[click\\]\\(https://evil.example\\)" in md and "\\<img src=x\\>" in md
    assert "- \\- nested" in md and "- 1\\. ordered" in md and "- \\# heading" in md
    assert "\\&amp; \\!\\[i\\]\\(https://e/i.png\\)" in md
    assert "(https://e.example/a%28b%29%3Cc%3E)" in md
    links = re.findall(r"(?<!\\)\[([^\]]*)\]\((?!\\)", md)
    assert all("evil" not in label for label in links)
    assert escape_markdown("a\nb\tc") == "a b c"


def test_json_is_stable_valid_and_round_trips() -> None:
    digest = sample()
    text = render_json(digest)
    data = json.loads(text)
    assert check_schema(data, DIGEST_JSON_SCHEMA) == []
    assert list(data) == ["date", "language", "title", "stats", "highlights", "sections", "failed_feeds",
                          "headlines"]
    assert "产业资讯" in text  # ensure_ascii=False
    assert render_json(Digest.from_dict(data)) == text
    try:
        import jsonschema
    except ImportError:
        return
    jsonschema.validate(data, DIGEST_JSON_SCHEMA)


def test_schema_checker_can_fail() -> None:
    data = json.loads(render_json(sample()))
    data["stats"]["articles"] = -1
    data["sections"][0]["items"][0]["url"] = "javascript:x"
    del data["highlights"][0]["emoji"]
    errors = check_schema(data, DIGEST_JSON_SCHEMA)
    assert len(errors) == 3


def test_plain_text_parts() -> None:
    parts = render_plain(make_digest([make_item(1, title="bell\x07\x1b[31mred")]))
    assert parts[0].text.startswith("AI 产业日报 · 2026-11-28")
    assert "\x1b" not in "".join(p.text for p in parts) and "[#1]" in parts[1].text
    assert [b.payload for b in parts[1].buttons] == ["more:1"]
