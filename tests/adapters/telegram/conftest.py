"""Fixtures for the Telegram adapter: the Bot API stand-in, settings pointing at it, and the
real bot (PTB ``Application`` + real core on an SQLite file) running against it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core import Core
from bot.settings import Settings
from tests.standins.telegram_api import TelegramAPI
from tests.support.telegram_bot import Person, make_settings, running_bot


@pytest.fixture
async def api() -> AsyncIterator[TelegramAPI]:
    async with TelegramAPI() as server:
        yield server


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "t.db"


@pytest.fixture
def settings(api: TelegramAPI, db_path: Path) -> Settings:
    return make_settings(api, db_path)


@pytest.fixture
async def bot(settings: Settings, api: TelegramAPI) -> AsyncIterator[Core]:
    async with running_bot(settings, api) as core:
        yield core


@pytest.fixture
def person(api: TelegramAPI) -> Person:
    return Person(api)
