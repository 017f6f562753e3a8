"""Send errors every adapter raises, so the outbox applies one policy to every platform."""

from __future__ import annotations


class DeliveryError(Exception):
    """Base class: a platform refused or failed one send; `reason` is one readable sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryAfter(DeliveryError):
    """The platform rate-limited us (HTTP 429): wait `seconds`, then send the same message again."""

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"rate limited: retry after {seconds:g} s")
        self.seconds = float(seconds)


class TransientError(DeliveryError):
    """5xx, timeout or dropped connection: retry with backoff; the message may or may not have landed."""


class ChatUnavailable(DeliveryError):
    """Bot blocked or kicked, chat or channel gone, no access: the subscription is disabled."""


class ChatMigrated(DeliveryError):
    """A Telegram group became a supergroup with a new id; the subscription follows it."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat migrated to {new_chat_id}")
        self.new_chat_id = str(new_chat_id)


class PermanentError(DeliveryError):
    """The platform rejected this message itself (bad formatting, too long): retrying cannot help."""


class StartRefused(DeliveryError):
    """The platform will not let the bot in (a rejected token, an unusable webhook setting): retrying
    cannot help, so the service stops and says why. `reason` never contains the token."""
