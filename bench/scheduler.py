"""The scheduler on real SQLite files: 100,000 subscriptions across 30 time zones.

* finding nothing due: one whole tick (probe, housekeeping check, refill) when nothing is due;
* claiming 5,000 due subscriptions in one transaction, each advanced to its next occurrence and
  logged (the 5,000 are drawn at random, so their schedules are as varied as the population's:
  the worst case for the per-schedule cache); the median of seven rounds, and the slowest;
* resident memory growth per subscriber: how much the process grew from opening the store and
  the scheduler over the 100,000 and ticking 300 times, divided by 100,000 (everything counted,
  the fixed costs too);
* start-up: a fresh ``python`` process that opens the store and the schedule, starts the
  scheduler and finishes its first tick (interpreter and imports included), and the same
  without the process start (in this process);
* fan-out: 20,000 deliveries due at once into a stand-in platform that answers 429 as soon as
  its token bucket is exceeded. The bench configures 2,000 messages/s (Telegram's default is
  25/s; at that rate 20,000 would take 13 minutes) and 1/s per chat; the stand-in enforces the
  same 2,000/s with one second of burst and takes 5 ms per call.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.table import Row
from bot.errors import DeliveryFailed
from bot.migrate import migrate
from bot.ports.schedule import Graces
from bot.ports.store import Address, to_db_time
from bot.schedule.fanout import Limit
from bot.schedule.recurrence import next_occurrence
from bot.schedule.scheduler import Scheduler
from bot.sqlite.schedule import SqliteSchedule
from bot.sqlite.store import SqliteStore
from dialogs import load_script
from dialogs.model import Reply

SUBSCRIBERS = 100_000
DUE_AT_ONCE = 5_000
CLAIM_ROUNDS = 7
FAN_OUT = 20_000
RATE = 2_000.0
SINK_LATENCY = 0.005
NOW = datetime(2025, 3, 3, 4, 17, 30, tzinfo=UTC)  # a Monday; nothing is due at this second
ZONES = (
    "UTC", "Europe/London", "Europe/Lisbon", "Europe/Berlin", "Europe/Paris", "Europe/Madrid",
    "Europe/Warsaw", "Europe/Kyiv", "Europe/Istanbul", "Europe/Moscow", "Africa/Lagos",
    "Africa/Johannesburg", "Asia/Dubai", "Asia/Tehran", "Asia/Kolkata", "Asia/Kathmandu",
    "Asia/Dhaka", "Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo", "Australia/Adelaide",
    "Australia/Sydney", "Australia/Lord_Howe", "Pacific/Auckland", "Pacific/Chatham",
    "America/St_Johns", "America/Sao_Paulo", "America/New_York", "America/Chicago",
    "America/Los_Angeles",
)  # fmt: skip
PRESETS = ("07:30", "09:00", "12:30", "18:00", "21:00")
DAYS = ("daily",) * 7 + ("weekdays",) * 2 + ("mon", "wed", "fri", "sun")


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _populate(path: Path, people: int, platform: str, rng: random.Random) -> None:
    """``people`` subscribers, written straight into a migrated file (the service would take
    minutes to create 100,000 through turns, and that is measured elsewhere)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    migrate(conn)
    created = to_db_time(NOW - timedelta(days=30))
    following: dict[tuple[str, str, str], str] = {}
    users, subs = [], []
    for n in range(1, people + 1):
        at = (
            rng.choice(PRESETS)
            if rng.random() < 0.8
            else f"{rng.randrange(24):02d}:{rng.randrange(60):02d}"
        )
        schedule = (at, rng.choice(ZONES), rng.choice(DAYS))
        if schedule not in following:
            following[schedule] = to_db_time(next_occurrence(*schedule, NOW))
        users.append((n, platform, f"u{n}", platform, f"c{n}", created))
        seen = json.dumps(rng.sample(range(21), rng.randrange(21)))
        subs.append((n, 1, *schedule, following[schedule], seen, created))
    write_subscribers(conn, users, subs)
    conn.close()


