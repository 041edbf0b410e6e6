"""The Bot API's wire format, as the stand-in (:mod:`tests.standins.telegram_api`) speaks it.

Records (:class:`Call`, :class:`Sent`), the JSON objects Telegram sends (users, chats, messages),
and the parsing of requests as PTB makes them (form fields with JSON-encoded values, multipart
for files). No state and no server here.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "7000001:stand-in-token-AAH"
BOT_ID = 7000001
USERNAME = "threshold_test_bot"
USER_ID = 424242
STRING_FIELDS = frozenset(
    {"text", "caption", "callback_query_id", "url", "secret_token", "ip_address", "filename"}
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: can't use getUpdates method while webhook is active",
    429: "Too Many Requests",
    502: "Bad Gateway",
}
CONFLICT_POLLING = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
"""What Telegram answers an older long poll when another process polls with the same token."""
SENDS = frozenset({"sendmessage", "senddocument", "sendphoto"})


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after


@dataclass
class Call:
    """One request the bot made, as the server understood it."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]]
    status: int = 200
    at: float = field(default_factory=time.monotonic)
    """When it arrived (``time.monotonic``): how many came in any second."""


@dataclass
class Sent:
    """A message in a chat as it stands now (the bot's messages change when edited)."""

    chat_id: int
    message_id: int
    text: str | None = None
    reply_markup: dict[str, Any] | None = None
    caption: str | None = None
    file: tuple[str, bytes] | None = None
    kind: str = "text"
    edits: int = 0

    @property
    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    @property
    def labels(self) -> list[str]:
        return [button["text"] for button in self.buttons]

    def button(self, label: str) -> dict[str, Any]:
        for button in self.buttons:
            if button["text"] == label:
                return button
        raise AssertionError(f"no button {label!r} on message {self.message_id}: {self.labels}")


@dataclass
class Chat:
    id: int
    type: str
    title: str | None = None
    messages: dict[int, Sent] = field(default_factory=dict)


def user_json(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Sam", "language_code": "en"}


def bot_json(username: str) -> dict[str, Any]:
    return {"id": BOT_ID, "is_bot": True, "first_name": "Threshold", "username": username}


def chat_json(chat: Chat) -> dict[str, Any]:
    if chat.type == "private":
        return {"id": chat.id, "type": "private", "first_name": "Sam"}
    return {"id": chat.id, "type": chat.type, "title": chat.title}


def message_json(
    chat: Chat, user_id: int, message_id: int, fields: dict[str, Any]
) -> dict[str, Any]:
    """A message the person sent."""
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat_json(chat),
        "from": user_json(user_id),
        **fields,
    }


def sent_json(sent: Sent, chat: Chat, username: str) -> dict[str, Any]:
    """A message the bot sent, as it stands now."""
    message: dict[str, Any] = {
        "message_id": sent.message_id,
        "date": int(time.time()),
        "chat": chat_json(chat),
        "from": bot_json(username),
    }
    if sent.text is not None:
        message["text"] = sent.text
    if sent.caption is not None:
        message["caption"] = sent.caption
    if sent.kind == "document" and sent.file is not None:
        message["document"] = {
            "file_id": f"doc{sent.message_id}",
            "file_unique_id": f"u{sent.message_id}",
            "file_name": sent.file[0],
        }
    if sent.kind == "photo":
        message["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
    if sent.reply_markup:
        message["reply_markup"] = sent.reply_markup
    return message


def text_fields(text: str) -> dict[str, Any]:
    """A typed text; a leading ``/command`` gets the ``bot_command`` entity Telegram adds."""
    fields: dict[str, Any] = {"text": text}
    command = re.match(r"/\w+(@\w+)?", text)
    if command:
        length = utf16_len(command.group())
        fields["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return fields


def callback_json(
    query_id: str, user_id: int, data: str, message: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": query_id,
        "from": user_json(user_id),
        "chat_instance": f"ci{message['chat']['id']}",
        "data": data,
        "message": message,
    }


def blocked_json(chat: Chat, user_id: int, username: str) -> dict[str, Any]:
    """``my_chat_member``: the person blocked the bot in their private chat."""
    return {
        "chat": chat_json(chat),
        "from": user_json(user_id),
        "date": int(time.time()),
        "old_chat_member": {"user": bot_json(username), "status": "member"},
        "new_chat_member": {"user": bot_json(username), "status": "kicked", "until_date": 0},
    }


def error_body(error: ApiError) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": error.status,
        "description": error.description,
    }
    if error.retry_after is not None:
        body["parameters"] = {"retry_after": error.retry_after}
    return body


def matches(call: Call, match: dict[str, Any]) -> bool:
    return all(call.params.get(key) == value for key, value in match.items())


def parse_markup(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        value = json.loads(value)
    if not value or not value.get("inline_keyboard"):
        return None
    return dict(value)


async def raw_params(request: web.Request) -> dict[str, Any]:
    """Parameters as they came, before any decoding (form values are strings); files left
    out. Read after :func:`read_params` (aiohttp keeps the body it has read)."""
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else {}
        return dict(body) if isinstance(body, dict) else {}
    form = await request.post()
    return {k: str(v) for k, v in form.items() if not isinstance(v, web.FileField)}


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """Parameters as PTB sends them: form fields (non-strings JSON-encoded) or multipart."""
    params: dict[str, Any] = {}
    files: dict[str, tuple[str, bytes]] = {}
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else {}
        return dict(body), files
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            files[key] = (value.filename, value.file.read())
        elif key in STRING_FIELDS:
            params[key] = str(value)
        else:
            try:
                params[key] = json.loads(str(value))
            except ValueError:
                params[key] = str(value)
    return params, files
