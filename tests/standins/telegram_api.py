"""``TelegramAPI``: a loopback Telegram Bot API server that plays the user.

An aiohttp server on 127.0.0.1 (a random port) that answers the Bot API methods the bot uses,
the way Telegram does (``{"ok": true, "result": …}``, the same error descriptions and status
codes, UTF-16 length limits, "message is not modified", one answer per callback query). The bot
runs its real PTB ``Application`` and HTTP client against it (``TELEGRAM_API_URL``).

Test code plays the person: :meth:`TelegramAPI.send` types a message (a ``/command`` gets its
``bot_command`` entity), :meth:`TelegramAPI.press` taps a button of a message the bot sent,
:meth:`TelegramAPI.send_update` sends anything else (stickers, photos, edits, blocking the bot).
Updates go out through ``getUpdates`` (long poll, ``offset`` confirms), or are POSTed to the
webhook once the bot has set one. Every call is checked against the published Bot API
(:mod:`tests.standins.telegram_spec`): one the spec does not allow is refused as Telegram refuses
it and kept in :attr:`TelegramAPI.refused` (and :data:`tests.standins.refusals.REFUSALS`).
Every call is recorded in order (:attr:`TelegramAPI.calls`);
:meth:`TelegramAPI.next_message` and :meth:`TelegramAPI.next_call` wait for the next one.
:meth:`TelegramAPI.fail` makes the next calls of a method fail (429 with ``retry_after``,
403 blocked, 401 bad token, …).
:meth:`TelegramAPI.hold` makes the calls of a method wait until released (a send in flight).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, web

from tests.standins.refusals import REFUSALS, Refusal
from tests.standins.telegram_spec import spec
from tests.standins.telegram_wire import (
    BOT_ID,
    CONFLICT_POLLING,
    DESCRIPTIONS,
    NOT_MODIFIED,
    SENDS,
    TOKEN,
    USER_ID,
    USERNAME,
    ApiError,
    Call,
    Chat,
    Sent,
    blocked_json,
    bot_json,
    callback_json,
    chat_json,
    error_body,
    matches,
    message_json,
    parse_markup,
    raw_params,
    read_params,
    sent_json,
    text_fields,
    utf16_len,
)

__all__ = ["BOT_ID", "TOKEN", "USERNAME", "USER_ID", "Call", "Hold", "Sent", "TelegramAPI"]


@dataclass
class Hold:
    """Calls of one method wait at the door until :meth:`release` (a slow platform, on cue)."""

    arrived: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    released: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)

    def release(self) -> None:
        self.released.set()


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: int | None


class TelegramAPI:
    """The stand-in server. ``async with TelegramAPI() as api:`` starts and stops it."""

    def __init__(self, token: str = TOKEN, username: str = USERNAME) -> None:
        self.token = token
        self.username = username
        self.calls: list[Call] = []
        self.refused: list[Refusal] = []
        self.commands: list[dict[str, Any]] = []
        self.webhook_url = ""
        self.webhook_secret = ""
        self._consumed: set[int] = set()
        self._changed = asyncio.Condition()
        self._pending: list[dict[str, Any]] = []
        self._poll = 0
        """The latest long poll's number: a newer getUpdates ends an older one with 409, as
        Telegram does when two processes poll with one token."""
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._open_queries: set[str] = set()
        self._faults: dict[str, list[_Fault]] = {}
        self._holds: dict[str, Hold] = {}
        self._chats: dict[int, Chat] = {}
        self._runner: web.AppRunner | None = None
        self._pump: asyncio.Task[None] | None = None
        self._session: ClientSession | None = None
        self.url = ""
        self._closing = False

    # -- life cycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> TelegramAPI:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self._session = ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        async with self._changed:
            self._closing = True  # long polls still waiting return now
            self._changed.notify_all()
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- the person's side ---------------------------------------------------------------------

    def group(self, chat_id: int = -1001234567890, title: str = "Friends") -> int:
        self._chats[chat_id] = Chat(chat_id, "supergroup", title)
        return chat_id

    def send(self, text: str, *, chat_id: int = USER_ID, user_id: int | None = None) -> int:
        """The person types ``text``; a leading ``/command`` is marked as a bot command."""
        update = self.text_update(text, chat_id=chat_id, user_id=user_id)
        self.send_update(update)
        return int(update["message"]["message_id"])

    def text_update(
        self, text: str, *, chat_id: int = USER_ID, user_id: int | None = None
    ) -> dict[str, Any]:
        """The update for a typed message, not sent (to POST it yourself)."""
        return {"message": self._message(chat_id, user_id, text_fields(text))}

    def send_message(
        self, *, chat_id: int = USER_ID, user_id: int | None = None, **fields: Any
    ) -> int:
        """A message with arbitrary content (``sticker={…}``, ``photo=[…]``); its id."""
        message = self._message(chat_id, user_id, fields)
        self.send_update({"message": message})
        return int(message["message_id"])

    def press(self, message: Sent, label: str, *, user_id: int | None = None) -> str:
        """The person taps the button labelled ``label`` (as the message stands now)."""
        current = self.message(message.chat_id, message.message_id)
        data = current.button(label)["callback_data"]
        return self.press_data(current, data, user_id=user_id)

    def press_data(self, message: Sent, data: str, *, user_id: int | None = None) -> str:
        """A callback query with any ``data`` from ``message`` (a forged or remembered button)."""
        query_id = f"q{next(self._query_ids)}"
        self._open_queries.add(query_id)
        current = self.message(message.chat_id, message.message_id)
        uid = user_id if user_id is not None else self._default_user(message.chat_id)
        self.send_update(
            {"callback_query": callback_json(query_id, uid, data, self._sent_json(current))}
        )
        return query_id

    def send_update(self, update: dict[str, Any]) -> int:
        """Queue any update (``update_id`` is added); it goes out by getUpdates or webhook."""
        update = {"update_id": next(self._update_ids), **update}
        self._pending.append(update)
        self._poke()
        return int(update["update_id"])

    def edited(self, message_id: int, text: str, *, chat_id: int = USER_ID) -> int:
        message = self._message(chat_id, None, {"text": text}, message_id=message_id)
        message["edit_date"] = int(time.time())
        return self.send_update({"edited_message": message})

    def blocks_the_bot(self, *, chat_id: int = USER_ID) -> int:
        chat = self._chat(chat_id)
        return self.send_update({"my_chat_member": blocked_json(chat, chat_id, self.username)})

    async def post_update(self, update: dict[str, Any], *, secret: str | None) -> int:
        """POST one update to the bot's webhook with ``secret`` in the header; the status."""
        assert self._session is not None and self.webhook_url, "no webhook is set"
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        body = json.dumps({"update_id": next(self._update_ids), **update})
        async with self._session.post(self.webhook_url, data=body, headers=headers) as response:
            return response.status

    # -- what the bot did ------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with an error."""
        text = description or DESCRIPTIONS.get(status, "Error")
        if retry_after is not None and description is None:
            text = f"Too Many Requests: retry after {retry_after}"
        faults = self._faults.setdefault(method.lower(), [])
        faults.extend(_Fault(status, text, retry_after) for _ in range(times))

    def hold(self, method: str) -> Hold:
        """Make calls of ``method`` wait until the returned hold is released; ``arrived`` is
        set when the first one comes in."""
        hold = self._holds[method.lower()] = Hold()
        return hold

    def message(self, chat_id: int, message_id: int) -> Sent:
        return self._chat(chat_id).messages[message_id]

    def calls_to(self, method: str, *, ok: bool = True) -> list[Call]:
        return [c for c in self.calls if c.method == method.lower() and (c.status == 200 or not ok)]

    async def next_call(self, method: str, *, within: float = 5.0, **match: Any) -> Call:
        """The next successful call of ``method`` not returned before, whose params match."""
        return await self._next(
            lambda c: c.method == method.lower() and matches(c, match),
            within,
            f"no {method} call matching {match}",
        )

    async def next_message(self, chat_id: int = USER_ID, *, within: float = 5.0) -> Sent:
        """The next message the bot sent to ``chat_id`` (text, document or photo), as it was
        sent; :meth:`message` shows it as it stands now."""
        call = await self._next(
            lambda c: c.method in SENDS and c.params.get("chat_id") == chat_id,
            within,
            f"no message to {chat_id}",
        )
        sent: Sent = call.params["_sent"]
        return sent

    async def _next(self, wanted: Callable[[Call], bool], within: float, failure: str) -> Call:
        box: list[Call] = []

        def found() -> bool:
            for index, call in enumerate(self.calls):
                if index not in self._consumed and call.status == 200 and wanted(call):
                    self._consumed.add(index)
                    box.append(call)
                    return True
            return False

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(found), within)
            except TimeoutError:
                raise AssertionError(f"{failure} within {within} s") from None
        return box[0]

    async def quiet(self, chat_id: int = USER_ID, *, seconds: float = 0.5) -> list[Sent]:
        """Messages to ``chat_id`` during the next ``seconds`` (expected: none)."""
        got: list[Sent] = []
        with contextlib.suppress(AssertionError):
            while True:
                got.append(await self.next_message(chat_id, within=seconds))
        return got

    # -- serving -------------------------------------------------------------------------------

    def _poke(self) -> None:
        async def notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().create_task(notify())

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        params, files = await read_params(request)
        call = Call(method, params, files)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            await self._check_spec(request, call)
            hold = self._holds.get(method)
            if hold is not None:
                hold.arrived.set()
                await hold.released.wait()
            faults = self._faults.get(method)
            if faults:
                fault = faults.pop(0)
                raise ApiError(fault.status, fault.description, fault.retry_after)
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            result = await handler(call)
        except ApiError as exc:
            call.status = exc.status
            await self._record(call)
            return web.json_response(error_body(exc), status=exc.status)
        await self._record(call)
        return web.json_response({"ok": True, "result": result})

    async def _check_spec(self, request: web.Request, call: Call) -> None:
        """Refuse a call the Bot API does not allow, as Telegram would, and note it."""
        if not REFUSALS.checking:
            return
        verdict = spec().check(call.method, await raw_params(request), call.files)
        if verdict is None:
            return
        status, description = verdict
        reason = description if status != 404 else f"{description}: no such method in the spec"
        refusal = Refusal("telegram", request.match_info["method"], reason)
        self.refused.append(refusal)
        REFUSALS.record(refusal)
        raise ApiError(status, description)

    async def _m_getme(self, call: Call) -> dict[str, Any]:
        return {
            **bot_json(self.username),
            "can_join_groups": True,
            "supports_inline_queries": False,
        }

    async def _m_getupdates(self, call: Call) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(409, DESCRIPTIONS[409])
        offset = int(call.params.get("offset") or 0)
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        deadline = asyncio.get_running_loop().time() + float(call.params.get("timeout") or 0)
        self._poll += 1
        mine = self._poll
        async with self._changed:
            self._changed.notify_all()  # an older poll still waiting learns it was ended

        def ready() -> bool:
            return (
                self._closing
                or self._poll != mine
                or any(u["update_id"] >= offset for u in self._pending)
            )

        async with self._changed:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait_for(ready), remaining)
        if self._poll != mine and not self._closing:
            raise ApiError(409, CONFLICT_POLLING)
        return [u for u in self._pending if u["update_id"] >= offset][:100]

    async def _m_setmycommands(self, call: Call) -> bool:
        self.commands = list(call.params.get("commands") or [])
        return True

    async def _m_deletewebhook(self, call: Call) -> bool:
        self.webhook_url = self.webhook_secret = ""
        return True

    async def _m_setwebhook(self, call: Call) -> bool:
        self.webhook_url = str(call.params["url"])
        self.webhook_secret = str(call.params.get("secret_token") or "")
        if self._pump is None:
            self._pump = asyncio.create_task(self._push_updates())
        return True

    async def _m_sendmessage(self, call: Call) -> dict[str, Any]:
        text = str(call.params.get("text") or "")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return self._store(call, Sent(0, 0, text=text), "text")

    async def _m_senddocument(self, call: Call) -> dict[str, Any]:
        return self._store_file(call, "document")

    async def _m_sendphoto(self, call: Call) -> dict[str, Any]:
        return self._store_file(call, "photo")

    async def _m_editmessagetext(self, call: Call) -> dict[str, Any]:
        sent = self._editable(call)
        text = str(call.params.get("text") or "")
        markup = parse_markup(call.params.get("reply_markup"))
        if utf16_len(text) > 4096:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        if (text, markup) == (sent.text, sent.reply_markup):
            raise ApiError(400, NOT_MODIFIED)
        sent.text, sent.reply_markup, sent.edits = text, markup, sent.edits + 1
        return self._sent_json(sent)

    async def _m_editmessagereplymarkup(self, call: Call) -> dict[str, Any]:
        sent = self._editable(call)
        markup = parse_markup(call.params.get("reply_markup"))
        if markup == sent.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        sent.reply_markup, sent.edits = markup, sent.edits + 1
        return self._sent_json(sent)

    async def _m_answercallbackquery(self, call: Call) -> bool:
        query_id = str(call.params.get("callback_query_id"))
        if query_id not in self._open_queries:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if utf16_len(str(call.params.get("text") or "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._open_queries.discard(query_id)
        return True

    # -- helpers -------------------------------------------------------------------------------

    async def _push_updates(self) -> None:
        """Webhook mode: POST each pending update until the bot answers 200."""
        assert self._session is not None
        while True:
            async with self._changed:
                await self._changed.wait_for(lambda: bool(self._pending and self.webhook_url))
            update = self._pending[0]
            headers = {
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": self.webhook_secret,
            }
            try:
                async with self._session.post(
                    self.webhook_url, data=json.dumps(update), headers=headers
                ) as response:
                    delivered = response.status == 200
            except OSError:
                delivered = False
            if delivered:
                self._pending.remove(update)
            else:
                await asyncio.sleep(0.1)

    def _store(self, call: Call, sent: Sent, kind: str) -> dict[str, Any]:
        chat_id = int(call.params["chat_id"])
        markup = parse_markup(call.params.get("reply_markup"))
        for row in (markup or {}).get("inline_keyboard", []):
            for item in row:
                if len(str(item.get("callback_data", "")).encode()) > 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        sent.chat_id, sent.message_id = chat_id, next(self._message_ids)
        sent.reply_markup, sent.kind = markup, kind
        self._chat(chat_id).messages[sent.message_id] = sent
        call.params["_sent"] = dataclasses.replace(sent)  # as sent, whatever edits follow
        return self._sent_json(sent)

    def _store_file(self, call: Call, field_name: str) -> dict[str, Any]:
        if field_name not in call.files:
            raise ApiError(400, f"Bad Request: there is no {field_name} in the request")
        caption = call.params.get("caption")
        if caption is not None and utf16_len(str(caption)) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        sent = Sent(0, 0, caption=caption, file=call.files[field_name])
        return self._store(call, sent, field_name)

    def _editable(self, call: Call) -> Sent:
        chat_id = int(call.params.get("chat_id") or 0)
        message_id = int(call.params.get("message_id") or 0)
        sent = self._chat(chat_id).messages.get(message_id)
        if sent is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return sent

    def _chat(self, chat_id: int) -> Chat:
        if chat_id not in self._chats:
            self._chats[chat_id] = Chat(chat_id, "private" if chat_id > 0 else "group", "Group")
        return self._chats[chat_id]

    def _default_user(self, chat_id: int) -> int:
        return chat_id if chat_id > 0 else USER_ID

    def _chat_json(self, chat_id: int) -> dict[str, Any]:
        return chat_json(self._chat(chat_id))

    def _message(
        self,
        chat_id: int,
        user_id: int | None,
        fields: dict[str, Any],
        *,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        uid = user_id if user_id is not None else self._default_user(chat_id)
        number = message_id or next(self._message_ids)
        return message_json(self._chat(chat_id), uid, number, fields)

    def _sent_json(self, sent: Sent) -> dict[str, Any]:
        return sent_json(sent, self._chat(sent.chat_id), self.username)