def write_subscribers(
    conn: sqlite3.Connection,
    users: Sequence[tuple[object, ...]],
    subs: Sequence[tuple[object, ...]],
) -> None:
    """``users`` rows (id, platform, user id, address platform, chat id, created) and their
    ``subs`` (user id, enabled, time, tz, days, next due, rotation, updated), in one transaction."""
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO users (id, platform, platform_user_id, address_platform, address_chat_id,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?)",
        users,
    )
    conn.executemany(
        "INSERT INTO mantra_subscriptions (user_id, enabled, time, tz, days, next_due_utc,"
        " rotation, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        subs,
    )
    conn.execute("COMMIT")


def _make_due(path: Path, ids: Sequence[int], at: datetime) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executemany(
        "UPDATE mantra_subscriptions SET next_due_utc = ? WHERE user_id = ?",
        [(to_db_time(at), n) for n in ids],
    )
    conn.close()


class RateLimitedSink:
    """A stand-in platform: a token bucket of ``rate``/s with one second of burst; a call that
    finds it empty is answered 429 (raised as ``DeliveryFailed``), as Telegram and Discord do."""

    platform = "sink"

    def __init__(self, rate: float, latency: float) -> None:
        self.rate = rate
        self.latency = latency
        self.tokens = rate
        self.last = 0.0
        self.too_many = 0
        self.accepted: list[tuple[float, str]] = []

    async def deliver(self, address: Address, replies: Sequence[Reply]) -> None:
        now = asyncio.get_running_loop().time()
        if self.last:
            self.tokens = min(self.rate, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1:
            self.too_many += 1
            raise DeliveryFailed("429 Too Many Requests")
        self.tokens -= 1
        await asyncio.sleep(self.latency)
        self.accepted.append((now, address.chat_id))


async def _started(
    path: Path, deliverers: dict[str, RateLimitedSink]
) -> tuple[SqliteStore, SqliteSchedule, Scheduler]:
    def clock() -> datetime:
        return NOW

    store = await SqliteStore(path, clock=clock).open()
    schedule = await SqliteSchedule(path, clock=clock).open()
    scheduler = Scheduler(
        store, schedule, load_script(), deliverers, clock=clock, tick_seconds=3600,
        limits={"sink": Limit(RATE, 1.0)},
    )  # fmt: skip
    await scheduler.start()
    await scheduler.tick()
    return store, schedule, scheduler


_STARTUP = """
import asyncio, sys
from pathlib import Path
from bench.scheduler import _started, _stopped
async def main():
    await _stopped(*await _started(Path(sys.argv[1]), {}))
asyncio.run(main())
"""


async def _stopped(store: SqliteStore, schedule: SqliteSchedule, scheduler: Scheduler) -> None:
    await scheduler.stop()
    await schedule.close()
    await store.close()


async def _hundred_thousand(folder: Path) -> dict[str, float]:
    rng = random.Random(4)
    empty, full = folder / "empty.db", folder / "full.db"
    _populate(empty, 0, "sink", rng)
    _populate(full, SUBSCRIBERS, "sink", rng)
    sink = RateLimitedSink(RATE, 0)
    figures: dict[str, float] = {}

    parts = await _started(empty, {"sink": sink})  # warm up everything allocated once
    for _ in range(50):
        await parts[2].tick()
    await _stopped(*parts)

    started = time.perf_counter()
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _STARTUP, str(full), cwd=Path(__file__).parents[1]
    )
    assert await child.wait() == 0
    figures["startup_process"] = time.perf_counter() - started
    gc.collect()
    before = _rss_bytes()
    started = time.perf_counter()
    _store, schedule, scheduler = parts = await _started(full, {"sink": sink})
    figures["startup"] = time.perf_counter() - started
    ticks = []
    for _ in range(300):
        t0 = time.perf_counter()
        result = await scheduler.tick()
        ticks.append(time.perf_counter() - t0)
        assert result.claimed == result.skipped == 0
    gc.collect()
    figures["per_subscriber"] = (_rss_bytes() - before) / SUBSCRIBERS
    figures["nothing_p50"] = statistics.median(ticks)
    figures["nothing_p99"] = statistics.quantiles(ticks, n=100)[98]

    claims = []
    ids = list(range(1, SUBSCRIBERS + 1))
    rng.shuffle(ids)
    for n in range(CLAIM_ROUNDS):
        chosen = ids[n * DUE_AT_ONCE : (n + 1) * DUE_AT_ONCE]
        _make_due(full, chosen, NOW - timedelta(minutes=1))
        gc.collect()  # the garbage of the benches before is not this claim's
        t0 = time.perf_counter()
        claimed = await schedule.claim(NOW, Graces(), limit=DUE_AT_ONCE)
        claims.append(time.perf_counter() - t0)
        assert claimed.claimed == DUE_AT_ONCE, claimed
    figures["claim"] = statistics.median(claims)
    figures["claim_max"] = max(claims)
    await _stopped(*parts)
    return figures


