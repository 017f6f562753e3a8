"""The outbox: every message recorded before it is sent, marked sent after, resumed after a crash.

One delivery per (subscription, date). Platform answers follow one policy: 429 waits and retries,
transient failures back off and retry (then stay pending for the next run), an unavailable chat
disables its subscription, a migrated Telegram group moves the subscription and resends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date as Date
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from bot.config import Settings
from bot.delivery.adapter import Adapter
from bot.delivery.claims import Lease, describe_owner, new_owner
from bot.delivery.errors import (
    ChatMigrated,
    ChatUnavailable,
    PermanentError,
    RetryAfter,
    StartRefused,
    TransientError,
)
from bot.delivery.pacing import Pacer
from bot.delivery.schedule import due_date, last_slot  # noqa: F401 - last_slot re-exported
from bot.digest.filters import Filters, filtered_renderer
from bot.models import Digest, OutMessage, Subscription

if TYPE_CHECKING:
    from storage.store import Store

log = logging.getLogger(__name__)

Render = Callable[[Digest], Sequence[OutMessage]]


@dataclass(frozen=True)
class DeliveryResult:
    """One line of `digestbot digest --send`: what happened to one subscription."""

    subscription: Subscription
    status: Literal["sent", "skipped", "failed"]
    messages: int
    reason: str | None = None
    due: bool = True  # False: nothing to do for it this run (not its time yet, or already sent)

    def line(self) -> str:
        sub = self.subscription
        who = f"#{sub.id} {sub.platform}:{sub.chat_id}"
        if self.status == "sent":
            return f"{who}: sent {self.messages} message{'' if self.messages == 1 else 's'}"
        return f"{who}: {self.status}: {self.reason}"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one message is retried before the delivery is left pending for the next run."""

    attempts: int = 5  # transient failures (5xx, timeouts, dropped connections) per message
    backoff: float = 1.0  # first wait in seconds, doubled each time
    max_backoff: float = 30.0
    rate_limits: int = 10  # 429s tolerated per message
    max_retry_after: float = 300.0  # a longer wait leaves the delivery pending instead


