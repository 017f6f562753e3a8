"""Junk lines, math markup and per-feed boilerplate never reach the stored text."""

from __future__ import annotations

import re
from pathlib import Path
from unittest import mock

import pytest

from bot.ingest import parse
from bot.ingest.boilerplate import repeated_fragments, strip_repeated
from bot.ingest.junk import clean_text, drop_junk_lines, is_code, junk_kind, render_math


@pytest.mark.parametrize(("line", "kind"), [
    ("By Jane Doe", "byline"),
    ("By Ana de la Cruz, Example News, Lisbon", "byline"),
    ("作者：小明", "byline"),
    ("文 | 某研究院 张三", "byline"),
    ("责任编辑：李四", "byline"),
    ("图自：Example", "credit"),
    ("题图来自：某网站", "credit"),
    ("Photo: Example Agency", "credit"),
    ("Image credits: left Example; right Someone Else", "credit"),
    ("Illustrations by A. Person.", "credit"),
    ("Tags: AI, Robots, Cloud computing", "tags"),
    ("标签：人工智能、机器人", "tags"),
    ("The post A title here appeared first on Some Blog.", "footer"),
    ("Read more at The Example Net.", "footer"),
    ("Related: Ten things about rockets", "footer"),
    ("欢迎关注我们的微信公众号：example", "footer"),
    ("（全文完）", "notice"),
    ("本文来自微信公众号“某号”，经授权发布。", "notice"),
    ("© 2024 Example Corp. All rights reserved.", "notice"),
    ("Points: 12", "counter"),
    ("# Comments: 0", "counter"),
    ("★", "symbols"),
    ("};", "symbols"),
    ("let $frame, $button;", "code"),
    ("const $box = document.getElementById('box') ;", "code"),
    ("height: 30px; width: 30px;", "code"),
])
def test_junk_lines_are_recognised(line: str, kind: str) -> None:
    assert junk_kind(line) == kind


@pytest.mark.parametrize("line", [
    "By the end of the quarter the company had shipped two new models.",
    "By leveraging smaller models, the team cut costs by half.",
    "Photos taken by the rover show a dry riverbed.",
    "图片生成模型在过去一年里进步很快，已经可以画出逼真的照片。",
    "Tag：缓存行的标记位，就是内存地址的前几位，用来判断是否命中，这里详细解释一下它的作用",
    "Recommended settings differ between the two GPUs we tested.",
    "第三，用户在微博关注的兴趣领域越来越广，阅读量过亿的领域已有数十个。",
    "Spot gold added 0.1% to $1,472.19 an ounce.",
    "The function is the same in C++, but distinct in C.",
    "需要共享内存的时候，可以调用 clone() 方法，例如 let b = a.clone() 这样只增加引用计数而不复制数据。",
    "The model scored 92 on the benchmark; the previous one scored 85.",
])
def test_prose_is_kept(line: str) -> None:
    assert junk_kind(line) is None
    assert not is_code(line)


def test_a_tag_label_takes_its_list_with_it() -> None:
    text = "Real paragraph one.\n\nTags:\n\nAI\n\nCustomers\n\nSecurity\n\nThe end of the story, really."
    assert drop_junk_lines(text) == "Real paragraph one.\n\nThe end of the story, really."


@pytest.mark.parametrize(("source", "expected"), [
    (r"We study $X \sim N(\mathbf{\theta}, I_\infty)$ here.", "We study X ∼ N(θ, I_∞) here."),
    (r"where $\mathbfθ \in Γ\subset \ell_2$ holds", "where θ∈ Γ⊂ℓ_2 holds"),
    (r"for $0 \le \alpha \le 1/8$ and $p$", "for 0 ≤α≤ 1/8 and p"),
    (r"cost $\Theta(\sqrt{n})$", "cost Θ(√(n))"),
    (r"inline \(a^2 + b^2\) math", "inline a^2 + b^2 math"),
    ("between $5 and $10 a month", "between $5 and $10 a month"),
    ("prices $5-$10", "prices $5-$10"),
])
def test_math_is_rendered_as_text(source: str, expected: str) -> None:
    assert render_math(source) == expected


def test_boilerplate_is_what_a_feed_repeats() -> None:
    words = ["apples", "rivers", "engines", "comets"]
    entries = [
        (f"Story about {w}", (f"A body about {w}, all its own.\nThe post Story about {w} appeared on Blog X.\n"
                              f"Short summary on {w} | Organization: Acme | Source: Acme (news)"))
        for w in words
    ]
    entries.append(("Another one", "A different body.\nShared by two entries only."))
    entries.append(("And another", "Yet another body.\nShared by two entries only."))
    repeated = repeated_fragments(entries)
    cleaned = [strip_repeated(text, title, repeated) for title, text in entries]
    assert cleaned[0] == "A body about apples, all its own.\nShort summary on apples"
    assert cleaned[4] == "A different body.\nShared by two entries only."  # twice is not "many"


