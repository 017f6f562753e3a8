"""Lines that are not the article: bylines, image credits, tag lists, footers, share prompts,
counters, script and style code, and math markup turned into readable text.

Applied to feed text (before the per-feed boilerplate pass in `boilerplate.py`) and to page text
after extraction, so neither a key point nor the stored text ever carries them. Every rule matches
a whole line, and most only a short one (a byline is a name, not a paragraph that starts with
"By"): prose that merely mentions a photo or a tag stays. The rules, and what they were measured
on, are listed in docs/architecture.md ("Junk and boilerplate").
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

log = logging.getLogger(__name__)

SHORT = 120  # a credit, byline or footer line is at most this long (longer lines are prose)
_NAME = r"[A-Z][\w.'’-]*"
_NAMES = rf"{_NAME}(?:\s+(?:{_NAME}|and|&|de|van|von|da|di|del|la|le))*"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# (name, pattern, longest line it may take). Names are what the measurement counts.
LINE_RULES: tuple[tuple[str, re.Pattern[str], int], ...] = (
    # bylines: "By Susanna Ray", "By Nada Tawfik, BBC News, New York", "作者：colorvc", "文 | 潘永花"
    ("byline", re.compile(rf"^(?i:by|written by|posted by|reported by|words by|story by)\s+{_NAMES}"
                          rf"(?:\s*[,|/·]\s*[A-Z][\w .'’&-]*){{0,3}}\.?$"), 80),
    ("byline", _rx(r"^(?:by|authors?|written by|posted by)\s*[:：]\s*\S.*$"), SHORT),
    ("byline", _rx(r"^(?:作者|文|撰文|编辑|责编|责任编辑|编译|校对|审校|审核|记者|出品|监制|策划|排版|美编|翻译|译者|整理)"
                   r"\s*[:：|｜/]\s*\S.*$"), SHORT),
    ("byline", _rx(r"^(?:来源|出处|稿源)\s*[:：]\s*\S.*$"), 60),
    # repost and copyright notices: "本文来自微信公众号…，36氪经授权发布。", "版权声明：…"
    ("notice", _rx(r"^(?:本文(?:来自|来源|作者|首发|转载)|转载(?:自|于|请)|版权(?:声明|所有|归)|声明\s*[:：]"
                   r"|[（(](?:全文)?完[)）]|全文完)"
                   r".*$"), 120),
    ("notice", _rx(r"^.*(?:经授权发布|授权.{0,8}转载|转载请注明|严禁.{0,12}转载|请勿用于.{0,6}商业|版权所有|all rights reserved).*$"), 160),
    # image credits and captions: "图自：Google", "题图来自：YouTube", "Photo: …", "Image credits: …"
    ("credit", _rx(r"^(?:题图|封面图?|头图|配图|图片|图)(?:来自|来源|源自|自|源|由)\s*[:：].*$"), SHORT),
    ("credit", _rx(r"^(?:题图|封面图?|头图|配图|图)\s*[:：].*$"), SHORT),
    ("credit", _rx(r"^(?:photo|photograph|image|picture|illustration|graphic|video|cover|header|top|featured)"
                   r"s?(?:\s+(?:image|photo))?(?:\s+(?:credits?|courtesy(?: of)?|by|source|via))?\s*[:：].*$"), SHORT),
    ("credit", _rx(r"^(?:photos?|images?|illustrations?|graphics?|artwork)\s+(?:credits?\s+)?(?:by|courtesy of|via|from)\s.*$"), SHORT),
    ("credit", _rx(r"^(?:credits?|photo credits?|image credits?|image source|图片版权)\s*[:：].*$"), SHORT),
    ("credit", _rx(r"^[\w .,/&'’-]{0,40}\b(?:getty images|shutterstock|istock(?:photo)?|ap photo|afp photo)\b[\w .,/&'’()-]{0,30}$"), 80),
    # footers: WordPress's "The post … appeared first on …", "Read more at …", share and follow prompts
    ("footer", _rx(r"^the post .+ appeared first on .+$"), 400),
    ("footer", _rx(r"^(?:read more|continue reading|read the (?:full|whole|rest of the) (?:story|article|post))\b.*$"), SHORT),
    ("footer", _rx(r"^(?:related(?: posts?| articles?| stories| reading| content)?|see also|more from|recommended|"
                   r"you may also like|延伸阅读|推荐阅读|相关阅读|相关文章|参考阅读|相关链接|您可能也感兴趣|猜你喜欢)"
                   r"\s*(?:[:：].*)?$"), SHORT),
    ("footer", _rx(r"^(?:follow (?:us|@\S+|.{1,60}\bon (?:facebook|twitter|instagram|x|linkedin|youtube|threads|mastodon)\b)"
                   r"|subscribe to\b|sign up\b.{0,80}\b(?:newsletter|e-?mail)|like us on|share (?:this|the|on)\b).*$"), SHORT),
    ("footer", _rx(r"^.{0,40}(?:关注.{0,16}(?:微信公众|公众号|公众账号|官方微信|微信号|小程序|微博\s*[@＠])"
                   r"|(?:微信|公众号).{0,24}(?:订阅|扫描)|欢迎关注|扫描.{0,6}二维码|点击阅读原文|原文链接|查看评论).*$"), 100),
    # tag lists: "Tags: AI, Azure", "标签：…" (a label with a short list, not a sentence)
    ("tags", _rx(r"^(?:tags?|tagged(?: with)?|topics?|filed under|categories|标签|关键词|关键字)\s*[:：]"
                 r"\s*(?:[^.!?。！？，,、;；|]{1,24}(?:\s*[,、;；|/·]\s*|\s*$)){1,12}$"), 300),
    # counters from aggregators: "Points: 1", "# Comments: 0", "阅读：1024"
    ("counter", _rx(r"^#?\s*(?:points|score|comments|votes|upvotes|views|likes|shares|阅读|评论|点赞|收藏|转发)\s*[:：]\s*[\d,.]+[kKmM万]?$"), 40),
)

# A label alone on its line whose following short lines are the list itself (WordPress's "Tags:").
_LIST_LABEL = _rx(r"^(?:tags?|tagged|topics?|categories|filed under|标签|关键词|相关标签)\s*[:：]?$")
_LIST_ITEM = re.compile(r"^[^.!?。！？]{1,40}$")

# Code: JavaScript and CSS that a feed's HTML carried as text, or a code sample's lines.
_CODE_SIGNALS = (
    re.compile(r"^(?:(?:const|let|var|int|auto)\s+(?:mut\s+)?[\w$]+\s*[=:;,\[]|function\s*[\w$]*\s*\(|return\b.*;$"
               r"|(?:if|for|while|switch)\s*\(|(?:else|try|catch|do)\s*[{(])"),
    re.compile(r"=>|===|!==|&&|\|\||\+\+[\w;)]|[\w\]]\+\+[;)]|\$[A-Za-z_]\w*|\w+\.\w+\(|\bfunction\s*\w*\s*\("),
    re.compile(r"(?:getElementById|querySelector|addEventListener|console\.log|document\.|window\.)"),
    re.compile(r"[;{}]\s*$|^\s*[{}]"),
    re.compile(r"\b\w+\s*=\s*[\w$'\"(\[{]"),
    re.compile(r"[\w-]+\s*:\s*[^;:]{1,40};\s*(?:[\w-]+\s*:|$)"),  # css: "color: red; margin: 0"
)
_CODE_CHARS = re.compile(r"[;{}=$]")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORDY = re.compile(r"[^\W\d_]{2,}")
_ANY_WORD = re.compile(r"[^\W_]")


def _code_score(line: str) -> int:
    return sum(1 for signal in _CODE_SIGNALS if signal.search(line))


def is_code(line: str) -> bool:
    """Whether a line reads as program code: several distinct code signals, or a short line
    with two and punctuation where prose has words (`}`, `let $iframe, $closeBtn;`). Prose in
    Chinese that quotes a call (`如： let another = rc.clone()`) needs more."""
    if not _CODE_CHARS.search(line):
        return False  # no ; { } = $ at all: prose (and cheap: most lines stop here)
    score = _code_score(line)
    if len(_CJK.findall(line)) >= 10:
        return score >= 4
    if score >= 3:
        return True
    if score == 2:
        words = len(_WORDY.findall(line))
        return words <= 12 or line.rstrip().endswith((";", "{", "}"))
    return False


def junk_kind(line: str) -> str | None:
    """The rule a line falls under ('byline', 'credit', 'code', …), or None when it is content."""
    stripped = line.strip()
    if not stripped:
        return None
    if not _ANY_WORD.search(stripped):
        return "symbols"  # "★", "}", "—", "·": nothing a reader can use
    for name, pattern, longest in LINE_RULES:
        if len(stripped) <= longest and pattern.match(stripped):
            return name
    if is_code(stripped):
        return "code"
    return None


def drop_junk_lines(text: str, *, count: Callable[[str], None] | None = None) -> str:
    """The text without junk lines (and a lone tag-list label's items); `count` sees each rule hit."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if _LIST_LABEL.match(stripped):
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or _LIST_ITEM.match(lines[j].strip())):
                j += 1
            if j > i + 1 or j == len(lines):
                if count:
                    count("tags")
                i = j
                continue
        kind = junk_kind(line)
        if kind is None:
            out.append(line)
        elif count:
            count(kind)
        i += 1
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