class _GiveUp(Exception):
    """Stop this delivery now, leaving unsent messages pending (or the delivery failed)."""

    def __init__(self, reason: str, finish: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.finish = finish


def _pacer(adapter: Adapter) -> Pacer:
    pacer = getattr(adapter, "pacer", None)
    if pacer is None:  # an adapter without its own pacer gets one for its lifetime
        pacer = Pacer(adapter.limits)
        try:
            adapter.pacer = pacer  # type: ignore[attr-defined]
        except AttributeError:
            pass
    return pacer


async def _send_one(
    adapter: Adapter, pacer: Pacer, chat_id: str, message: OutMessage, policy: RetryPolicy, remaining: int = 1
) -> str:
    """Send one message, retrying 429s and transient failures; raise what the policy cannot absorb.

    `remaining` (this delivery's unsent messages, this one included) is the pacer's priority.
    """
    failures = 0
    limited = 0
    while True:
        slot = await pacer.acquire(chat_id, remaining=remaining)
        try:
            try:
                return await adapter.send(chat_id, message)
            finally:
                pacer.done(slot)
        except RetryAfter as exc:
            limited += 1
            if limited > policy.rate_limits or exc.seconds > policy.max_retry_after:
                raise _GiveUp(f"rate limited {limited} times (last: retry after {exc.seconds:g} s)", False)
            log.info("delivery.retry_after platform=%s chat=%s seconds=%s", adapter.platform, chat_id, exc.seconds)
            await pacer.sleep(exc.seconds)
        except TransientError as exc:
            failures += 1
            if failures >= policy.attempts:
                raise _GiveUp(f"gave up after {failures} attempts: {exc.reason}", False)
            wait = min(policy.max_backoff, policy.backoff * 2 ** (failures - 1))
            log.info(
                "delivery.transient platform=%s chat=%s attempt=%d wait=%.2f reason=%s",
                adapter.platform, chat_id, failures, wait, exc.reason,
            )
            await pacer.sleep(wait)


async def deliver(
    store: Store,
    adapter: Adapter,
    subscription: Subscription,
    digest: Digest | None,
    *,
    date: str,
    render: Render,
    policy: RetryPolicy | None = None,
    owner: str | None = None,
    resend: bool = False,
) -> DeliveryResult:
    """Deliver one digest to one subscription exactly once for `date`, resuming what is pending.

    Nothing is sent without the claim on (subscription, date) (bot/delivery/claims.py): a caller
    that finds it held by another sender skips. `render(digest)` is called only when the delivery
    is new or `resend` asks for it again (a resumed one sends what it recorded).
    """
    lease = Lease.acquire(store, subscription.id, date, owner or new_owner())
    if isinstance(lease, str):
        holder = describe_owner(lease)
        log.info("delivery.claimed_elsewhere sub=%d date=%s by=%s", subscription.id, date, lease)
        return DeliveryResult(subscription, "skipped", 0, f"being sent by {holder}", due=False)
    async with lease:
        return await _deliver_claimed(
            store, adapter, subscription, digest, lease, date=date, render=render,
            policy=policy or RetryPolicy(), resend=resend,
        )


async def _deliver_claimed(
    store: Store,
    adapter: Adapter,
    sub: Subscription,
    digest: Digest | None,
    lease: Lease,
    *,
    date: str,
    render: Render,
    policy: RetryPolicy,
    resend: bool,
) -> DeliveryResult:
    # Read only now, under the claim: whoever held it before may have finished this delivery.
    existing = store.get_delivery(sub.id, date)
    if existing is not None and existing.status == "sent" and not resend:
        return DeliveryResult(sub, "skipped", 0, "already sent", due=False)
    if existing is not None and existing.status == "failed":
        store.reopen_delivery(existing.id)
    messages: Sequence[OutMessage] = ()
    if existing is None or resend:
        if digest is None:
            return DeliveryResult(sub, "failed", 0, "no digest to send")
        messages = list(render(digest))
    if existing is not None and resend:
        store.reset_delivery(existing.id, messages)
    delivery = store.open_delivery(sub.id, date, messages)
    pacer = _pacer(adapter)
    chat_id = sub.chat_id
    sent = 0
    migrations = 0
    log.info("delivery.start sub=%d platform=%s chat=%s date=%s", sub.id, sub.platform, chat_id, date)
    try:
        while True:
            try:
                rejected: list[str] = []
                pending = list(store.outbox_messages(delivery.id, pending_only=True))
                for i, item in enumerate(pending):
                    if not lease.begin_send(item.id):  # renews the claim and counts the attempt
                        raise _GiveUp("another sender took the claim over", False)
                    try:
                        platform_id = await _send_one(
                            adapter, pacer, chat_id, item.message, policy, remaining=len(pending) - i
                        )
                    except PermanentError as exc:
                        store.mark_message_error(item.id, exc.reason)
                        rejected.append(f"message {item.seq + 1}: {exc.reason}")
                        log.warning("delivery.rejected sub=%d seq=%d reason=%s", sub.id, item.seq, exc.reason)
                        continue
                    store.mark_sent(item.id, platform_id)
                    sent += 1
                break
            except ChatMigrated as exc:
                migrations += 1
                other = store.find_subscription(sub.platform, exc.new_chat_id)
                if migrations > 2 or (other is not None and other.id != sub.id):
                    reason = f"chat migrated to {exc.new_chat_id}, which has its own subscription"
                    store.disable_subscription(sub.id, reason)
                    raise _GiveUp(reason, True) from exc
                log.info("delivery.migrated sub=%d old=%s new=%s", sub.id, chat_id, exc.new_chat_id)
                sub = store.move_subscription(sub.id, exc.new_chat_id)
                chat_id = sub.chat_id
                store.reopen_delivery(delivery.id, resend_all=True)
                sent = 0
    except StartRefused as exc:  # a rejected token: left pending for when it is fixed
        log.error("delivery.refused sub=%d platform=%s reason=%s", sub.id, sub.platform, exc.reason)
        return DeliveryResult(sub, "failed", sent, exc.reason)
    except ChatUnavailable as exc:
        store.disable_subscription(sub.id, exc.reason)
        store.finish_delivery(delivery.id, "failed", exc.reason)
        log.warning("delivery.chat_unavailable sub=%d chat=%s reason=%s", sub.id, chat_id, exc.reason)
        return DeliveryResult(sub, "failed", sent, exc.reason)
    except _GiveUp as exc:
        if exc.finish:
            store.finish_delivery(delivery.id, "failed", exc.reason)
        else:
            log.warning("delivery.left_pending sub=%d chat=%s reason=%s", sub.id, chat_id, exc.reason)
        if lease.lost:
            return DeliveryResult(sub, "skipped", sent, exc.reason, due=False)
        return DeliveryResult(sub, "failed", sent, exc.reason)
    if rejected:
        reason = "; ".join(rejected)
        store.finish_delivery(delivery.id, "failed", reason)
        return DeliveryResult(sub, "failed", sent, reason)
    store.finish_delivery(delivery.id, "sent")
    log.info("delivery.sent sub=%d chat=%s messages=%d", sub.id, chat_id, sent)
    return DeliveryResult(sub, "sent", sent)


def renderer_for(platform: str, sections: Sequence[str]) -> Render:
    """The digest renderer of a platform, filtered to the sections a subscription wants."""
    if platform == "telegram":
        from bot.digest.telegram_render import render_telegram

        return lambda digest: render_telegram(digest, tuple(sections))
    if platform == "discord":
        from bot.digest.discord_render import render_discord

        return lambda digest: render_discord(digest, tuple(sections))
    return _plain_renderer()


def _plain_renderer() -> Render:
    from bot.digest.plain import render_plain

    return render_plain


async def _refresh_digests(
    store: Store, digests: Any, due: Sequence[tuple[Subscription, Date]], now: datetime
) -> None:
    """Rebuild once each (day, language) about to be sent for the first time.

    A digest stored earlier that day (say by a /digest at 00:05) would otherwise go out at 08:00
    without the articles fetched since; every subscription of the run then shares the fresh build.
    """
    wanted = sorted(
        {(day, sub.language) for sub, day in due if store.get_delivery(sub.id, day.isoformat()) is None}
    )
    for day, language in wanted:
        try:
            await digests.get_or_build(day, language, now=now, rebuild=True)
        except Exception:  # the per-subscription path tries again and records the failure
            log.exception("digest.build_failed day=%s language=%s", day.isoformat(), language)


async def send_due(
    store: Store,
    adapters: Mapping[str, Adapter],
    digests: Any,
    settings: Settings,
    *,
    now: datetime,
    send_all: bool = False,
    concurrency: int = 100,
    policy: RetryPolicy | None = None,
    renderers: Mapping[str, Callable[[Sequence[str]], Render]] | None = None,
    grace: timedelta | None = None,
    refresh: bool = False,
    day: Date | None = None,
    resend: bool = False,
) -> list[DeliveryResult]:
    """Deliver the digest to every enabled subscription that is due (see `due_date`).

    Deliveries to different chats run concurrently (at most `concurrency` per platform); one chat's
    failure never stops the others. `digests` is a DigestService (`get_or_build(day, language,
    now=...)`); `refresh` rebuilds each digest once before its first delivery of the day. `day`
    sends that date's digest instead of the current one; `resend` sends it again to chats that
    already received it. The whole call is one claim owner: a delivery another call or process
    holds is skipped ("being sent by …"), never sent twice.
    """
    owner = new_owner()
    gates: dict[str, asyncio.Semaphore] = {}  # per platform, so one slow platform never starves another
    rendered: dict[tuple[str, Filters], tuple[Digest, list[OutMessage]]] = {}

    def shared(platform: str, filters: Filters, render: Render) -> Render:
        """Render each (platform, filters, digest) once per run: 100 chats share one ~3 ms render."""
        key = (platform, filters)

        def cached(digest: Digest) -> list[OutMessage]:
            hit = rendered.get(key)
            if hit is None or hit[0] is not digest:
                hit = rendered[key] = (digest, list(render(digest)))
            return hit[1]

        return cached

    async def one(sub: Subscription) -> DeliveryResult:
        adapter = adapters.get(sub.platform)
        if adapter is None:
            return DeliveryResult(sub, "skipped", 0, f"{sub.platform} is not configured")
        day = due.get(sub.id)
        if day is None:
            return DeliveryResult(sub, "skipped", 0, f"not due ({sub.time} {sub.timezone})", due=False)
        date = day.isoformat()
        existing = store.get_delivery(sub.id, date)
        if existing is not None and existing.status == "sent" and not resend:
            return DeliveryResult(sub, "skipped", 0, "already sent", due=False)
        async with gates.setdefault(sub.platform, asyncio.Semaphore(max(1, concurrency))):
            try:
                digest = None
                if existing is None or resend:
                    digest = await digests.get_or_build(day, sub.language, now=now)
                custom = (renderers or {}).get(sub.platform)
                own = custom(sub.sections) if custom else renderer_for(sub.platform, sub.sections)
                # The chat's sections and keywords filter the shared digest before rendering.
                filters = Filters.of(sub)
                render = shared(sub.platform, filters, filtered_renderer(own, filters))
                return await deliver(store, adapter, sub, digest, date=date, render=render, policy=policy,
                                     owner=owner, resend=resend)
            except Exception as exc:  # one chat's failure never stops the others
                # The type only: an SDK's message can carry a token (the log has the details).
                log.exception("delivery.error sub=%d platform=%s chat=%s", sub.id, sub.platform, sub.chat_id)
                return DeliveryResult(sub, "failed", 0, f"internal error ({type(exc).__name__}), see the log")

    subs = store.list_subscriptions(enabled_only=True)
    due: dict[int, Date] = {}
    wanted_day = day
    for sub in subs:
        try:
            day = due_date(sub, now, send_all, grace, wanted_day)
        except (KeyError, ValueError):  # an unknown zone in one row must not stop the others
            log.error("schedule.bad_subscription sub=%d tz=%s time=%s", sub.id, sub.timezone, sub.time)
            continue
        if day is not None:
            due[sub.id] = day
    if refresh:
        await _refresh_digests(store, digests, [(s, due[s.id]) for s in subs if s.id in due], now)
    return list(await asyncio.gather(*(one(s) for s in subs)))