def test_a_label_a_feed_opens_its_entries_with_is_cut_and_what_it_introduces_stays() -> None:
    letters = ["writers block", "fair use rulings", "a new buildathon", "practice projects"]
    entries = [(f"Issue {n}", f"The Batch AI News and Insights: A letter on {w}.\nNews about {w}.")
               for n, w in enumerate(letters)]
    entries.append(("Odd", "Update: the company said it would respond. | Note: kept"))
    entries += [(f"Plain {n}", f"Body {n} without a label.") for n in range(5)]
    repeated = repeated_fragments(entries)
    cleaned = [strip_repeated(text, title, repeated) for title, text in entries]
    assert cleaned[0] == "A letter on writers block.\nNews about writers block."
    assert cleaned[4] == entries[4][1]  # a label one entry uses is part of its text
    # a label must open a fifth of the feed's entries: 4 of 30 is too few
    sparse = entries[:4] + [(f"More {n}", f"Body {n}.") for n in range(26)]
    assert strip_repeated(entries[0][1], "Issue 0", repeated_fragments(sparse)) == entries[0][1]
    # a fragment that is nothing but the label stays as it is
    assert strip_repeated("The Batch AI News and Insights:", "x", repeated) == "The Batch AI News and Insights:"


def test_a_long_paragraph_in_few_entries_is_not_boilerplate() -> None:
    paragraph = "A long paragraph that two updates of one story share word for word. " * 4
    entries = [(f"Update {n}", f"Update {n} text.\n{paragraph}") for n in range(3)]
    entries += [(f"Other {n}", f"Unrelated text number {n}.") for n in range(12)]
    assert strip_repeated(entries[0][1], "Update 0", repeated_fragments(entries)).endswith(paragraph.strip())


def test_boilerplate_only_entries_become_stubs() -> None:
    notice = "This newsletter is sent to subscribers of the example list every week. " * 10
    items = "".join(
        f"<item><title>Item {n}</title><link>https://e.com/{n}</link><description>{notice}</description></item>"
        for n in range(3))
    feed = parse.parse_feed_bytes(f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode(),
                                  url="https://e.com/feed")
    assert len(notice) > parse.STUB_CHARS
    assert all(e.text == "" and e.is_stub for e in feed.entries)


def test_clean_text_keeps_paragraph_breaks() -> None:
    assert clean_text("One.\n\nBy Jane Doe\n\nTwo.") == "One.\n\nTwo."


# ---------------------------------------------------------------- labelled corpus entries

# Markers for the junk kinds of issue 9 (our own labels, matched per line).
MARKERS = {
    "aggregator suffix": re.compile(r"Organization: [^|\n]+(?:\||$)"),
    "feed footer": re.compile(r"appeared first on|^(?:相关文章|推荐阅读|您可能也感兴趣)"),
    "script": re.compile(r"\b(?:let|const) \$\w+|document\.getElementById"),
    "tag list": re.compile(r"^Tags\s*:"),
    "byline": re.compile(r"^(?:作者|文|编辑)\s*[:：|]|^By [A-Z]\w+ [A-Z]\w+$"),
    "image credit": re.compile(r"^(?:题图|图片|图)(?:来自|来源|自)\s*[:：]|^Image credits?:"),
    "escaped LaTeX": re.compile(r"\$[^$\n]*\\[A-Za-z]+[^$\n]*\$"),
    "counter": re.compile(r"^#?\s*(?:Points|Comments|Score|Upvotes)\s*:\s*\d+$"),
    "follow prompt": re.compile(r"关注.{0,12}(?:公众号|公众账号)"),
    "notice": re.compile(r"转载|全文完"),
}

# (feed file in corpus/feeds, entry link, junk kinds it carries, what must be left)
# "stub": nothing but junk, so the entry becomes a stub and its page is fetched;
# an integer: at least that many characters of the entry's own text are kept (short teasers
# stay stubs, as before).
LABELLED: list[tuple[str, str, set[str], str | int]] = [
    ("microsoft_feeds.xml", "https://news.microsoft.com/source/features/ai/deceived-not-hacked-why-keeping-people-safe-online-now-starts-with-smarter-design/",
     {"aggregator suffix", "feed footer", "script"}, "stub"),
    ("microsoft_ai_blog_feed.xml", "https://news.microsoft.com/source/features/ai/deceived-not-hacked-why-keeping-people-safe-online-now-starts-with-smarter-design/",
     {"byline", "feed footer", "script", "tag list"}, 6500),
    ("microsoft_ai_blog_feed.xml", "https://www.microsoft.com/en-us/industry/blog/energy-and-resources/2025/07/28/driving-the-grid-of-the-future-how-microsoft-and-our-partners-are-reenvisioning-energy-with-ai/",
     {"feed footer"}, 7400),
    ("openai_feeds.xml", "https://openai.com/index/announcing-devday-2025", {"aggregator suffix"}, 120),
    ("anthropic_aggregated.xml", "https://www.anthropic.com/news/how-anthropic-teams-use-claude-code", {"aggregator suffix"}, "stub"),
    ("ifanr.xml", "http://www.ifanr.com/737451", {"image credit", "follow prompt"}, 1900),
    ("geekpark.xml", "http://www.geekpark.net/topics/217084", {"byline"}, 2000),
    ("q_testing_s0_m100_cfe7536492ca.xml", "https://arxiv.org/abs/2507.16734v4", {"escaped LaTeX"}, 600),
    ("hackernews.xml", "http://www.hm.aitai.ne.jp/~naitonet/", {"counter"}, "stub"),
    ("coolshell.xml", "http://coolshell.cn/articles/17497.html", {"feed footer", "follow prompt", "notice"}, 6000),
    ("iteye_news.xml", "http://www.iteye.com/news/31902", {"byline"}, 3500),
    ("TechCrunch.xml", "http://feedproxy.google.com/~r/Techcrunch/~3/Xvtioq4RDqE/", {"image credit"}, 3900),
    ("36kr.xml", "http://36kr.com/p/5055189.html", {"byline"}, 2800),
]


