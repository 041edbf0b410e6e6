"""The loopback Discord refuses what Discord's published API does not allow, as Discord does.

Requests go over real HTTP (aiohttp, to see Discord's exact answer) and through discord.py's own
HTTP client (to see the library read the answer as Discord's). A bad body is answered ``400
{"code": 50035, "message": "Invalid Form Body", "errors": {…}}``; an unknown route 404. The
tests take the refusals they cause, so the suite-wide check in ``tests/conftest.py`` passes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest

from tests.standins.discord_api import CHANNEL_ID, TOKEN, DiscordAPI
from tests.standins.discord_api.spec import CORRECTIONS, SPEC
from tests.standins.refusals import REFUSALS

HEADERS = {"Authorization": f"Bot {TOKEN}"}


@pytest.fixture
async def api() -> AsyncIterator[DiscordAPI]:
    server = await DiscordAPI().start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def request_(api: DiscordAPI) -> AsyncIterator[Any]:
    async with aiohttp.ClientSession(headers=HEADERS) as session:

        async def call(method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
            async with session.request(method, api.api_url + path, **kwargs) as response:
                return response.status, await response.json()

        yield call


@pytest.fixture
async def http(api: DiscordAPI) -> AsyncIterator[discord.http.HTTPClient]:
    """discord.py's REST client, logged in to the stand-in."""
    base = discord.http.Route.BASE
    discord.http.Route.BASE = api.api_url
    client = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        await client.static_login(TOKEN)
        yield client
    finally:
        await client.close()
        discord.http.Route.BASE = base


def invalid(errors: dict[str, Any]) -> dict[str, Any]:
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


def error(code: str, message: str) -> dict[str, Any]:
    return {"_errors": [{"code": code, "message": message}]}


def button(**fields: Any) -> dict[str, Any]:
    return {"type": 1, "components": [{"type": 2, "style": 2, "label": "Yes", **fields}]}


MESSAGES = f"/channels/{CHANNEL_ID}/messages"
TOO_LONG = error("BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")


async def test_a_message_content_of_2001_characters_is_refused(request_: Any) -> None:
    status, body = await request_("POST", MESSAGES, json={"content": "x" * 2001})

    assert (status, body) == (400, invalid({"content": TOO_LONG}))
    assert [r.call for r in REFUSALS.take()] == ["POST /channels/{channel_id}/messages"]


async def test_a_message_content_of_2000_characters_is_sent(request_: Any, api: DiscordAPI) -> None:
    status, body = await request_("POST", MESSAGES, json={"content": "x" * 2000})

    assert status == 200
    assert api.messages[int(body["id"])]["content"] == "x" * 2000


async def test_a_custom_id_of_101_characters_is_refused(request_: Any) -> None:
    payload = {"content": "?", "components": [button(custom_id="c" * 101)]}

    status, body = await request_("POST", MESSAGES, json=payload)

    bad_length = error("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    expected = {"components": {"0": {"components": {"0": {"custom_id": bad_length}}}}}
    assert (status, body) == (400, invalid(expected))
    assert len(REFUSALS.take()) == 1


async def test_a_message_with_an_unknown_field_is_refused(request_: Any) -> None:
    status, body = await request_("POST", MESSAGES, json={"content": "hi", "colour": 3})

    unknown = error("UNKNOWN_FIELD", "This field is not in the API.")
    assert (status, body) == (400, invalid({"colour": unknown}))
    assert len(REFUSALS.take()) == 1


async def test_a_button_without_a_style_is_refused(request_: Any) -> None:
    row = {"type": 1, "components": [{"type": 2, "label": "Yes", "custom_id": "thr:a:b"}]}

    status, body = await request_("POST", MESSAGES, json={"content": "?", "components": [row]})

    required = error("BASE_TYPE_REQUIRED", "This field is required")
    expected = {"components": {"0": {"components": {"0": {"style": required}}}}}
    assert (status, body) == (400, invalid(expected))
    assert len(REFUSALS.take()) == 1


async def test_a_component_of_an_unknown_type_is_refused(request_: Any) -> None:
    row = {"type": 1, "components": [{"type": 99, "custom_id": "x"}]}

    status, body = await request_("POST", MESSAGES, json={"content": "?", "components": [row]})

    union = body["errors"]["components"]["0"]["components"]["0"]["_errors"][0]
    assert (status, union["code"]) == (400, "UNION_TYPE_CHOICES")
    assert union["message"].startswith('Value of field "type" must be one of (2, ')
    assert len(REFUSALS.take()) == 1


async def test_an_interaction_answer_of_2001_characters_is_refused(request_: Any) -> None:
    callback = {"type": 4, "data": {"content": "x" * 2001}}

    status, body = await request_("POST", "/interactions/1/token/callback", json=callback)

    assert (status, body) == (400, invalid({"data": {"content": TOO_LONG}}))
    assert len(REFUSALS.take()) == 1


async def test_a_file_with_too_long_a_text_is_refused_on_its_payload_json(request_: Any) -> None:
    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps({"content": "x" * 2001}))
    form.add_field("files[0]", b"{}", filename="export.json")

    status, body = await request_("POST", MESSAGES, data=form)

    assert (status, body) == (400, invalid({"content": TOO_LONG}))
    assert len(REFUSALS.take()) == 1


