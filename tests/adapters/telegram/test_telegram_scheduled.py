"""Scheduled mantras through the real Telegram adapter, against the loopback Bot API.

The whole bot runs (PTB application, core, scheduler ticking every 50 ms); only the scheduler's
clock is the test's. A mantra arrives with its stop and snooze buttons, a tap on Stop edits it
and ends the mantras, a 429 is waited out, and a person who blocked the bot is unsubscribed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.telegram import run_telegram
from bot.core import Core, open_core
from bot.ports.store import UserKey
from bot.settings import Settings
from tests.standins.telegram_api import USER_ID, TelegramAPI
from tests.support.schedules import outcomes, subscribe
from tests.support.telegram_bot import Person, make_settings

START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
NINE = START + timedelta(hours=1)
PERSON = UserKey("telegram", str(USER_ID))


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(api: TelegramAPI, db_path: Path) -> Settings:
    return make_settings(api, db_path, scheduler_tick_seconds=0.05)


@pytest.fixture
async def bot(settings: Settings, api: TelegramAPI, clock: Clock) -> AsyncIterator[Core]:
    async with open_core(settings, clock=clock) as core:
        task = asyncio.create_task(run_telegram(settings, core, poll_timeout=1.0))
        await api.next_call("deleteWebhook")  # polling; the deliverer is registered next
        try:
            yield core
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def subscribed(core: Core) -> None:
    await subscribe(core.store, str(USER_ID), START, chat_id=str(USER_ID))


async def test_a_mantra_arrives_with_stop_and_snooze_and_stop_ends_them(
    bot: Core, api: TelegramAPI, clock: Clock, person: Person
) -> None:
    await subscribed(bot)
    assert await api.quiet(seconds=0.2) == []
    clock.now = NINE
    mantra = await api.next_message()
    assert mantra.text in bot.script.mantras
    assert mantra.labels == ["Stop mantras", "Snooze for a week"]

    person.question = mantra
    await person.tap("Stop mantras", expect="Mantras are off:")
    assert api.message(mantra.chat_id, mantra.message_id).text == f"{mantra.text}\n\n→ Stop mantras"
    assert api.message(mantra.chat_id, mantra.message_id).buttons == []
    sub = await bot.store.mantras(PERSON)
    assert sub is not None and not sub.enabled
    clock.now = NINE + timedelta(days=1)
    assert await api.quiet(seconds=0.3) == []


@pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")
async def test_flood_control_is_waited_out_and_the_mantra_sent_once(
    bot: Core, api: TelegramAPI, clock: Clock, db_path: Path
) -> None:
    await subscribed(bot)
    api.fail("sendMessage", 429, retry_after=1)
    clock.now = NINE
    mantra = await api.next_message(within=10)
    assert mantra.text in bot.script.mantras
    assert await api.quiet(seconds=0.3) == []
    assert outcomes(db_path) == {"sent": 1}


async def test_a_person_who_blocked_the_bot_is_unsubscribed(
    bot: Core, api: TelegramAPI, clock: Clock, db_path: Path
) -> None:
    await subscribed(bot)
    api.fail("sendMessage", 403)
    clock.now = NINE
    async with asyncio.timeout(10):  # the outcome shows only in the database: look again
        while outcomes(db_path).get("unreachable", 0) < 2:  # noqa: ASYNC110 (the delivery, the person)
            await asyncio.sleep(0.02)
    sub = await bot.store.mantras(PERSON)
    assert sub is not None and not sub.enabled
    clock.now = NINE + timedelta(days=1)
    assert await api.quiet(seconds=0.3) == []
