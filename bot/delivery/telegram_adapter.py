"""The Telegram adapter: the only module importing python-telegram-bot.

Sends HTML messages with previews off and inline keyboards, maps Bot API errors onto
bot.delivery.errors, and turns commands (private chats, groups and channel posts) and button
presses into Requests. Updates are handled concurrently so a button answer never waits behind a
delivery (Telegram drops callback answers after 15 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import warnings
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram import error as tg_error
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.delivery.adapter import (
    LANGUAGES,
    TELEGRAM_LIMITS,
    CommandSpec,
    OnRequest,
    PlatformLimits,
    client_language,
    decode_press,
    expired_button,
    localized_specs,
    split_text,
)
from bot.delivery.answers import Answers, quick
from bot.delivery.errors import (
    ChatMigrated,
    ChatUnavailable,
    DeliveryError,
    PermanentError,
    RetryAfter,
    StartRefused,
    TransientError,
)
from bot.delivery.pacing import Pacer
from bot.delivery.telegram_webhook import WebhookOptions, WebhookServer
from bot.digest.telegram_render import escape_telegram, render_telegram
from bot.digest.text import utf16_len
from bot.models import OutMessage, Reply, Request
from bot.redact import redact

log = logging.getLogger(__name__)

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]+))?(?:\s+|$)")
_UNAVAILABLE = (
    "chat not found", "not enough rights", "have no rights", "need administrator rights",
    "chat_write_forbidden", "chat_restricted", "user is deactivated", "peer_id_invalid",
    "bot is not a member", "channel_private",
)
ALLOWED_UPDATES = ["message", "channel_post", "callback_query"]
BUTTONS_PER_ROW = 3
OPTIONS_PER_ROW = 2  # a menu's options as toggle buttons ("✅ Industry news" is long on a phone)
ANSWER_TEXT_MAX = 200  # answerCallbackQuery: a quick refusal shown to the presser alone


class TelegramAdapter:
    """python-telegram-bot Application (polling or webhook), own pacing and our error mapping."""

    platform = "telegram"
    limits: PlatformLimits = TELEGRAM_LIMITS

    def __init__(
        self,
        token: str,
        *,
        base_url: str = "",
        commands: Sequence[Any] | None = None,
        pacer: Pacer | None = None,
        poll_timeout: float = 10.0,
        request_timeout: float = 10.0,
        webhook: WebhookOptions | None = None,
    ) -> None:
        self._token = token
        self.webhook = webhook  # None: long polling (no open port needed)
        self.webhook_server: WebhookServer | None = None  # while running in webhook mode (.port)
        self.base_url = base_url
        self._commands = commands
        self.pacer = pacer or Pacer(self.limits)
        self.poll_timeout = poll_timeout
        builder = (
            Application.builder()
            .token(token)
            .job_queue(None)  # APScheduler is the only scheduler
            .concurrent_updates(True)
            .connect_timeout(request_timeout)
            .read_timeout(request_timeout)
            .write_timeout(request_timeout)
            .pool_timeout(request_timeout)
        )
        if base_url:
            url = base_url.rstrip("/")
            builder = builder.base_url(url if url.endswith("/bot") else url + "/bot")
        self.app = builder.build()
        self._on_request: OnRequest | None = None
        self._started = False
        self._handlers_added = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self.answers = Answers(self.platform)  # updates being answered; dropped at stop

    # ------------------------------------------------------------------ lifecycle

    async def _ensure_initialized(self) -> None:
        if not self.app._initialized:
            await self.app.initialize()

    async def start(self, on_request: OnRequest) -> None:
        """Connect, or raise StartRefused (token rejected, bad webhook setting: do not retry) or
        TransientError (the Bot API cannot be reached: retry later). Neither carries SDK text,
        which can hold the token."""
        try:
            await self._start(on_request)
        except StartRefused:  # the webhook settings (WebhookConfigError): names the variable, not its value
            raise
        except tg_error.TelegramError as exc:
            with contextlib.suppress(Exception):  # already failing: the start error is what counts
                await self.stop()
            if isinstance(exc, tg_error.InvalidToken):
                raise StartRefused("the Bot API rejected the token (Unauthorized)") from None
            reason = redact(str(exc.message), [self._token])
            raise TransientError(f"cannot reach the Bot API ({type(exc).__name__}: {reason})") from None

    async def _start(self, on_request: OnRequest) -> None:
        """Initialize, register commands, start the application, then long polling or the webhook."""
        if self.webhook is not None:
            try:
                self.webhook.checked_secret()  # refuse before connecting anything
            except ValueError as exc:
                log.error("telegram.webhook_refused reason=%s", exc)
                raise
        self._on_request = on_request
        self.answers.resume()
        app = self.app
        if not self._handlers_added:  # start() is retried after a network failure
            app.add_handler(
                MessageHandler(
                    (filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST)
                    & filters.TEXT
                    & filters.Regex(r"^/[A-Za-z0-9_]"),
                    self._on_command,
                )
            )
            app.add_handler(CallbackQueryHandler(self._on_callback))
            app.add_error_handler(self._on_error)
            self._handlers_added = True
        await self._ensure_initialized()
        menus = localized_specs(self._commands)
        await self._register(menus)
        await app.start()
        try:
            if self.webhook is not None:
                await self._start_webhook(self.webhook)
            else:
                assert app.updater is not None
                await app.updater.start_polling(
                    poll_interval=0.0, timeout=int(self.poll_timeout), allowed_updates=ALLOWED_UPDATES
                )
        except BaseException:
            await self.stop()  # a port in use or a refused setWebhook: leave nothing running
            raise
        self._started = True
        log.info(
            "telegram.started bot=%s mode=%s commands=%d",
            app.bot.username, "webhook" if self.webhook else "polling", len(menus[LANGUAGES[0]]),
        )

    async def _start_webhook(self, options: WebhookOptions) -> None:
        """Listen first, then setWebhook with the secret Telegram must echo in every request."""
        self.webhook_server = WebhookServer(options, self._on_webhook_update)
        await self.webhook_server.start()
        await self.app.bot.set_webhook(
            url=options.public_url(), secret_token=options.checked_secret(), allowed_updates=ALLOWED_UPDATES
        )

    async def _on_webhook_update(self, body: dict[str, Any]) -> None:
        update = Update.de_json(body, self.app.bot)
        await self.app.update_queue.put(update)  # the same queue polling fills

    async def _register(self, menus: dict[str, list[CommandSpec]]) -> None:
        """setMyCommands once per language: the first as the default menu, others by language_code."""
        default: list[BotCommand] = []
        for language, specs in menus.items():
            commands = [
                BotCommand(s.name, s.description[:256] if len(s.description) >= 3 else s.name.ljust(3))
                for s in specs
                if re.fullmatch(r"[a-z0-9_]{1,32}", s.name)
            ]
            if not commands or (language != LANGUAGES[0] and commands == default):
                continue  # nothing to register, or no translation: the default menu covers it
            if language == LANGUAGES[0]:
                default = commands
            try:
                await self.app.bot.set_my_commands(
                    commands, language_code=None if language == LANGUAGES[0] else language
                )
            except tg_error.TelegramError as exc:  # a menu is a nicety; commands still work
                log.warning("telegram.set_commands_failed language=%s reason=%s", language, exc)

    async def stop(self) -> None:
        """Stop polling or the webhook, the application, then shut it down (idempotent)."""
        self.answers.drop()  # queued chat replies are dropped, not paced out for minutes
        app = self.app
        try:
            if self.webhook_server is not None:
                await self.webhook_server.stop()
                self.webhook_server = None
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            if app._initialized:
                await app.shutdown()
        finally:
            self._started = False
        log.info("telegram.stopped")

    # ------------------------------------------------------------------ sending

    async def send(self, chat_id: str, message: OutMessage) -> str:
        """Send one HTML message (previews off, inline keyboard); map API errors to ours."""
        try:
            await self._ensure_initialized()
        except tg_error.TelegramError as exc:  # InvalidToken's text embeds the token: never pass it on
            raise map_error(exc) from None
        text = message.text
        if not text and message.embeds:
            text = "\n\n".join(
                f"<b>{html.escape(e.title, quote=False)}</b>\n{html.escape(e.description, quote=False)}"
                for e in message.embeds
            )
        target: int | str = int(chat_id) if str(chat_id).lstrip("-").isdigit() else chat_id
        try:
            sent = await self.app.bot.send_message(
                chat_id=target,
                text=text,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                reply_markup=keyboard(message),
            )
        except tg_error.TelegramError as exc:
            raise map_error(exc) from exc
        return str(sent.message_id)

    async def edit(self, query: Any, chat_id: str, message: OutMessage) -> bool:
        """Replace the text and keyboard of the message whose button was pressed; False when
        Telegram will not (the caller then sends a new message). Content identical to what is
        shown already counts as done."""
        slot = await self.pacer.acquire(chat_id)
        try:
            await query.edit_message_text(
                message.text, parse_mode=ParseMode.HTML, reply_markup=keyboard(message),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except tg_error.BadRequest as exc:
            if "not modified" in str(exc.message).lower():
                return True  # a stale button showing the state that is already saved
            log.warning("telegram.edit_failed chat=%s reason=%s", chat_id, redact(str(exc.message), [self._token]))
            return False
        except tg_error.TelegramError as exc:
            log.warning("telegram.edit_failed chat=%s reason=%s", chat_id, type(exc).__name__)
            return False
        finally:
            self.pacer.done(slot)
        return True

    # ------------------------------------------------------------------ incoming

    async def _is_admin(self, chat: Any, user_id: int | None) -> bool:
        if chat.type == "private":
            return True  # a user administers their own private chat
        if user_id is None:
            return False
        try:
            member = await self.app.bot.get_chat_member(chat.id, user_id)
        except tg_error.TelegramError as exc:
            log.warning("telegram.admin_check_failed chat=%s user=%s reason=%s", chat.id, user_id, exc)
            return False
        return member.status in ("creator", "administrator")

    @staticmethod
    def _chat_type(chat: Any) -> str:
        return {"private": "private", "channel": "channel"}.get(chat.type, "group")

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if self.answers.stopping or message is None or not message.text:
            return
        if message.is_automatic_forward:
            return  # a channel post copied into its discussion group: handled as the channel post
        match = _COMMAND.match(message.text)
        if match is None:
            return
        addressed = match.group(2)
        if addressed and addressed.lower() != (self.app.bot.username or "").lower():
            return  # "/digest@otherbot" in a group is not ours
        chat = message.chat
        args = tuple(message.text[match.end():].split())
        if update.channel_post is not None:
            user_id = str(message.sender_chat.id) if message.sender_chat else str(chat.id)
            admin = True  # only channel administrators can post in a channel
            language = None
        else:
            user = message.from_user
            # Sent "as" a chat (an anonymous admin as the group, or a user as their channel): the
            # chat is the sender; Telegram shows every such message as one shared bot account.
            sender = message.sender_chat
            user_id = str(sender.id) if sender is not None else (str(user.id) if user else "")
            anonymous_admin = sender is not None and sender.id == chat.id
            admin = anonymous_admin or await self._is_admin(chat, user.id if user and sender is None else None)
            language = client_language(user.language_code if user else None)
        request = self._request(chat, user_id, match.group(1).lower(), args, admin, language)
        await self.answers.serve(self._run(request))

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or self.answers.stopping:
            return
        language = client_language(query.from_user.language_code)
        press = decode_press(query.data)
        if press is None or query.message is None:
            # Not a payload the bot issued (forged, or from an older version): run nothing.
            log.info("telegram.button_refused query=%s user=%s", query.id, query.from_user.id)
            await self._answer_query(query, expired_button(language))
            return
        chat = query.message.chat
        admin = await self._is_admin(chat, query.from_user.id)
        request = self._request(
            chat, str(query.from_user.id), press.command, press.args, admin, language, press.action
        )
        await self.answers.serve(self._run_press(query, request))

    def _request(
        self, chat: Any, user_id: str, command: str, args: tuple[str, ...], admin: bool, language: str | None,
        press: str | None = None,
    ) -> Request:
        return Request(
            platform=self.platform, chat_id=str(chat.id), user_id=user_id, command=command, args=args,
            is_chat_admin=admin, chat_type=self._chat_type(chat), language=language,  # type: ignore[arg-type]
            press=press,
        )

    async def _answer_query(self, query: Any, text: str | None) -> None:
        try:
            await query.answer(text=text)
        except tg_error.TelegramError as exc:
            log.warning("telegram.answer_failed query=%s reason=%s", query.id, type(exc).__name__)

    async def _run_press(self, query: Any, request: Request) -> None:
        """A button press: a quick refusal is shown to the presser alone (the query's answer, as
        a notification); anything else is answered in the chat. The query is always answered
        within seconds: Telegram gives up on it after 15."""
        work = asyncio.ensure_future(self._reply_for(request))
        try:
            reply = await quick(work)
            if reply is not None and reply.ephemeral and reply.digest is None and 0 < len(reply.text) <= ANSWER_TEXT_MAX:
                await self._answer_query(query, reply.text)
                return
            await self._answer_query(query, None)
            reply = await work
            edited = self._replacement(reply)
            if edited is not None and await self.edit(query, request.chat_id, edited):
                return
            await self.send_reply(request.chat_id, reply)
        finally:
            if not work.done():
                work.cancel()

    async def _reply_for(self, request: Request) -> Reply:
        return await self.answers.reply_for(self._on_request, request)

    async def _run(self, request: Request) -> None:
        await self.send_reply(request.chat_id, await self._reply_for(request))

    def _replacement(self, reply: Reply) -> OutMessage | None:
        """The one message that replaces a pressed message, or None when the reply asks for a new
        message or does not fit in one."""
        if not reply.replace or reply.digest is not None or not reply.text:
            return None
        text = escape_telegram(reply.text)
        if utf16_len(text) > self.limits.max_text:
            return None
        return OutMessage(text=text, buttons=reply.buttons, selects=reply.selects)

    async def send_reply(self, chat_id: str, reply: Reply) -> None:
        """Render a handler's Reply (escaped text and buttons, or a digest) and send it, paced."""
        messages: list[OutMessage] = []
        if reply.digest is not None:
            messages.extend(render_telegram(reply.digest))
        if reply.text:
            parts = split_text(escape_telegram(reply.text), self.limits.max_text, utf16_len)
            for i, part in enumerate(parts):
                last = i == len(parts) - 1
                messages.append(
                    OutMessage(text=part, buttons=reply.buttons if last else (), selects=reply.selects if last else ())
                )
        for message in messages:
            try:
                await self._send_retrying(chat_id, message)
            except DeliveryError as exc:
                log.warning("telegram.reply_failed chat=%s reason=%s", chat_id, exc.reason)
                return

    async def _send_retrying(self, chat_id: str, message: OutMessage) -> str:
        for attempt in range(4):
            slot = await self.pacer.acquire(chat_id)
            try:
                try:
                    return await self.send(chat_id, message)
                finally:
                    self.pacer.done(slot)
            except RetryAfter as exc:
                if attempt == 3:
                    raise
                await self.pacer.sleep(exc.seconds)
            except TransientError:
                if attempt == 3:
                    raise
                await self.pacer.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram.update_error error=%r", context.error, exc_info=context.error)


