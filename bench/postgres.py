"""PostgreSQL rows: persisted turns/s with 1, 2 and 4 processes, beside SQLite's, and the claim.

* persisted turns through ``Conversations.handle`` (the real machine, the advisory lock, load,
  save, commit), 1,000 people, 50 turns in flight per process, on a fresh schema of the server
  at ``THRESHOLD_BENCH_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432/test``); the
  same workload on an SQLite file, for the ratio; then 2 and 4 processes at once (each a fresh
  ``python`` running its own people on the same schema), counted from one common start;
* claim and advance 5,000 due subscriptions in one transaction (``FOR UPDATE SKIP LOCKED``),
  the median of five rounds.

Without a server the rows say so. On a 2-core machine the server and the bot processes share the
two cores, so more processes cannot add much: the figure is what this machine does.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections import deque
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from bench.table import Row
from bench.walker import Walker
from bot.conversations import Conversations
from bot.ports.schedule import Graces
from bot.ports.store import Address, MantraSettings, Store, TurnWrite, UserKey
from bot.postgres.schedule import PostgresSchedule
from bot.postgres.store import PostgresStore
from bot.postgres.support import with_schema
from bot.sqlite.store import SqliteStore
from dialogs import load_script
from dialogs.model import State

URL = os.environ.get("THRESHOLD_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
PEOPLE = 1_000
IN_FLIGHT = 50
TURNS = 6_000
"""Turns per process in each run."""
DUE = 5_000
CLAIM_ROUNDS = 5
NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


async def turns(store: Store, prefix: str, count: int) -> float:
    """``count`` turns of ``PEOPLE`` people, ``IN_FLIGHT`` at a time; seconds taken."""
    service = Conversations(store, load_script())
    rng = random.Random(prefix)
    people = deque(
        (UserKey("bench", f"{prefix}-{n}"), Walker(random.Random(rng.random())))
        for n in range(PEOPLE)
    )
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            key, walker = people.popleft()
            event = walker.next_event()
            address = Address("bench", key.user_id)
            walker.last = await service.handle(key, event, address=address)
            people.append((key, walker))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    return time.perf_counter() - started


@asynccontextmanager
async def fresh_schema(url: str) -> Any:
    schema = "bench_" + secrets.token_hex(4)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_schema(url, schema)
    finally:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


async def _processes(url: str, count: int) -> float:
    """Turns/s of ``count`` processes at once, from the moment all were ready."""
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.postgres",
            "--worker",
            url,
            f"p{n}",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for n in range(count)
    ]
    for child in children:
        assert child.stdout is not None
        assert (await child.stdout.readline()).strip() == b"ready"
    started = time.perf_counter()
    for child in children:
        assert child.stdin is not None
        child.stdin.write(b"go\n")
        await child.stdin.drain()
    for child in children:
        await child.wait()
        assert child.returncode == 0
    return count * TURNS / (time.perf_counter() - started)


async def _worker(url: str, prefix: str) -> None:
    async with PostgresStore(url) as store:
        await turns(store, f"{prefix}-warm", 200)
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        await turns(store, prefix, TURNS)


async def _claims(url: str) -> list[float]:
    async with PostgresStore(url) as store:
        for n in range(DUE):
            key = UserKey("telegram", f"due-{n}")
            mantras = MantraSettings(True, "09:00", "UTC", "daily", NOW)
            turn = TurnWrite(State(), address=Address.direct(key), mantras=mantras)
            await store.save(key, turn, expected_version=0)
    took = []
    async with PostgresSchedule(url) as schedule:
        for round_ in range(CLAIM_ROUNDS):
            at = NOW + timedelta(days=round_)
            t0 = time.perf_counter()
            result = await schedule.claim(at, Graces(), limit=DUE)
            took.append(time.perf_counter() - t0)
            assert result.claimed == DUE, result
    return took


async def run() -> list[Row]:
    try:
        async with await psycopg.AsyncConnection.connect(URL, connect_timeout=3):
            pass
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
        return [Row(f"PostgreSQL: no server at {URL.split('@')[-1]} ({reason})", "—")]
    with tempfile.TemporaryDirectory(prefix="threshold-bench-") as tmp:
        async with SqliteStore(Path(tmp) / "turns.db") as lite:
            await turns(lite, "warm", 200)
            sqlite_rate = TURNS / await turns(lite, "s", TURNS)
    async with fresh_schema(URL) as url, PostgresStore(url) as store:
        await turns(store, "warm", 200)
        one = TURNS / await turns(store, "one", TURNS)
    rates = {}
    for count in (1, 2, 4):
        async with fresh_schema(URL) as url:
            async with PostgresStore(url):
                pass  # the schema, before the processes race to make it
            rates[count] = await _processes(url, count)
    async with fresh_schema(URL) as url:
        claims = await _claims(url)
    ms = 1000.0
    claim = statistics.median(claims)
    return [
        Row(f"PostgreSQL: persisted turns/s, {PEOPLE:,} people, {IN_FLIGHT} in flight, 1 process",
            f"{one:,.0f}", f"≥ 0.5 × SQLite ({sqlite_rate:,.0f})", one >= 0.5 * sqlite_rate),
        Row("  same, as separate processes: 1 / 2 / 4",
            f"{rates[1]:,.0f} / {rates[2]:,.0f} / {rates[4]:,.0f}"),
        Row("  4 processes against 1", f"{rates[4] / rates[1]:.2f} ×", "≥ 2.5 ×",
            rates[4] / rates[1] >= 2.5),
        Row(f"PostgreSQL: claim and advance {DUE:,} due (one transaction, median)",
            f"{claim * ms:.0f} ms", "≤ 150 ms", claim * ms <= 150),
        Row(f"  slowest of {CLAIM_ROUNDS}", f"{max(claims) * ms:.0f} ms"),
    ]  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        asyncio.run(_worker(sys.argv[2], sys.argv[3]))
    else:
        from bench.table import render

        print(render(asyncio.run(run())))
