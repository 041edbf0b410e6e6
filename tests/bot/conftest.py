"""Fixtures for the core: the real script, a clock, every store, the service and a chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.conversations import Conversations
from bot.memory.store import MemoryStore
from bot.ports.store import Store
from bot.postgres.store import PostgresStore
from bot.sqlite.store import SqliteStore
from dialogs import load_script
from dialogs.script import Script
from tests.support.chats import Chat, Clock, chat_for


@pytest.fixture(scope="session")
def script() -> Script:
    return load_script()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "t.db"


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(
    request: pytest.FixtureRequest, db_path: Path, clock: Clock
) -> AsyncIterator[Store]:
    """The store contract runs against every implementation (aiogram's TestStorages)."""
    if request.param == "memory":
        memory = MemoryStore(clock=clock)
        yield memory
        await memory.close()
    elif request.param == "postgres":
        url = request.getfixturevalue("pg_url")
        async with PostgresStore(url, clock=clock) as postgres:
            yield postgres
    else:
        async with SqliteStore(db_path, clock=clock) as sqlite:
            yield sqlite


@pytest.fixture
async def sqlite_store(db_path: Path, clock: Clock) -> AsyncIterator[SqliteStore]:
    async with SqliteStore(db_path, clock=clock) as store:
        yield store


@pytest.fixture
def service(sqlite_store: SqliteStore, script: Script, clock: Clock) -> Conversations:
    return Conversations(sqlite_store, script, clock=clock)


@pytest.fixture
def chat(service: Conversations, clock: Clock) -> Chat:
    return chat_for(service, clock)
