"""What an operator needs at a glance, read from the store: the admins' /status and `digestbot status`.

Both read the same report, so the chat and the shell never disagree: each platform's health as the
service recorded it and its last successful send, messages still waiting for enabled subscriptions,
failing feeds, the last digest built and today's model use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.instance import running_pid
from bot.models import Feed

if TYPE_CHECKING:
    from storage.store import Store

NOT_WELL = ("retrying", "failed")


@dataclass(frozen=True)
class PlatformStatus:
    platform: str
    state: str  # starting / up / retrying / failed / stopped, or "unknown" (never recorded)
    reason: str | None
    since: datetime | None
    last_sent: datetime | None


@dataclass(frozen=True)
class StatusReport:
    service_pid: int | None  # the running service's pid, None when none runs on this store
    platforms: tuple[PlatformStatus, ...]
    pending_messages: int  # enabled subscriptions only: a disabled chat's leftovers never go
    failing_feeds: tuple[Feed, ...]
    last_fetch: datetime | None
    last_digest: tuple[str, str, datetime] | None  # (date, language, built at)
    model_usage: dict[str, int]  # store.model_usage_since(local midnight): calls, failures, tokens…
    subscriptions_active: int
    subscriptions_disabled: int

    @property
    def well(self) -> bool:
        """False when a platform needs attention (refused, or unreachable while the service runs)."""
        return not any(
            p.state == "failed" or (p.state == "retrying" and self.service_pid is not None)
            for p in self.platforms
        )


def collect_status(store: Store, db_path: str, timezone: str, now: datetime) -> StatusReport:
    """Read the report; model use counts from midnight in `timezone`."""
    health = {h.platform: h for h in store.platform_health()}
    sent = store.last_sent_by_platform()
    platforms = tuple(
        PlatformStatus(
            name,
            health[name].state if name in health else "unknown",
            health[name].reason if name in health else None,
            health[name].since if name in health else None,
            sent.get(name),
        )
        for name in sorted(set(health) | set(sent))
    )
    zone = ZoneInfo(timezone)
    midnight = datetime.combine(now.astimezone(zone).date(), time(0, 0), tzinfo=zone)
    subs = store.list_subscriptions()
    active = sum(1 for s in subs if s.enabled)
    return StatusReport(
        service_pid=running_pid(db_path),
        platforms=platforms,
        pending_messages=store.pending_messages(),
        failing_feeds=tuple(store.failing_feeds()),
        last_fetch=store.last_fetch_time(),
        last_digest=store.last_digest_built(),
        model_usage=store.model_usage_since(midnight),
        subscriptions_active=active,
        subscriptions_disabled=len(subs) - active,
    )


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def status_lines(report: StatusReport) -> list[str]:
    """The report as plain lines for `digestbot status` (the chat's /status is localised instead)."""
    pid = report.service_pid
    lines = [f"service: running (pid {pid})" if pid else "service: not running"]
    for p in report.platforms:
        reason = f" ({p.reason})" if p.reason else ""
        lines.append(f"{p.platform}: {p.state}{reason} since {_when(p.since)}; last sent {_when(p.last_sent)}")
    if not report.platforms:
        lines.append("platforms: none recorded (the service has not run on this database)")
    lines.append(f"messages waiting (enabled subscriptions): {report.pending_messages}")
    lines.append(f"subscriptions: {report.subscriptions_active} enabled, {report.subscriptions_disabled} disabled")
    lines.append(f"last fetch: {_when(report.last_fetch)}")
    lines.append(f"feeds failing: {len(report.failing_feeds)}")
    lines += [f"  #{f.id} {f.name or f.url}: {f.last_error}" for f in report.failing_feeds]
    built = report.last_digest
    lines.append(f"last digest built: {built[0]} ({built[1]}) at {_when(built[2])}" if built
                 else "last digest built: none")
    lines.append("model use today: " + " ".join(f"{k}={v}" for k, v in report.model_usage.items()))
    return lines
