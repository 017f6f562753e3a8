"""A fake Discord REST API (/api/v10) and gateway websocket on 127.0.0.1, speaking the real shapes
and enforcing the real limits, so discord.py can be driven unmodified in tests.

Point discord.py at it with `discord.http.Route.BASE = fake.api_base` and
`discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)`.
Rate windows run `time_scale` times faster than the wall clock; `retry_after` and the
X-RateLimit-* headers are reported in real seconds, because discord.py sleeps on them itself.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from fakes.loopback import LoopbackServer

APP_ID = 800000000000000001
BOT_ID = 800000000000000001
OWNER_ID = 800000000000000099
ISO = "2024-01-01T00:00:00+00:00"
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
_snowflakes = itertools.count(900000000000000001)


def snowflake() -> str:
    return str(next(_snowflakes))


def user_payload(user_id: int | str, name: str = "tester", bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id), "username": name, "discriminator": "0", "global_name": name,
        "avatar": None, "bot": bot, "flags": 0, "public_flags": 0,
    }


BOT_USER = user_payload(BOT_ID, "digestbot", bot=True) | {"verified": True, "mfa_enabled": False}


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str, extra: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.extra = extra or {}
        self.headers = headers or {}


class _Drop(Exception):
    """Close the connection without any response."""


@dataclass
class Posted:
    """One accepted message in a channel."""

    channel_id: str
    message_id: str
    payload: dict[str, Any]
    at: float = 0.0

    @property
    def content(self) -> str:
        return str(self.payload.get("content") or "")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.payload.get("embeds") or [])

    @property
    def custom_ids(self) -> list[str]:
        return [c.get("custom_id", "") for row in self.payload.get("components") or [] for c in row.get("components", [])]


@dataclass
class Shown:
    """A message an interaction produced, as Discord shows it: to everyone, or (ephemeral) only to
    the user who ran the command or pressed the button."""

    body: dict[str, Any]
    ephemeral: bool
    # "response" (callback type 4), "original" (the deferred message, filled), "followup", or
    # "update": the message whose component was used, edited (callback type 7, or type 6 then
    # PATCH @original); `message_id` is then that message's.
    via: str
    message_id: str = ""

    @property
    def content(self) -> str:
        return str(self.body.get("content") or "")

    @property
    def components(self) -> list[dict[str, Any]]:
        """Every component of the message (buttons and select menus), row by row."""
        return [c for row in self.body.get("components") or [] for c in row.get("components", [])]


@dataclass
class InteractionRecord:
    id: str
    token: str
    created: float
    callback: dict[str, Any] | None = None
    callback_after: float | None = None  # real seconds from dispatch to callback
    followups: list[dict[str, Any]] = field(default_factory=list)
    shown: list[Shown] = field(default_factory=list)
    loading: bool = False  # a deferred "thinking…" message waits for its content
    loading_ephemeral: bool = False
    deleted_original: bool = False
    kind: int = 2  # 2: a slash command, 3: a component (button or select menu)
    channel_id: str = ""
    message_id: str = ""  # a component's message


class FakeDiscord(LoopbackServer):
    """REST + gateway. `async with FakeDiscord() as dc:`; tests inject interactions and faults."""

    def __init__(
        self,
        token: str = "discord-test-token",
        *,
        time_scale: float = 1.0,
        per_channel: tuple[int, float] = (5, 5.0),
        global_limit: tuple[int, float] = (50, 1.0),
        rate_limits: bool = True,
        guilds: dict[str, list[str]] | None = None,
    ) -> None:
        self.token = token
        self.time_scale = time_scale
        self.per_channel = per_channel
        self.global_limit = global_limit
        self.rate_limits = rate_limits
        self.guilds = guilds or {"700000000000000001": ["700000000000000011", "700000000000000012"]}
        self.port = 0
        self.delivered: dict[str, list[Posted]] = defaultdict(list)
        self.faults: dict[str, deque[str]] = defaultdict(deque)
        self.commands: list[dict[str, Any]] = []
        self.interactions: dict[str, InteractionRecord] = {}
        # Every message the bot made (posted, or shown by an interaction), by id, as it is now.
        self.messages: dict[str, dict[str, Any]] = {}
        self.stats: dict[str, int] = defaultdict(int)
        self.rate_limited_at: list[float] = []  # server clock of every 429 from the rate windows
        self.identified = asyncio.Event()
        self._windows: dict[str, deque[float]] = defaultdict(deque)
        self._sockets: list[web.WebSocketResponse] = []
        self._seq = itertools.count(1)
        self._changed = asyncio.Condition()

    # ------------------------------------------------------------------ lifecycle

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    max_body = 8 * 1024 * 1024

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)

    async def closing(self) -> None:
        for ws in list(self._sockets):
            await ws.close()

    def now(self) -> float:
        return time.monotonic() * self.time_scale

    # ------------------------------------------------------------------ test controls

    def fail(self, channel_id: str | int, *kinds: str) -> None:
        """Queue faults for the next message posts to a channel: "missing_access" (403/50001),
        "unknown_channel" (404/10003), "500", "503", "429" (with Via), "429_no_via",
        "drop_before", "drop_after"."""
        self.faults[str(channel_id)].extend(kinds)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, channel_id: str | int, count: int, timeout: float = 5.0) -> list[Posted]:
        key = str(channel_id)
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.delivered[key]) >= count), timeout)
        return self.delivered[key]

    async def wait_shown(self, interaction_id: str, count: int = 1, timeout: float = 5.0) -> InteractionRecord:
        """Wait until an interaction has produced `count` visible messages (any way they were sent)."""
        record = self.interactions[interaction_id]
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(record.shown) >= count), timeout)
        return record

    async def wait_acknowledged(self, interaction_id: str, timeout: float = 5.0) -> InteractionRecord:
        """Wait until the bot has answered or deferred an interaction (its callback)."""
        record = self.interactions[interaction_id]
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: record.callback is not None), timeout)
        return record

    async def wait_followups(self, interaction_id: str, count: int = 1, timeout: float = 5.0) -> InteractionRecord:
        record = self.interactions[interaction_id]
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(record.followups) >= count), timeout)
        return record

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway DISPATCH to every connected client."""
        await self.identified.wait()
        frame = {"op": 0, "t": event, "s": next(self._seq), "d": data}
        for ws in list(self._sockets):
            await ws.send_str(json.dumps(frame))

    def _channel_payload(self, guild_id: str, channel_id: str, position: int = 0) -> dict[str, Any]:
        return {
            "id": channel_id, "type": 0, "guild_id": guild_id, "name": f"news-{position}",
            "position": position, "permission_overwrites": [], "nsfw": False, "topic": None,
            "last_message_id": None, "rate_limit_per_user": 0, "parent_id": None, "flags": 0,
        }

    def _guild_of(self, channel_id: str) -> str | None:
        return next((g for g, chans in self.guilds.items() if channel_id in chans), None)

    async def _interaction(self, kind: int, channel_id: str, user_id: str, data: dict[str, Any],
                           permissions: int, locale: str, message: dict[str, Any] | None) -> str:
        interaction_id, token = snowflake(), f"itoken-{snowflake()}"
        guild_id = self._guild_of(channel_id)
        payload: dict[str, Any] = {
            "id": interaction_id, "application_id": str(APP_ID), "type": kind, "data": data,
            "channel_id": channel_id, "token": token, "version": 1, "locale": locale,
            "app_permissions": str((1 << 41) - 1), "entitlements": [], "attachment_size_limit": 8388608,
            "authorizing_integration_owners": {"0": guild_id or user_id}, "context": 0 if guild_id else 1,
        }
        if guild_id:
            payload["guild_id"] = guild_id
            payload["guild_locale"] = "en-US"
            payload["channel"] = self._channel_payload(guild_id, channel_id)
            payload["member"] = {
                "user": user_payload(user_id), "roles": [], "joined_at": ISO, "deaf": False, "mute": False,
                "flags": 0, "pending": False, "nick": None, "avatar": None, "permissions": str(permissions),
            }
        else:
            payload["channel"] = {"id": channel_id, "type": 1, "recipients": [user_payload(user_id)]}
            payload["user"] = user_payload(user_id)
        if message is not None:
            payload["message"] = message
        self.interactions[interaction_id] = InteractionRecord(
            interaction_id, token, time.monotonic(), kind=kind, channel_id=channel_id,
            message_id=str(message["id"]) if message else "",
        )
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction_id

    async def inject_slash(self, channel_id: str | int, user_id: str | int, name: str,
                           options: dict[str, str] | None = None, *, permissions: int = 0,
                           locale: str = "en-US") -> str:
        """A user runs /name with string options in a channel; returns the interaction id."""
        command = next((c for c in self.commands if c["name"] == name), None)
        data = {
            "id": command["id"] if command else snowflake(), "name": name, "type": 1,
            "options": [{"name": k, "type": 3, "value": v} for k, v in (options or {}).items()],
        }
        return await self._interaction(2, str(channel_id), str(user_id), data, permissions, locale, None)

    def _component_message(self, channel: str, message_id: str | None, component: dict[str, Any]) -> dict[str, Any]:
        """The message a component interaction comes from: one the bot made (as it is now), or a
        made-up one carrying just that component."""
        known = self.messages.get(message_id or "")
        if known is not None:
            return self._message(message_id or "", channel, known)
        return self._message(snowflake(), channel, {"content": "digest", "components": [
            {"type": 1, "components": [component]}]})

    async def inject_button(self, channel_id: str | int, user_id: str | int, custom_id: str, *,
                            permissions: int = 0, locale: str = "en-US", message_id: str | None = None) -> str:
        """A user presses a button with `custom_id` under one of the bot's messages (`message_id`,
        or a made-up message)."""
        channel = str(channel_id)
        message = self._component_message(
            channel, message_id, {"type": 2, "style": 2, "label": "More", "custom_id": custom_id})
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interaction(3, channel, str(user_id), data, permissions, locale, message)

    async def inject_select(self, channel_id: str | int, user_id: str | int, custom_id: str, values: list[str], *,
                            permissions: int = 0, locale: str = "en-US", message_id: str | None = None) -> str:
        """A user chooses `values` in a select menu (component type 3) with `custom_id`. Under a
        message the bot made, Discord only lets them pick that menu's options, between its
        min_values and max_values; without `message_id` anything is sent (a forged client)."""
        channel = str(channel_id)
        if message_id is not None:
            menu = next((c for row in self.messages[message_id].get("components") or []
                         for c in row.get("components", []) if c.get("custom_id") == custom_id), None)
            assert menu is not None and menu.get("type") == 3, f"no select menu {custom_id!r} on {message_id}"
            offered = {o["value"] for o in menu["options"]}
            assert set(values) <= offered and menu.get("min_values", 1) <= len(values) <= menu.get("max_values", 1)
        message = self._component_message(channel, message_id, {
            "type": 3, "custom_id": custom_id, "options": [{"label": v, "value": v} for v in values]})
        data = {"custom_id": custom_id, "component_type": 3, "values": list(values)}
        return await self._interaction(3, channel, str(user_id), data, permissions, locale, message)

    # ------------------------------------------------------------------ gateway

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        try:
            await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None}))
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
                elif op == 2:
                    await self._identify(ws, frame.get("d") or {})
                elif op == 6:
                    await ws.send_str(json.dumps({"op": 0, "t": "RESUMED", "s": next(self._seq), "d": {}}))
        finally:
            self._sockets.remove(ws)
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        ready = {
            "v": 10, "user": BOT_USER, "guilds": [{"id": g, "unavailable": True} for g in self.guilds],
            "session_id": f"session-{snowflake()}", "resume_gateway_url": self.gateway_url,
            "application": {"id": str(APP_ID), "flags": 0}, "private_channels": [], "relationships": [],
        }
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": next(self._seq), "d": ready}))
        for guild_id, channels in self.guilds.items():
            guild = {
                "id": guild_id, "name": f"Guild {guild_id[-3:]}", "icon": None, "owner_id": str(OWNER_ID),
                "roles": [{
                    "id": guild_id, "name": "@everyone", "permissions": "0", "position": 0, "color": 0,
                    "hoist": False, "managed": False, "mentionable": False, "flags": 0,
                }],
                "channels": [self._channel_payload(guild_id, c, i) for i, c in enumerate(channels)],
                "members": [], "member_count": 2, "features": [], "emojis": [], "stickers": [],
                "threads": [], "stage_instances": [], "guild_scheduled_events": [], "voice_states": [],
                "presences": [], "large": False, "unavailable": False, "joined_at": ISO,
                "premium_tier": 0, "system_channel_flags": 0, "verification_level": 0,
                "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0,
                "nsfw_level": 0, "preferred_locale": "en-US", "afk_timeout": 300,
            }
            await ws.send_str(json.dumps({"op": 0, "t": "GUILD_CREATE", "s": next(self._seq), "d": guild}))
        self.identified.set()

    # ------------------------------------------------------------------ REST

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        if request.headers.get("Authorization") not in (f"Bot {self.token}", None) and not path.startswith(
            ("interactions/", "webhooks/")
        ):
            return self._error(ApiError(401, 0, "401: Unauthorized"))
        body: Any = None
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
            elif request.content_type.startswith("multipart/"):
                form = await request.post()
                body = json.loads(str(form.get("payload_json") or "{}"))
        parts = path.strip("/").split("/")
        try:
            status, result, headers = await self._route(request.method, parts, body or {}, request)
        except ApiError as exc:
            self.stats[f"http_{exc.status}"] += 1
            return self._error(exc)
        except _Drop:
            self.stats["dropped"] += 1
            assert request.transport is not None
            request.transport.abort()
            raise asyncio.CancelledError() from None
        if status == 204:
            return web.Response(status=204, headers=headers)
        return self._json(result, status, headers)

    @staticmethod
    def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        # exactly "application/json" as Discord sends it: discord.py compares the header verbatim
        response = web.Response(body=json.dumps(payload).encode(), status=status, headers=headers)
        response.headers["Content-Type"] = "application/json"
        return response

    def _error(self, exc: ApiError) -> web.Response:
        payload = {"message": exc.message, "code": exc.code} | exc.extra
        return self._json(payload, exc.status, exc.headers)

    async def _route(self, method: str, parts: list[str], body: dict[str, Any],
                     request: web.Request) -> tuple[int, Any, dict[str, str]]:
        if parts == ["users", "@me"] and method == "GET":
            return 200, BOT_USER, {}
        if parts == ["oauth2", "applications", "@me"] and method == "GET":
            return 200, {
                "id": str(APP_ID), "name": "digestbot", "icon": None, "description": "", "summary": "",
                "rpc_origins": [], "bot_public": True, "bot_require_code_grant": False,
                "owner": user_payload(OWNER_ID, "owner"), "verify_key": "0" * 64, "team": None,
                "flags": 0, "bot": BOT_USER, "interactions_endpoint_url": None,
            }, {}
        if parts == ["gateway"] or parts == ["gateway", "bot"]:
            return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}}, {}
        if len(parts) == 3 and parts[0] == "applications" and parts[2] == "commands":
            if method == "PUT":
                for c in body:  # Discord: localized descriptions 1-100 chars, keys are locales
                    for item in (c, *c.get("options", [])):
                        for locale, text in (item.get("description_localizations") or {}).items():
                            if not re.fullmatch(r"[a-z]{2}(-[A-Z]{2})?", locale) or not 1 <= len(text) <= 100:
                                raise ApiError(400, 50035, "Invalid Form Body")
                self.commands = [self._command(c) for c in body]
                return 200, self.commands, {}
            return 200, self.commands, {}
        if len(parts) == 3 and parts[0] == "channels" and parts[2] == "messages" and method == "POST":
            return await self._post_message(parts[1], body)
        if len(parts) == 4 and parts[0] == "interactions" and parts[3] == "callback":
            return self._callback(parts[1], parts[2], body, request)
        if len(parts) >= 3 and parts[0] == "webhooks":
            return await self._followup(parts[2], method, parts[3:], body)
        raise ApiError(404, 0, "404: Not Found")

    @staticmethod
    def _command(c: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": snowflake(), "application_id": str(APP_ID), "version": snowflake(), "type": c.get("type", 1),
            "name": c["name"], "description": c.get("description", ""), "options": c.get("options", []),
            "name_localizations": c.get("name_localizations") or None,
            "description_localizations": c.get("description_localizations") or None,
            "default_member_permissions": c.get("default_member_permissions"),
            "dm_permission": c.get("dm_permission", True), "nsfw": c.get("nsfw", False),
            "contexts": c.get("contexts"), "integration_types": c.get("integration_types", [0]),
        }

    def _callback(self, interaction_id: str, token: str, body: dict[str, Any],
                  request: web.Request) -> tuple[int, Any, dict[str, str]]:
        record = self.interactions.get(interaction_id)
        if record is None or record.token != token:
            raise ApiError(404, 10062, "Unknown interaction")
        elapsed = time.monotonic() - record.created
        if record.callback is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if elapsed > 3.0:  # Discord invalidates the token if not answered within 3 s
            raise ApiError(404, 10062, "Unknown interaction")
        kind = body.get("type")
        if kind in (6, 7) and record.kind != 3:
            raise ApiError(400, 40004, "Interaction callback type 6 and 7 are only for component interactions")
        if kind == 7:
            self._validate(body.get("data") or {})
        record.callback, record.callback_after = body, elapsed
        flags = (body.get("data") or {}).get("flags", 0)
        if kind == 4:  # CHANNEL_MESSAGE_WITH_SOURCE: the answer itself
            self._validate(body.get("data") or {})
            shown = Shown(dict(body.get("data") or {}), bool(flags & 64), "response", snowflake())
            self.messages[shown.message_id] = shown.body
            record.shown.append(shown)
        elif kind == 5:  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: "thinking…", public or ephemeral for good
            record.loading, record.loading_ephemeral = True, bool(flags & 64)
        elif kind == 7:  # UPDATE_MESSAGE: the component's message edited in place
            record.shown.append(self._update(record, body.get("data") or {}))
        self._changed_soon()
        if request.query.get("with_response") in ("1", "true", "True"):
            return 200, {"interaction": {
                "id": interaction_id, "type": 2, "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(flags & 64),
            }, "resource": {"type": kind}}, {}
        return 204, None, {}

    async def _followup(self, token: str, method: str, rest: list[str], body: dict[str, Any]
                        ) -> tuple[int, Any, dict[str, str]]:
        record = next((r for r in self.interactions.values() if r.token == token), None)
        if record is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        if record.callback is None:
            raise ApiError(400, 40060, "Interaction has not been acknowledged.")
        original = rest[-2:] == ["messages", "@original"]
        if original and method == "DELETE":
            record.deleted_original, record.loading = True, False
            return 204, None, {}
        self._validate(body)
        if original and record.kind == 3 and (record.callback or {}).get("type") in (6, 7):
            # After a deferred update (type 6), @original is the message whose component was used.
            record.shown.append(self._update(record, body))
            await self._notify()
            return 200, self._message(record.message_id, record.channel_id, self.messages[record.message_id]), {}
        if original:  # PATCH: the deferred message gets its content; its visibility was fixed at defer
            ephemeral = record.loading_ephemeral if record.loading else bool(body.get("flags", 0) & 64)
            record.loading = False
            record.shown.append(Shown(body, ephemeral, "original", snowflake()))
            self.messages[record.shown[-1].message_id] = body
        else:
            record.followups.append(body)
            # Discord: the first follow-up to a deferred response fills the "thinking…" message and
            # its ephemeral flag is ignored: the deferral decided who sees it.
            if record.loading:
                ephemeral, record.loading = record.loading_ephemeral, False
            else:
                ephemeral = bool(body.get("flags", 0) & 64)
            record.shown.append(Shown(body, ephemeral, "followup", snowflake()))
            self.messages[record.shown[-1].message_id] = body
        await self._notify()
        return 200, self._message(snowflake(), "0", body), {}

    def _update(self, record: InteractionRecord, body: dict[str, Any]) -> Shown:
        """Edit the message a component interaction came from: fields given replace the old ones."""
        current = dict(self.messages.get(record.message_id) or {})
        for key in ("content", "embeds", "components"):
            if key in body:
                current[key] = body[key]
        self.messages[record.message_id] = current
        self.stats["updates"] += 1
        return Shown(current, False, "update", record.message_id)

    def _changed_soon(self) -> None:
        asyncio.get_running_loop().create_task(self._notify())

    def _message(self, message_id: str, channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": message_id, "channel_id": channel_id, "author": BOT_USER, "content": body.get("content") or "",
            "timestamp": datetime.now(UTC).isoformat(), "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
            "embeds": body.get("embeds") or [], "components": body.get("components") or [],
            "pinned": False, "type": 0, "flags": body.get("flags", 0), "nonce": body.get("nonce"),
        }

    def _validate(self, body: dict[str, Any]) -> None:
        errors: dict[str, str] = {}
        content = body.get("content") or ""
        embeds = body.get("embeds") or []
        if len(content) > 2000:
            errors["content"] = "Must be 2000 or fewer in length."
        if len(embeds) > 10:
            errors["embeds"] = "Must be 10 or fewer in length."
        total = 0
        for i, e in enumerate(embeds):
            title, desc = e.get("title") or "", e.get("description") or ""
            if len(title) > 256:
                errors[f"embeds.{i}.title"] = "Must be 256 or fewer in length."
            if len(desc) > 4096:
                errors[f"embeds.{i}.description"] = "Must be 4096 or fewer in length."
            fields = e.get("fields") or []
            if len(fields) > 25:
                errors[f"embeds.{i}.fields"] = "Must be 25 or fewer in length."
            total += len(title) + len(desc) + sum(len(f.get("name", "")) + len(f.get("value", "")) for f in fields)
            total += len((e.get("footer") or {}).get("text", "")) + len((e.get("author") or {}).get("name", ""))
        if total > 6000:
            errors["embeds"] = "Embed size exceeds maximum size of 6000"
        rows = body.get("components") or []
        if len(rows) > 5:
            errors["components"] = "Must be 5 or fewer in length."
        for r, row in enumerate(rows):
            buttons = row.get("components") or []
            if len(buttons) > 5:
                errors[f"components.{r}.components"] = "Must be 5 or fewer in length."
            if any(c.get("type") == 3 for c in buttons):
                errors.update(self._select_errors(r, buttons))
                continue
            for b, button in enumerate(buttons):
                custom_id = button.get("custom_id")
                if button.get("style") != 5 and not (custom_id and len(custom_id) <= 100):
                    errors[f"components.{r}.components.{b}.custom_id"] = "Must be between 1 and 100 in length."
                if len(button.get("label") or "") > 80:
                    errors[f"components.{r}.components.{b}.label"] = "Must be 80 or fewer in length."
        if not content and not embeds and not errors:
            raise ApiError(400, 50006, "Cannot send an empty message")
        if errors:
            raise ApiError(400, 50035, "Invalid Form Body", {"errors": errors})

    @staticmethod
    def _select_errors(r: int, row: list[dict[str, Any]]) -> dict[str, str]:
        """A select menu (type 3) fills its action row; Discord's limits on it and its options."""
        where = f"components.{r}.components"
        if len(row) != 1:
            return {where: "A select menu must be alone in its action row."}
        menu, errors = row[0], {}
        options = menu.get("options") or []
        custom_id = menu.get("custom_id") or ""
        if not 1 <= len(custom_id) <= 100:
            errors[f"{where}.0.custom_id"] = "Must be between 1 and 100 in length."
        if not 1 <= len(options) <= 25:
            errors[f"{where}.0.options"] = "Must be between 1 and 25 in length."
        low, high = menu.get("min_values", 1), menu.get("max_values", 1)
        if not (0 <= low <= 25 and 1 <= high <= 25 and low <= high <= max(1, len(options))):
            errors[f"{where}.0.max_values"] = "min_values and max_values must fit the options."
        if len(menu.get("placeholder") or "") > 150:
            errors[f"{where}.0.placeholder"] = "Must be 150 or fewer in length."
        values = [o.get("value") or "" for o in options]
        if len(set(values)) != len(values):
            errors[f"{where}.0.options"] = "Option values must be unique."
        for o, option in enumerate(options):
            if not 1 <= len(option.get("label") or "") <= 100 or not 1 <= len(option.get("value") or "") <= 100:
                errors[f"{where}.0.options.{o}"] = "label and value must be between 1 and 100 in length."
        if sum(bool(o.get("default")) for o in options) > high:
            errors[f"{where}.0.options"] = "More default options than max_values."
        return errors

    def _rate(self, channel_id: str) -> dict[str, str]:
        """Count one request against the channel and global windows; 429 (with Via) when over."""
        now = self.now()
        result: dict[str, str] = {}
        for key, (limit, period), is_global in (
            ("global", self.global_limit, True), (f"channel:{channel_id}", self.per_channel, False),
        ):
            stamps = self._windows[key]
            while stamps and stamps[0] <= now - period:
                stamps.popleft()
            if self.rate_limits and len(stamps) >= limit:
                retry = (stamps[0] + period - now) / self.time_scale
                self.stats["429"] += 1
                self.stats["429_global" if is_global else "429_channel"] += 1
                self.rate_limited_at.append(now)
                headers = {"Via": "1.1 google", "Retry-After": str(max(1, round(retry))),
                           "X-RateLimit-Scope": "global" if is_global else "user"}
                if is_global:
                    headers["X-RateLimit-Global"] = "true"
                raise ApiError(429, 0, "You are being rate limited.",
                               {"retry_after": round(retry, 3), "global": is_global}, headers)
            if not is_global:
                stamps.append(now)
                reset_after = ((stamps[0] + period - now) if stamps else period) / self.time_scale
                result = {
                    "X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(max(0, limit - len(stamps))),
                    "X-RateLimit-Reset-After": f"{reset_after:.3f}",
                    "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
                    "X-RateLimit-Bucket": f"channel-messages-{channel_id}",
                }
        self._windows["global"].append(now)
        return result

    async def _post_message(self, channel_id: str, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        fault = self.faults[channel_id].popleft() if self.faults.get(channel_id) else None
        if fault == "missing_access":
            raise ApiError(403, 50001, "Missing Access")
        if fault == "unknown_channel":
            raise ApiError(404, 10003, "Unknown Channel")
        if fault in ("500", "502", "503"):
            raise ApiError(int(fault), 0, "Internal Server Error" if fault == "500" else "Service Unavailable")
        if fault == "429":
            self.stats["429"] += 1
            raise ApiError(429, 0, "You are being rate limited.", {"retry_after": 0.05, "global": False},
                           {"Via": "1.1 google", "Retry-After": "1"})
        if fault == "429_no_via":
            self.stats["429"] += 1
            raise ApiError(429, 0, "You are being rate limited.", {"retry_after": 0.05, "global": False})
        if fault == "drop_before":
            raise _Drop()
        if not any(channel_id in chans for chans in self.guilds.values()) and not channel_id.startswith("dm"):
            raise ApiError(404, 10003, "Unknown Channel")
        self._validate(body)
        headers = self._rate(channel_id)
        message_id = snowflake()
        self.delivered[channel_id].append(Posted(channel_id, message_id, body, self.now()))
        self.messages[message_id] = body
        await self._notify()
        if fault == "drop_after":
            raise _Drop()
        return 200, self._message(message_id, channel_id, body), headers
