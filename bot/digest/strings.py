"""Every fixed string of the digest and its renderers, one table per language, so wording lives in one place."""

from __future__ import annotations

from collections.abc import Callable
from string import Formatter
from typing import Any

from bot.digest.text import number
from bot.models import DigestStats

STRINGS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "AI 产业日报 · {date}",
        "purpose_header": "目的",
        "purpose": "每天替你读完 AI 行业的新闻，只留下值得知道的要点。",
        "highlights_header": "看点",
        "stats_reading": (
            "原文共计 {original} 字，简读后为 {summary} 字，阅读时间约 {minutes} 分钟，"
            "为您提高阅读效率 {efficiency}"
        ),
        "stats_counts": "今日 {articles} 篇文章来自 {sources} 个来源，合并重复报道 {duplicates} 篇",
        "feeds_failed": "；{n} 个订阅源抓取失败",
        "sentence_end": "。",
        "offline_note": "其中 {n} 条使用离线摘要（模型暂不可用）。",
        "headlines_note": "另有 {n} 条报道只列标题，见文末。",
        "headlines_header": "更多标题",
        "key_points": "要点解析：",
        "original_link": "原文链接：",
        "also": "同时报道：",
        "also_sep": " · ",
        "more_button": "详情 #{id}",
        "continued": "（续）",
        "part": " ({n}/{total})",
        "web_link": "网页版",
        "untitled": "（无标题）",
        "unknown_source": "未知来源",
        "empty": "今日暂无新内容。",
        "failed_feeds_header": "抓取失败的订阅源",
        "failed_feed_line": "{name}：{reason}",
        "no_reason": "原因未知",
        "truncated": "…",
        # per-subscription filters (bot/digest/filters.py)
        "nothing_matched": "今天没有符合筛选条件的内容",
        "filter_include": "包含",
        "filter_exclude": "排除",
        "filter_too_many": "{which}关键词最多 {limit} 个，这里有 {count} 个。",
        "filter_too_long": "关键词最长 {limit} 个字符，“{value}…”超出了。",
        "filter_bad_keyword": "“{value}”不能作关键词：至少要有一个字母、数字或汉字。",
        "filter_unknown_section": "没有“{value}”这个栏目；可选：{sections}。",
    },
    "en": {
        "title": "AI Daily Digest · {date}",
        "purpose_header": "Purpose",
        "purpose": "We read the day's AI news so you do not have to: only the points worth knowing stay.",
        "highlights_header": "Highlights",
        "stats_reading": (
            "The originals total {original} characters; the digest is {summary} characters, "
            "about {minutes} min to read: {efficiency} more reading efficiency"
        ),
        "stats_counts": "Articles today: {articles}, from {sources} sources; duplicate reports merged: {duplicates}",
        "feeds_failed": "; feeds that failed to fetch: {n}",
        "sentence_end": ".",
        "offline_note": "Items with an offline summary (the model was unavailable): {n}.",
        "headlines_note": "{n} more stories are listed by headline only, at the end.",
        "headlines_header": "More headlines",
        "key_points": "Key points:",
        "original_link": "Original: ",
        "also": "Also reported by: ",
        "also_sep": " · ",
        "more_button": "More detail #{id}",
        "continued": " (cont.)",
        "part": " ({n}/{total})",
        "web_link": "Read on the web",
        "untitled": "(untitled)",
        "unknown_source": "unknown source",
        "empty": "Nothing new today.",
        "failed_feeds_header": "Feeds that failed",
        "failed_feed_line": "{name}: {reason}",
        "no_reason": "unknown reason",
        "truncated": "…",
        # per-subscription filters (bot/digest/filters.py)
        "nothing_matched": "Nothing matched your filters today",
        "filter_include": "include",
        "filter_exclude": "exclude",
        "filter_too_many": "At most {limit} {which} keywords are allowed, not {count}.",
        "filter_too_long": "A keyword is at most {limit} characters; {value!r}… is longer.",
        "filter_bad_keyword": "{value!r} cannot be a keyword: it needs a letter or a digit.",
        "filter_unknown_section": "{value!r} is not a section; choose from: {sections}.",
    },
}

DEFAULT_LANGUAGE = "zh"


def t(language: str, key: str, **kw: Any) -> str:
    """Look up one fixed string in `language` (the default language when unknown) and fill it in."""
    table = STRINGS.get(language) or STRINGS[DEFAULT_LANGUAGE]
    return table[key].format(**kw) if kw else table[key]


def fill(language: str, key: str, escape: Callable[[str], str], **rendered: str) -> str:
    """A template with its own wording escaped by `escape` and its fields replaced by already
    rendered (escaped, maybe bolded) values, so no fixed string can break a renderer's markup."""
    table = STRINGS.get(language) or STRINGS[DEFAULT_LANGUAGE]
    out: list[str] = []
    for literal, field, _spec, _conv in Formatter().parse(table[key]):
        out.append(escape(literal))
        if field is not None:
            out.append(rendered[field])
    return "".join(out)


def stats_lines(
    stats: DigestStats, language: str, escape: Callable[[str], str], bold: Callable[[str], str]
) -> list[str]:
    """The header's sentences (reading figures when anything was summarised; counts and failed
    feeds; offline and headlines notes when any). A digest with no points says nothing of reading
    time or efficiency: "0 characters, 0 min, 0 %" tells a reader nothing."""
    reading = fill(
        language, "stats_reading", escape,
        original=bold(escape(number(stats.original_chars))),
        summary=bold(escape(number(stats.summary_chars))),
        minutes=bold(escape(number(stats.reading_minutes))),
        efficiency=bold(escape(number(stats.efficiency_percent) + "%")),
    )
    counts = escape(t(
        language, "stats_counts", articles=number(stats.articles), sources=number(stats.sources),
        duplicates=number(stats.duplicates_merged),
    ))
    if stats.feeds_failed:
        counts += escape(t(language, "feeds_failed", n=number(stats.feeds_failed)))
    counts += escape(t(language, "sentence_end"))
    lines = [reading, counts] if stats.summary_chars else [counts]
    if stats.offline_summaries:
        lines.append(escape(t(language, "offline_note", n=number(stats.offline_summaries))))
    if stats.headlines:
        lines.append(escape(t(language, "headlines_note", n=number(stats.headlines))))
    return lines
