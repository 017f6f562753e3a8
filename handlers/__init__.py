"""Platform-neutral chat commands: one explicit table from command name to handler, and dispatch.

Adapters loop over COMMANDS (and COMMAND_INFO / command_params for descriptions and options) to
register commands, translate each update into a Request and call `dispatch`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.models import Reply, Request
from bot.services import Services
from handlers import admin, articles, digest, general, search, settings, subscriptions
from handlers.catalog import CATALOG, COMMAND_INFO, CommandInfo, Param, command_params
from handlers.common import reply_language
from handlers.errors import UserError, apology

log = logging.getLogger(__name__)

Handler = Callable[[Request, Services], Awaitable[Reply]]

COMMANDS: dict[str, Handler] = {
    "start": general.start,
    "help": general.help_,
    "digest": digest.digest,
    "summarize": articles.summarize,
    "more": articles.more,
    "subscribe": subscriptions.subscribe,
    "unsubscribe": subscriptions.unsubscribe,
    "settings": settings.settings,
    "filter": settings.filter_,
    "time": settings.time_,
    "lang": settings.lang,
    "search": search.search_,
    "feeds": admin.feeds,
    "addfeed": admin.addfeed,
    "removefeed": admin.removefeed,
    "status": admin.status,
}
assert set(COMMANDS) == set(CATALOG), "every command needs a catalog entry (and the reverse)"


def _safe_language(request: Request, services: Services) -> str:
    try:
        return reply_language(request, services)
    except Exception:  # the store itself failed: still answer in some language
        return services.settings.digest.language


async def dispatch(request: Request, services: Services) -> Reply:
    """Run the command's handler; user mistakes become one sentence, anything else the apology."""
    command = request.command.lower().lstrip("/")
    handler = COMMANDS.get(command)
    try:
        if handler is None:
            raise UserError("unknown_command", command=command[:32])
        reply = await handler(request, services)
    except UserError as exc:
        log.info(
            "command.refused command=%s platform=%s chat=%s user=%s key=%s",
            command, request.platform, request.chat_id, request.user_id, exc.key,
        )
        return Reply(text=exc.message(_safe_language(request, services)), ephemeral=True)
    except Exception:
        # Context only (no tokens live in a Request); the traceback goes to the log, never the chat.
        log.exception(
            "command.failed command=%s platform=%s chat=%s user=%s args=%d",
            command, request.platform, request.chat_id, request.user_id, len(request.args),
        )
        return Reply(text=apology(_safe_language(request, services)), ephemeral=True)
    log.info(
        "command.done command=%s platform=%s chat=%s user=%s",
        command, request.platform, request.chat_id, request.user_id,
    )
    return reply


__all__ = [
    "CATALOG",
    "COMMANDS",
    "COMMAND_INFO",
    "CommandInfo",
    "Handler",
    "Param",
    "command_params",
    "dispatch",
]
