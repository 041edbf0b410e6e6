"""End to end, when things go wrong: flood control, blocked users, network errors, a refused
token, a failing turn, webhook secrets. The stand-in produces each fault over real HTTP."""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from adapters.cli import _fail
from adapters.telegram import build_application, deliverer, run_telegram
from bot.core import Core, open_core
from bot.errors import ConfigError, RecipientUnreachable
from bot.ports.store import Address
from bot.settings import Settings
from dialogs.model import Button, Reply
from tests.standins.telegram_api import TOKEN, USER_ID, TelegramAPI
from tests.support.telegram_bot import Person, make_settings, running_bot

NAME_Q = "Who is this about?"
INTRO = "Hi. I'm Threshold"


pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"  # raised inside PTB
)


async def eventually(check: Callable[[], bool], within: float = 3.0) -> None:
    for _ in range(int(within / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    assert check()


def unreachable(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        row = conn.execute(
            "SELECT unreachable FROM users WHERE platform = 'telegram' AND platform_user_id = ?",
            (str(USER_ID),),
        ).fetchone()
    return int(row[0]) if row else -1


async def test_flood_control_429_is_waited_out_and_the_reply_arrives_once(
    bot: Core, person: Person, api: TelegramAPI
) -> None:
    api.fail("sendMessage", 429, retry_after=1)
    await person.type("/start", NAME_Q)

    refused = [c for c in api.calls_to("sendMessage", ok=False) if c.status == 429]
    intros = [c for c in api.calls_to("sendMessage") if c.params["text"].startswith(INTRO)]
    assert (len(refused), len(intros)) == (1, 1)
    shown = [s.text for s in person.seen if s.text]
    assert len(shown) == 1 and shown[0].startswith(INTRO) and NAME_Q in shown[0]  # one message


async def test_a_network_error_on_a_send_is_retried(
    bot: Core, person: Person, api: TelegramAPI
) -> None:
    api.fail("sendMessage", 502)
    await person.type("/start", NAME_Q)
    intros = [c for c in api.calls_to("sendMessage") if c.params["text"].startswith(INTRO)]
    assert len(intros) == 1


async def test_403_on_a_send_marks_the_person_unreachable(
    bot: Core, person: Person, api: TelegramAPI, db_path: Path
) -> None:
    await person.type("/start", NAME_Q)
    assert unreachable(db_path) == 0
    api.fail("sendMessage", 403)
    api.send("Sam")
    await eventually(lambda: unreachable(db_path) == 1)

    await person.type("/start", "Welcome back")  # they unblocked the bot and wrote again
    assert unreachable(db_path) == 0


async def test_blocking_the_bot_marks_the_person_unreachable(
    bot: Core, person: Person, api: TelegramAPI, db_path: Path
) -> None:
    await person.type("/start", NAME_Q)
    api.blocks_the_bot()
    await eventually(lambda: unreachable(db_path) == 1)
    assert await api.quiet(seconds=0.1) == []


async def test_a_failing_turn_is_logged_without_text_or_token_apologised_for_and_survived(
    settings: Settings, person: Person, api: TelegramAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_bot(settings, api):
        await person.type("/start", NAME_Q)
        api.fail("sendMessage", 400, description="Bad Request: chat not found")
        api.send("Secretly Sam")
        await person.until("Sorry — something went wrong on my side.")
        await person.type("/help", "Here is what I can do")

    failures = [r for r in caplog.records if r.name.startswith("adapters.telegram")]
    assert any(r.levelno == logging.ERROR and r.exc_info for r in failures)
    assert "Secretly Sam" not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text


async def test_the_deliverer_sends_and_reports_a_blocked_person(
    settings: Settings, api: TelegramAPI
) -> None:
    async with open_core(settings) as core:
        app = build_application(settings, core)
        async with app:
            send = deliverer(app)
            mantra = Reply(
                "Letting go isn't about giving up.", buttons=(Button("thr:x:y:1", "Stop"),)
            )
            await send.deliver(Address("telegram", str(USER_ID)), [mantra])
            arrived = await api.next_message()
            assert (arrived.text, arrived.labels) == (mantra.text, ["Stop"])

            api.fail("sendMessage", 403)
            with pytest.raises(RecipientUnreachable):
                await send.deliver(Address("telegram", str(USER_ID)), [mantra])


async def test_a_bad_token_fails_at_start_with_one_clear_line(
    api: TelegramAPI, db_path: Path
) -> None:
    settings = make_settings(api, db_path, telegram_token="7000001:revoked-token")
    async with open_core(settings) as core:
        with pytest.raises(ConfigError) as raised:
            await run_telegram(settings, core)
    message = str(raised.value)
    assert "\n" not in message
    assert "TELEGRAM_TOKEN" in message
    assert "revoked-token" not in message
    assert _fail(message) == 1


async def test_getme_answering_401_is_the_same_clear_line(
    settings: Settings, api: TelegramAPI
) -> None:
    api.fail("getMe", 401)
    async with open_core(settings) as core:
        with pytest.raises(ConfigError, match="Telegram refused TELEGRAM_TOKEN"):
            await run_telegram(settings, core)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_refuses_a_wrong_secret_and_accepts_the_right_one(
    api: TelegramAPI, db_path: Path, person: Person
) -> None:
    port = free_port()
    settings = make_settings(
        api,
        db_path,
        telegram_webhook_url=f"http://127.0.0.1:{port}/telegram",
        telegram_webhook_listen=f"127.0.0.1:{port}",
        telegram_webhook_secret="right-secret_1-" + "x" * 32,
    )
    async with running_bot(settings, api):
        assert api.webhook_secret == "right-secret_1-" + "x" * 32
        forged = api.text_update("/start")
        assert await api.post_update(forged, secret="wrong-secret") == 403
        assert await api.post_update(forged, secret=None) == 403
        assert await api.quiet(seconds=0.3) == []

        await person.type("/start", NAME_Q)  # the stand-in posts it with the right secret
        assert api.calls_to("getUpdates") == []
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}/telegram"
            async with session.get(url) as response:
                assert response.status == 405


async def test_a_refused_command_menu_does_not_stop_the_bot(
    settings: Settings, api: TelegramAPI, person: Person
) -> None:
    api.fail("setMyCommands", 400, description="Bad Request: BOT_COMMAND_INVALID")
    async with running_bot(settings, api):
        await person.type("/start", NAME_Q)


async def test_a_webhook_port_already_taken_is_one_clear_line(
    api: TelegramAPI, db_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = make_settings(
            api,
            db_path,
            telegram_webhook_url=f"http://127.0.0.1:{port}/telegram",
            telegram_webhook_listen=f"127.0.0.1:{port}",
        )
        async with open_core(settings) as core:
            with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_LISTEN") as raised:
                await run_telegram(settings, core)
    assert "\n" not in str(raised.value)


async def test_a_webhook_url_telegram_refuses_is_one_clear_line(
    api: TelegramAPI, db_path: Path
) -> None:
    port = free_port()
    settings = make_settings(
        api,
        db_path,
        telegram_webhook_url=f"http://127.0.0.1:{port}/telegram",
        telegram_webhook_listen=f"127.0.0.1:{port}",
    )
    api.fail("setWebhook", 400, description="Bad Request: bad webhook: HTTPS url must be provided")
    async with open_core(settings) as core:
        with pytest.raises(ConfigError, match="Telegram refused the webhook"):
            await run_telegram(settings, core)
