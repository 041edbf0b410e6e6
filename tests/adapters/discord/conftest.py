"""Fixtures for the Discord adapter: the loopback Discord, settings pointing at it, and the real
bot (discord.py client + real core on an SQLite file) connected to it. The helpers behind them
are in :mod:`tests.support.discord_bot`.

No ``__init__.py`` here on purpose: with one, pytest would import this folder as a package
named ``discord`` and shadow discord.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import discord
import pytest
import yarl

from bot.settings import Settings
from tests.standins.discord_api import DiscordAPI
from tests.support.discord_bot import (
    ALEX,
    Person,
    Running,
    make_settings,
    running_bot,
)


@pytest.fixture(autouse=True)
def _restore_discord_urls() -> Iterator[None]:
    """``build_client`` points discord.py's classes at the stand-in; put them back after."""
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE = base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(str(gateway))


@pytest.fixture
async def api() -> AsyncIterator[DiscordAPI]:
    server = await DiscordAPI().start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "t.db"


@pytest.fixture
def settings(api: DiscordAPI, db_path: Path) -> Settings:
    return make_settings(api, db_path)


@pytest.fixture
async def bot(settings: Settings, api: DiscordAPI) -> AsyncIterator[Running]:
    async with running_bot(settings, api) as running:
        yield running


@pytest.fixture
def alex(api: DiscordAPI) -> Person:
    return Person(api, ALEX)
