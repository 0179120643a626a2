"""A fake Telegram Bot API server for tests and the load benchmark (aiohttp, 127.0.0.1, random port).

The bot under test talks to it over real HTTP with python-telegram-bot's own network stack
(``Application.builder().base_url(server.base_url)``). The server

* serves ``POST /bot<TOKEN>/<method>`` (form-encoded or multipart; nested values are JSON
  strings, as PTB sends them) and answers 401 for another token;
* queues updates the test pushes (:meth:`push_message`, :meth:`push_callback`, :meth:`push_update`)
  and hands them out by ``getUpdates`` long polling, with Telegram's offset semantics;
* records every call (:attr:`calls`), and checks what Telegram checks: HTML parse mode
  entities (allowed tags, balanced, ``&`` escapes), 4096 characters after parsing, 64-byte
  callback data, 200-character callback answers, "message is not modified";
* returns valid ``Message`` objects for ``sendMessage`` / ``editMessageText``;
* can be told (:meth:`inject`) to answer a method with 429 + ``retry_after``, 500, or slowly.

Only the loopback interface is used; nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["Call", "FakeBotAPI", "plain_text"]

BOT_ID = 4242
BOT_USERNAME = "sanad_test_bot"
_JSON_FIELDS = {
    "reply_markup",
    "entities",
    "link_preview_options",
    "reply_parameters",
    "commands",
    "allowed_updates",
    "scope",
}
_ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "span", "tg-spoiler", "blockquote", "tg-emoji",
}  # fmt: skip
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))*)\s*>")
_ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")


class HTMLError(ValueError):
    pass


_PIECE_RE = re.compile(r"<[^<>]*>|&[^&<>;\s]*;?|[^<>&]+|[<>&]")


def plain_text(text: str) -> str:
    """What Telegram shows for HTML ``text``: tags removed, entities decoded; raises HTMLError like Telegram."""
    out: list[str] = []
    stack: list[str] = []
    for m in _PIECE_RE.finditer(text):
        piece, i = m.group(0), m.start()
        c = piece[0]
        if c == "<":
            tag_m = _TAG_RE.fullmatch(piece)
            if tag_m is None:
                raise HTMLError(f"Can't parse entities: unexpected '<' at byte offset {i}")
            closing, tag = tag_m.group(1) == "/", tag_m.group(2).lower()
            if tag not in _ALLOWED_TAGS:
                raise HTMLError(f'Can\'t parse entities: unsupported start tag "{tag}" at byte offset {i}')
            if closing:
                if not stack or stack[-1] != tag:
                    raise HTMLError(f"Can't parse entities: can't find end tag corresponding to start tag \"{tag}\"")
                stack.pop()
            else:
                stack.append(tag)
        elif c == "&":
            if not _ENTITY_RE.fullmatch(piece):
                raise HTMLError(f"Can't parse entities: unsupported entity at byte offset {i}")
            out.append(html.unescape(piece))
        elif c == ">":
            raise HTMLError(f"Can't parse entities: unexpected '>' at byte offset {i}")
        else:
            out.append(piece)
    if stack:
        raise HTMLError(f"Can't parse entities: can't find end tag corresponding to start tag \"{stack[-1]}\"")
    return "".join(out)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    """One Bot API request as the server received it."""

    method: str
    params: dict[str, Any]
    status: int = 0  # 0 while in flight, then the HTTP status answered
    at: float = field(default_factory=time.monotonic)  # when it arrived
    done_at: float = 0.0  # when it was answered
    result: Any = None


@dataclass
class _Fault:
    method: str | None
    status: int | None
    retry_after: int | None
    delay: float
    times: int


class BadRequestError(Exception):
    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class FakeBotAPI:
    """The fake server. Use as ``async with FakeBotAPI(token) as server: ... server.base_url``."""

    def __init__(self, token: str, bot_id: int = BOT_ID, username: str = BOT_USERNAME) -> None:
        self.token = token
        self.bot_user = {"id": bot_id, "is_bot": True, "first_name": "Sanad", "username": username}
        self.calls: list[Call] = []
        self.updates: list[dict] = []
        self.chats: dict[int, dict] = {}
        self.messages: dict[tuple[int, int], dict] = {}  # (chat, message id) -> the message as it is now
        self.faults: list[_Fault] = []
        self.last_message: dict | None = None  # the last message pushed
        self.closing = False
        self.port = 0
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._query_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.on_call: Callable[[Call], None] | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> FakeBotAPI:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_post("/{bot_token:bot[^/]*}/{method}", self._handle)
        app.router.add_get("/{bot_token:bot[^/]*}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        self.closing = True  # long polls in flight return now
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ what tests push
    def chat(self, chat_id: int, chat_type: str = "private", title: str | None = None) -> dict:
        if chat_id not in self.chats:
            chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
            if chat_type == "private":
                chat["first_name"] = f"user{chat_id}"
            else:
                chat["title"] = title or f"group {chat_id}"
            self.chats[chat_id] = chat
        return self.chats[chat_id]

    def push_update(self, update: dict) -> dict:
        update.setdefault("update_id", next(self._update_ids))
        self.updates.append(update)
        self._notify()
        return update

    def make_message(
        self,
        text: str | None = None,
        chat_id: int = 1,
        user_id: int | None = None,
        chat_type: str = "private",
        reply_to: dict | None = None,
        **extra: Any,
    ) -> dict:
        user_id = user_id if user_id is not None else (chat_id if chat_type == "private" else 1)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id, chat_type),
            "from": {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"},
        }
        if text is not None:
            message["text"] = text
            entities = _entities(text, self.bot_user["username"])
            if entities:
                message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(extra)
        return message

    def push_message(self, text: str | None = None, chat_id: int = 1, **kwargs: Any) -> dict:
        """Queue a new message (``text=None`` with e.g. ``sticker={...}`` for non-text messages)."""
        message = self.make_message(text, chat_id, **kwargs)
        self.push_update({"message": message})
        self.last_message = message
        return message

    def push_callback(self, message: dict, data: str, user_id: int | None = None) -> str:
        """Queue a press on an inline button of ``message`` (a message the bot sent); returns the query id."""
        query_id = str(next(self._query_ids))
        chat_id = message["chat"]["id"]
        user_id = user_id if user_id is not None else chat_id
        self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"},
                    "chat_instance": str(chat_id),
                    "message": self.messages.get((chat_id, message["message_id"]), message),
                    "data": data,
                }
            }
        )
        return query_id

    def inject(
        self,
        method: str | None,
        *,
        status: int | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (None: any) fail with ``status`` and/or wait ``delay``."""
        self.faults.append(_Fault(method, status, retry_after, delay, times))

    # ------------------------------------------------------------------ what tests read
    def of(self, method: str, ok: bool = True) -> list[Call]:
        return [c for c in self.calls if c.method == method and (c.status == 200) == ok]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Successful sendMessage calls (to ``chat_id``)."""
        return [c for c in self.of("sendMessage") if chat_id is None or c.params.get("chat_id") == chat_id]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked after every call the server gets)."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"condition not met in {timeout} s; calls: {[c.method for c in self.calls[-20:]]}"
                    )
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    pass

    async def settled(self, bot: Any, updates: int, timeout: float = 10.0) -> None:
        """Wait until ``bot`` (a running :class:`~bot.telegram.handlers.SanadBot`) has taken ``updates``
        updates in all, answers none of them now, and every call it made has been answered: after
        this, nothing more arrives for them (an event to wait on, not a pause)."""
        deadline = time.monotonic() + timeout
        while not (bot.stats["updates"] >= updates and bot.pipeline.in_flight == 0 and self._answered()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"not settled in {timeout} s: {bot.stats['updates']} of {updates} updates taken")
            await asyncio.sleep(0.01)

    def _answered(self) -> bool:
        """Every call but the long poll (always pending while the bot polls) has been answered."""
        return all(c.status for c in self.calls if c.method != "getUpdates")

    async def reply_to(self, text: str | None, chat_id: int = 1, timeout: float = 10.0, **kwargs: Any) -> Call:
        """Push a message and wait for the next sendMessage to its chat."""
        before = len(self.sent(chat_id))
        self.push_message(text, chat_id, **kwargs)
        sent = await self.wait_for(lambda: self.sent(chat_id)[before:], timeout)
        return sent[0]

    async def press(self, message: dict, data: str, timeout: float = 10.0, user_id: int | None = None) -> Call:
        """Press a button; wait for the bot's answerCallbackQuery (returned; edits are in :attr:`calls`)."""
        query_id = self.push_callback(message, data, user_id)
        answers = await self.wait_for(
            lambda: [c for c in self.of("answerCallbackQuery") if c.params.get("callback_query_id") == query_id],
            timeout,
        )
        return answers[0]

    def _notify(self) -> None:
        async def notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        asyncio.get_running_loop().create_task(notify())

    # ------------------------------------------------------------------ the API
    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["bot_token"][3:]
        method = request.match_info["method"]
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if not isinstance(value, str):  # a file part: text as str, anything else (a photo) as bytes
                raw = value.file.read()  # type: ignore[union-attr]
                try:
                    value = raw.decode()
                except UnicodeDecodeError:
                    params[key] = raw
                    continue
            if key in _JSON_FIELDS:
                with _suppress():
                    value = json.loads(value)
            elif key in ("chat_id", "message_id", "offset", "limit") and re.fullmatch(r"-?\d+", value):
                value = int(value)
            params[key] = value
        call = Call(method, params)
        self.calls.append(call)
        if token != self.token:
            return self._error(call, 401, "Unauthorized")
        fault = self._take_fault(method)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.status is not None:
            if fault.status == 429:
                return self._error(
                    call,
                    429,
                    f"Too Many Requests: retry after {fault.retry_after or 1}",
                    {"retry_after": fault.retry_after or 1},
                )
            return self._error(call, fault.status, "Internal Server Error" if fault.status >= 500 else "Error")
        handler = getattr(self, f"_m_{method}", None)
        try:
            result = await handler(params) if handler is not None else True
        except BadRequestError as e:
            return self._error(call, 400, f"Bad Request: {e.description}")
        call.result, call.status, call.done_at = result, 200, time.monotonic()
        self._notify()
        if self.on_call is not None:
            self.on_call(call)
        return web.json_response({"ok": True, "result": result})

    def _error(self, call: Call, status: int, description: str, parameters: dict | None = None) -> web.Response:
        call.status, call.done_at = status, time.monotonic()
        self._notify()
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    def _take_fault(self, method: str) -> _Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method in (None, method):
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                return fault
        return None

    async def _m_getMe(self, params: dict) -> dict:
        return dict(
            self.bot_user, can_join_groups=True, can_read_all_group_messages=False, supports_inline_queries=False
        )

    async def _m_getUpdates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]  # confirmed ones are dropped
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not self.updates and not self.closing and time.monotonic() < deadline:
                with _suppress():
                    await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
        return self.updates[:limit]

    def _check_text(self, params: dict) -> str:
        text = params.get("text", "")
        if params.get("parse_mode") == "HTML":
            try:
                shown = plain_text(text)
            except HTMLError as e:
                raise BadRequestError(str(e)) from None
        else:
            shown = text
        if not shown.strip():
            raise BadRequestError("message text is empty")
        if _utf16_len(shown) > 4096:
            raise BadRequestError("message is too long")
        markup = params.get("reply_markup")
        if isinstance(markup, dict):
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    data = button.get("callback_data")
                    if not button.get("text") or (data is not None and not 1 <= len(data.encode()) <= 64):
                        raise BadRequestError("BUTTON_DATA_INVALID")
        return shown

    async def _m_sendMessage(self, params: dict) -> dict:
        chat_id = params["chat_id"]
        if chat_id not in self.chats:
            raise BadRequestError("chat not found")
        shown = self._check_text(params)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chats[chat_id],
            "from": self.bot_user,
            "text": shown,
        }
        if isinstance(params.get("reply_markup"), dict) and "inline_keyboard" in params["reply_markup"]:
            message["reply_markup"] = params["reply_markup"]
        self.messages[(chat_id, message["message_id"])] = dict(message, _html=params.get("text"))
        return message

    async def _m_sendPhoto(self, params: dict) -> dict:
        """A photo upload: the bytes are kept in the call's params (``photo``), the caption checked like a text."""
        chat_id = params["chat_id"]
        if chat_id not in self.chats:
            raise BadRequestError("chat not found")
        photo = params.get("photo")
        if not isinstance(photo, bytes) or not photo:
            raise BadRequestError("there is no photo in the request")
        if "caption" in params and len(params["caption"]) > 1024:
            raise BadRequestError("message caption is too long")
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chats[chat_id],
            "from": self.bot_user,
            "photo": [{"file_id": f"photo-{len(self.calls)}", "file_unique_id": f"u{len(self.calls)}",
                       "width": 800, "height": 360, "file_size": len(photo)}],
            **({"caption": params["caption"]} if params.get("caption") else {}),
        }
        self.messages[(chat_id, message["message_id"])] = dict(message)
        return message

    async def _m_editMessageText(self, params: dict) -> dict | bool:
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        current = self.messages.get((chat_id, message_id))
        if current is None:
            raise BadRequestError("message to edit not found")
        shown = self._check_text(params)
        if current.get("_html") == params.get("text") and current.get("reply_markup") == params.get("reply_markup"):
            raise BadRequestError(
                "message is not modified: specified new message content and reply markup are exactly the same "
                "as a current content and reply markup of the message"
            )
        current.update(text=shown, _html=params.get("text"), edit_date=int(time.time()))
        if isinstance(params.get("reply_markup"), dict):
            current["reply_markup"] = params["reply_markup"]
        else:
            current.pop("reply_markup", None)
        return {k: v for k, v in current.items() if not k.startswith("_")}

    async def _m_answerCallbackQuery(self, params: dict) -> bool:
        if len(params.get("text", "")) > 200:
            raise BadRequestError("MESSAGE_TOO_LONG")
        return True

    async def _m_setMyCommands(self, params: dict) -> bool:
        for command in params.get("commands", []):
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")) or not command.get("description"):
                raise BadRequestError("BOT_COMMAND_INVALID")
        return True


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: object) -> bool:
        return exc_type is not None and issubclass(exc_type, (ValueError, TimeoutError, asyncio.TimeoutError))


def _entities(text: str, username: str) -> list[dict]:
    """The entities Telegram would compute: bot commands at the start, @mentions (UTF-16 offsets)."""
    entities = []
    m = re.match(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text)
    if m:
        entities.append({"type": "bot_command", "offset": 0, "length": len(m.group(0))})
    for m in re.finditer(r"@[A-Za-z0-9_]{5,32}", text):
        if m.start() == 0 or not text[m.start() - 1].isalnum():
            if entities and entities[0]["type"] == "bot_command" and m.start() < entities[0]["length"]:
                continue
            entities.append(
                {"type": "mention", "offset": _utf16_len(text[: m.start()]), "length": _utf16_len(m.group(0))}
            )
    return entities