async def test_a_file_in_a_part_the_api_does_not_name_is_refused(request_: Any) -> None:
    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps({"content": "hi"}))
    form.add_field("file", b"{}", filename="export.json")

    status, body = await request_("POST", MESSAGES, data=form)

    unknown = error("UNKNOWN_FIELD", "This part is not in the API.")
    assert (status, body) == (400, invalid({"file": unknown}))
    assert len(REFUSALS.take()) == 1


async def test_a_channel_id_that_is_not_a_snowflake_is_refused(request_: Any) -> None:
    status, body = await request_("POST", "/channels/general/messages", json={"content": "hi"})

    not_snowflake = error("NUMBER_TYPE_COERCE", 'Value "general" is not snowflake.')
    assert (status, body) == (400, invalid({"channel_id": not_snowflake}))
    assert len(REFUSALS.take()) == 1


async def test_an_unknown_route_is_not_found(request_: Any) -> None:
    status, body = await request_("POST", "/channels/1/telepathy", json={})

    assert (status, body) == (404, {"message": "404: Not Found", "code": 0})
    assert [r.call for r in REFUSALS.take()] == ["POST /channels/1/telepathy"]


async def test_a_known_path_with_another_method_is_not_allowed(request_: Any) -> None:
    status, body = await request_("DELETE", "/users/@me/channels")

    assert (status, body) == (405, {"message": "405: Method Not Allowed", "code": 0})
    assert len(REFUSALS.take()) == 1


async def test_well_formed_requests_through_discord_py_are_accepted(
    http: discord.http.HTTPClient, api: DiscordAPI
) -> None:
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="Yes", custom_id="thr:a:yes"))
    dm = await http.start_private_message(4200000000000000001)
    params = discord.http.handle_message_parameters(content="Is it reciprocal?", view=view)
    sent = await http.send_message(int(dm["id"]), params=params)
    edit = discord.http.handle_message_parameters(content="Is it reciprocal? → Yes", view=None)
    await http.edit_message(int(dm["id"]), int(sent["id"]), params=edit)

    assert api.refused == []
    assert api.messages[int(sent["id"])]["content"] == "Is it reciprocal? → Yes"


async def test_discord_py_reads_a_refusal_as_discord_s_invalid_form_body(
    http: discord.http.HTTPClient,
) -> None:
    params = discord.http.handle_message_parameters(content="x" * 2001)

    with pytest.raises(discord.HTTPException) as raised:
        await http.send_message(CHANNEL_ID, params=params)

    assert (raised.value.status, raised.value.code) == (400, 50035)
    assert "In content: Must be 2000 or fewer in length." in raised.value.text
    assert len(REFUSALS.take()) == 1


def test_every_correction_still_changes_the_published_spec() -> None:
    """A correction the spec has caught up with (the same value, or the field now listed) is
    one to drop."""
    published = json.loads(SPEC.read_text(encoding="utf-8"))
    for pointer, key, value, _why in CORRECTIONS:
        node: Any = published
        for name in pointer.strip("/").split("/"):
            node = node[name]
        assert (node.get(key) if key else node) != value, f"{pointer} {key}: the spec says so now"