# ---------------------------------------------------------------- math markup

# $…$, $$…$$, \(…\) and \[…\]: no line break inside, content starting and ending with non-space,
# and (for single dollars) not a price: "$5 and $10" has spaces at the inner edges.
_MATH = re.compile(
    r"\$\$(?P<d>[^$\n]{1,400}?)\$\$"
    r"|(?<![\\$\w])\$(?P<s>[^\s$](?:[^$\n]{0,300}?[^\s$\\])?)\$(?![\w$])"
    r"|\\\((?P<p>[^\n]{1,300}?)\\\)"
    r"|\\\[(?P<b>[^\n]{1,400}?)\\\]"
)
_MATHY = re.compile(r"[\\^_{}=<>+]|^[A-Za-z]$|^[^\W\d_]$|^\d+(?:\.\d+)?$|\w\(")
_BARE_FONT = re.compile(r"\\(mathbf|mathrm|mathit|mathcal|mathbb|mathsf|boldsymbol|bm)(?=[^\s{A-Za-z\\])(\S)")
_converter: object | None = None


def _latex_to_text(source: str) -> str:
    global _converter
    from pylatexenc.latex2text import LatexNodes2Text  # imported on first math span only

    if _converter is None:
        _converter = LatexNodes2Text(math_mode="text")
    assert isinstance(_converter, LatexNodes2Text)
    source = _BARE_FONT.sub(r"\\\1{\2}", source)  # "\mathbfθ" (no braces) is common in feeds
    try:
        text = _converter.latex_to_text(f"${source}$")  # math mode: spaces after macros stay
    except Exception:  # noqa: BLE001 (pylatexenc is lenient, but a broken span must never lose the entry)
        log.debug("math span not converted chars=%d", len(source))
        text = re.sub(r"\\([A-Za-z]+)", r"\1", source)
    return " ".join(text.split())


def render_math(text: str) -> str:
    """Math spans as readable text: `$X \\sim N(\\mathbf{θ}, I_\\infty)$` → `X ∼ N(θ, I_∞)`."""
    if "$" not in text and "\\(" not in text and "\\[" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        body = next(g for g in match.groups() if g is not None)
        if match.group("s") is not None and not _MATHY.search(body):
            return match.group(0)  # "$US$" or prose between two prices: leave it
        return _latex_to_text(body)

    return _MATH.sub(one, text)


def clean_text(text: str, *, count: Callable[[str], None] | None = None) -> str:
    """Math rendered, junk lines dropped: the form of a text that is stored and summarised."""
    return drop_junk_lines(render_math(text), count=count)
