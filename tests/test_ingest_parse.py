"""Parsing untrusted feed bytes, canonical URLs, language and dedup sketches (pure functions)."""

from __future__ import annotations

import gzip
import random

import pytest

from bot.ingest import FetchError
from bot.ingest.dedup import THRESHOLD, DedupIndex, signature, similarity
from bot.ingest.lang import detect_language
from bot.ingest.parse import (
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    decode_bytes,
    parse_feed,
    parse_feed_bytes,
)
from bot.ingest.reasons import known
from bot.ingest.text import html_to_text
from bot.ingest.urls import canonical_url, content_hash, url_variants

ZH_TITLE = "人工智能公司发布新的大语言模型"
ZH_BODY = "这家公司今天宣布推出新一代模型，在推理和编程任务上表现更好。" * 5


def rss(items: str, decl: str = '<?xml version="1.0" encoding="utf-8"?>', extra: str = "") -> str:
    return (f"{decl}{extra}<rss version=\"2.0\"><channel><title>T</title>"
            f"<link>https://example.com/</link>{items}</channel></rss>")


def item(title: str, link: str, desc: str = "", date: str = "Mon, 01 Dec 2025 08:00:00 +0800") -> str:
    return (f"<item><title>{title}</title><link>{link}</link><pubDate>{date}</pubDate>"
            f"<description><![CDATA[{desc}]]></description></item>")


def test_undeclared_gbk_is_detected() -> None:
    body = rss(item(ZH_TITLE, "https://e.cn/1", ZH_BODY), decl="").encode("gbk")
    feed = parse_feed_bytes(body, url="https://e.cn/feed")
    assert feed.entries[0].title == ZH_TITLE and feed.entries[0].language == "zh"


def test_big5_is_detected() -> None:
    title = "人工智慧公司發表新的語言模型"
    body = rss(item(title, "https://e.tw/1", "這是一個關於機器學習與資料科學的測試內容" * 3), decl="").encode("big5")
    assert parse_feed_bytes(body, url="https://e.tw/feed").entries[0].title == title


def test_http_charset_wins_over_a_wrong_declaration() -> None:
    body = rss(item(ZH_TITLE, "https://e.cn/1"), decl='<?xml version="1.0" encoding="iso-8859-1"?>').encode("gb2312")
    feed = parse_feed_bytes(body, url="https://e.cn/f", content_type="application/rss+xml; charset=gb2312")
    assert feed.entries[0].title == ZH_TITLE


def test_valid_utf8_beats_a_wrong_label_and_utf16_is_sniffed() -> None:
    wrong = rss(item("Café € 테스트", "https://e.com/1"), decl='<?xml version="1.0" encoding="windows-1252"?>')
    assert parse_feed_bytes(wrong.encode("utf-8"), url="https://e.com/").entries[0].title == "Café € 테스트"
    for codec in ("utf-16-le", "utf-16-be"):
        text, used = decode_bytes(rss(item("Hi", "https://e.com/1"), decl="").encode(codec))
        assert used == codec and "<rss" in text


def test_gzip_magic_whitespace_bom_and_control_chars() -> None:
    body = b"\n\n  \xef\xbb\xbf" + rss(item("A\x08B title", "https://e.com/1", "x\x0by")).encode()
    feed = parse_feed_bytes(gzip.compress(body), url="https://e.com/")
    assert feed.entries[0].title == "AB title"


@pytest.mark.parametrize(
    "doc",
    [
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><rss>&b;</rss>',
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss>&x;</rss>',
        '<!DOCTYPE rss [<!entity x SYSTEM "http://169.254.169.254/">]><rss>&x;</rss>',
    ],
)
def test_entity_declarations_are_refused(doc: str) -> None:
    with pytest.raises(FetchError) as err:
        parse_feed_bytes(doc.encode(), url="https://e.com/")
    assert "entities" in err.value.reason


@pytest.mark.parametrize(
    "body,reason",
    [(b"", "not a feed: empty response"), (b"   \n", "not a feed: empty response"),
     (b"<!DOCTYPE html><html><body><p>hi</p></body></html>", "not a feed: HTML page"),
     (b"<p>I no longer publish here</p><p>bye</p>", "not a feed"),
     (b"just some text", "not a feed")],
)
def test_not_a_feed(body: bytes, reason: str) -> None:
    with pytest.raises(FetchError) as err:
        parse_feed_bytes(body, url="https://e.com/")
    assert err.value.reason.startswith(reason) and known(err.value.reason)  # has its Chinese


