"""A fake Telegram Bot API server on 127.0.0.1 that speaks the real wire format and enforces the
documented limits, so python-telegram-bot can be driven unmodified in tests.

Point the library at it with `ApplicationBuilder().base_url(server.base_url)` (".../bot"; the token
is appended by the library). Time runs `time_scale` times faster than the wall clock for the rate
windows and `retry_after`, so tests pace with a matching scaled clock and never really wait.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import time
import unicodedata
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from fakes.loopback import LoopbackServer

BOT_USER = {
    "id": 7000001,
    "is_bot": True,
    "first_name": "Digest",
    "username": "digest_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "tg-emoji", "code", "pre", "blockquote",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*(/?)>")
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+))?")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]*);")


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> str:
    """Telegram's HTML entity rules: return the plain text or raise ApiError 400 like the real API."""

    def fail(why: str) -> None:
        raise ApiError(400, f"Bad Request: can't parse entities: {why}")

    out: list[str] = []
    stack: list[str] = []
    i = base = mark = 0
    while i < len(text):
        ch = text[i]
        offset = base + len(text[mark:i].encode("utf-8"))  # byte offset, counted as we go (not O(n²))
        base, mark = offset, i
        if ch == "<":
            m = _TAG.match(text, i)
            if not m:
                fail(f"Unsupported start tag at byte offset {offset}")
            assert m is not None
            closing, name, attrs, _selfclose = m.group(1), m.group(2).lower(), m.group(3), m.group(4)
            if name not in ALLOWED_TAGS:
                fail(f'Unsupported start tag "{name}" at byte offset {offset}')
            if closing:
                if not stack:
                    fail(f'Unexpected end tag at byte offset {offset}')
                if stack[-1] != name:
                    fail(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
                stack.pop()
            else:
                found = {k.lower(): (v or "").strip("\"'") for k, v in _ATTR.findall(attrs)}
                if name == "a" and not found.get("href"):
                    fail(f"Can't find attribute href at byte offset {offset}")
                if name == "span" and found.get("class") != "tg-spoiler":
                    fail(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
                if name == "tg-emoji" and not found.get("emoji-id"):
                    fail(f"Tag \"tg-emoji\" must have attribute \"emoji-id\" at byte offset {offset}")
                if stack and stack[-1] in ("pre", "code") and not (stack[-1] == "pre" and name == "code"):
                    fail(f'Entity "{name}" can\'t be nested inside "{stack[-1]}"')
                if name in stack and name not in ("blockquote",):
                    fail(f'Tag "{name}" can\'t be nested in itself at byte offset {offset}')
                stack.append(name)
            i = m.end()
        elif ch == "&":
            m = _ENTITY.match(text, i)
            if not m:
                fail(f"Character '&' is not a part of an entity at byte offset {offset}")
            assert m is not None
            body = m.group(1)
            if body.startswith("#x"):
                out.append(chr(int(body[2:], 16)))
            elif body.startswith("#"):
                out.append(chr(int(body[1:])))
            elif body in NAMED_ENTITIES:
                out.append(NAMED_ENTITIES[body])
            else:
                fail(f'Unsupported HTML entity "&{body};" at byte offset {offset}')
            i = m.end()
        else:
            out.append(ch)
            i += 1
    if stack:
        fail(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def _word(ch: str) -> bool:
    """tdlib's is_word_character: a letter, a digit or other number, or '_'."""
    return ch == "_" or unicodedata.category(ch)[0] in "LN"


def _tag_letter(ch: str) -> bool:
    """tdlib's is_hashtag_letter."""
    return (ch in "_\u200c\u00b7" or "\u0d80" <= ch <= "\u0dff"
            or unicodedata.category(ch)[0] == "L" or unicodedata.category(ch) == "Nd")


def _ascii_word(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


def auto_entities(text: str) -> list[tuple[str, str]]:
    """The mentions, bot commands, hashtags and cashtags Telegram itself finds in a message's text
    (whatever the parse mode), following tdlib's MessageEntity.cpp matchers: (type, text) pairs."""
    found: list[tuple[str, str]] = []
    n = len(text)
    for i, ch in enumerate(text):
        prev = text[i - 1] if i else ""
        if ch == "@" and not (prev and _word(prev)):
            j = i + 1
            while j < n and _ascii_word(text[j]):
                j += 1
            if 2 <= j - i - 1 <= 32 and not (j < n and _word(text[j])):
                found.append(("mention", text[i:j]))
        elif ch == "/" and not (prev and (_word(prev) or prev in "/<>")):
            j = i + 1
            while j < n and _ascii_word(text[j]):
                j += 1
            size = j - i - 1
            if j < n and text[j] == "@":  # /command@botname
                k = j + 1
                while k < n and _ascii_word(text[k]):
                    k += 1
                if not 3 <= k - j - 1 <= 32:
                    continue
                j = k
            if 1 <= size <= 64 and not (j < n and (_word(text[j]) or text[j] in "/<>")):
                found.append(("bot_command", text[i:j]))
        elif ch == "#" and not (prev and _tag_letter(prev)):
            j = i + 1
            while j < n and _tag_letter(text[j]):
                j += 1
            body = text[i + 1:j]
            if body and not (j < n and text[j] == "#") and any(unicodedata.category(c)[0] == "L" for c in body):
                found.append(("hashtag", text[i:j]))
        elif ch == "$" and not (prev and (_tag_letter(prev) or prev == "$")):
            j = i + 1
            while j < n and "A" <= text[j] <= "Z":
                j += 1
            if 1 <= j - i - 1 <= 8 and not (j < n and (_tag_letter(text[j]) or text[j] == "$")):
                found.append(("cashtag", text[i:j]))
    return found


@dataclass
class Delivered:
    """One accepted sendMessage, as the chat would show it."""

    chat_id: str
    message_id: int
    text: str  # as sent (HTML source)
    plain: str  # after entity parsing
    buttons: list[list[dict[str, Any]]] = field(default_factory=list)
    link_preview_disabled: bool = False
    at: float = 0.0
    edits: int = 0  # editMessageText calls that changed it (text, plain and buttons are the latest)

    @property
    def payloads(self) -> list[str]:
        """The callback_data of every inline button, row by row."""
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]

    @property
    def auto_entities(self) -> list[tuple[str, str]]:
        """What Telegram would turn into mentions, commands, hashtags and cashtags in this message."""
        return auto_entities(self.plain)


class FakeTelegram(LoopbackServer):
    """The fake Bot API. Use `async with FakeTelegram() as tg:`; tests inject updates and faults."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        time_scale: float = 1.0,
        per_chat: tuple[int, float] = (1, 1.0),
        per_group: tuple[int, float] = (20, 60.0),
        global_limit: tuple[int, float] = (30, 1.0),
        rate_limits: bool = True,
    ) -> None:
        self.token = token
        self.time_scale = time_scale
        self.per_chat = per_chat
        self.per_group = per_group
        self.global_limit = global_limit
        self.rate_limits = rate_limits
        self.port = 0
        self.delivered: dict[str, list[Delivered]] = defaultdict(list)
        self.faults: dict[str, deque[str]] = defaultdict(deque)
        self.admins: dict[str, dict[str, str]] = defaultdict(dict)  # chat → user → status
        self.commands: list[dict[str, Any]] = []  # the default menu (no language_code)
        self.commands_by_language: dict[str, list[dict[str, Any]]] = {}  # "" = default
        self.webhook: dict[str, Any] | None = None  # the last setWebhook's parameters
        self.answered: dict[str, dict[str, Any]] = {}  # callback query id → params
        self.calls: list[str] = []
        self.stats: dict[str, int] = defaultdict(int)
        self.rate_limited_at: list[float] = []  # server clock of every 429 from the rate windows
        self._windows: dict[str, deque[float]] = defaultdict(deque)
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._ids = itertools.count(900001)
        self._changed = asyncio.Condition()

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    max_body = 4 * 1024 * 1024

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle)

    def now(self) -> float:
        """The server's clock in platform seconds (scaled)."""
        return time.monotonic() * self.time_scale

    # ------------------------------------------------------------------ test controls

    def fail(self, chat_id: str | int, *kinds: str) -> None:
        """Queue faults for the next sendMessage calls to a chat: "blocked", "not_found",
        "migrate:<new id>", "500", "502", "429", "drop_before", "drop_after", "kicked"."""
        self.faults[str(chat_id)].extend(kinds)

    def set_admin(self, chat_id: str | int, user_id: str | int, status: str = "administrator") -> None:
        self.admins[str(chat_id)][str(user_id)] = status

    def texts(self, chat_id: str | int) -> list[str]:
        return [d.text for d in self.delivered[str(chat_id)]]

    async def _push(self, kind: str, body: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, kind: body})
        async with self._changed:
            self._changed.notify_all()
        return update_id

    @staticmethod
    def _chat(chat_id: str | int, chat_type: str) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": int(chat_id), "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = "User"
        else:
            chat["title"] = f"Chat {chat_id}"
        return chat

    @staticmethod
    def _user(user_id: str | int, language: str = "en") -> dict[str, Any]:
        return {"id": int(user_id), "is_bot": False, "first_name": "Tester", "language_code": language}

    async def inject_command(
        self, chat_id: str | int, user_id: str | int, text: str, chat_type: str = "private",
        language: str = "en", sender_chat: tuple[str | int, str] | None = None,
    ) -> int:
        """A user types `text` (e.g. "/digest 2024-05-01") in a private chat or group. With
        `sender_chat` (id, type) the message is sent on behalf of that chat, as Telegram does for
        anonymous group admins (user 1087968824, the group itself) and for users posting as
        their channel (user 136817688)."""
        command = text.split()[0]
        body = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id, chat_type),
            "from": self._user(user_id, language),
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
            if text.startswith("/") else [],
        }
        if sender_chat is not None:
            body["sender_chat"] = self._chat(*sender_chat)
        return await self._push("message", body)

    async def inject_channel_post(self, chat_id: str | int, text: str) -> int:
        """An admin posts `text` in a channel the bot administers (no `from` on channel posts)."""
        command = text.split()[0]
        body = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id, "channel"),
            "sender_chat": self._chat(chat_id, "channel"),
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
            if text.startswith("/") else [],
        }
        return await self._push("channel_post", body)

    async def inject_callback(
        self, chat_id: str | int, user_id: str | int, data: str, chat_type: str = "private",
        message_id: int = 1, language: str = "en",
    ) -> str:
        """A user presses an inline button whose callback_data is `data` under the bot's message
        `message_id` (a delivered one, shown as it is now, or a made-up one); returns the query id."""
        query_id = str(next(self._ids))
        shown = self.message(chat_id, message_id)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id, chat_type),
            "from": BOT_USER,
            "text": shown.plain if shown else "digest",
        }
        if shown is not None and shown.buttons:
            message["reply_markup"] = {"inline_keyboard": shown.buttons}
        body = {
            "id": query_id,
            "from": self._user(user_id, language),
            "chat_instance": f"ci{chat_id}",
            "data": data,
            "message": message,
        }
        await self._push("callback_query", body)
        return query_id

    def message(self, chat_id: str | int, message_id: int) -> Delivered | None:
        """A message the bot sent to a chat, as it is now (after any edits)."""
        return next((d for d in self.delivered[str(chat_id)] if d.message_id == message_id), None)

    async def wait_edited(self, chat_id: str | int, message_id: int, edits: int = 1, timeout: float = 5.0) -> Delivered:
        """Wait (real seconds) until a sent message was edited `edits` times."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(
                lambda: (self.message(chat_id, message_id) or Delivered("", 0, "", "")).edits >= edits), timeout)
        found = self.message(chat_id, message_id)
        assert found is not None
        return found

    async def wait_for(self, chat_id: str | int, count: int, timeout: float = 5.0) -> list[Delivered]:
        """Wait (real seconds) until `count` messages were delivered to a chat."""
        key = str(chat_id)
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.delivered[key]) >= count), timeout
            )
        return self.delivered[key]

    async def wait_answered(self, query_id: str, timeout: float = 5.0) -> dict[str, Any]:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: query_id in self.answered), timeout)
        return self.answered[query_id]

    # ------------------------------------------------------------------ HTTP

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            data = await request.json()
            return dict(data or {})
        if request.method == "GET":
            raw: dict[str, Any] = dict(request.query)
        else:
            raw = dict(await request.post())
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, str) and value[:1] in "[{":
                try:
                    params[key] = json.loads(value)
                    continue
                except ValueError:
                    pass
            params[key] = value
        return params

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        try:
            params = await self._params(request)
        except ConnectionResetError:
            # the client died mid-request (the restart tests kill it): nobody to answer, and
            # nothing for the server's log (aiohttp would print a traceback)
            return web.Response(status=499)
        self.calls.append(method)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found: method not found"}, status=404
            )
        try:
            result = await handler(request, params)
        except ApiError as exc:
            body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
            self.stats[f"http_{exc.code}"] += 1
            return web.json_response(body, status=exc.code)
        except _Drop:
            self.stats["dropped"] += 1
            assert request.transport is not None
            request.transport.abort()
            raise asyncio.CancelledError() from None
        return web.json_response({"ok": True, "result": result})

    # ------------------------------------------------------------------ methods

    async def _m_getMe(self, request: web.Request, p: dict[str, Any]) -> Any:
        return BOT_USER

    async def _m_deleteWebhook(self, request: web.Request, p: dict[str, Any]) -> Any:
        self.webhook = None
        return True

    async def _m_setWebhook(self, request: web.Request, p: dict[str, Any]) -> Any:
        url = str(p.get("url") or "")
        if url and not url.startswith(("https://", "http://")):  # the real API also wants https
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        token = p.get("secret_token")
        if token is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(token)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = p if url else None
        return True

    async def _m_getWebhookInfo(self, request: web.Request, p: dict[str, Any]) -> Any:
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": 0}

    async def _m_setMyCommands(self, request: web.Request, p: dict[str, Any]) -> Any:
        commands = list(p.get("commands") or [])
        for c in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(c.get("command", ""))) or not (
                1 <= len(str(c.get("description", ""))) <= 256
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        language = str(p.get("language_code") or "")
        self.commands_by_language[language] = commands
        if not language:
            self.commands = commands
        return True

    async def _m_getMyCommands(self, request: web.Request, p: dict[str, Any]) -> Any:
        language = str(p.get("language_code") or "")
        return self.commands_by_language.get(language, self.commands if not language else [])

    async def _m_answerCallbackQuery(self, request: web.Request, p: dict[str, Any]) -> Any:
        p["answered_at"] = time.monotonic()
        self.answered[str(p.get("callback_query_id"))] = p
        async with self._changed:
            self._changed.notify_all()
        return True

    async def _m_getChatMember(self, request: web.Request, p: dict[str, Any]) -> Any:
        chat, user = str(p.get("chat_id")), str(p.get("user_id"))
        status = self.admins.get(chat, {}).get(user, "member")
        member: dict[str, Any] = {"status": status, "user": self._user(user)}
        if status == "administrator":
            member.update(
                can_be_edited=False, is_anonymous=False, can_manage_chat=True, can_delete_messages=True,
                can_manage_video_chats=True, can_restrict_members=True, can_promote_members=False,
                can_change_info=True, can_invite_users=True, can_post_stories=False,
                can_edit_stories=False, can_delete_stories=False,
            )
        elif status == "creator":
            member["is_anonymous"] = False
        return member

    async def _m_getChatAdministrators(self, request: web.Request, p: dict[str, Any]) -> Any:
        chat = str(p.get("chat_id"))
        out = []
        for user, status in self.admins.get(chat, {}).items():
            out.append(await self._m_getChatMember(request, {"chat_id": chat, "user_id": user}))
        return out

    async def _m_getUpdates(self, request: web.Request, p: dict[str, Any]) -> Any:
        offset = int(p.get("offset") or 0)
        limit = int(p.get("limit") or 100)
        timeout = float(p.get("timeout") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0:
            async with self._changed:
                try:
                    await asyncio.wait_for(self._changed.wait_for(lambda: bool(self._updates)), timeout)
                except TimeoutError:
                    pass
        return self._updates[:limit]

    def _check_rate(self, chat_id: str) -> None:
        if not self.rate_limits:
            return
        now = self.now()
        windows = [(f"chat:{chat_id}", self.per_chat), ("global", self.global_limit)]
        if chat_id.startswith("-"):
            windows.append((f"group:{chat_id}", self.per_group))
        for key, (limit, period) in windows:
            stamps = self._windows[key]
            while stamps and stamps[0] <= now - period:
                stamps.popleft()
            if len(stamps) >= limit:
                retry = max(1, math.ceil(stamps[0] + period - now))
                self.stats["429"] += 1
                self.rate_limited_at.append(now)
                raise ApiError(
                    429, f"Too Many Requests: retry after {retry}", {"retry_after": retry}
                )
        for key, _ in windows:
            self._windows[key].append(now)

    def _fault(self, chat_id: str, fault: str) -> None:
        if fault == "blocked":
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if fault == "kicked":
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")
        if fault == "not_found":
            raise ApiError(400, "Bad Request: chat not found")
        if fault.startswith("migrate:"):
            new_id = int(fault.split(":", 1)[1])
            raise ApiError(
                400, "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": new_id},
            )
        if fault == "429":
            self.stats["429"] += 1
            raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        if fault.isdigit():
            raise ApiError(int(fault), "Internal Server Error" if fault == "500" else "Bad Gateway")
        if fault == "drop_before":
            raise _Drop()

    async def _m_sendMessage(self, request: web.Request, p: dict[str, Any]) -> Any:
        chat_id = str(p.get("chat_id", ""))
        if not chat_id:
            raise ApiError(400, "Bad Request: chat_id is empty")
        fault = self.faults[chat_id].popleft() if self.faults.get(chat_id) else None
        if fault and fault != "drop_after":
            self._fault(chat_id, fault)
        text = str(p.get("text", ""))
        plain = parse_html(text) if str(p.get("parse_mode", "")).upper() == "HTML" else text
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        buttons = self._keyboard(p.get("reply_markup"))
        self._check_rate(chat_id)
        previews = p.get("link_preview_options") or {}
        message_id = next(self._message_ids)
        self.delivered[chat_id].append(
            Delivered(
                chat_id=chat_id, message_id=message_id, text=text, plain=plain, buttons=buttons,
                link_preview_disabled=bool(previews.get("is_disabled")) if isinstance(previews, dict) else False,
                at=self.now(),
            )
        )
        async with self._changed:
            self._changed.notify_all()
        if fault == "drop_after":
            raise _Drop()
        chat_type = "private" if not chat_id.startswith("-") else ("channel" if chat_id.startswith("-100") else "group")
        result: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id, chat_type),
            "from": BOT_USER,
            "text": plain,
        }
        if buttons:
            result["reply_markup"] = {"inline_keyboard": buttons}
        return result

    async def _m_editMessageText(self, request: web.Request, p: dict[str, Any]) -> Any:
        """Replace a sent message's text and inline keyboard, checked as sendMessage is."""
        chat_id = str(p.get("chat_id", ""))
        if p.get("inline_message_id"):
            raise ApiError(400, "Bad Request: inline messages are not supported by this fake")
        shown = self.message(chat_id, int(p.get("message_id") or 0)) if chat_id else None
        if shown is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        text = str(p.get("text", ""))
        plain = parse_html(text) if str(p.get("parse_mode", "")).upper() == "HTML" else text
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > 4096:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        buttons = self._keyboard(p.get("reply_markup"))
        if text == shown.text and buttons == shown.buttons:
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and "
                                "reply markup are exactly the same as a current content and reply markup of the message")
        self._check_rate(chat_id)
        shown.text, shown.plain, shown.buttons = text, plain, buttons
        shown.edits += 1
        async with self._changed:
            self._changed.notify_all()
        chat_type = "private" if not chat_id.startswith("-") else ("channel" if chat_id.startswith("-100") else "group")
        result: dict[str, Any] = {
            "message_id": shown.message_id, "date": int(time.time()), "edit_date": int(time.time()),
            "chat": self._chat(chat_id, chat_type), "from": BOT_USER, "text": plain,
        }
        if buttons:
            result["reply_markup"] = {"inline_keyboard": buttons}
        return result

    @staticmethod
    def _keyboard(markup: Any) -> list[list[dict[str, Any]]]:
        if not markup:
            return []
        if not isinstance(markup, dict) or not isinstance(markup.get("inline_keyboard"), list):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        rows = markup["inline_keyboard"]
        for row in rows:
            if not isinstance(row, list):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: field \"inline_keyboard\" must be an Array of Arrays")
            for button in row:
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not (1 <= len(str(data).encode("utf-8")) <= 64):
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if data is None and not button.get("url"):
                    raise ApiError(400, "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must have exactly one optional field")
        if sum(len(r) for r in rows) > 100:
            raise ApiError(400, "Bad Request: reply markup is too long")
        return rows


class _Drop(Exception):
    """Close the connection without any response."""


class ScaledClock:
    """A clock and sleep running `scale` times faster than real time, to match a fake's time_scale
    (pass `clock`/`sleep` to bot.delivery.pacing.Pacer)."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.slept = 0.0  # platform seconds asked for

    def clock(self) -> float:
        return time.monotonic() * self.scale

    async def sleep(self, seconds: float) -> None:
        self.slept += seconds
        await asyncio.sleep(seconds / self.scale)
