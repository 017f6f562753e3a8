"""Plain-text rendering for the console adapter: readable in a terminal, no markup, controls stripped
(so feed text can't send terminal escape sequences)."""

from __future__ import annotations

from bot.digest import buttons
from bot.digest.strings import stats_lines, t
from bot.digest.text import MAX_POINT, MAX_SOURCE, MAX_TITLE, clean, clip, safe_url
from bot.models import Button, Digest, DigestItem, OutMessage


def _item(item: DigestItem, language: str) -> str:
    title = clip(clean(item.title), MAX_TITLE) or t(language, "untitled")
    lines = [f"{title} {clean(item.emoji)}  [#{item.id}]".strip()]
    points = [p for p in (clip(clean(p), MAX_POINT) for p in item.points) if p]
    if points:
        lines.append("  " + t(language, "key_points"))
        lines += [f"  - {p}" for p in points]
    lines.append(f"  {t(language, 'original_link')}{clean(item.url)} ({clip(clean(item.source), MAX_SOURCE)})")
    if item.also:
        also = t(language, "also_sep").join(
            f"{clip(clean(a.source), MAX_SOURCE)} {clean(a.url)}" for a in item.also
        )
        lines.append(f"  {t(language, 'also')}{also}")
    return "\n".join(lines)


def render_plain(digest: Digest) -> list[OutMessage]:
    """The digest as text parts: the header, then one part per section with its articles."""
    lang = digest.language
    header = [clean(digest.title)]
    web = safe_url(digest.web_url or "")
    if web:
        header.append(f"{t(lang, 'web_link')}: {clean(web)}")
    header += [
        "=" * 40,
        t(lang, "purpose"),
        "",
        f"[{t(lang, 'highlights_header')}]",
        *stats_lines(digest.stats, lang, lambda s: s, lambda s: s),
    ]
    if digest.highlights:
        header.append("")
        header += [f"* {clip(clean(h.title), MAX_TITLE)} {clean(h.emoji)}".rstrip() for h in digest.highlights]
    if not digest.items():
        header += ["", t(lang, "empty")]
    for name, reason in digest.failed_feeds:
        header.append("! " + t(lang, "failed_feed_line", name=clean(name), reason=clean(reason)))
    parts = [OutMessage(text="\n".join(header))]
    for section in digest.sections:
        if not section.items:
            continue
        body = "\n\n".join(_item(item, lang) for item in section.items)
        parts.append(
            OutMessage(
                text=f"== {clean(section.name)} ==\n\n{body}",
                buttons=tuple(
                    Button(label=t(lang, "more_button", id=i.id), payload=buttons.encode("more", i.id))
                    for i in section.items
                ),
            )
        )
    if digest.headlines:  # last: stories with nothing beyond a title, one line each
        lines = [
            f"- {clip(clean(h.title), MAX_TITLE) or t(lang, 'untitled')} ({clip(clean(h.source), MAX_SOURCE)}) "
            f"{clean(h.url)}"
            for h in digest.headlines
        ]
        parts.append(OutMessage(text=f"== {t(lang, 'headlines_header')} ==\n\n" + "\n".join(lines)))
    return parts
