"""/start and /help: what the bot does and the commands this user may use here."""

from __future__ import annotations

from bot.models import Reply, Request
from bot.services import Services
from handlers.catalog import CATALOG
from handlers.common import can_manage_chat, is_bot_admin, reply_language
from handlers.strings import t


def allowed_commands(request: Request, services: Services) -> list[str]:
    """Command names this user may run in this chat, in catalog order."""
    admin = is_bot_admin(request, services)
    manager = can_manage_chat(request, services)
    names = []
    for name, info in CATALOG.items():
        if info.access == "bot_admin" and not admin:
            continue
        if info.access == "chat_admin" and not manager:
            continue
        names.append(name)
    return names


def _help_text(request: Request, services: Services, language: str) -> str:
    lines = [t(language, "help_header")]
    for name in allowed_commands(request, services):
        info = CATALOG[name]
        lines.append(f"{info.usage} — {info.description.get(language, info.description['en'])}")
    return "\n".join(lines)


async def start(request: Request, services: Services) -> Reply:
    """Introduce the bot, then the same list as /help."""
    language = reply_language(request, services)
    return Reply(text=t(language, "intro") + "\n\n" + _help_text(request, services, language))


async def help_(request: Request, services: Services) -> Reply:
    """List only the commands this user may use in this chat."""
    language = reply_language(request, services)
    return Reply(text=_help_text(request, services, language))
