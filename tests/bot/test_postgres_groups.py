"""Group commit on PostgreSQL (``bot/postgres/group.py``): the turns that begin together in one
process share one transaction, and each returns only after its COMMIT."""

from __future__ import annotations

import asyncio
import random

import pytest

from bench.walker import Walker
from bot.conversations import Conversations
from bot.crypto import cipher_for, new_key
from bot.errors import StaleWrite, StoreUnavailable
from bot.ports.store import TurnWrite, UserKey
from bot.postgres.store import PostgresStore
from dialogs.model import State
from dialogs.script import Script
from tests.support.schedules import rows

ANN = UserKey("telegram", "100")
BOB = UserKey("telegram", "200")


async def _create(store: PostgresStore, *keys: UserKey) -> None:
    for key in keys:
        await store.save(key, TurnWrite(State(data={"by": "start"})), expected_version=0)


def _stored(url: str, key: UserKey) -> str:
    found = rows(
        url,
        "SELECT c.state FROM conversations c JOIN users u ON u.id = c.user_id"
        " WHERE u.platform_user_id = ?",
        key.user_id,
    )
    return str(found[0][0])


async def test_a_turn_that_began_with_a_slower_one_returns_only_after_both_are_committed(
    pg_url: str,
) -> None:
    async with PostgresStore(pg_url) as store:
        await _create(store, ANN, BOB)
        order: list[str] = []

        async def turn(key: UserKey, pause: float) -> None:
            async with store.turn(key):
                saved = await store.load(key)
                assert saved is not None
                await asyncio.sleep(pause)
                state = State(data={"by": key.user_id})
                await store.save(key, TurnWrite(state), expected_version=saved.version)
                order.append(f"{key.user_id} saved")
            order.append(f"{key.user_id} returned")

        await asyncio.gather(turn(ANN, 0.0), turn(BOB, 0.3))
        # Ann's save came first, but her turn returned only with Bob's: one COMMIT for both
        assert order == ["100 saved", "200 saved", "100 returned", "200 returned"]
        assert '"100"' in _stored(pg_url, ANN) and '"200"' in _stored(pg_url, BOB)


async def test_a_group_whose_connection_is_cut_mid_turn_writes_nothing_and_every_turn_is_told(
    pg_url: str,
) -> None:
    async with PostgresStore(pg_url) as store:
        await _create(store, ANN, BOB)
        ann_saved = asyncio.Event()

        async def ann() -> None:
            async with store.turn(ANN):
                saved = await store.load(ANN)
                assert saved is not None
                state = State(data={"by": "ann"})
                await store.save(ANN, TurnWrite(state), expected_version=saved.version)
                ann_saved.set()

        async def bob() -> None:
            async with store.turn(BOB):
                saved = await store.load(BOB)
                assert saved is not None
                await ann_saved.wait()
                killed = rows(
                    pg_url,
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND state = 'idle in transaction'",  # the group's, holding both locks
                )
                assert killed == [(True,)]
                state = State(data={"by": "bob"})
                await store.save(BOB, TurnWrite(state), expected_version=saved.version)

        results = await asyncio.gather(ann(), bob(), return_exceptions=True)
        assert [type(r) for r in results] == [StoreUnavailable, StoreUnavailable]
        assert '"start"' in _stored(pg_url, ANN) and '"start"' in _stored(pg_url, BOB)
        # and the store goes on: the next turns commit
        async with store.turn(ANN):
            saved = await store.load(ANN)
            assert saved is not None and saved.version == 1
            await store.save(ANN, TurnWrite(State(data={"by": "again"})), expected_version=1)
        assert '"again"' in _stored(pg_url, ANN)


async def test_a_turn_made_stale_by_another_process_fails_alone_and_its_group_commits(
    pg_url: str,
) -> None:
    async with PostgresStore(pg_url) as one, PostgresStore(pg_url) as two:
        await _create(one, ANN, BOB)

        async def turn(key: UserKey, expected: int) -> None:
            async with one.turn(key):
                await one.load(key)
                state = State(data={"by": key.user_id})
                await one.save(key, TurnWrite(state), expected_version=expected)

        # the other process wrote Bob since this one last read him (version 1 → 2)
        await two.save(BOB, TurnWrite(State(data={"by": "two"})), expected_version=1)
        results = await asyncio.gather(turn(ANN, 1), turn(BOB, 1), return_exceptions=True)
        assert results[0] is None and isinstance(results[1], StaleWrite)
        assert '"100"' in _stored(pg_url, ANN) and '"two"' in _stored(pg_url, BOB)


@pytest.mark.parametrize("people", [60, 200])
async def test_many_people_at_once_through_conversations_each_turn_saved_once(
    pg_url: str, script: Script, people: int
) -> None:
    async with PostgresStore(pg_url) as store:
        service = Conversations(store, script)
        walkers = {UserKey("telegram", str(n)): Walker(random.Random(n)) for n in range(people)}

        async def person(key: UserKey, walker: Walker) -> None:
            for _ in range(5):
                walker.last = await service.handle(key, walker.next_event())
                assert walker.last, "every turn says something"

        await asyncio.gather(*(person(k, w) for k, w in walkers.items()))
        versions = rows(pg_url, "SELECT version, count(*) FROM conversations GROUP BY 1")
        assert versions == [(5, people)]


async def test_grouped_turns_with_a_key_are_stored_sealed_and_read_back(
    pg_url: str, script: Script
) -> None:
    async with PostgresStore(pg_url, cipher=cipher_for(new_key())) as store:
        service = Conversations(store, script)
        walkers = {UserKey("telegram", str(n)): Walker(random.Random(n)) for n in range(30)}

        async def person(key: UserKey, walker: Walker) -> None:
            for _ in range(4):
                walker.last = await service.handle(key, walker.next_event())

        await asyncio.gather(*(person(k, w) for k, w in walkers.items()))
        stored = rows(
            pg_url,
            "SELECT count(*) FILTER (WHERE state IS NULL AND state_sealed IS NOT NULL),"
            " count(*) FROM conversations WHERE version = 4",
        )
        assert stored == [(30, 30)]
        for key in walkers:
            saved = await store.load(key)
            assert saved is not None and saved.version == 4
