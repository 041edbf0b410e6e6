"""Two Telegram webhook workers on one PostgreSQL database, each with its own core (its own pools
of connections, as two processes), behind "a load balancer": the test posts each update to
either worker, and the same update to both at once. Every update is answered once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from adapters.telegram import run_telegram
from bot.core import open_core
from bot.settings import Settings
from tests.standins.telegram_api import USER_ID, TelegramAPI
from tests.support.telegram_bot import make_settings

SECRET = "webhook-secret-" + "3" * 32
HELP = "Here is what I can do"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def worker_settings(api: TelegramAPI, tmp_path: Path, pg_url: str) -> Settings:
    port = free_port()
    return make_settings(
        api,
        tmp_path / "unused.db",
        database_url=pg_url,
        telegram_webhook_url=f"http://127.0.0.1:{port}/telegram",
        telegram_webhook_listen=f"127.0.0.1:{port}",
        telegram_webhook_secret=SECRET,
        telegram_webhook_set_at_start=False,
    )


@contextlib.asynccontextmanager
async def workers(settings: list[Settings], api: TelegramAPI) -> AsyncIterator[None]:
    async with contextlib.AsyncExitStack() as stack:
        tasks = []
        for each in settings:
            core = await stack.enter_async_context(open_core(each))
            tasks.append(asyncio.create_task(run_telegram(each, core)))
        try:
            for _ in settings:
                await api.next_call("setMyCommands", within=15)  # each worker started
            await asyncio.sleep(0.3)  # their webhook servers listen
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def update(update_id: int, text: str, chat_id: int = USER_ID) -> bytes:
    person = {"id": chat_id, "first_name": "P"}
    message = {
        "message_id": update_id,
        "date": 1_700_000_000,
        "chat": {**person, "type": "private"},
        "from": {**person, "is_bot": False},
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


async def post(settings: Settings, update_id: int, text: str, chat_id: int = USER_ID) -> int:
    assert settings.telegram_webhook_url
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            settings.telegram_webhook_url, data=update(update_id, text, chat_id), headers=headers
        ) as response,
    ):
        return response.status


async def test_updates_spread_over_two_workers_and_one_sent_to_both_are_each_answered_once(
    api: TelegramAPI, tmp_path: Path, pg_url: str
) -> None:
    one, two = worker_settings(api, tmp_path, pg_url), worker_settings(api, tmp_path, pg_url)
    async with workers([one, two], api):
        both = await asyncio.gather(post(one, 1, "/help"), post(two, 1, "/help"))
        assert list(both) == [200, 200]
        first = await api.next_message()
        assert HELP in (first.text or "")
        assert await api.quiet(seconds=1.0) == []  # not twice
        people = [USER_ID + n for n in range(1, 11)]  # a burst from one would be merged
        posts = [
            post((one, two)[n % 2], 100 + n, "/help", chat_id)  # round robin, no sticky sessions
            for n, chat_id in enumerate(people)
        ]
        assert await asyncio.gather(*posts) == [200] * len(people)
        for chat_id in people:
            reply = await api.next_message(chat_id, within=10)
            assert HELP in (reply.text or "")
        for chat_id in [USER_ID, *people]:
            assert await api.quiet(chat_id, seconds=0.2) == []
    assert api.calls_to("setWebhook") == []  # `threshold webhook set` does that, once


def busiest_second(times: list[float]) -> int:
    """The most of ``times`` within any one second."""
    times = sorted(times)
    return max(
        (sum(1 for t in times[n:] if t < start + 1.0) for n, start in enumerate(times)), default=0
    )


async def test_two_workers_replying_at_once_keep_together_to_one_send_rate(
    api: TelegramAPI, tmp_path: Path, pg_url: str
) -> None:
    rate = 4.0  # a second's sends by both workers together, at most (one token of burst)
    one, two = (
        worker_settings(api, tmp_path, pg_url).model_copy(update={"telegram_send_rate": rate})
        for _ in range(2)
    )
    people = [USER_ID + n for n in range(1, 17)]
    async with workers([one, two], api):
        posts = [
            post((one, two)[n % 2], 300 + n, "/help", chat_id) for n, chat_id in enumerate(people)
        ]
        assert await asyncio.gather(*posts) == [200] * len(people)
        for chat_id in people:  # each worker alone may send `rate` a second: together, twice
            reply = await api.next_message(chat_id, within=20)
            assert HELP in (reply.text or "")
    sent = [call.at for call in api.calls_to("sendMessage")]
    assert len(sent) == len(people)
    assert busiest_second(sent) <= rate + 1