def keyboard(message: OutMessage) -> InlineKeyboardMarkup | None:
    """The inline keyboard: each menu as one toggle button per option (Telegram has no menus;
    ✅ marks the chosen ones), then the buttons."""
    rows: list[list[InlineKeyboardButton]] = []
    for select in message.selects:
        toggles = [
            InlineKeyboardButton(("✅ " if o.selected else "▫️ ") + o.label, callback_data=o.toggle)
            for o in select.options
            if o.toggle
        ]
        rows += [toggles[i : i + OPTIONS_PER_ROW] for i in range(0, len(toggles), OPTIONS_PER_ROW)]
    buttons = [InlineKeyboardButton(b.label, callback_data=b.payload) for b in message.buttons]
    rows += [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    return InlineKeyboardMarkup(rows) if rows else None


def _retry_seconds(exc: tg_error.RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def map_error(exc: tg_error.TelegramError) -> DeliveryError:
    """Telegram's answers, as the Bot API documents them, onto the outbox's error policy."""
    text = str(exc.message if hasattr(exc, "message") else exc)
    if isinstance(exc, tg_error.RetryAfter):
        return RetryAfter(_retry_seconds(exc), text)
    if isinstance(exc, tg_error.ChatMigrated):
        return ChatMigrated(str(exc.new_chat_id))
    if isinstance(exc, tg_error.Forbidden):
        return ChatUnavailable(text)
    if isinstance(exc, tg_error.BadRequest):  # before NetworkError: BadRequest subclasses it
        if any(marker in text.lower() for marker in _UNAVAILABLE):
            return ChatUnavailable(text)
        return PermanentError(text)
    if isinstance(exc, tg_error.InvalidToken):  # its text can embed the token itself
        return StartRefused("the Bot API rejected the token (Unauthorized)")
    if isinstance(exc, tg_error.NetworkError):  # TimedOut, 5xx, dropped connections
        return TransientError(text)
    return TransientError(text)
