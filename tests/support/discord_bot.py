"""Driving the real Discord bot in tests: settings that point it at the loopback Discord, the
bot running against it, and a person who talks to it (each action waits until the bot has
answered)."""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.discord import ThresholdClient, build_client
from bot.core import Core, open_core
from bot.settings import Settings
from tests.standins.discord_api import JSON, TOKEN, DiscordAPI, User

__all__ = [
    "ALEX",
    "SAM",
    "Person",
    "Running",
    "assert_acknowledged",
    "button_id",
    "buttons",
    "make_settings",
    "running_bot",
]

ALEX = User(4200000000000000001, "alex")
SAM = User(4200000000000000002, "sam")


def make_settings(api: DiscordAPI, db_path: Path, **overrides: object) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{db_path}",
        "discord_token": TOKEN,
        "discord_api_url": api.api_url,
        "discord_gateway_url": api.gateway_url,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@dataclass
class Running:
    client: ThresholdClient
    core: Core


@contextlib.asynccontextmanager
async def running_bot(settings: Settings, api: DiscordAPI) -> AsyncIterator[Running]:
    """The real client on the real core, connected to the stand-in until the block ends."""
    api.identified.clear()
    async with open_core(settings) as core:
        client = build_client(settings, core)
        task = asyncio.create_task(client.start(TOKEN))
        waiting = asyncio.create_task(api.identified.wait())
        done, _ = await asyncio.wait({task, waiting}, timeout=5, return_when="FIRST_COMPLETED")
        if waiting not in done:
            waiting.cancel()
            if task in done:
                task.result()
            raise AssertionError("the bot did not connect to the stand-in")
        try:
            yield Running(client, core)
        finally:
            await client.close()
            await asyncio.wait_for(task, timeout=5)


class Person:
    """Someone talking to the bot through the stand-in; each action waits until the bot is quiet."""

    def __init__(self, api: DiscordAPI, user: User) -> None:
        self.api = api
        self.user = user

    @property
    def dm_id(self) -> int:
        return self.api.dm_channel(self.user)

    def dm_messages(self) -> list[JSON]:
        return self.api.in_channel(self.dm_id)

    def question(self, channel_id: int | None = None) -> JSON:
        """A copy of the newest message with buttons in the DM (or in ``channel_id``), as the
        person sees it now."""
        messages = self.api.in_channel(self.dm_id if channel_id is None else channel_id)
        with_buttons = [m for m in messages if buttons(m)]
        assert with_buttons, "no message with buttons"
        return copy.deepcopy(with_buttons[-1])

    async def say(self, text: str = "", **kwargs: Any) -> None:
        await self.api.dm(self.user, text, **kwargs)
        await self.api.settle()

    async def slash(self, name: str, options: JSON | None = None, *, guild: bool = False) -> Any:
        interaction = await self.api.slash(self.user, name, options, guild=guild)
        await self.api.settle()
        assert_acknowledged(interaction)
        return interaction

    async def press(self, label: str, message: JSON | None = None) -> Any:
        """Press the button labelled ``label`` (on the newest question, or on ``message``)."""
        message = message or self.question()
        custom_id = button_id(message, label)
        interaction = await self.api.press(self.user, message, custom_id)
        await self.api.settle()
        assert_acknowledged(interaction)
        return interaction


def buttons(message: JSON) -> list[tuple[str, str]]:
    """``(label, custom_id)`` of every button on a message."""
    return [
        (b.get("label", ""), b["custom_id"])
        for row in message.get("components", [])
        for b in row.get("components", [])
        if "custom_id" in b
    ]


def button_id(message: JSON, label: str) -> str:
    found = [cid for text, cid in buttons(message) if text == label]
    assert found, f"no button {label!r} among {[t for t, _ in buttons(message)]}"
    return found[0]


def assert_acknowledged(interaction: Any) -> None:
    """Discord wants an answer to every interaction within 3 seconds."""
    assert interaction.acked is not None, "the interaction was never acknowledged"
    assert interaction.acked - interaction.dispatched < 3.0
