"""Replies while thousands of mantras go out: ``threshold run`` against the Telegram stand-in.

:data:`DUE` people have a mantra due when the bot starts; it sends them at the configured
:data:`RATE` (``TELEGRAM_SEND_RATE``; scheduled messages keep to four fifths of it). While they
go out, :data:`ASKERS` other people each type ``/help`` every :data:`EVERY` seconds, and each
reply's latency is measured from the update being queued at the stand-in to the bot's
``sendMessage`` into that chat. Printed: the fan-out's rate achieved, and the replies' p50/p99.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.e2e_telegram import Stand, _Chat, _process, _threshold_command
from bench.scheduler import write_subscribers
from bench.table import Row
from bot.migrate import migrate
from bot.ports.store import to_db_time
from tests.standins.telegram_api import TOKEN, Call

DUE = int(os.environ.get("BENCH_FANOUT_DUE", "1500"))
RATE = 100.0
ASKERS = 10
EVERY = 0.5
FIRST_CHAT = 20_000_000
ASKER_CHAT = 30_000_000
TARGET_P99 = 1.0


def _populate(path: Path, due: int) -> None:
    """``due`` Telegram subscribers whose mantra came due a second ago, written straight in."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    migrate(conn)
    now = datetime.now(UTC)
    created, at = to_db_time(now - timedelta(days=30)), to_db_time(now - timedelta(seconds=1))
    users = [
        (n, "telegram", str(FIRST_CHAT + n), "telegram", str(FIRST_CHAT + n), created)
        for n in range(1, due + 1)
    ]
    subs = [(n, 1, "09:00", "UTC", "daily", at, "[]", created) for n in range(1, due + 1)]
    write_subscribers(conn, users, subs)
    conn.close()


class _Stand(Stand):
    """The stand-in, noting when each scheduled mantra arrived."""

    def __init__(self, due: range) -> None:
        super().__init__()
        self.due = due
        self.mantras: list[float] = []
        self.began = asyncio.Event()
        self.ended = asyncio.Event()

    async def _record(self, call: Call) -> None:
        await super()._record(call)
        chat = call.params.get("chat_id")
        if call.method == "sendmessage" and call.status == 200 and int(chat or 0) in self.due:
            self.mantras.append(time.monotonic())
            self.began.set()
            if len(self.mantras) == len(self.due):
                self.ended.set()


async def _ask(api: _Stand, chat_id: int, until: asyncio.Event, latencies: list[float]) -> None:
    chat = api.chats[chat_id] = _Chat()
    while not until.is_set():
        seen = len(chat.calls)
        started = time.perf_counter()
        api.send("/help", chat_id=chat_id)
        while not any(c.method == "sendmessage" for c in chat.calls[seen:]):
            chat.changed.clear()
            await chat.changed.wait()
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(EVERY)


async def _measure(folder: Path) -> tuple[float, list[float], int]:
    database = folder / "fanout.db"
    _populate(database, DUE)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DISCORD_"))}
    api = _Stand(range(FIRST_CHAT + 1, FIRST_CHAT + DUE + 1))
    async with api:
        env = {
            **base,
            "TELEGRAM_TOKEN": TOKEN,
            "TELEGRAM_API_URL": api.url,
            "TELEGRAM_SEND_RATE": str(RATE),
            "DATABASE_URL": f"sqlite:///{database}",
            "LOG_LEVEL": "WARNING",
        }
        async with _process(_threshold_command(api.url), env, folder):
            await asyncio.wait_for(api.began.wait(), 60)  # the first tick after start
            done = asyncio.Event()
            latencies: list[float] = []
            askers = [
                asyncio.create_task(_ask(api, ASKER_CHAT + n, done, latencies))
                for n in range(ASKERS)
            ]
            with contextlib.suppress(TimeoutError):  # a lost mantra shows in the count
                await asyncio.wait_for(api.ended.wait(), DUE / RATE * 3 + 30)
            done.set()
            await asyncio.wait_for(asyncio.gather(*askers), 30)
    stamps = api.mantras
    seconds = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
    return (len(stamps) - 1) / seconds if seconds else 0.0, latencies, len(stamps)


async def run() -> list[Row]:
    with tempfile.TemporaryDirectory() as folder:
        rate, latencies, sent = await _measure(Path(folder))
    latencies.sort()
    p50 = statistics.median(latencies) if latencies else 0.0
    p99 = latencies[int(len(latencies) * 0.99)] if latencies else 0.0
    return [
        Row(f"fan-out of {DUE:,} due mantras at TELEGRAM_SEND_RATE={RATE:g}: sent · rate",
            f"{sent:,} · {rate:.0f}/s", f"{DUE:,} · ≤ {RATE * 0.8:g}/s",
            sent == DUE and rate <= RATE * 0.8 * 1.05),
        Row(f"  replies to {ASKERS} people typing /help meanwhile ({len(latencies)}): p50 / p99",
            f"{p50 * 1000:,.0f} / {p99 * 1000:,.0f} ms", f"p99 < {TARGET_P99 * 1000:,.0f} ms",
            bool(latencies) and p99 < TARGET_P99),
    ]  # fmt: skip


if __name__ == "__main__":
    from bench.table import render

    print(render(asyncio.run(run())))
    sys.exit(0)
