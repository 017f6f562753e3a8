"""Why a fetch failed, in the reader's language.

A FetchError's reason is one English sentence made in bot/ingest (fetch.py, guard.py, parse.py,
worker.py). Logs, `digestbot status` and the store keep it as it is. What subscribers read (a
Chinese digest's 抓取失败的订阅源) and what a Chinese chat admin is told goes through `describe`.
It recognises each form of reason by its fixed wording, and keeps only what needs no translation:
a host, an address, a status code, a figure. A reason it does not recognise is shown as a general
failure with the original in brackets: nothing is lost. tests/test_hostile_e2e.py runs the real
failure paths and requires every reason they give to be recognised, so a reason that is reworded
or added in bot/ingest cannot slip through unseen.
"""

from __future__ import annotations

import re

_HTTP_ZH = {400: "请求无效", 401: "需要登录", 403: "禁止访问", 404: "未找到", 410: "已删除",
            429: "请求过多", 500: "服务器错误", 502: "网关错误", 503: "服务暂不可用",
            504: "网关超时"}

# (pattern matched against the whole reason, Chinese template over the pattern's named groups).
# Order matters: the first full match wins, so the specific forms come before the general ones.
_ZH: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p, re.DOTALL), z) for p, z in (
    (r"could not resolve (?P<host>\S+?): no such host", "域名 {host} 不存在"),
    (r"could not resolve (?P<host>\S+?): timed out", "域名 {host} 解析超时"),
    (r"could not resolve (?P<host>\S+?): the name server did not answer \(temporary\)",
     "域名 {host} 暂时无法解析（域名服务器没有应答）"),
    (r"could not resolve (?P<host>\S+?)(?:: .*)?", "域名 {host} 解析失败"),
    (r"timed out after (?P<n>[\d.]+) s", "{n} 秒内没有响应"),
    (r"network error: connection refused", "网络错误：连接被拒绝"),
    (r"network error: connection reset by the server", "网络错误：连接被服务器中断"),
    (r"network error: .*", "网络错误"),
    (r"HTTP (?P<status>\d{3}) redirect without a Location header", "HTTP {status} 重定向缺少目标地址"),
    (r"HTTP (?P<status>\d{3}) \(retry after (?P<n>[\d.]+) s\)", "HTTP {status}{meaning}，{n} 秒后再试"),
    (r"HTTP (?P<status>\d{3})", "HTTP {status}{meaning}"),
    (r"refused: the document declares XML entities.*", "已拒绝：文档声明了 XML 实体（安全风险）"),
    (r"refused: only http and https URLs are fetched.*", "已拒绝：只抓取 http 和 https 地址"),
    (r"refused: unix sockets are not allowed", "已拒绝：不连接 unix 套接字"),
    (r"refused: (?P<host>\S+) resolves to (?P<address>[^,\s]+),.*", "已拒绝：{host} 指向非公网地址 {address}"),
    (r"refused: (?P<address>\S+) (?:is|embeds) .*", "已拒绝：{address} 是非公网地址"),
    (r"not a feed: HTML page", "不是订阅源：返回的是网页"),
    (r"not a feed: empty response", "不是订阅源：内容为空"),
    (r"not a feed: .*", "不是订阅源：没有 RSS 或 Atom 内容"),
    (r"response larger than (?P<n>\d+) bytes", "内容超过 {n} 字节的上限"),
    (r"too many redirects \((?P<n>\d+)\)", "重定向超过 {n} 次"),
    (r"redirect loop at .*", "重定向循环"),
    (r"corrupt (?:compressed|gzip) body.*", "压缩内容已损坏"),
    (r"unsupported content encoding (?P<value>.*)", "不支持的内容编码 {value}"),
    (r"the page parser crashed on this document", "解析器无法处理这份文档"),
))
_ZH_UNKNOWN = "抓取失败（{reason}）"


def known(reason: str) -> bool:
    """Whether `describe` recognises this reason (else it shows it as a general failure)."""
    return any(pattern.fullmatch(reason) for pattern, _ in _ZH)


def describe(reason: str, language: str) -> str:
    """The reason a fetch failed, for a reader of `language`: English as made, Chinese from the
    table above (a general failure with the original in brackets when no form matches); "" for
    no reason at all, which each caller words its own way."""
    if language != "zh" or not reason:
        return reason
    for pattern, template in _ZH:
        match = pattern.fullmatch(reason)
        if match:
            fields = match.groupdict()
            meaning = _HTTP_ZH.get(int(fields.get("status") or 0))
            return template.format(**fields, meaning=f"（{meaning}）" if meaning else "")
    return _ZH_UNKNOWN.format(reason=reason)
