"""Sentences that are not content: code, markup, bare links, feed footers, tag lists, bylines,
credits, metadata and LaTeX. A key point is never one of these, whatever ingest let through.

Ingest strips what it can recognise per feed (repeated lines, scripts, footers); this is the
summariser's own last check, one sentence at a time, so a point can never be junk even when a
feed invents a new way to pad its entries. `tidy` repairs what can be read as prose (inline math,
a metadata tail); `junk_reason` names why a sentence cannot be a point, or returns None.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator

log = logging.getLogger(__name__)

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_TERMINAL = "。！？.!?…”’」』）)\"'"
_TERMINAL_TUPLE = tuple(_TERMINAL)
_SPACE = re.compile(r"\s")
_SYMBOL = re.compile(r"[^\w\s]|_")  # neither a letter, a digit nor a space

# "… | Organization: OpenAI | Source: Openai (news)": an aggregator's fields after the teaser.
_META_TAIL = re.compile(r"(?:\s*\|\s*[A-Z][\w .&()-]{0,30}:\s*[^|]{0,80}?)+\s*$")
_META_FIELD = re.compile(r"^[A-Z][\w .&-]{0,30}:")

# LaTeX as arXiv sends it: inline $…$, \( … \), and commands. Common symbols become Unicode.
_LATEX_SYMBOLS = {
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "neq": "≠", "ne": "≠", "sim": "∼", "approx": "≈",
    "times": "×", "cdot": "·", "pm": "±", "infty": "∞", "in": "∈", "notin": "∉", "to": "→",
    "rightarrow": "→", "leftarrow": "←", "ll": "≪", "gg": "≫", "sum": "Σ", "prod": "Π", "log": "log",
    "ldots": "…", "dots": "…", "cdots": "…", "propto": "∝", "forall": "∀", "exists": "∃",
    "partial": "∂", "nabla": "∇", "sqrt": "√", "mid": "|", "lvert": "|", "rvert": "|", "quad": " ",
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ",
    "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "ell": "ℓ", "colon": ":", "subset": "⊂",
    "subseteq": "⊆", "cup": "∪", "cap": "∩", "max": "max", "min": "min", "exp": "exp", "sin": "sin",
    "cos": "cos", "lim": "lim", "arg": "arg", "det": "det",
    # decorations and sizing: the argument stays, the command goes
    "left": "", "right": "", "tilde": "", "hat": "", "bar": "", "widetilde": "", "widehat": "",
    "overline": "", "big": "", "Big": "", "bigl": "", "bigr": "", "displaystyle": "", "limits": "",
    "mathbf": "", "mathrm": "", "mathcal": "", "mathbb": "", "mathit": "", "boldsymbol": "",
}
_LATEX_STYLE = re.compile(r"\\(?:mathbf|mathrm|mathcal|mathbb|mathit|boldsymbol|text|textbf|emph|operatorname)\s*\{([^{}]*)\}")
_LATEX_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_LATEX_COMMAND = re.compile(r"\\([A-Za-z]+)")
_LATEX_ESCAPED = re.compile(r"\\([%$&_#{}\s,;!])")
_LATEX_DELIMS = re.compile(r"\\[()\[\]]")
_INLINE_MATH = re.compile(r"\$\$?([^$]{1,200}?)\$\$?")
_BRACED_SCRIPT = re.compile(r"([_^])\{([^{}]{1,40})\}")

# Code: statements, braces, calls glued to a name, CSS declarations, preprocessor lines.
_CODE_START = re.compile(
    r"^(?:return|var|let|const|function|def|class|import|from\s+\S+\s+import|#include|#define|"
    r"static|struct|public|private|void|int|char|else|elif|break|continue|try|catch|"
    r"(?:if|for|while|switch)\s*\()\b"
)
_CSS = re.compile(r"^[.#]?[a-z-]+(?:\s*[.#][\w-]+)*\s*:\s*[^:]{1,60};$")
_CALL = re.compile(r"[A-Za-z_$][\w$.]*\((?:[^()]*)\)")
_OPERATORS = re.compile(r"(?:\+\+|--;|=>|===?|!==?|->|&&|\|\||\+=|-=|::|\s=\s|\[\w*\]\s*=)")
_JS_VARIABLE = re.compile(r"(?<![\w$])\$[A-Za-z_]\w*")

# Real markup only: a closing tag, a tag with attributes, a known HTML element, an entity, a
# Markdown image or link. "<name>" in "npm install <name>" is a placeholder, not markup.
_HTML_TAGS = (
    "a|abbr|article|aside|b|blockquote|body|br|button|caption|code|div|em|figcaption|figure|font|"
    "footer|form|h[1-6]|head|header|hr|html|i|iframe|img|input|label|li|link|meta|nav|ol|p|pre|"
    "script|section|small|source|span|strong|style|sub|sup|svg|table|tbody|td|th|thead|tr|u|ul|video"
)
_MARKUP = re.compile(
    rf"</[A-Za-z][\w:-]*\s*>|<[A-Za-z][\w:-]*\s+[\w:-]+\s*=|<(?:{_HTML_TAGS})(?:\s[^<>]*)?/?>|"
    r"&(?:[a-z]{2,8}|#\d{2,6}|#x[0-9a-f]{2,5});|!\[[^\]]*\]\(|\]\(https?://",
    re.IGNORECASE,
)

# A footer is either anywhere ("… appeared first on …") or the whole start of the line; the two
# are separate patterns because a start-anchored one is tried once, not at every position.
_FOOTER_ANYWHERE = re.compile(r"appeared first on|first appeared on", re.IGNORECASE)
_FOOTER_START = re.compile(
    r"(?:continue reading|read more|read the (?:full|original)|click here|"
    r"view (?:the )?(?:original|full)|learn more$|originally (?:published|posted)|"
    r"this (?:article|post|story) (?:was|originally)|(?:share|follow us) (?:on|this)|subscribe to|"
    r"sign up for|阅读原文|原文链接|原文地址|查看原文|查看评论|点击阅读|点击查看|本文来自|本文首发|"
    r"本文转载|转载请注明|未经授权|版权所有|相关阅读|相关文章|延伸阅读|推荐阅读|您可能也感兴趣|"
    r"更多精彩|关注我们|扫码关注|关注.{0,20}(?:公众号|公众账号|微信|微博)|（?全文完）?|（?完）?$)",
    re.IGNORECASE,
)
_TAGS = re.compile(
    r"^(?:tags?|tagged|topics?|categor(?:y|ies)|filed under|keywords?|labels?|"
    r"标签|关键词|关键字|分类|专题)\s*[:：]",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^(?:(?:written |posted |reported |edited )?by|authors?|writer|reporter|editor|contributors?|"
    r"作者|关于作者|文|撰文|撰稿|记者|编辑|责任编辑|责编|编译|翻译|译者|校对|审校|来源|出品|策划|"
    r"photo(?:graph)?s?|images?|pictures?|illustrations?|credits?|video|"
    r"图|图片|图自|图源|图片来源|图片来自|题图|封面|配图|摄影)\s*(?:(?:by|credit|source|courtesy)\s*)?[:：|/丨]",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"(?:\b(?:photo|photos|image|images|illustration|video|theme|music|artwork|cover|graphic)s?"
    r"\s+(?:by|courtesy of|credit:?|via)\s|\bon unsplash\b|\bgetty images\b|[(（]图片?(?:来源|来自|自))",
    re.IGNORECASE,
)
# Words one of which every credit contains: the pattern above runs only when one is present.
_CREDIT_HINTS = ("photo", "image", "illustration", "video", "theme", "music", "artwork", "cover",
                 "graphic", "unsplash", "getty", "图")
_BY_NAME = re.compile(r"^[Bb]y\s+(?:[A-Z][\w.'’-]*\s*){1,4}$")  # "By Susanna Ray"
_LABEL_NUMBER = re.compile(r"^[#\w\s]{1,24}[:：]\s*[\d,.]+$")  # "Points: 1", "# Comments: 0"


def _is_math(inner: str) -> bool:
    """Whether the text between two dollar signs is math, not two prices ("$5 and $10")."""
    return "\\" in inner or "^" in inner or "_" in inner or len(inner) <= 3 or not inner[:1].isdigit()


def _render_math(text: str) -> str:
    """Inline LaTeX as plain text: delimiters dropped, common commands as their Unicode symbols."""
    if "\\" not in text and "$" not in text:
        return text
    if text.count("$") >= 2:
        text = _INLINE_MATH.sub(lambda m: m.group(1) if _is_math(m.group(1)) else m.group(0), text)
    text = _LATEX_DELIMS.sub("", text)
    for _ in range(3):  # styles and fractions nest a little
        text = _LATEX_STYLE.sub(r"\1", text)
        text = _LATEX_FRAC.sub(r"(\1)/(\2)", text)

    def command(m: re.Match[str]) -> str:
        return _LATEX_SYMBOLS.get(m.group(1), m.group(0))

    rendered = _LATEX_COMMAND.sub(command, text)
    if rendered != text:  # braces that only grouped a command's argument
        rendered = re.sub(r"(?<![\\\w])\{([^{}]{0,60})\}", r"\1", rendered)
    text = _LATEX_ESCAPED.sub(lambda m: " " if m.group(1).isspace() else m.group(1), rendered)
    text = _BRACED_SCRIPT.sub(r"\1\2", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def tidy(sentence: str) -> str:
    """The readable part of a sentence: an aggregator's metadata tail cut, inline math as text."""
    sentence = sentence.strip()
    if "|" in sentence and ":" in sentence:
        cut = _META_TAIL.sub("", sentence).strip()
        if cut != sentence:
            sentence = cut.strip(" |")
    return _render_math(sentence)