def test_fields_are_sanitised_capped_and_resolved() -> None:
    desc = '<p>Hello <b>world</b></p><script>alert("x")</script><style>p{}</style>' + "word " * 50_000
    doc = rss(item("<b>Big</b> " + "t" * 5000, "/posts/1?utm_source=rss&b=2&a=1#top", desc)
              + item("No date", "https://e.com/2", "short", date=""))
    feed = parse_feed_bytes(doc.encode(), url="https://e.com/feed.xml")
    first, second = feed.entries
    assert first.url == "https://e.com/posts/1?a=1&b=2"  # relative to the document URL (its base)
    assert len(first.title) == MAX_TITLE_CHARS and first.title.startswith("Big ttt")
    assert len(first.text) <= MAX_TEXT_CHARS and first.text.startswith("Hello world")
    assert "alert" not in first.text and "p{}" not in first.text
    assert first.published is not None and first.published.utcoffset().total_seconds() == 0
    assert first.published.hour == 0  # 08:00 +0800 is midnight UTC
    assert second.published is None and second.is_stub and not first.is_stub


def test_unsafe_links_are_never_produced() -> None:
    doc = rss(item("Bad", "javascript:alert(1)", "x") + item("Good", "https://e.com/ok", "y"))
    feed = parse_feed_bytes(doc.encode(), url="https://e.com/")
    assert [e.url for e in feed.entries] == ["https://e.com/ok"]


async def test_parse_feed_runs_off_the_loop() -> None:
    feed = await parse_feed(rss(item("A", "https://e.com/a")).encode(), url="https://e.com/")
    assert feed.entries[0].title == "A"


def test_html_to_text_keeps_paragraphs() -> None:
    assert html_to_text("<p>One&nbsp;two</p><p>Three<br>four</p>") == "One two\n\nThree\nfour"
    assert html_to_text("plain   text") == "plain text"


@pytest.mark.parametrize(
    "url,expected",
    [("HTTPS://Example.COM:443/a/b?utm_source=x&z=1&a=2#frag", "https://example.com/a/b?a=2&z=1"),
     ("http://example.com:80", "http://example.com/"),
     ("http://example.com:8080/p/?fbclid=1&gclid=2&spm=3", "http://example.com:8080/p/"),
     ("https://user:pw@example.com/x", "https://example.com/x"),
     ("https://36kr.com/p/1.html?ktm_source=feed", "https://36kr.com/p/1.html")],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected
    assert canonical_url(expected) == expected


def test_url_variants_cover_scheme_www_and_slash() -> None:
    variants = url_variants("https://www.example.com/a/")
    assert "http://example.com/a" in variants and "https://www.example.com/a/" not in variants


def test_content_hash_ignores_case_and_spacing() -> None:
    assert content_hash("Hello  World\n") == content_hash("hello world")
    assert content_hash("a") != content_hash("b")


@pytest.mark.parametrize(
    "text,lang",
    [(ZH_BODY, "zh"), ("OpenAI 发布 GPT-5 模型，性能大幅提升", "zh"),
     ("OpenAI releases a new model today", "en"), ("An interview with 李开复 about AI startups", "en"),
     ("", "en")],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def _edit(words: list[str], share: float, rng: random.Random) -> list[str]:
    out = list(words)
    for i in rng.sample(range(len(out)), max(1, round(len(out) * share))):
        out[i] = rng.choice(["alpha", "beta", "gamma", "delta", "模型", "数据"])
    return out


def test_minhash_links_small_edits_and_separates_different_texts() -> None:
    rng = random.Random(7)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
             for _ in range(3000)]
    base = [rng.choice(vocab) for _ in range(600)]
    sig = signature("Title", " ".join(base))
    for share in (0.02, 0.05):
        assert similarity(sig, signature("Title", " ".join(_edit(base, share, rng)))) >= THRESHOLD
    other = signature("Other", " ".join(rng.choice(vocab) for _ in range(600)))
    assert similarity(sig, other) < 0.2
    assert signature("short", "too short") is None  # bare titles are matched by URL only


def test_dedup_index_matches_across_feeds_only() -> None:
    rng = random.Random(3)
    hanzi = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"
    text = "".join(rng.choice(hanzi) for _ in range(800))
    index = DedupIndex()
    index.add(1, 1, signature(ZH_TITLE, text), feed_id=10)
    near = signature(ZH_TITLE, text[:400] + "模型" + text[402:])
    assert index.match(near, feed_id=11)[:2] == (1, 1)
    assert index.match(near, feed_id=10) is None
