"""The loopback Telegram refuses what the published Bot API does not allow, as Telegram does.

Calls go over real HTTP the way PTB makes them (form fields, JSON-encoded values), and through
PTB itself; each refusal is answered ``400 {"ok": false, "error_code": 400, "description":
"Bad Request: …"}`` and noted (the tests take the refusals they cause, so nothing is left over
for the suite-wide check in ``tests/conftest.py``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest

from adapters.telegram.translate import bot_commands
from tests.standins.refusals import REFUSALS
from tests.standins.telegram_api import TOKEN, USER_ID, TelegramAPI
from tests.standins.telegram_spec import spec
from tests.support.words import MENU

EMOJI = "🙂"
"""One character, two UTF-16 code units: Telegram's length is not Python's ``len``."""


@pytest.fixture
async def api() -> AsyncIterator[TelegramAPI]:
    async with TelegramAPI() as server:
        yield server


@pytest.fixture
async def post(api: TelegramAPI) -> AsyncIterator[Any]:
    async with ClientSession() as session:

        async def call(method: str, **params: Any) -> tuple[int, dict[str, Any]]:
            form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
            async with session.post(f"{api.url}/bot{TOKEN}/{method}", data=form) as response:
                return response.status, await response.json()

        yield call


def bad_request(description: str) -> dict[str, Any]:
    return {"ok": False, "error_code": 400, "description": f"Bad Request: {description}"}


def keyboard(**button: Any) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": "Yes", **button}]]}


async def test_a_message_with_an_unknown_field_is_refused(post: Any, api: TelegramAPI) -> None:
    status, body = await post("sendMessage", chat_id=USER_ID, text="hi", colour="blue")

    assert (status, body) == (400, bad_request("colour is not a parameter of sendMessage"))
    assert [r.call for r in REFUSALS.take()] == ["sendMessage"]
    assert api.calls_to("sendMessage") == []


async def test_a_message_without_chat_id_is_refused(post: Any) -> None:
    status, body = await post("sendMessage", text="hi")

    assert (status, body) == (400, bad_request("chat_id is empty"))
    assert len(REFUSALS.take()) == 1


async def test_a_text_of_4097_utf16_units_is_refused(post: Any) -> None:
    text = EMOJI * 2048 + "x"  # 2,049 characters to Python, 4,097 code units to Telegram

    status, body = await post("sendMessage", chat_id=USER_ID, text=text)

    assert (status, body) == (400, bad_request("message is too long"))
    assert len(REFUSALS.take()) == 1


async def test_a_text_of_4096_utf16_units_is_sent(post: Any, api: TelegramAPI) -> None:
    status, body = await post("sendMessage", chat_id=USER_ID, text=EMOJI * 2048)

    assert (status, body["ok"]) == (200, True)
    assert (await api.next_message()).text == EMOJI * 2048


async def test_a_text_of_only_spaces_is_refused_as_empty(post: Any) -> None:
    status, body = await post("sendMessage", chat_id=USER_ID, text="   ")

    assert (status, body) == (400, bad_request("message text is empty"))
    assert len(REFUSALS.take()) == 1


async def test_callback_data_of_65_bytes_is_refused(post: Any) -> None:
    data = "é" * 32 + "x"  # 33 characters, 65 bytes in UTF-8

    status, body = await post(
        "sendMessage", chat_id=USER_ID, text="?", reply_markup=keyboard(callback_data=data)
    )

    assert (status, body) == (400, bad_request("BUTTON_DATA_INVALID"))
    assert len(REFUSALS.take()) == 1


async def test_callback_data_of_64_bytes_is_sent(post: Any) -> None:
    markup = keyboard(callback_data="é" * 32)

    status, _ = await post("sendMessage", chat_id=USER_ID, text="?", reply_markup=markup)

    assert status == 200


async def test_a_button_with_an_unknown_field_is_refused(post: Any) -> None:
    markup = keyboard(callback_data="thr:a:b", colour="red")

    status, body = await post("sendMessage", chat_id=USER_ID, text="?", reply_markup=markup)

    assert status == 400
    assert body["description"] == (
        "Bad Request: reply_markup.inline_keyboard[0][0].colour is not a field of "
        "InlineKeyboardButton"
    )
    assert len(REFUSALS.take()) == 1


async def test_a_button_that_does_nothing_is_refused(post: Any) -> None:
    status, body = await post("sendMessage", chat_id=USER_ID, text="?", reply_markup=keyboard())

    assert status == 400
    assert "exactly one of its optional fields, not none" in body["description"]
    assert len(REFUSALS.take()) == 1


async def test_a_keyboard_that_is_not_json_is_refused(post: Any) -> None:
    status, body = await post("sendMessage", chat_id=USER_ID, text="?", reply_markup="{[")

    assert (status, body) == (400, bad_request("can't parse reply_markup JSON object"))
    assert len(REFUSALS.take()) == 1


async def test_a_toast_of_201_characters_is_refused(post: Any, api: TelegramAPI) -> None:
    status, body = await post("answerCallbackQuery", callback_query_id="q1", text="x" * 201)

    assert (status, body) == (400, bad_request("MESSAGE_TOO_LONG"))
    assert len(REFUSALS.take()) == 1


async def test_a_poll_limit_of_101_is_refused(post: Any) -> None:
    status, body = await post("getUpdates", limit=101)

    assert (status, body) == (400, bad_request("limit must be between 1 and 100"))
    assert len(REFUSALS.take()) == 1


async def test_a_word_where_a_number_belongs_is_refused(post: Any) -> None:
    status, body = await post("editMessageText", chat_id=USER_ID, message_id="first", text="x")

    assert (status, body) == (400, bad_request("message_id must be an Integer"))
    assert len(REFUSALS.take()) == 1


async def test_a_command_in_capitals_is_refused(post: Any) -> None:
    commands = [{"command": "Reflect", "description": "Reflect on a relationship"}]

    status, body = await post("setMyCommands", commands=commands)

    assert (status, body) == (400, bad_request("commands[0].command holds characters it may not"))
    assert len(REFUSALS.take()) == 1


async def test_an_unknown_command_scope_is_refused(post: Any) -> None:
    commands = [{"command": "reflect", "description": "Reflect"}]

    status, body = await post("setMyCommands", commands=commands, scope={"type": "everyone"})

    assert status == 400
    assert body["description"].startswith("Bad Request: scope.type must be one of: ")
    assert "all_private_chats" in body["description"]
    assert len(REFUSALS.take()) == 1


async def test_a_known_command_scope_is_accepted(post: Any) -> None:
    commands = [{"command": "reflect", "description": "Reflect"}]

    status, _ = await post("setMyCommands", commands=commands, scope={"type": "chat", "chat_id": 5})

    assert status == 200


async def test_an_unknown_method_is_not_found(post: Any) -> None:
    status, body = await post("sendTelepathy", chat_id=USER_ID)

    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    assert [r.reason for r in REFUSALS.take()] == ["Not Found: no such method in the spec"]


async def test_well_formed_calls_through_ptb_are_accepted(api: TelegramAPI) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="thr:a:yes")]])
    async with Bot(TOKEN, base_url=f"{api.url}/bot") as bot:
        await bot.set_my_commands(bot_commands(MENU))
        await bot.send_message(USER_ID, "Is this connection still serving me?", reply_markup=markup)
        await bot.send_document(USER_ID, InputFile(b"{}", filename="export.json"), caption="x")

    assert api.refused == []
    assert [c.method for c in api.calls] == [
        "getme",
        "setmycommands",
        "sendmessage",
        "senddocument",
    ]


async def test_ptb_reads_a_refusal_as_telegram_s_bad_request(api: TelegramAPI) -> None:
    async with Bot(TOKEN, base_url=f"{api.url}/bot") as bot:
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(USER_ID, "x" * 4097)

    assert [r.reason for r in REFUSALS.take()] == ["Bad Request: message is too long"]


def test_limits_are_read_from_the_descriptions() -> None:
    bot_api = spec()
    text = bot_api.methods["sendmessage"].fields["text"]
    data = bot_api.types["InlineKeyboardButton"].fields["callback_data"]
    toast = bot_api.methods["answercallbackquery"].fields["text"]
    limit = bot_api.methods["getupdates"].fields["limit"]

    assert (text.length, text.in_bytes, text.trimmed) == ((1, 4096), False, True)
    assert text.required
    assert (data.length, data.in_bytes) == ((1, 64), True)
    assert (toast.length, toast.required) == ((0, 200), False)
    assert limit.bounds == (1, 100)
    assert bot_api.version == "Bot API 10.1"


def test_a_field_required_unless_another_is_given() -> None:
    edit = spec().methods["editmessagetext"]

    assert edit.fields["chat_id"].unless == {"inline_message_id"}
    assert edit.fields["inline_message_id"].unless == {"chat_id", "message_id"}
    assert spec().check("editMessageText", {"inline_message_id": "m1", "text": "x"}) is None
    assert spec().check("editMessageText", {"text": "x"}) == (400, "Bad Request: chat_id is empty")
