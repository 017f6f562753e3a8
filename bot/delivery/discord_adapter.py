"""The Discord adapter: the only module importing discord.py.

Posts messages (content + embeds + buttons, mentions disabled) through REST, registers one slash
command per handler command, and handles button presses generically in on_interaction so buttons
keep working across restarts. Every interaction is deferred at once (Discord fails it after 3 s),
then answered with follow-ups.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Sequence
from typing import Any, Optional

import aiohttp
import discord
import yarl
from discord import app_commands

from bot.delivery.adapter import (
    DISCORD_LIMITS,
    LANGUAGES,
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
    ChatUnavailable,
    DeliveryError,
    PermanentError,
    RetryAfter,
    StartRefused,
    TransientError,
)
from bot.delivery.pacing import Pacer
from bot.digest.discord_render import escape_discord, render_discord
from bot.models import OutMessage, Reply, Request

log = logging.getLogger(__name__)

MAX_ROWS, PER_ROW = 5, 5  # Discord: 5 action rows of 5 buttons


_LOCALES = {discord.Locale.chinese: "zh"}  # zh-CN; every other locale sees the default (English)


class _Translator(app_commands.Translator):
    """Hands Discord the descriptions kept on each locale_str (extras: language → text)."""

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        language = _LOCALES.get(locale)
        text = string.extras.get(language) if language else None
        return text if text and text != string.message else None


def _localized(texts: dict[str, str]) -> app_commands.locale_str:
    """The default-language text (≤ 100, Discord's limit), carrying the other languages as extras."""
    cut = {language: text[:100] for language, text in texts.items()}
    return app_commands.locale_str(cut[LANGUAGES[0]], **cut)


class _Client(discord.Client):
    """discord.Client that forwards component presses to the adapter."""

    def __init__(self, adapter: DiscordAdapter, **options: Any) -> None:
        super().__init__(**options)
        self.adapter = adapter
        self.tree = app_commands.CommandTree(self)
        self.connected = asyncio.Event()

    async def on_connect(self) -> None:
        self.connected.set()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.component:
            await self.adapter._on_component(interaction)


class DiscordAdapter:
    """discord.py Client + CommandTree, own pacing and our error mapping."""

    platform = "discord"
    limits: PlatformLimits = DISCORD_LIMITS

    def __init__(
        self,
        token: str,
        *,
        api_base_url: str = "",
        gateway_url: str = "",
        commands: Sequence[Any] | None = None,
        pacer: Pacer | None = None,
        max_ratelimit_timeout: float = 30.0,
    ) -> None:
        self._token = token
        self.api_base_url = api_base_url.rstrip("/")
        self.gateway_url = gateway_url
        self._commands = commands
        self.pacer = pacer or Pacer(self.limits)
        self._max_ratelimit_timeout = max_ratelimit_timeout
        self.client: _Client | None = None
        self._on_request: OnRequest | None = None
        self._connect_task: asyncio.Task[None] | None = None
        self._logged_in = False
        self._login_lock = asyncio.Lock()
        self.answers = Answers(self.platform)  # interactions being answered; dropped at stop

    # ------------------------------------------------------------------ lifecycle

    def _make_client(self) -> _Client:
        if self.api_base_url:  # a REST proxy (webhooks and interaction callbacks use it too)
            discord.http.Route.BASE = self.api_base_url
        if self.gateway_url:
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        discord.VoiceClient.warn_nacl = False  # no voice here: skip the "PyNaCl missing" warnings
        discord.VoiceClient.warn_dave = False
        intents = discord.Intents.none()
        intents.guilds = True
        return _Client(
            self,
            intents=intents,
            max_ratelimit_timeout=self._max_ratelimit_timeout,
            guild_ready_timeout=0.5,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    async def _ensure_login(self) -> _Client:
        async with self._login_lock:
            if self.client is None:
                self.client = self._make_client()
            if not self._logged_in:
                await self.client.login(self._token)
                self._logged_in = True
        return self.client

    async def start(self, on_request: OnRequest) -> None:
        """Connect, or raise StartRefused (token rejected: do not retry) or TransientError (Discord
        cannot be reached: retry later), never with the SDK's text."""
        try:
            await self._start(on_request)
        except Exception as exc:  # noqa: BLE001 - every start failure is mapped below
            with contextlib.suppress(Exception):  # a half-open client must not linger between attempts
                await self.stop()
            if isinstance(exc, discord.LoginFailure | discord.PrivilegedIntentsRequired):
                raise StartRefused(f"Discord refused the login ({type(exc).__name__})") from None
            raise TransientError(f"cannot reach Discord ({type(exc).__name__})") from None

    async def _start(self, on_request: OnRequest) -> None:
        """Log in, sync slash commands, connect the gateway as a task and wait until it is up."""
        self._on_request = on_request
        self.answers.resume()
        client = await self._ensure_login()
        menus = localized_specs(self._commands)
        specs = menus[LANGUAGES[0]]
        if client.tree.translator is None:
            await client.tree.set_translator(_Translator())  # description_localizations on sync
        for i, spec in enumerate(specs):
            command = self._slash({language: menu[i] for language, menu in menus.items()})
            if command is not None:
                client.tree.add_command(command, override=True)
        try:
            await client.tree.sync()
        except discord.HTTPException as exc:  # commands may be stale; buttons and sends still work
            log.warning("discord.sync_failed status=%s reason=%s", exc.status, exc.text)
        self._connect_task = asyncio.create_task(client.connect(reconnect=True), name="discord-gateway")
        waiter = asyncio.create_task(client.connected.wait())
        done, _ = await asyncio.wait({waiter, self._connect_task}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        if waiter not in done:
            waiter.cancel()
            if self._connect_task in done:
                self._connect_task.result()  # raise the gateway's error
            raise TimeoutError("discord gateway did not connect within 30 s")
        log.info("discord.started user=%s commands=%d", client.user, len(specs))

    async def stop(self) -> None:
        """Close the client and wait for the gateway task (idempotent)."""
        self.answers.drop()  # answers still in progress are dropped, not awaited
        client = self.client
        if client is not None and not client.is_closed():
            await client.close()
        if self._connect_task is not None:
            try:
                await asyncio.wait_for(self._connect_task, 5)
            except (asyncio.CancelledError, TimeoutError, Exception):  # noqa: BLE001 - shutting down
                pass
            self._connect_task = None
        self.client = None
        self._logged_in = False
        log.info("discord.stopped")

    # ------------------------------------------------------------------ slash commands

    def _slash(self, localized: dict[str, CommandSpec]) -> app_commands.Command[Any, Any, Any] | None:
        spec = localized[LANGUAGES[0]]
        name = spec.name.lower()
        if not (1 <= len(name) <= 32) or not name.replace("_", "").replace("-", "").isalnum():
            return None
        params = sorted(spec.params, key=lambda p: not p.required)  # required options first

        async def callback(interaction: discord.Interaction, **options: str | None) -> None:
            args = tuple(str(options[p.name]) for p in spec.params if options.get(p.name))
            await self._on_slash(interaction, name, args)

        signature = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                       annotation=discord.Interaction)]
        for p in params:
            signature.append(
                inspect.Parameter(
                    p.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                    default=inspect.Parameter.empty if p.required else None,
                    annotation=str if p.required else Optional[str],
                )
            )
        callback.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
        callback.__annotations__ = {s.name: s.annotation for s in signature}
        described = {
            p.name: _localized({lang: s.params[j].description or p.name for lang, s in localized.items()})
            for j, p in enumerate(spec.params)
        }
        if described:
            callback = app_commands.describe(**described)(callback)
        description = _localized({lang: s.description or name for lang, s in localized.items()})
        return app_commands.Command(name=name, description=description, callback=callback)

    # ------------------------------------------------------------------ sending

    @staticmethod
    def _view(message: OutMessage) -> discord.ui.View | None:
        if not message.buttons and not message.selects:
            return None
        view = discord.ui.View(timeout=None)  # persistent: custom_id = payload, handled in on_interaction
        menus = message.selects[:MAX_ROWS]
        for row, select in enumerate(menus):  # a menu fills its row; Discord allows 25 options
            options = [
                discord.SelectOption(label=o.label[:100], value=o.value[:100], default=o.selected)
                for o in select.options[:25]
            ]
            view.add_item(
                discord.ui.Select(
                    custom_id=select.payload[:100], placeholder=select.placeholder[:150] or None,
                    min_values=min(select.min_values, len(options)), max_values=min(select.max_values, len(options)),
                    options=options, row=row,
                )
            )
        for i, button in enumerate(message.buttons[: (MAX_ROWS - len(menus)) * PER_ROW]):
            view.add_item(
                discord.ui.Button(
                    label=button.label[:80], custom_id=button.payload[:100],
                    style=discord.ButtonStyle.secondary, row=len(menus) + i // PER_ROW,
                )
            )
        return view

    @staticmethod
    def _embeds(message: OutMessage) -> list[discord.Embed]:
        return [discord.Embed(title=e.title or None, description=e.description or None, url=e.url) for e in message.embeds]

    async def send(self, chat_id: str, message: OutMessage) -> str:
        """Post one message to a channel; map discord.py errors to ours."""
        try:
            client = await self._ensure_login()
        except discord.LoginFailure:
            raise StartRefused("Discord refused the login (LoginFailure)") from None
        view = self._view(message)
        channel = client.get_partial_messageable(int(chat_id))
        kwargs: dict[str, Any] = {
            "content": message.text or None,
            "embeds": self._embeds(message),
            "allowed_mentions": discord.AllowedMentions.none(),
        }
        if view is not None:
            kwargs["view"] = view
        try:
            sent = await channel.send(**kwargs)
        except Exception as exc:
            mapped = map_error(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        finally:
            if view is not None:
                view.stop()  # presses are handled generically; do not keep a view per message
        return str(sent.id)

    # ------------------------------------------------------------------ incoming

    def _request(
        self, interaction: discord.Interaction, command: str, args: tuple[str, ...], press: str | None = None
    ) -> Request:
        in_guild = interaction.guild_id is not None
        perms = interaction.permissions
        admin = (perms.manage_guild or perms.manage_channels) if in_guild else True
        return Request(
            platform=self.platform,
            chat_id=str(interaction.channel_id),
            user_id=str(interaction.user.id),
            command=command,
            args=args,
            is_chat_admin=bool(admin),
            chat_type="group" if in_guild else "private",
            language=client_language(str(interaction.locale.value) if interaction.locale else None),
            press=press,
        )

    async def _on_slash(self, interaction: discord.Interaction, command: str, args: tuple[str, ...]) -> None:
        await self.answers.serve(self._answer(interaction, self._request(interaction, command, args), slash=True))

    async def _on_component(self, interaction: discord.Interaction) -> None:
        if self.answers.stopping:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        press = decode_press(data.get("custom_id"), data.get("values"))  # values: a select menu's choice
        if press is None:
            # Not a payload the bot issued (forged, or from an older version): run nothing.
            language = client_language(str(interaction.locale.value) if interaction.locale else None)
            log.info("discord.button_refused interaction=%s user=%s", interaction.id, interaction.user.id)
            await self._respond(interaction, Reply(text=expired_button(language), ephemeral=True))
            return
        request = self._request(interaction, press.command, press.args, press.action)
        await self.answers.serve(self._answer(interaction, request, slash=False))

    async def _reply_for(self, request: Request) -> Reply:
        return await self.answers.reply_for(self._on_request, request)

    async def _answer(self, interaction: discord.Interaction, request: Request, *, slash: bool) -> None:
        """Answer in the first response when the handler is quick (so a refusal can be ephemeral);
        otherwise acknowledge within Discord's 3 seconds and answer when the work is done."""
        work = asyncio.ensure_future(self._reply_for(request))
        try:
            reply = await quick(work)
            if reply is not None:
                if not slash and self._replacement(reply) is not None:
                    await self._update(interaction, reply)
                else:
                    await self._respond(interaction, reply)
                return
            try:
                if slash:  # private "thinking…": whether the answer is a refusal is not known yet
                    await interaction.response.defer(thinking=True, ephemeral=True)
                else:  # a button: no visible loading state at all
                    await interaction.response.defer()
            except discord.HTTPException as exc:
                log.warning("discord.defer_failed interaction=%s status=%s", interaction.id, exc.status)
                return
            reply = await work
            if not slash and self._replacement(reply) is not None:
                await self._update(interaction, reply, late=True)
            else:
                await self._respond_late(interaction, reply, slash=slash)
        finally:
            if not work.done():
                work.cancel()

    def _send_kwargs(self, message: OutMessage, ephemeral: bool | None) -> tuple[dict[str, Any], discord.ui.View | None]:
        view = self._view(message)
        kwargs: dict[str, Any] = {
            "content": message.text or None,
            "embeds": self._embeds(message),
            "allowed_mentions": discord.AllowedMentions.none(),
        }
        if ephemeral is not None:
            kwargs["ephemeral"] = ephemeral
        if view is not None:
            kwargs["view"] = view
        return kwargs, view

    async def _respond(self, interaction: discord.Interaction, reply: Reply) -> None:
        """The first message as the interaction's response (ephemeral if the reply is), the rest as
        follow-ups."""
        for i, message in enumerate(self.reply_messages(reply)):
            kwargs, view = self._send_kwargs(message, reply.ephemeral)
            try:
                if i == 0:
                    await interaction.response.send_message(**kwargs)
                else:
                    await interaction.followup.send(**kwargs)
            except Exception as exc:  # noqa: BLE001 - one failed answer is logged, not raised
                log.warning("discord.answer_failed interaction=%s reason=%s", interaction.id, type(exc).__name__)
                return
            finally:
                if view is not None:
                    view.stop()  # presses are handled generically; do not keep a view per message

    async def _respond_late(self, interaction: discord.Interaction, reply: Reply, *, slash: bool) -> None:
        """After a deferral. A slash command's private "thinking…" message takes a refusal; a
        public answer closes it with a tick and follows publicly (the first follow-up to a deferred
        response would inherit its privacy, so the deferred message is filled first)."""
        messages = self.reply_messages(reply)
        try:
            if slash and reply.ephemeral:
                kwargs, view = self._send_kwargs(messages[0], None)
                try:
                    await interaction.edit_original_response(**kwargs)
                finally:
                    if view is not None:
                        view.stop()
                messages = messages[1:]
            elif slash:
                await interaction.edit_original_response(content="✅")
            for message in messages:
                kwargs, view = self._send_kwargs(message, reply.ephemeral)
                try:
                    await interaction.followup.send(**kwargs)
                finally:
                    if view is not None:
                        view.stop()
        except Exception as exc:  # noqa: BLE001 - one failed follow-up is logged, not raised
            log.warning("discord.followup_failed interaction=%s reason=%s", interaction.id, type(exc).__name__)

    def _replacement(self, reply: Reply) -> OutMessage | None:
        """The one message that replaces a pressed message, or None (a new message is posted)."""
        if not reply.replace or reply.ephemeral or reply.digest is not None:
            return None
        messages = self.reply_messages(reply)
        return messages[0] if len(messages) == 1 else None

    async def _update(self, interaction: discord.Interaction, reply: Reply, *, late: bool = False) -> None:
        """Edit the message whose component was used: the interaction's response (type 7,
        UPDATE_MESSAGE) or, after a deferred update (type 6), its original message."""
        message = self._replacement(reply)
        assert message is not None
        kwargs, view = self._send_kwargs(message, None)
        kwargs["view"] = view  # None removes the old components
        try:
            if late:
                await interaction.edit_original_response(**kwargs)
            else:
                await interaction.response.edit_message(**kwargs)
        except Exception as exc:  # noqa: BLE001 - one failed answer is logged, not raised
            log.warning("discord.update_failed interaction=%s reason=%s", interaction.id, type(exc).__name__)
        finally:
            if view is not None:
                view.stop()

    def reply_messages(self, reply: Reply) -> list[OutMessage]:
        """A handler's Reply as Discord messages: the rendered digest, then the escaped text."""
        messages: list[OutMessage] = []
        if reply.digest is not None:
            messages.extend(render_discord(reply.digest))
        if reply.text:
            parts = split_text(escape_discord(reply.text), self.limits.max_text)
            for i, part in enumerate(parts):
                last = i == len(parts) - 1
                messages.append(
                    OutMessage(text=part, buttons=reply.buttons if last else (), selects=reply.selects if last else ())
                )
        return messages or [OutMessage(text="✅")]


def map_error(exc: BaseException) -> BaseException:
    """Discord's answers onto the outbox's error policy (unknown exceptions pass through)."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, discord.RateLimited):
        return RetryAfter(exc.retry_after)
    if isinstance(exc, discord.HTTPException):
        what = f"{exc.status} {exc.text or ''} (code {exc.code})".strip()
        if isinstance(exc, discord.Forbidden | discord.NotFound):  # 50001 Missing Access, 10003 Unknown Channel
            return ChatUnavailable(what)
        if exc.status == 429:  # a 429 without Via: Cloudflare, wait long
            return RetryAfter(60.0, f"rate limited by Cloudflare: {what}")
        if exc.status >= 500:
            return TransientError(what)
        return PermanentError(what)
    if isinstance(exc, aiohttp.ClientError | OSError | asyncio.TimeoutError):
        return TransientError(f"{type(exc).__name__}: {exc}")
    return exc
