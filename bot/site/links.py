"""Where each day's page lives: one rule shared by the site builder and the chat renderers' link."""

from __future__ import annotations

from datetime import date

from bot.config import Settings, site_base_url


def site_language(settings: Settings) -> str:
    """The language whose digests the site shows: [site] language, else digest.language."""
    return settings.site.language or settings.digest.language


def day_path(day: date) -> str:
    """The permalink of a day relative to the site's root ("2025-07-25/"): stable for ever."""
    return f"{day.isoformat()}/"


def day_url(settings: Settings, day: date, language: str) -> str | None:
    """The day's page on the published site, for chat digests to link to; None when no base URL is
    configured or the site shows another language (a link must not land on a page of another)."""
    base = site_base_url(settings.site.base_url) if settings.site.base_url else None
    if base is None or language != site_language(settings):
        return None
    return base + day_path(day)
