"""A fetch failure's reason as a reader sees it: English as made in bot/ingest, Chinese through
bot/ingest/reasons.py (tests/test_hostile_e2e.py checks that every reason the real failure paths
give is recognised)."""

from __future__ import annotations

import pytest

from bot.ingest.reasons import describe, known

CHINESE = {
    "could not resolve openai.com: no such host": "域名 openai.com 不存在",
    "could not resolve a.example: the name server did not answer (temporary)":
        "域名 a.example 暂时无法解析（域名服务器没有应答）",
    "could not resolve a.example: timed out": "域名 a.example 解析超时",
    "could not resolve a.example": "域名 a.example 解析失败",
    "timed out after 10 s": "10 秒内没有响应",
    "timed out after 2.5 s": "2.5 秒内没有响应",
    "network error: connection refused": "网络错误：连接被拒绝",
    "network error: Server disconnected without sending a response.": "网络错误",
    "HTTP 404": "HTTP 404（未找到）",
    "HTTP 418": "HTTP 418",
    "HTTP 503 (retry after 120 s)": "HTTP 503（服务暂不可用），120 秒后再试",
    "HTTP 301 redirect without a Location header": "HTTP 301 重定向缺少目标地址",
    "refused: intranet.example resolves to 10.0.0.1, a private address":
        "已拒绝：intranet.example 指向非公网地址 10.0.0.1",
    "refused: 169.254.169.254 is a cloud metadata address": "已拒绝：169.254.169.254 是非公网地址",
    "refused: the document declares XML entities (entity-expansion/XXE risk)":
        "已拒绝：文档声明了 XML 实体（安全风险）",
    "not a feed: HTML page": "不是订阅源：返回的是网页",
    "not a feed: no RSS or Atom content (mismatched tag)": "不是订阅源：没有 RSS 或 Atom 内容",
    "response larger than 2000000 bytes": "内容超过 2000000 字节的上限",
    "too many redirects (5)": "重定向超过 5 次",
}


@pytest.mark.parametrize("reason,expected", CHINESE.items())
def test_each_form_reads_in_chinese(reason: str, expected: str) -> None:
    assert known(reason)
    assert describe(reason, "zh") == expected


@pytest.mark.parametrize("reason", list(CHINESE))
def test_english_readers_get_the_reason_as_made(reason: str) -> None:
    assert describe(reason, "en") == reason


def test_an_unknown_reason_keeps_the_original() -> None:
    """Nothing is lost: a reason no form matches is a general failure with the original kept."""
    assert not known("the feed server sent a teapot")
    assert describe("the feed server sent a teapot", "zh") == "抓取失败（the feed server sent a teapot）"
    # a form matches the whole reason, never a prefix of a longer one
    assert not known("HTTP 404 and something else")


def test_no_reason_stays_empty_for_the_caller_to_word() -> None:
    assert describe("", "zh") == "" and describe("", "en") == ""
