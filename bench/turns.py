"""Persisted turns through ``Conversations.handle`` on a real SQLite file in a temp folder.

Every figure is end to end: the real machine steps a real question, the turn is committed
(WAL, synchronous=NORMAL) before ``handle`` returns its replies.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import statistics
import tempfile
import time
from collections import deque
from pathlib import Path

from bench.table import Row
from bench.walker import Walker
from bot.conversations import Conversations
from bot.ports.store import Address, UserKey
from bot.sqlite.store import SqliteStore
from dialogs import dumps, load_script

SEQUENTIAL_TURNS = 6_000
USERS = 1_000
IN_FLIGHT = 50
CONCURRENT_TURNS = 30_000
IDLE_CONVERSATIONS = 10_000


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 1000) - 1]


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def _sequential(folder: Path) -> tuple[float, list[float], str]:
    script = load_script()
    async with SqliteStore(folder / "sequential.db") as store:
        service = Conversations(store, script)
        key, address = UserKey("bench", "solo"), Address("bench", "solo")
        walker = Walker(random.Random(1))
        latencies = []
        for _ in range(200):  # warm up: first turn, caches, statement cache
            walker.last = await service.handle(key, walker.next_event(), address=address)
        started = time.perf_counter()
        for _ in range(SEQUENTIAL_TURNS):
            event = walker.next_event()
            t0 = time.perf_counter()
            walker.last = await service.handle(key, event, address=address)
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - started
        saved = await store.load(key)
        assert saved is not None
        size = f"{len(dumps(saved.state)) / 1024:.1f} KiB, {len(saved.state.people)} people"
    return SEQUENTIAL_TURNS / elapsed, latencies, size


async def _concurrent(folder: Path) -> tuple[float, list[float]]:
    script = load_script()
    async with SqliteStore(folder / "concurrent.db") as store:
        service = Conversations(store, script)
        rng = random.Random(2)
        people = deque(
            (UserKey("bench", str(n)), Walker(random.Random(rng.random()))) for n in range(USERS)
        )
        latencies: list[float] = []
        remaining = CONCURRENT_TURNS

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                key, walker = people.popleft()  # a person is never in flight twice
                event = walker.next_event()
                t0 = time.perf_counter()
                walker.last = await service.handle(
                    key, event, address=Address("bench", key.user_id)
                )
                latencies.append(time.perf_counter() - t0)
                people.append((key, walker))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        elapsed = time.perf_counter() - started
    return CONCURRENT_TURNS / elapsed, latencies


async def _idle_memory(folder: Path) -> float:
    script = load_script()
    async with SqliteStore(folder / "idle.db", cache_size=IDLE_CONVERSATIONS) as store:
        service = Conversations(store, script)
        walker = Walker(random.Random(3))
        for _ in range(50):  # warm up everything that is allocated once
            walker.last = await service.handle(UserKey("bench", "warm"), walker.next_event())
        gc.collect()
        before = _rss_bytes()
        for n in range(IDLE_CONVERSATIONS):
            walker = Walker(random.Random(n))
            key = UserKey("bench", f"idle-{n}")
            for _ in range(4):  # a few answers in, then silence
                walker.last = await service.handle(key, walker.next_event())
        gc.collect()
        grown = _rss_bytes() - before
        assert service.active == 0
    return grown / IDLE_CONVERSATIONS


async def run() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="threshold-bench-") as tmp:
        folder = Path(tmp)
        seq_rate, seq_lat, seq_size = await _sequential(folder)
        conc_rate, conc_lat = await _concurrent(folder)
        per_idle = await _idle_memory(folder)
    ms = 1000.0
    seq_p50, seq_p99 = _percentile(seq_lat, 0.5) * ms, _percentile(seq_lat, 0.99) * ms
    p50, p99 = _percentile(conc_lat, 0.5) * ms, _percentile(conc_lat, 0.99) * ms
    return [
        Row("persisted turns/s, one person in sequence", f"{seq_rate:,.0f}", "≥ 3,000",
            seq_rate >= 3_000),
        Row("  turn latency p50 / p99", f"{seq_p50:.2f} / {seq_p99:.2f} ms"),
        Row("  that person's stored state at the end", seq_size),
        Row(f"persisted turns/s, {USERS:,} people, {IN_FLIGHT} turns in flight",
            f"{conc_rate:,.0f}", "≥ 8,000", conc_rate >= 8_000),
        Row("  turn latency p50", f"{p50:.2f} ms"),
        Row("  turn latency p99", f"{p99:.2f} ms", "< 10 ms", p99 < 10),
        Row(f"resident memory per idle conversation ({IDLE_CONVERSATIONS:,} loaded)",
            f"{per_idle / 1024:.1f} KiB"),
    ]  # fmt: skip
