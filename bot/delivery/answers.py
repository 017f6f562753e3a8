"""Chat answers in progress, shared by the adapters: each runs as a task that a stop can cancel
(queued replies are dropped at shutdown, never awaited for minutes of pacing), a handler that
raises becomes the apology, and a quick answer can be told apart from a slow one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from bot.delivery.adapter import OnRequest, apology
from bot.models import Reply, Request

log = logging.getLogger(__name__)

# A handler done within this is answered in the platform's first response to the user, where a
# refusal can be private (Discord's interaction response, Telegram's callback answer). Discord
# needs some answer within 3 s, so slower work is acknowledged first.
ANSWER_WITHIN = 2.0


class Answers:
    """The answers one adapter is working on."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.stopping = False
        self._inflight: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        """Answers still being worked on or sent."""
        return len(self._inflight)

    async def serve(self, work: Coroutine[Any, Any, None]) -> None:
        """Run one update's work as a task that `drop` may cancel; a dropped answer ends quietly."""
        if self.stopping:
            work.close()
            return
        task = asyncio.ensure_future(work)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # we ourselves are being cancelled, not just this answer

    def drop(self) -> None:
        """At shutdown: take no more updates and cancel every answer still in progress."""
        self.stopping = True
        pending = [task for task in self._inflight if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            log.info("answers.dropped platform=%s count=%d reason=stopping", self.platform, len(pending))

    def resume(self) -> None:
        """Accept updates again (a stopped adapter started anew)."""
        self.stopping = False

    async def reply_for(self, on_request: OnRequest | None, request: Request) -> Reply:
        """The handler's reply; the fixed apology (private) if it raised or nothing is wired."""
        log.info(
            "answers.request platform=%s chat=%s user=%s command=%s",
            self.platform, request.chat_id, request.user_id, request.command,
        )
        if on_request is not None:
            try:
                return await on_request(request)
            except Exception:  # any handler bug: logged with its traceback, the user gets the apology
                log.exception(
                    "answers.handler_failed platform=%s chat=%s command=%s",
                    self.platform, request.chat_id, request.command,
                )
        return Reply(text=apology(request.language), ephemeral=True)


async def quick(work: asyncio.Future[Reply], seconds: float | None = None) -> Reply | None:
    """The reply if `work` finishes within `seconds` (ANSWER_WITHIN), else None (it goes on)."""
    done, _ = await asyncio.wait({work}, timeout=ANSWER_WITHIN if seconds is None else seconds)
    return work.result() if work in done else None
