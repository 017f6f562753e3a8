"""The site's own fixed wording, one table per language (the digest's wording stays in bot.digest.strings)."""

from __future__ import annotations

from typing import Any

SITE_STRINGS: dict[str, dict[str, str]] = {
    "zh": {
        "site_title": "AI 产业日报",
        "html_lang": "zh-Hans",
        "latest": "最新一期",
        "archive": "往期",
        "month": "{year} 年 {month} 月",
        "previous": "← 上一期",
        "next": "下一期 →",
        "home": "首页",
        "subscribe": "订阅：",
        "anchor": "本条链接",
        "no_digests": "还没有日报。",
        "items_count": "{n} 条",
        "more_headlines": "更多标题",
        "original_title": "原标题：",
        "generated": "由 digestbot 生成，全部内容为静态页面。",
        "feed_description": "每天替你读完 AI 行业的新闻，只留下值得知道的要点。",
    },
    "en": {
        "site_title": "AI Daily Digest",
        "html_lang": "en",
        "latest": "Latest",
        "archive": "Earlier days",
        "month": "{month_name} {year}",
        "previous": "← Previous day",
        "next": "Next day →",
        "home": "Home",
        "subscribe": "Subscribe: ",
        "anchor": "Link to this story",
        "no_digests": "No digest yet.",
        "items_count": "{n} items",
        "more_headlines": "More headlines",
        "original_title": "Original title: ",
        "generated": "Made by digestbot: static pages, no scripts.",
        "feed_description": "The day's AI news, read for you: only the points worth knowing.",
    },
}

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def site_t(language: str, key: str, **kw: Any) -> str:
    """One fixed string of the site in `language` (Chinese when unknown), filled in."""
    table = SITE_STRINGS.get(language) or SITE_STRINGS["zh"]
    if "month" in kw:
        kw.setdefault("month_name", _MONTHS[int(kw["month"]) - 1])
    return table[key].format(**kw) if kw else table[key]
