"""The webhook receiver over real HTTP on 127.0.0.1, with the real bot behind it: what an
unauthenticated or oversized request gets (refused before its body is read), what is not an
update, and an update recorded in the inbox before its 200, applied once, and not lost when the
process stops right after answering."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.core import Core, open_core
from bot.settings import Settings
from tests.standins.telegram_api import USER_ID, TelegramAPI
from tests.support.telegram_bot import Person, make_settings, running_bot

SECRET = "webhook-secret-" + "7" * 32
HELP = "Here is what I can do"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def hooked(api: TelegramAPI, db_path: Path) -> Settings:
    port = free_port()
    return make_settings(
        api,
        db_path,
        telegram_webhook_url=f"http://127.0.0.1:{port}/telegram",
        telegram_webhook_listen=f"127.0.0.1:{port}",
        telegram_webhook_secret=SECRET,
    )


@pytest.fixture
async def webhook_bot(hooked: Settings, api: TelegramAPI) -> AsyncIterator[Core]:
    async with running_bot(hooked, api) as core:
        yield core


def address(settings: Settings) -> tuple[str, int]:
    host, _, port = settings.telegram_webhook_listen.rpartition(":")
    return host, int(port)


async def post(settings: Settings, body: bytes, *, secret: str | None = SECRET) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    assert settings.telegram_webhook_url
    async with (
        aiohttp.ClientSession() as session,
        session.post(settings.telegram_webhook_url, data=body, headers=headers) as response,
    ):
        return response.status


async def status_before_the_body(settings: Settings, headers: str, sent: bytes) -> str:
    """Send the request line, ``headers`` and only ``sent`` of the body, then read the status
    line: an answer that comes now was given without reading the rest."""
    host, port = address(settings)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"POST /telegram HTTP/1.1\r\nHost: {host}\r\n{headers}\r\n".encode() + sent)
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 5)
    finally:
        writer.close()
    return line.decode().strip()


def update(update_id: int, text: str, chat_id: int = USER_ID) -> bytes:
    message = {
        "message_id": update_id,
        "date": 1_700_000_000,
        "chat": {"id": chat_id, "type": "private", "first_name": "P"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "P"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return json.dumps({"update_id": update_id, "message": message}).encode()


# --------------------------------------------------------------------------------------------
# Refused before the body is read


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET[:-1], SECRET + "x", SECRET.upper()])
async def test_a_40_mb_post_without_the_right_secret_is_refused_before_its_body_is_read(
    webhook_bot: Core, hooked: Settings, secret: str | None
) -> None:
    header = "" if secret is None else f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n"
    headers = f"Content-Type: application/json\r\nContent-Length: 40000000\r\n{header}"
    assert await status_before_the_body(hooked, headers, b"{" * 1024) == "HTTP/1.1 403 Forbidden"


async def test_a_body_over_one_mebibyte_is_refused_even_with_the_secret(
    webhook_bot: Core, hooked: Settings
) -> None:
    said = f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
    headers = f"Content-Length: {1024 * 1024 + 1}\r\n{said}"
    assert (await status_before_the_body(hooked, headers, b"{")).startswith("HTTP/1.1 413")
    chunked = f"Transfer-Encoding: chunked\r\n{said}"
    chunk = b"%x\r\n%s\r\n" % (256 * 1024, b"x" * 256 * 1024)
    assert (await status_before_the_body(hooked, chunked, chunk * 5)).startswith("HTTP/1.1 413")


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b"{}", b'{"update_id": "7"}', b'{"update_id": true}']
)
async def test_a_body_that_is_not_an_update_is_refused(
    webhook_bot: Core, hooked: Settings, body: bytes
) -> None:
    assert await post(hooked, body) == 400


async def test_another_path_or_method_is_refused(webhook_bot: Core, hooked: Settings) -> None:
    assert hooked.telegram_webhook_url
    async with aiohttp.ClientSession() as session:
        async with session.get(hooked.telegram_webhook_url) as response:
            assert response.status == 405
        other = hooked.telegram_webhook_url.replace("/telegram", "/other")
        async with session.post(other, data=b"{}") as response:
            assert response.status == 404


# --------------------------------------------------------------------------------------------
# Recorded, then answered; applied once


async def test_an_update_is_in_the_inbox_before_its_200(
    webhook_bot: Core, hooked: Settings, db_path: Path, api: TelegramAPI
) -> None:
    hold = api.hold("sendMessage")  # the reply cannot go out: the update is not applied yet
    assert await post(hooked, update(9001, "/help")) == 200
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT update_id, done_at FROM inbox").fetchall()
    assert rows == [(9001, None)]
    hold.release()
    reply = await api.next_message()
    assert HELP in (reply.text or "")


async def test_an_update_delivered_twice_is_answered_once(
    webhook_bot: Core, hooked: Settings, api: TelegramAPI
) -> None:
    assert await post(hooked, update(9002, "/help")) == 200
    assert await post(hooked, update(9002, "/help")) == 200  # Telegram retried it
    reply = await api.next_message()
    assert HELP in (reply.text or "")
    assert await api.quiet(seconds=0.5) == []


async def test_an_update_recorded_before_the_process_stopped_is_applied_at_the_next_start(
    hooked: Settings, api: TelegramAPI
) -> None:
    async with open_core(hooked) as core:  # it was answered 200, then the process died
        assert await core.store.inbox_put("telegram", 9003, update(9003, "/help"))
    async with running_bot(hooked, api) as core:
        reply = await api.next_message()
        assert HELP in (reply.text or "")
        for _ in range(100):
            if not await core.store.inbox_pending("telegram", 10):
                break
            await asyncio.sleep(0.02)
        assert await core.store.inbox_pending("telegram", 10) == []


async def test_the_stand_ins_updates_arrive_through_the_inbox(
    webhook_bot: Core, api: TelegramAPI, db_path: Path
) -> None:
    person = Person(api)
    await person.type("/start", "Who is this about?")
    assert api.calls_to("getUpdates") == []
    for _ in range(100):  # marked applied just after the reply went out
        with sqlite3.connect(db_path) as conn:
            [(body_left, done)] = conn.execute("SELECT body, done_at FROM inbox").fetchall()
        if done is not None:
            break
        await asyncio.sleep(0.02)
    assert body_left is None and done is not None  # applied: what it said is erased
