"""Junk is never a key point: code, markup, bare links, footers, tags, bylines, metadata, LaTeX."""

from __future__ import annotations

import pytest

from bot.summarize.extractive import summarize_extractive
from bot.summarize.junk import junk_reason, tidy, usable_sentences

# Each line is the kind of thing real feeds put in an entry (the issue lists these kinds).
JUNK = {
    "let $iframe, $closeBtn;": "code",
    "if (document.activeElement !== $closeBtn) {": "code",
    "setTimeout(()=>{": "code",
    "return 0;": "code",
    "display: flex;": "code",
    "slot[j].tag = old_tag[i ^ 1];": "code",
    '<view class="usermotto">': "markup",
    "</div>": "markup",
    "Read it &nbsp;here": "markup",
    "![hero](https://cdn.example/hero.png)": "markup",
    "https://example.com/a/very/long/link?with=query": "link",
    "Discussion: https://news.ycombinator.com/item?id=1": "link",
    "The post Copilot charts can now be saved appeared first on Microsoft AI Blogs.": "footer",
    "原文链接 ·": "footer",
    "（全文完）": "footer",
    "本文来自微信公众号某某（ID：abc），授权转载。": "footer",
    "Tags: AI, agents, Azure": "tags",
    "标签：人工智能 大模型": "tags",
    "作者：colorvc": "byline",
    "图自：Google": "byline",
    "（图片来自：The Verge）": "byline",
    "By Susanna Ray": "byline",
    "Photo by Jane Doe on Unsplash": "byline",
    "Organization: Anthropic | Source: Anthropic (news)": "metadata",
    "Points: 12": "metadata",
    "# Comments: 0": "metadata",
    "Sponsored by:": "label",
    "Azure AI Foundry": "fragment",
    "相关的注意事项": "fragment",
    "}, 1000 );": "code",
    "k++;": "code",
    r"We study $X \sim N(\mathbf{\theta}, I)$ where \mathcal{Q} \subsetneq \Theta holds.": "latex",
}

CONTENT = [
    "OpenAI released a new reasoning model on Tuesday, priced at $2 per million tokens.",
    "By 2030, the market for AI chips is expected to triple.",
    "Use code ATP for $50 toward your mattress.",
    "公司第三季度营收同比增长35.6%，达到12.3亿元。",
    "运行 yarn add <name> 等价于运行 npm install --save <name>。",
    "The company said the model scores 92.1% on the benchmark (up from 85%).",
    "我们在 app.wxss 中声明的样式规则可以直接用在页面组件上。",
    "Microsoft is excited to unveil a new edition to the Phi model family: Phi-4-mini-flash-reasoning.",
]


@pytest.mark.parametrize(("line", "reason"), sorted(JUNK.items()))
def test_junk_is_named(line: str, reason: str) -> None:
    assert junk_reason(tidy(line)) == reason


@pytest.mark.parametrize("line", CONTENT)
def test_content_is_kept(line: str) -> None:
    assert junk_reason(tidy(line)) is None


def test_tidy_cuts_a_metadata_tail_and_renders_inline_math() -> None:
    assert tidy("Using ChatGPT to catch halibut | Organization: OpenAI | Source: Openai (news)") == (
        "Using ChatGPT to catch halibut"
    )
    assert tidy(r"Samples from $p$ and $q$ with $0 \le \alpha, \beta \le 1/8$ suffice.") == (
        "Samples from p and q with 0 ≤ α, β ≤ 1/8 suffice."
    )
    assert tidy(r"i.i.d.\ samples of $X \sim N(\mathbf{\theta}, I_\infty)$.") == "i.i.d. samples of X ∼ N(θ, I_∞)."
    assert tidy("It costs $5 and $10 at most.") == "It costs $5 and $10 at most."  # money, not math


def test_usable_sentences_drop_the_title_repeats_and_junk() -> None:
    sentences = ["Big launch", "The lab shipped a model today.", "The lab shipped a model today.",
                 "Tags: AI", "It runs on one GPU."]
    assert usable_sentences("Big launch", sentences) == ["The lab shipped a model today.", "It runs on one GPU."]


PADDED = (
    "let $iframe, $closeBtn;",
    "Microsoft unveiled a small reasoning model that runs on a single GPU.",
    "作者：colorvc",
    "The model is ten times faster than its predecessor on long prompts.",
    "Tags: AI, Phi",
    "Developers can try it today in Azure AI Foundry and on Hugging Face.",
    "The post A small model appeared first on Microsoft AI Blogs.",
    "| Organization: Microsoft | Source: Microsoft (news)",
    r"It bounds the error by $\epsilon \le \frac{1}{\sqrt{n}}$ with \mathcal{O}(n) work \cite{x}.",
)


def test_offline_points_never_carry_the_junk_of_a_padded_entry() -> None:
    summary = summarize_extractive("Microsoft unveils a small model", "\n".join(PADDED), "en")
    assert summary.points == (
        "Microsoft unveiled a small reasoning model that runs on a single GPU.",
        "The model is ten times faster than its predecessor on long prompts.",
        "Developers can try it today in Azure AI Foundry and on Hugging Face.",
    )


def test_an_entry_that_is_only_junk_has_no_points() -> None:
    text = "Organization: Anthropic | Source: Anthropic (news)"
    assert summarize_extractive("Claude gets a new tool", text, "en").points == ()