async def _fan_out(folder: Path) -> dict[str, float]:
    path = folder / "fanout.db"
    _populate(path, FAN_OUT, "sink", random.Random(5))
    _make_due(path, range(1, FAN_OUT + 1), NOW - timedelta(seconds=1))
    sink = RateLimitedSink(RATE, SINK_LATENCY)
    parts = await _started(path, {"sink": sink})
    t0 = time.perf_counter()
    await parts[2].settle(rounds=10_000)
    wall = time.perf_counter() - t0
    await _stopped(*parts)
    times = [t for t, _ in sink.accepted]
    per_chat = Counter(chat for _, chat in sink.accepted)
    conn = sqlite3.connect(path)
    sent = conn.execute("SELECT count(*) FROM delivery_log WHERE outcome = 'sent'").fetchone()[0]
    conn.close()
    return {
        "rate": (len(times) - 1) / (max(times) - min(times)),
        "too_many": sink.too_many,
        "duplicates": sum(n - 1 for n in per_chat.values()),
        "lost": FAN_OUT - len(per_chat),
        "logged_sent": sent,
        "wall": wall,
    }


async def run() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="threshold-bench-") as tmp:
        big = await _hundred_thousand(Path(tmp))
        fan = await _fan_out(Path(tmp))
    ms = 1000.0
    rate_share = fan["rate"] / RATE
    clean = fan["too_many"] == fan["duplicates"] == fan["lost"] == 0
    return [
        Row(f"scheduler: tick finding nothing due, {SUBSCRIBERS:,} subscriptions (p50)",
            f"{big['nothing_p50'] * ms:.2f} ms", "≤ 1 ms", big["nothing_p50"] * ms <= 1),
        Row("  same, p99", f"{big['nothing_p99'] * ms:.2f} ms"),
        Row(f"scheduler: claim and advance {DUE_AT_ONCE:,} due (one transaction, median)",
            f"{big['claim'] * ms:.0f} ms", "≤ 150 ms", big["claim"] * ms <= 150),
        Row(f"  slowest of {CLAIM_ROUNDS}", f"{big['claim_max'] * ms:.0f} ms"),
        Row("scheduler: resident memory growth per subscriber",
            f"{big['per_subscriber']:.0f} B", "≤ 300 B", big["per_subscriber"] <= 300),
        Row(f"scheduler: start-up with {SUBSCRIBERS:,} subscriptions (a fresh process)",
            f"{big['startup_process']:.2f} s", "≤ 2 s", big["startup_process"] <= 2),
        Row("  of which opening, starting, first tick", f"{big['startup'] * ms:.0f} ms"),
        Row(f"scheduler: fan-out of {FAN_OUT:,} at {RATE:,.0f}/s configured (rate achieved)",
            f"{fan['rate']:,.0f}/s ({rate_share:.1%})", "≥ 95%", rate_share >= 0.95),
        Row("  429s / duplicates / lost",
            f"{fan['too_many']:.0f} / {fan['duplicates']:.0f} / {fan['lost']:.0f}", "0 / 0 / 0",
            clean),
        Row("  logged sent, wall time", f"{fan['logged_sent']:,.0f}, {fan['wall']:.1f} s"),
    ]  # fmt: skip
