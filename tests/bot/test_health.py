"""What ``/healthz`` decides: process up, database answering, every platform connected."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.health import Health, check_health
from bot.memory.store import MemoryStore
from bot.sqlite.store import SqliteStore


async def test_healthy_when_the_database_answers_and_every_platform_is_connected() -> None:
    health = await check_health(
        MemoryStore(), ["telegram"], ["telegram"], started=time.monotonic() - 5
    )
    assert health.ok
    body = health.as_json()
    assert body["status"] == "ok" and body["process"] == "up" and body["database"] == "ok"
    assert body["platforms"] == {"telegram": "connected"}
    assert 5 <= float(str(body["uptime_seconds"])) < 60


async def test_a_platform_not_connected_makes_it_unhealthy() -> None:
    health = await check_health(
        MemoryStore(), ["telegram", "discord"], ["telegram"], started=time.monotonic()
    )
    assert not health.ok
    assert health.as_json()["platforms"] == {"discord": "not connected", "telegram": "connected"}
    assert health.as_json()["status"] == "unhealthy"


async def test_the_terminal_chat_has_no_platform_to_wait_for() -> None:
    assert (await check_health(MemoryStore(), [], [], started=time.monotonic())).ok


async def test_a_closed_database_is_unavailable() -> None:
    store = MemoryStore()
    await store.close()
    health = await check_health(store, [], [], started=time.monotonic())
    assert (health.ok, health.database) == (False, "unavailable")


class SlowStore(MemoryStore):
    async def ping(self) -> None:
        await asyncio.sleep(10)


async def test_a_database_that_does_not_answer_in_time_is_a_timeout() -> None:
    health = await check_health(SlowStore(), [], [], started=time.monotonic(), within=0.05)
    assert (health.ok, health.database) == (False, "timeout")


async def test_the_sqlite_store_answers_while_open_and_not_once_closed(tmp_path: Path) -> None:
    store = await SqliteStore(tmp_path / "t.db").open()
    try:
        assert (await check_health(store, [], [], started=time.monotonic())).ok
    finally:
        await store.close()
    health = await check_health(store, [], [], started=time.monotonic())
    assert health.database == "unavailable"


def test_the_body_never_names_more_than_states() -> None:
    body = Health("ok", {"telegram": True}, 1.23456).as_json()
    assert body == {
        "status": "ok",
        "process": "up",
        "uptime_seconds": 1.235,
        "database": "ok",
        "platforms": {"telegram": "connected"},
    }