def _entries(path: Path, cleaned: bool) -> dict[str, tuple[str, bool]]:
    url = f"https://corpus.example/{path.name}"
    if cleaned:
        return {e.url: (e.text, e.is_stub) for e in parse.parse_feed_bytes(path.read_bytes(), url=url).entries}
    with mock.patch.object(parse, "clean_entry_texts", lambda pairs: [t for _, t in pairs]), \
         mock.patch.object(parse, "render_math", lambda t: t):
        return {e.url: (e.text, e.is_stub) for e in parse.parse_feed_bytes(path.read_bytes(), url=url).entries}


def _kinds(text: str) -> set[str]:
    return {k for line in text.split("\n") for k, m in MARKERS.items() if m.search(line.strip())}


@pytest.mark.parametrize(("feed", "link", "kinds", "left"), LABELLED, ids=[f"{f}:{k}" for f, _, k, _ in
                                                                            [(a, b, "+".join(sorted(c)), d) for a, b, c, d in LABELLED]])
def test_labelled_corpus_junk_is_gone_and_content_stays(corpus: Path, feed: str, link: str, kinds: set[str],
                                                         left: str | int) -> None:
    path = corpus / "feeds" / feed
    raw_text, _ = _entries(path, cleaned=False)[link]
    text, stub = _entries(path, cleaned=True)[link]
    assert kinds <= _kinds(raw_text), "the label must describe the entry as the feed gives it"
    assert not _kinds(text) & kinds
    if left == "stub":
        assert stub
    else:
        assert isinstance(left, int) and len(text) >= left


async def test_an_entry_left_a_stub_by_cleaning_gets_its_page(corpus: Path) -> None:
    """Three entries whose only text (well over the stub size) is the feed's own notice: after
    cleaning they are stubs, so the pipeline fetches their pages and stores the pages' text."""
    from datetime import UTC, datetime, timedelta

    from fakes.web import FakeWeb

    from bot.config import FetchSettings, Settings
    from bot.ingest.pipeline import fetch_all
    from storage import Store

    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    when = (now - timedelta(hours=1)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    notice = "This digest is sent to every subscriber of the example list each week. " * 10
    page = (corpus / "articles" / "newspaper4k" / "cnn_article.html").read_bytes()
    store = Store(":memory:")
    async with FakeWeb() as web:
        links = [web.add(f"/story{n}", page) for n in range(3)]
        items = "".join(f"<item><title>Story {n}</title><link>{link}</link><pubDate>{when}</pubDate>"
                        f"<description>{notice}</description></item>" for n, link in enumerate(links))
        web.add("/feed.xml", f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>',
                content_type="application/rss+xml")
        store.add_feed(web.url("/feed.xml"), "Notices")
        await fetch_all(store, Settings(fetch=FetchSettings(allow_private_addresses=True)), now=now)
        assert all(web.hits[f"/story{n}"] == 1 for n in range(3))
    articles = store.articles_between(now - timedelta(days=1), now + timedelta(days=1))
    assert len(articles) == 3
    assert all(a.text_origin == "page" and "forecasters" in a.text and "subscriber" not in a.text
               for a in articles)
    store.close()


def test_the_junk_benchmark_counts_a_cut_label_as_the_label_only() -> None:
    """benchmarks/junk.py's "content dropped": a line kept without its label lost the label, not
    the line; a line gone is gone whole."""
    from benchmarks.junk import lost_lines

    raw = "The Batch AI News and Insights: A letter on writers block.\nA paragraph that was cut."
    clean = "A letter on writers block."
    assert lost_lines(raw, clean) == ["The Batch AI News and Insights:", "A paragraph that was cut."]
    assert lost_lines(raw, raw) == []
