"""Starting and stopping the Discord bot, deliveries nobody asked for just now, and failures."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from adapters.discord import run_discord
from bot.core import open_core
from bot.errors import ConfigError, RecipientUnreachable
from bot.ports.store import Address
from dialogs.model import Button, Reply
from tests.standins.discord_api import TOKEN, DiscordAPI
from tests.support.discord_bot import ALEX, Person, Running, buttons, make_settings
from tests.support.words import SAY


async def test_a_bad_token_fails_with_one_clear_line(api: DiscordAPI, db_path: Path) -> None:
    settings = make_settings(api, db_path, discord_token="not-the-token")
    async with open_core(settings) as core:
        with pytest.raises(ConfigError) as raised:
            await asyncio.wait_for(run_discord(settings, core), timeout=5)
    message = str(raised.value)
    assert "DISCORD_TOKEN" in message
    assert "\n" not in message
    assert "not-the-token" not in message


async def test_a_missing_token_fails_with_one_clear_line(api: DiscordAPI, db_path: Path) -> None:
    settings = make_settings(api, db_path, discord_token=None)
    async with open_core(settings) as core:
        with pytest.raises(ConfigError, match="DISCORD_TOKEN is not set"):
            await run_discord(settings, core)


async def test_an_unreachable_discord_fails_with_one_clear_line(
    api: DiscordAPI, db_path: Path
) -> None:
    settings = make_settings(api, db_path, discord_api_url="http://127.0.0.1:9/api/v10")
    async with open_core(settings) as core:
        with pytest.raises(ConfigError, match=r"could not be reached at http://127\.0\.0\.1:9"):
            await asyncio.wait_for(run_discord(settings, core), timeout=5)


async def test_run_discord_serves_until_cancelled_then_closes_cleanly(
    api: DiscordAPI, db_path: Path
) -> None:
    settings = make_settings(api, db_path)
    alex = Person(api, ALEX)
    async with open_core(settings) as core:
        task = asyncio.create_task(run_discord(settings, core))
        await asyncio.wait_for(api.identified.wait(), timeout=5)
        await alex.say("hi")
        assert alex.dm_messages()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(api.disconnected.wait(), timeout=5)


async def test_the_bot_asks_for_no_privileged_intent(bot: Running, api: DiscordAPI) -> None:
    members, presences, message_content = 1 << 1, 1 << 8, 1 << 15
    direct_messages = 1 << 12
    intents = api.identify["intents"]
    assert intents & (members | presences | message_content) == 0
    assert intents & direct_messages


async def test_the_deliverer_splits_long_texts_and_keeps_buttons(
    bot: Running, alex: Person, api: DiscordAPI
) -> None:
    address = Address("discord", str(alex.dm_id))
    stop = Button("thr:mantras.menu:off:1", "Stop")
    long = Reply("word " * 600)
    await bot.client.deliverer.deliver(address, [long, Reply("Again?", "ask", (stop,))])
    shown = alex.dm_messages()
    assert [len(m["content"]) <= 2000 for m in shown] == [True, True, True]
    assert " ".join(m["content"] for m in shown[:2]).split() == long.text.split()
    assert buttons(shown[-1]) == [("Stop", "thr:mantras.menu:off:1")]


async def test_the_deliverer_reports_a_person_who_cannot_be_reached(
    bot: Running, alex: Person, api: DiscordAPI
) -> None:
    api.closed_dms.add(ALEX.id)
    with pytest.raises(RecipientUnreachable):
        await bot.client.deliverer.deliver(Address("discord", str(alex.dm_id)), [Reply("Hi")])
    with pytest.raises(RecipientUnreachable):
        await bot.client.deliverer.deliver(Address("discord", "123"), [Reply("Hi")])
    assert alex.dm_messages() == []


async def test_a_failing_turn_gets_an_apology_and_the_bot_keeps_going(
    bot: Running, alex: Person, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="adapters")
    caplog.set_level(logging.DEBUG, logger="bot")
    real = bot.core.conversations.handle

    async def broken(*args: object, **kwargs: object) -> list[Reply]:
        raise RuntimeError("the database fell over")

    monkeypatch.setattr(bot.core.conversations, "handle", broken)
    await alex.say("my private words")
    assert alex.dm_messages()[-1]["content"] == SAY("error.generic")
    monkeypatch.setattr(bot.core.conversations, "handle", real)
    await alex.say("hi")
    assert "\n\nWho is this about?" in alex.dm_messages()[-1]["content"]  # greeted, then asked
    await alex.say("Jordan, my secret")
    assert "failed" in caplog.text
    assert "private words" not in caplog.text
    assert "secret" not in caplog.text
    assert TOKEN not in caplog.text
