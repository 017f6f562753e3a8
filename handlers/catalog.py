"""What each command is for, its parameters and who may use it: read by /help and by the adapters
(Telegram setMyCommands, Discord slash-command options)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Access = Literal["everyone", "chat_admin", "bot_admin"]


@dataclass(frozen=True)
class Param:
    """One positional argument; Discord option names must be lowercase, 1-32 chars, no spaces."""

    name: str
    description: dict[str, str]
    required: bool = False


@dataclass(frozen=True)
class CommandInfo:
    name: str
    description: dict[str, str]  # language → one line; Telegram allows 3-256 chars, Discord 1-100
    usage: str
    access: Access = "everyone"
    params: tuple[Param, ...] = ()


def _p(name: str, en: str, zh: str, required: bool = False) -> Param:
    return Param(name=name, description={"en": en, "zh": zh}, required=required)


CATALOG: dict[str, CommandInfo] = {
    info.name: info
    for info in (
        CommandInfo("start", {"en": "What this bot does", "zh": "机器人简介"}, "/start"),
        CommandInfo("help", {"en": "Commands you can use", "zh": "可用命令"}, "/help"),
        CommandInfo(
            "digest",
            {"en": "Today's digest, or that day's", "zh": "今天（或指定日期）的摘要"},
            "/digest [YYYY-MM-DD]",
            params=(_p("date", "Day as YYYY-MM-DD (default: latest)", "日期 YYYY-MM-DD（默认最新）"),),
        ),
        CommandInfo(
            "summarize",
            {"en": "Key points of an article id or a URL", "zh": "总结一篇文章（编号或网址）"},
            "/summarize <article id | URL>",
            params=(_p("target", "Article id from the digest, or a web address", "摘要里的文章编号或网址", True),),
        ),
        CommandInfo(
            "more",
            {"en": "Detailed summary of an article", "zh": "文章详细要点"},
            "/more <article id>",
            params=(_p("article_id", "Article id from the digest", "摘要里的文章编号", True),),
        ),
        CommandInfo(
            "subscribe",
            {"en": "Get the daily digest in this chat", "zh": "在本聊天订阅每日摘要"},
            "/subscribe [HH:MM] [timezone] [zh|en]",
            access="chat_admin",
            params=(
                _p("time", "Local time HH:MM", "本地时间 HH:MM"),
                _p("timezone", "Time zone, e.g. Asia/Shanghai", "时区，例如 Asia/Shanghai"),
                _p("language", "zh or en", "zh 或 en"),
            ),
        ),
        CommandInfo(
            "unsubscribe",
            {"en": "Stop the daily digest here", "zh": "取消本聊天的每日摘要"},
            "/unsubscribe",
            access="chat_admin",
        ),
        CommandInfo(
            "settings",
            {"en": "This chat's settings, with buttons to change them", "zh": "本聊天的设置（可用按钮修改）"},
            "/settings",
        ),
        CommandInfo(
            "filter",
            {"en": "Keyword filters: +word keeps, -word drops, clear", "zh": "关键词筛选：+词 保留，-词 排除，clear 清除"},
            "/filter [+word] [-word] | /filter clear",
            access="chat_admin",
            params=(_p("words", "+word to keep, -word to drop, or clear", "+词 保留，-词 排除，或 clear"),),
        ),
        CommandInfo(
            "time",
            {"en": "When the digest comes: HH:MM [time zone]", "zh": "摘要发送时间：HH:MM [时区]"},
            "/time HH:MM [timezone]",
            access="chat_admin",
            params=(
                _p("time", "Local time HH:MM", "本地时间 HH:MM", True),
                _p("timezone", "Time zone, e.g. Asia/Shanghai", "时区，例如 Asia/Shanghai"),
            ),
        ),
        CommandInfo(
            "lang",
            {"en": "The digest's language: zh or en", "zh": "摘要语言：zh 或 en"},
            "/lang zh|en",
            access="chat_admin",
            params=(_p("language", "zh or en", "zh 或 en", True),),
        ),
        CommandInfo(
            "search",
            {"en": "Find stored articles by words", "zh": "按关键词搜索已收录的文章"},
            "/search <words>",
            params=(_p("words", "Words to look for", "要搜索的词", True),),
        ),
        CommandInfo(
            "feeds", {"en": "List the feeds (admins)", "zh": "列出订阅源（管理员）"}, "/feeds",
            access="bot_admin",
        ),
        CommandInfo(
            "addfeed",
            {"en": "Add a feed (admins)", "zh": "添加订阅源（管理员）"},
            "/addfeed <url> [section]",
            access="bot_admin",
            params=(
                _p("url", "Feed address (RSS or Atom)", "订阅源地址（RSS 或 Atom）", True),
                _p("section", "Section key for its articles", "文章所属栏目", False),
            ),
        ),
        CommandInfo(
            "removefeed",
            {"en": "Remove a feed (admins)", "zh": "移除订阅源（管理员）"},
            "/removefeed <id>",
            access="bot_admin",
            params=(_p("feed_id", "Feed id from /feeds", "/feeds 中的编号", True),),
        ),
        CommandInfo(
            "status", {"en": "Fetch, model and queue status (admins)", "zh": "运行状态（管理员）"},
            "/status", access="bot_admin",
        ),
    )
}

# language → description, per command: what the adapters register (setMyCommands / slash commands).
COMMAND_INFO: dict[str, dict[str, str]] = {name: dict(i.description) for name, i in CATALOG.items()}


def command_params(name: str) -> list[tuple[str, dict[str, str], bool]]:
    """(parameter name, description per language, required) in the order handlers read args."""
    return [(p.name, dict(p.description), p.required) for p in CATALOG[name].params]
