"""Sentence splitting and tokens for Chinese and English: the ground the summarizers stand on."""

from __future__ import annotations

import logging

import pytest

from bot.summarize.text import split_sentences, tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Dr. Smith paid $3.14 for it. Then U.S. officials left! Really? Yes",
            ["Dr. Smith paid $3.14 for it.", "Then U.S. officials left!", "Really?", "Yes"],
        ),
        ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
        ("Version 2.5 of Node.js ships e.g. fetch. See example.com now.",
         ["Version 2.5 of Node.js ships e.g. fetch.", "See example.com now."]),
        ("J. K. Rowling wrote it. It sold well.", ["J. K. Rowling wrote it.", "It sold well."]),
        ("Line one without stop\nLine two.", ["Line one without stop", "Line two."]),
        ("Wait... what happened?", ["Wait...", "what happened?"]),
    ],
)
def test_split_english(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天发布了新模型。性能提升明显！你用了吗？", ["今天发布了新模型。", "性能提升明显！", "你用了吗？"]),
        ("他说：“我们明天上线。”随后离开。", ["他说：“我们明天上线。”", "随后离开。"]),
        ("价格为3.5元。第二句", ["价格为3.5元。", "第二句"]),
        ("原则如下：1.解决问题；2.从人开始", ["原则如下：1.解决问题；", "2.从人开始"]),
        ("真的吗？！是的……好吧。", ["真的吗？！", "是的……", "好吧。"]),
        ("OpenAI发布GPT-5。It is fast. 很快。", ["OpenAI发布GPT-5。", "It is fast.", "很快。"]),
    ],
)
def test_split_chinese(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_split_drops_empty_and_punctuation_only() -> None:
    assert split_sentences("") == []
    assert split_sentences("。。。\n\n  !!") == []


def test_tokens_mixed_language_drops_stopwords() -> None:
    toks = tokens("OpenAI 发布了新的大语言模型，The model is fast and the API is open.")
    assert "openai" in toks and "模型" in toks and "model" in toks and "api" in toks
    for stop in ("the", "is", "and", "了", "的"):
        assert stop not in toks
    assert all(t == t.lower() for t in toks)


def test_jieba_is_quiet() -> None:
    tokens("机器学习")
    # at least WARNING: jieba's INFO lines ("Building prefix dict ...") never reach the user's log
    # (the CLI may have raised it further for one-shot commands)
    assert logging.getLogger("jieba").level >= logging.WARNING
