"""Every fixed reply string per language, so handlers never build sentences inline."""

from __future__ import annotations

from typing import Any

LANGUAGES = ("zh", "en")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        # general
        "intro": (
            "I read a day of AI news for you: I fetch the feeds, merge stories and post one digest "
            "a day with three key points per article."
        ),
        "help_header": "Commands you can use here:",
        "apology": "Sorry, something went wrong on my side. Please try again later.",
        # errors (UserError keys)
        "unknown_command": "I don't know the command /{command}. Send /help for the list.",
        "not_allowed": "Only the bot's administrators may use /{command}.",
        "not_chat_admin": "Only this chat's administrators may change its subscription.",
        "usage": "Usage: {usage}",
        "bad_date": "{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-01-31.",
        "future_date": "{value} is in the future; there is no digest for it yet.",
        "bad_id": "{value!r} is not an article id; use the number shown in the digest, e.g. 12.",
        "unknown_article": "There is no article #{id}.",
        "bad_url": "{value!r} is not a web address; it must start with http:// or https://.",
        "no_text": "I found no article text on that page.",
        "rate_limited": "You have asked for {limit} page summaries in the last hour; try again in {wait} min.",
        "over_budget": "You have used this hour's allowance for that; try again in {wait} min.",
        "over_budget_bot": "I have done as much of that as I may this hour; try again in {wait} min.",
        "address_not_allowed": "That address is not allowed.",
        "fetch_failed": "I could not fetch that page.",
        "digest_too_old": "I keep no digest for {value} and build them only for the last {days} days.",
        "date_out_of_range": "{value} is outside the dates I have digests for.",
        "button_expired": "This button has expired.",
        "bad_time": "{value!r} is not a time; write it as HH:MM in 24-hour form, e.g. 08:30.",
        "bad_timezone": "{value!r} is not a time zone I know; use a name like Asia/Shanghai or Europe/Berlin.",
        "bad_subscribe_args": "I did not understand {value!r}; use /subscribe [HH:MM] [time zone] [zh|en].",
        "not_subscribed": "This chat has no subscription; send /subscribe to start one.",
        "bad_section": "{value!r} is not a section; choose one of: {sections}.",
        "feed_refused": "I could not use that feed: {reason}.",
        "bad_feed_id": "{value!r} is not a feed id; send /feeds to see them.",
        "unknown_feed": "There is no active feed #{id}.",
        # articles
        "link": "Link: {url}",
        "also": "Also reported by:",
        "more_button": "More detail",
        "fallback_note": "(offline summary: the model was unavailable)",
        # subscriptions
        "subscribed": "Subscribed: the digest comes here every day at {time} ({timezone}), in {language_name}. Next: {next}.",
        "unsubscribed": "Unsubscribed: no more daily digests in this chat.",
        "settings": "This chat gets the digest every day at {time} ({timezone}), in {language_name}; sections: {sections}.",
        "settings_disabled": "This chat's subscription is paused ({reason}); send /subscribe to resume it.",
        "settings_none": "This chat has no subscription. /subscribe would use {time} ({timezone}), in {language_name}.",
        "all_sections": "all",
        "lang_zh": "Chinese",
        "lang_en": "English",
        # admin
        "feeds_header": "Feeds ({count}):",
        "feeds_none": "No feeds yet; add one with /addfeed <url>.",
        "feed_line": "#{id} {name} — {url}{section} [{state}]",
        "feed_ok": "ok",
        "feed_never": "not fetched yet",
        "feed_failing": "failing: {error}",
        "feed_added": "Added feed #{id}: {name} ({entries} entries now).",
        "feed_exists": "That feed is already in the list as #{id}.",
        "feed_removed": "Removed feed #{id}; its articles stay.",
        "status_header": "Status",
        "status_last_fetch": "Last fetch: {when}",
        "status_never": "never",
        "status_failing": "Failing feeds: {count}",
        "status_failing_line": "  #{id} {name}: {error}",
        "status_next": "Next digests:",
        "status_next_none": "Next digests: none scheduled",
        "status_next_line": "  {name}: {when}",
        "status_model": "Model calls today: {calls} ({failures} failed), tokens {prompt_tokens} in / {completion_tokens} out",
        "status_outbox": "Messages waiting to be sent: {depth}",
        "status_subs": "Subscriptions: {count} active",
    },
    "zh": {
        "intro": "我替你读一天的 AI 新闻：抓取订阅源、合并同一事件，每天发一份摘要，每篇三个要点。",
        "help_header": "你在这里可以用的命令：",
        "apology": "抱歉，我这边出了点问题，请稍后再试。",
        "unknown_command": "我不认识命令 /{command}，发送 /help 查看命令列表。",
        "not_allowed": "只有机器人管理员可以使用 /{command}。",
        "not_chat_admin": "只有本群的管理员可以修改订阅。",
        "usage": "用法：{usage}",
        "bad_date": "{value!r} 不是日期，请写成 YYYY-MM-DD，例如 2025-01-31。",
        "future_date": "{value} 还没到，暂时没有这一天的摘要。",
        "bad_id": "{value!r} 不是文章编号，请使用摘要里显示的数字，例如 12。",
        "unknown_article": "没有编号为 #{id} 的文章。",
        "bad_url": "{value!r} 不是网址，必须以 http:// 或 https:// 开头。",
        "no_text": "该网页上没有找到文章正文。",
        "rate_limited": "你在过去一小时内已请求了 {limit} 次网页摘要，请 {wait} 分钟后再试。",
        "over_budget": "你本小时的额度已用完，请 {wait} 分钟后再试。",
        "over_budget_bot": "本小时的总额度已用完，请 {wait} 分钟后再试。",
        "address_not_allowed": "不允许访问这个地址。",
        "fetch_failed": "无法获取该网页。",
        "digest_too_old": "没有 {value} 的摘要，我只为最近 {days} 天生成摘要。",
        "date_out_of_range": "{value} 超出了摘要的日期范围。",
        "button_expired": "该按钮已失效。",
        "bad_time": "{value!r} 不是时间，请用 24 小时制 HH:MM，例如 08:30。",
        "bad_timezone": "{value!r} 不是可识别的时区，请使用 Asia/Shanghai 或 Europe/Berlin 这样的名称。",
        "bad_subscribe_args": "无法理解 {value!r}，请使用 /subscribe [HH:MM] [时区] [zh|en]。",
        "not_subscribed": "本聊天还没有订阅，发送 /subscribe 开始订阅。",
        "bad_section": "{value!r} 不是栏目，可选：{sections}。",
        "feed_refused": "无法使用该订阅源：{reason}。",
        "bad_feed_id": "{value!r} 不是订阅源编号，发送 /feeds 查看。",
        "unknown_feed": "没有编号为 #{id} 的有效订阅源。",
        "link": "链接：{url}",
        "also": "其他来源：",
        "more_button": "详情",
        "fallback_note": "（模型不可用，以下为离线摘要）",
        "subscribed": "订阅成功：每天 {time}（{timezone}）在这里发送{language_name}摘要。下一次：{next}。",
        "unsubscribed": "已取消订阅：本聊天不再接收每日摘要。",
        "settings": "本聊天每天 {time}（{timezone}）接收{language_name}摘要；栏目：{sections}。",
        "settings_disabled": "本聊天的订阅已暂停（{reason}），发送 /subscribe 恢复。",
        "settings_none": "本聊天还没有订阅。/subscribe 将使用 {time}（{timezone}），{language_name}。",
        "all_sections": "全部",
        "lang_zh": "中文",
        "lang_en": "英文",
        "feeds_header": "订阅源（{count}）：",
        "feeds_none": "还没有订阅源，用 /addfeed <url> 添加。",
        "feed_line": "#{id} {name} — {url}{section} [{state}]",
        "feed_ok": "正常",
        "feed_never": "尚未抓取",
        "feed_failing": "失败：{error}",
        "feed_added": "已添加订阅源 #{id}：{name}（当前 {entries} 条）。",
        "feed_exists": "该订阅源已在列表中，编号 #{id}。",
        "feed_removed": "已移除订阅源 #{id}，已抓取的文章保留。",
        "status_header": "运行状态",
        "status_last_fetch": "上次抓取：{when}",
        "status_never": "从未",
        "status_failing": "失败的订阅源：{count}",
        "status_failing_line": "  #{id} {name}：{error}",
        "status_next": "接下来的摘要：",
        "status_next_none": "接下来的摘要：暂无安排",
        "status_next_line": "  {name}：{when}",
        "status_model": "今日模型调用：{calls} 次（失败 {failures}），tokens 输入 {prompt_tokens} / 输出 {completion_tokens}",
        "status_outbox": "待发送消息：{depth}",
        "status_subs": "订阅：{count} 个有效",
    },
}


def t(language: str, key: str, **kw: Any) -> str:
    """The string `key` in `language` (English when missing), formatted with `kw`."""
    table = STRINGS.get(language, STRINGS["en"])
    template = table.get(key) or STRINGS["en"][key]
    return template.format(**kw) if kw else template


def normalize_language(value: str | None) -> str | None:
    """'zh-hans' / 'zh_CN' / 'en-US' → 'zh' / 'en'; anything else → None."""
    if not value:
        return None
    head = value.strip().lower().replace("_", "-").split("-")[0]
    return head if head in LANGUAGES else None