def _words(text: str) -> int:
    return len(_LATIN_WORD.findall(text)) + len(_CJK.findall(text)) // 2


_CODE_CHARS = frozenset("{}();=$[]<>|&+")


def _code_score(s: str) -> int:
    if not _CODE_CHARS.intersection(s) and not _CODE_START.match(s):
        return 0  # prose: none of the characters code is made of
    score = 0
    if "{" in s or "}" in s:
        score += 3
    if _CSS.match(s):
        score += 3
    if s.endswith(";") and not _CJK.search(s):
        score += 2
    if _CODE_START.match(s):
        score += 1
    if _CALL.search(s) and not re.search(r"\w \(", s):
        score += 1
    if _OPERATORS.search(s):
        score += 1
    if _JS_VARIABLE.search(s):
        score += 2
    return score


def _is_credit(s: str) -> bool:
    lowered = s.lower()
    return any(hint in lowered for hint in _CREDIT_HINTS) and _CREDIT.search(s) is not None


def junk_reason(sentence: str) -> str | None:
    """Why `sentence` (already `tidy`) can't be a key point, or None when it reads as content."""
    s = sentence.strip()
    if not s:
        return "empty"
    if ("<" in s or "&" in s or "](" in s) and _MARKUP.search(s):
        return "markup"
    if "\\" in s and re.search(r"\\[A-Za-z]{2,}|\\[()\[\]{}]", s):
        return "latex"
    if _code_score(s) >= 3:
        return "code"
    if ("http" in s or "www." in s) and _URL.search(s) and _words(_URL.sub(" ", s)) < 4:
        return "link"
    if _FOOTER_START.match(s) or _FOOTER_ANYWHERE.search(s):
        return "footer"
    if _TAGS.match(s):
        return "tags"
    if _BYLINE.match(s) or _BY_NAME.match(s) or _is_credit(s):
        return "byline"
    if s.endswith((":", "：")) and _words(s) < 8:
        return "label"
    if _LABEL_NUMBER.match(s) or (_META_FIELD.match(s) and ("|" in s or _words(s) < 5)):
        return "metadata"
    visible = len(s) - len(_SPACE.findall(s))
    if visible and len(_SYMBOL.findall(s)) / visible > 0.5:  # mostly neither letters nor digits
        return "symbols"
    if not s.endswith(_TERMINAL_TUPLE):
        cjk = len(_CJK.findall(s))
        if (cjk and cjk < 10 and _words(_CJK.sub("", s)) < 3) or (not cjk and _words(s) < 5):
            return "fragment"
    return None


def is_heading(sentence: str) -> bool:
    """A line with no closing punctuation: a subheading, a call to action ("Save and reuse charts
    with confidence", "…—get the e-book") or a teaser cut short, rather than a sentence."""
    return not sentence.rstrip().endswith(_TERMINAL_TUPLE)


def _usable(title: str, sentences: Iterable[str]) -> Iterator[str]:
    norm_title = re.sub(r"\W+", "", title).lower()
    seen: set[str] = set()
    for raw in sentences:
        sentence = tidy(raw)
        key = re.sub(r"\W+", "", sentence).lower()
        # A sentence that is the title, or a piece of it (a title split at its '?'), adds nothing.
        if not key or key in norm_title or key in seen or junk_reason(sentence):
            continue
        seen.add(key)
        yield sentence


def usable_sentences(title: str, sentences: Iterable[str]) -> list[str]:
    """The sentences that can be key points: tidied, junk dropped, the title and repeats left out."""
    return list(_usable(title, sentences))


def has_usable(title: str, sentences: Iterable[str]) -> bool:
    """Whether any sentence could be a key point (stops at the first: cheap for real articles)."""
    return next(_usable(title, sentences), None) is not None
