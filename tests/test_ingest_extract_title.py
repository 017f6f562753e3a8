"""Page titles are read from the head cheaply: og:title first, else <title>, entities decoded."""

from __future__ import annotations

import pytest

from bot.ingest.extract import extract_text, page_title


@pytest.mark.parametrize(
    "html, title",
    [
        ('<head><title>Site</title><meta property="og:title" content="A &amp; B, it\'s"></head>', "A & B, it's"),
        ("<head><meta content='Reversed' property='og:title'><title>x</title></head>", "Reversed"),
        ("<head><title>\n  Plain   <b>title</b> </title></head>", "Plain title"),
        ('<head><meta property="og:title" content=""><title>Fallback</title></head>', "Fallback"),
        ("<p>no head at all</p>", ""),
    ],
)
def test_page_title(html: str, title: str) -> None:
    assert page_title(html) == title


def test_extract_text_returns_title_and_main_text() -> None:
    body = "".join(f"<p>Paragraph {i} of the article says something worth reading about models.</p>" for i in range(12))
    html = f"<html><head><title>The headline</title></head><body><nav>Menu Home About</nav><article>{body}</article></body></html>"
    title, text = extract_text(html, "https://example.com/a")
    assert title == "The headline"
    assert "Paragraph 0 of the article" in text and "Paragraph 11" in text and "Menu Home" not in text
