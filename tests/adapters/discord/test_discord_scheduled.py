"""A scheduled mantra in a Discord DM, through the real client and the loopback Discord.

Only the scheduler's clock is the test's: the mantra arrives with its buttons, and Stop, pressed
on it, ends the mantras.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.discord import build_client
from bot.core import Core, open_core
from bot.ports.store import UserKey
from bot.settings import Settings
from tests.standins.discord_api import TOKEN, DiscordAPI
from tests.support.clocks import Clock
from tests.support.discord_bot import ALEX, Person, buttons, make_settings
from tests.support.schedules import subscribe

START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def settings(api: DiscordAPI, db_path: Path) -> Settings:
    return make_settings(api, db_path, scheduler_tick_seconds=0.05)


@contextlib.asynccontextmanager
async def connected(settings: Settings, api: DiscordAPI, clock: Clock) -> AsyncIterator[Core]:
    api.identified.clear()
    async with open_core(settings, clock=clock) as core:
        client = build_client(settings, core)
        task = asyncio.create_task(client.start(TOKEN))
        await asyncio.wait_for(api.identified.wait(), 5)
        try:
            yield core
        finally:
            await client.close()
            await asyncio.wait_for(task, timeout=5)


async def test_a_mantra_arrives_in_the_dm_and_stop_pressed_on_it_ends_them(
    settings: Settings, api: DiscordAPI
) -> None:
    clock = Clock()
    alex = Person(api, ALEX)
    async with connected(settings, api, clock) as core:
        key = await subscribe(
            core.store, str(ALEX.id), START, platform="discord", chat_id=str(alex.dm_id)
        )
        clock.now = START + timedelta(hours=1)
        async with asyncio.timeout(10):
            while not alex.dm_messages():  # noqa: ASYNC110 (the stand-in only keeps messages)
                await asyncio.sleep(0.02)
        await api.settle()
        [mantra] = alex.dm_messages()
        assert mantra["content"] in core.script.mantras
        assert [label for label, _ in buttons(mantra)] == ["Stop mantras", "Snooze for a week"]

        await alex.press("Stop mantras", mantra)
        assert any("Mantras are off:" in m["content"] for m in alex.dm_messages())
        sub = await core.store.mantras(key)
        assert sub is not None and not sub.enabled
    assert key == UserKey("discord", str(ALEX.id))


def test_a_delivered_message_shows_its_buttons_though_it_is_no_question() -> None:
    from adapters.discord.translate import send_kwargs
    from dialogs.model import Button, Reply

    mantra = Reply(
        "Rather than chasing, reflect.", buttons=(Button("thr:core.mantra:stop:1", "Stop"),)
    )
    [call] = send_kwargs(mantra)
    assert call["content"] == "Rather than chasing, reflect."
    assert [item.custom_id for item in call["view"].children] == ["thr:core.mantra:stop:1"]
    assert "view" not in send_kwargs(Reply("Just words."))[0]
