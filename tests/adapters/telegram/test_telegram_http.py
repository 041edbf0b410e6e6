"""The Bot API over aiohttp (adapters/telegram/http.py), through PTB's own ``Bot`` against a
small HTTP server on 127.0.0.1: a form, a file as multipart, a server that is not there, one
that answers too late, and every connection busy."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from adapters.telegram.http import AiohttpRequest

TOKEN = "123456:" + "A" * 35
MESSAGE = {"message_id": 7, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "hi"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def serve(handler: Handler) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}/bot"


async def bot_for(base_url: str, **timeouts: float) -> Bot:
    request = AiohttpRequest(connections=2, **timeouts)
    bot = Bot(TOKEN, base_url=base_url, request=request, get_updates_request=request)
    await request.initialize()
    return bot


async def test_a_message_goes_as_a_form_and_its_answer_comes_back() -> None:
    got: list[dict[str, str]] = []

    async def handler(request: web.Request) -> web.Response:
        assert request.content_type == "application/x-www-form-urlencoded"
        got.append({k: str(v) for k, v in (await request.post()).items()})
        return web.json_response({"ok": True, "result": MESSAGE})

    runner, url = await serve(handler)
    bot = await bot_for(url)
    try:
        sent = await bot.send_message(chat_id=42, text="hé 🌙")
    finally:
        await bot.request.shutdown()
        await runner.cleanup()
    assert sent.message_id == 7
    assert got == [{"chat_id": "42", "text": "hé 🌙"}]


async def test_a_file_goes_as_multipart_beside_its_fields() -> None:
    got: list[tuple[str, bytes]] = []

    async def handler(request: web.Request) -> web.Response:
        assert request.content_type == "multipart/form-data"
        async for part in await request.multipart():
            got.append((str(part.name), bytes(await part.read())))  # type: ignore[union-attr]
        return web.json_response({"ok": True, "result": MESSAGE})

    runner, url = await serve(handler)
    bot = await bot_for(url)
    try:
        await bot.send_photo(chat_id=42, photo=b"\x89PNG chart")
    finally:
        await bot.request.shutdown()
        await runner.cleanup()
    assert ("chat_id", b"42") in got
    assert any(content == b"\x89PNG chart" for _, content in got)


async def test_a_bot_api_that_is_not_there_is_a_network_error() -> None:
    bot = await bot_for(f"http://127.0.0.1:{free_port()}/bot")
    try:
        with pytest.raises(NetworkError):
            await bot.send_message(chat_id=42, text="hello")
    finally:
        await bot.request.shutdown()


async def test_an_answer_later_than_the_read_timeout_is_timed_out() -> None:
    async def handler(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({"ok": True, "result": MESSAGE})

    runner, url = await serve(handler)
    bot = await bot_for(url, read_timeout=0.2, write_timeout=0.1)
    try:
        with pytest.raises(TimedOut):
            await bot.send_message(chat_id=42, text="hello")
    finally:
        await bot.request.shutdown()
        await runner.cleanup()


async def test_a_request_that_finds_every_connection_busy_past_the_pool_timeout_is_not_sent() -> (
    None
):
    arrived = 0
    release = asyncio.Event()

    async def handler(request: web.Request) -> web.Response:
        nonlocal arrived
        arrived += 1
        await release.wait()
        return web.json_response({"ok": True, "result": MESSAGE})

    runner, url = await serve(handler)
    bot = await bot_for(url, pool_timeout=0.2, read_timeout=10)
    try:
        busy = [asyncio.create_task(bot.send_message(chat_id=42, text=str(n))) for n in range(2)]
        await asyncio.sleep(0.1)
        with pytest.raises(TimedOut, match="Pool timeout"):
            await bot.send_message(chat_id=42, text="third")
        assert arrived == 2
        release.set()
        assert [m.message_id for m in await asyncio.gather(*busy)] == [7, 7]
    finally:
        await bot.request.shutdown()
        await runner.cleanup()


async def test_a_request_before_initialize_is_refused_plainly() -> None:
    request = AiohttpRequest(connections=1)
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/bot/getMe", "POST")
