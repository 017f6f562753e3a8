"""What several handlers share: the reply language and who may do what."""

from __future__ import annotations

from bot.models import Request
from bot.services import Services
from handlers.strings import normalize_language


def reply_language(request: Request, services: Services) -> str:
    """This chat's subscription language, else the user's client language, else the config's."""
    sub = services.store.find_subscription(request.platform, request.chat_id)
    if sub is not None and sub.language in ("zh", "en"):
        return sub.language
    return normalize_language(request.language) or services.settings.digest.language


def is_bot_admin(request: Request, services: Services) -> bool:
    """Admins are the user ids listed per platform in the config; the local console is trusted."""
    settings = services.settings
    if request.platform == "telegram":
        return str(request.user_id) in settings.telegram.admins
    if request.platform == "discord":
        return str(request.user_id) in settings.discord.admins
    return request.platform == "console"


def can_manage_chat(request: Request, services: Services) -> bool:
    """Private chats manage themselves; groups, channels and servers need a chat (or bot) admin."""
    return (
        request.chat_type == "private"
        or request.is_chat_admin
        or is_bot_admin(request, services)
    )
