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


def test_chars_within_tokens_follows_the_rule_character_by_character() -> None:
    """The rule, walked one character at a time (a CJK character costs a token, anything else a
    quarter): the cut is where the next character would overflow the budget."""
    import random

    from bot.summarize.text import chars_within_tokens

    def walked(text: str, max_tokens: int) -> int:
        budget = max_tokens * 4
        for i, ch in enumerate(text):
            budget -= 4 if "\u4e00" <= ch <= "\u9fff" else 1
            if budget < 0:
                return i
        return len(text)

    rng = random.Random(12)
    alphabet = ["模", "型", "a", "b", " ", "。", "1", "é"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60)))
        max_tokens = rng.randrange(-1, 25)
        assert chars_within_tokens(text, max_tokens) == walked(text, max_tokens), (text, max_tokens)


def test_token_budget_cuts_chinese_sooner_than_english() -> None:
    from bot.summarize.prompts import build_messages
    from bot.summarize.text import chars_within_tokens, estimate_tokens

    zh = "这是一个关于人工智能模型发布的句子。" * 200
    en = "This sentence is about a new language model release. " * 200
    assert estimate_tokens("模型") == 2 and estimate_tokens("abcdefgh") == 2
    assert chars_within_tokens("模型" * 200, 100) == 100 and chars_within_tokens("abcd" * 200, 100) == 400
    for text in (zh, en):
        user = build_messages("T", text, "zh", "points", ["other"], 4000, 300)[1]["content"]
        assert 250 < estimate_tokens(user) < 400  # the article part stays within the budget
        body = user.split("Title: T\n\n")[1].removesuffix("\n<<<ARTICLE_END>>>")
        assert body.endswith(("。", ".")) and len(body) < len(text) / 5  # cut at a sentence end
