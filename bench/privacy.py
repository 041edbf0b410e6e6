"""What privacy and care cost per turn: the same walk, plain and encrypted at rest, the safety
check on a typed answer, and rendering the /history chart.

The walk is ``bench.turns``'s sequential one (one person, real machine, real SQLite file, each
turn committed before it counts); only the store's cipher differs between the two rows.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.table import Row
from bench.walker import Walker
from bot.charts import Labels, Point, Series, render_png
from bot.conversations import Conversations
from bot.crypto import Sealer, cipher_for, new_key
from bot.ports.store import Address, UserKey
from bot.sqlite.store import SqliteStore
from dialogs import load_script
from dialogs.safety import concern

TURNS = 4_000
ROUNDS = 3


async def _walk(db: Path, cipher: Sealer) -> list[float]:
    script = load_script()
    async with SqliteStore(db, cipher=cipher) as store:
        service = Conversations(store, script)
        key, address = UserKey("bench", "solo"), Address("bench", "solo")
        walker = Walker(random.Random(1))
        for _ in range(200):
            walker.last = await service.handle(key, walker.next_event(), address=address)
        latencies = []
        for _ in range(TURNS):
            event = walker.next_event()
            t0 = time.perf_counter()
            walker.last = await service.handle(key, event, address=address)
            latencies.append(time.perf_counter() - t0)
    return latencies


def _safety_check_us() -> float:
    script = load_script()
    texts = ("It has been quiet for weeks.", "I keep reaching out first, and he never hit me.")
    n = 20_000
    t0 = time.perf_counter()
    for i in range(n):
        concern(texts[i % 2], script.safety)
    return (time.perf_counter() - t0) / n * 1e6


def _chart_ms() -> tuple[float, int]:
    at = datetime(2025, 3, 1, 8, tzinfo=UTC)
    points = tuple(Point(at + timedelta(days=7 * n), 1 + n % 5, 1 + (n * 3) % 5) for n in range(12))
    series = [Series(name, points) for name in ("Sam", "Alex", "Robin")]
    labels = Labels("Effort shared", "Feeling", "1 to 5", "Dates in UTC")
    render_png(series[:1], ZoneInfo("UTC"), labels)  # warm up: imports, font cache
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        png = render_png(series, ZoneInfo("UTC"), labels)
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs) * 1000, len(png)


async def run() -> list[Row]:
    plain: list[float] = []
    sealed: list[float] = []
    with tempfile.TemporaryDirectory(prefix="threshold-bench-") as tmp:
        for n in range(ROUNDS):  # interleaved, so drift in the machine hits both alike
            plain += await _walk(Path(tmp) / f"plain-{n}.db", cipher_for(None))
            sealed += await _walk(Path(tmp) / f"sealed-{n}.db", cipher_for(new_key()))
    p50 = statistics.median(plain) * 1000
    s50 = statistics.median(sealed) * 1000
    rate_plain, rate_sealed = len(plain) / sum(plain), len(sealed) / sum(sealed)
    chart_ms, chart_bytes = _chart_ms()
    check_us = _safety_check_us()
    return [
        Row("persisted turns/s, one person, not encrypted", f"{rate_plain:,.0f}"),
        Row("persisted turns/s, one person, ENCRYPTION_KEY set", f"{rate_sealed:,.0f}",
            "≥ 90% of plain", rate_sealed >= 0.9 * rate_plain),
        Row("  turn latency p50, plain / encrypted", f"{p50:.3f} / {s50:.3f} ms"),
        Row("safety check of one typed answer", f"{check_us:.1f} µs", "< 100 µs", check_us < 100),
        Row("/history chart, 3 relationships (off the event loop)",
            f"{chart_ms:.0f} ms, {chart_bytes / 1024:.0f} KiB"),
    ]  # fmt: skip
