"""What the hardening holds up to: the webhook under unauthenticated 40 MB posts, and another
person's replies while one person floods.

* 50 concurrent POSTs of 40 MB each, without the secret, to the real webhook receiver on
  127.0.0.1 (the clients run in a process of their own, so the memory measured is the
  webhook's): the growth of this process's resident memory at its peak, after a first round
  that warms up what every round reuses.
* The real bot (PTB, the core on a temporary SQLite file) against the Bot API stand-in: one
  person sends 200 messages at once, five times over, while another sends ``/help`` again and
  again; the time from each ``/help`` to its answer, p50 and p99.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from adapters.telegram import run_telegram
from adapters.telegram.webhook import serving_webhook
from bench.table import Row
from bot.core import Inbox, open_core
from bot.memory.store import MemoryStore
from bot.settings import Settings
from tests.standins.telegram_api import TOKEN, TelegramAPI

POSTS = 50
POST_BYTES = 40 * 1024 * 1024
FLOODS = 5
FLOOD = 200
HELPS_PER_FLOOD = 20
FLOODER, OTHER = 424242, 777001


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


CLIENTS = """
import asyncio, contextlib, sys
CHUNK = b"{" * (64 * 1024)
async def post(port, size):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = ("POST /telegram HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n"
            "Content-Type: application/json\\r\\nContent-Length: %d\\r\\n\\r\\n" % size)
    try:
        writer.write(head.encode())
        sent = 0
        while sent < size and not writer.is_closing():
            writer.write(CHUNK)
            await writer.drain()
            sent += len(CHUNK)
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(reader.read(1024), 2)
        writer.close()
async def main(port, count, size):
    await asyncio.gather(*(post(port, size) for _ in range(count)))
asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
"""
"""The clients, in a process of their own: what is measured is the webhook's memory alone."""


async def _posts(port: int, count: int) -> None:
    clients = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CLIENTS, str(port), str(count), str(POST_BYTES)
    )
    await clients.wait()


async def _webhook_growth() -> tuple[float, float]:
    inbox = Inbox(MemoryStore(), "telegram")  # never reached: no post carries the secret
    async with serving_webhook(
        inbox, host="127.0.0.1", port=0, path="/telegram", secret="s" * 64,
        received=lambda update_id: None,
    ) as port:  # fmt: skip
        await _posts(port, POSTS)  # warm up: the first round allocates what every round reuses
        before = peak = _rss()
        started = time.perf_counter()
        posts = asyncio.ensure_future(_posts(port, POSTS))
        while not posts.done():
            peak = max(peak, _rss())
            await asyncio.sleep(0.002)
        await posts
        took = time.perf_counter() - started
    return (peak - before) / 2**20, took


async def _flood_latencies(folder: Path) -> list[float]:
    async with TelegramAPI() as api:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{folder / 'flood.db'}",
            telegram_token=TOKEN,
            telegram_api_url=api.url,
        )
        async with open_core(settings) as core:
            bot = asyncio.create_task(run_telegram(settings, core, poll_timeout=1.0))
            await api.next_call("deleteWebhook", within=20)
            api.send("/start", chat_id=FLOODER)
            await api.next_message(FLOODER, within=20)
            latencies: list[float] = []
            try:
                for round_ in range(FLOODS):
                    for n in range(FLOOD):
                        api.send(f"round {round_} message {n:03d} " + "." * 60, chat_id=FLOODER)
                    for _ in range(HELPS_PER_FLOOD):
                        sent = time.perf_counter()
                        api.send("/help", chat_id=OTHER)
                        await api.next_message(OTHER, within=30)
                        latencies.append(time.perf_counter() - sent)
            finally:
                bot.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await bot
    return latencies


async def run() -> list[Row]:
    growth, took = await _webhook_growth()
    with tempfile.TemporaryDirectory(prefix="threshold-bench-") as tmp:
        latencies = await _flood_latencies(Path(tmp))
    q = statistics.quantiles(latencies, n=100)
    p50, p99 = statistics.median(latencies), q[98]
    return [
        Row(f"webhook: memory growth, {POSTS} concurrent 40 MB posts without the secret",
            f"{growth:.1f} MB in {took:.2f} s", "< 10 MB", growth < 10),
        Row(f"another person's /help during {FLOODS} floods of {FLOOD} messages, p50",
            f"{p50 * 1000:.0f} ms"),
        Row("  p99", f"{p99 * 1000:.0f} ms", "< 2 s", p99 < 2.0),
    ]  # fmt: skip
