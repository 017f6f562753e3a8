"""Chat budgets: who pays for a request that costs a model call, a page fetch or a digest build,
and the one-sentence refusal (with when to try again) once an hourly allowance is spent."""

from __future__ import annotations

import logging
import math
from datetime import timedelta

from bot.models import BudgetRule, Request
from bot.services import Services
from handlers.common import is_bot_admin
from handlers.errors import UserError

log = logging.getLogger(__name__)

ANSWER = "answer"  # a summary that is not cached yet: a model call (or offline CPU work)
PAGE = "summarize"  # a user's URL fetched and summarised (the kind the rate limit always used)
BUILD = "build"  # a digest built on demand for a day that has none stored
SEARCH = "search"  # one page of /search results (full-text search and jieba: CPU, never cached)
WINDOW = timedelta(hours=1)

# Telegram sends every anonymous group admin as GroupAnonymousBot and every post made "as a
# channel" as Channel_Bot (777000 relays channel posts into linked groups). Counted per user
# these would be one bucket for the whole world; they are counted per chat instead.
SHARED_SENDERS = frozenset({"1087968824", "136817688", "777000"})


def subject_of(request: Request) -> str:
    """The budget bucket: the user, or the chat when the platform does not say who sent it."""
    user = (request.user_id or "").strip()
    if not user or (request.platform == "telegram" and user in SHARED_SENDERS):
        return f"chat:{request.chat_id}"
    return user


def rules_for(kinds: tuple[str, ...], services: Services, admin: bool) -> list[BudgetRule]:
    """The limits of each kind from [limits] (and chat.summarize_per_user_per_hour for pages);
    bot admins are recorded but never refused."""
    limits = services.settings.limits
    table = {
        ANSWER: (limits.user_answers_per_hour, limits.answers_per_hour),
        PAGE: (services.settings.chat.summarize_per_user_per_hour, None),
        BUILD: (limits.user_digest_builds_per_hour, limits.digest_builds_per_hour),
        SEARCH: (limits.user_searches_per_hour, limits.searches_per_hour),
    }
    rules = []
    for kind in kinds:
        per_subject, overall = table[kind]
        rules.append(BudgetRule(kind, None if admin else per_subject, None if admin else overall, WINDOW))
    return rules


def charge(request: Request, services: Services, *kinds: str) -> None:
    """Spend one of each kind for this request, or raise a UserError saying when to try again.

    Call it only once a cache has been checked: cached answers are free.
    """
    admin = is_bot_admin(request, services)
    subject = subject_of(request)
    now = services.now()
    refusal = services.store.charge_budget(request.platform, subject, rules_for(kinds, services, admin), now)
    if refusal is None:
        return
    retry_at, scope = refusal
    minutes = max(1, math.ceil((retry_at - now).total_seconds() / 60))
    log.info(
        "budget.refused platform=%s subject=%s kinds=%s scope=%s retry_minutes=%d",
        request.platform, subject, ",".join(kinds), scope, minutes,
    )
    if PAGE in kinds and scope == "subject" and _page_limit_hit(request, services, subject):
        raise UserError("rate_limited", limit=services.settings.chat.summarize_per_user_per_hour, wait=minutes)
    raise UserError("over_budget_bot" if scope == "overall" else "over_budget", wait=minutes)


def _page_limit_hit(request: Request, services: Services, subject: str) -> bool:
    used = services.store.budget_used(PAGE, services.now() - WINDOW, request.platform, subject)
    return used >= services.settings.chat.summarize_per_user_per_hour
