"""A scheduler process for the crash tests: ``python scheduler_child.py DB MODE SENT NOW``.

It opens the real store and scheduler on ``DB`` (an SQLite file's path, or a PostgreSQL URL)
with the clock stopped at ``NOW`` (ISO-8601)
and ticks once; the parent test kills it with SIGKILL at the moment the mode names:

``claim``  no platform is connected: the tick claims, prints ``claimed`` and waits forever;
``hang``   one send at a time; each writes its chat id to ``SENT`` (the platform got it); the
           third prints ``hang`` after writing and never returns;
``run``    four sends at a time, each writing to ``SENT``, until killed whenever.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot.ports.store import Address
from bot.schedule.fanout import Limit
from bot.schedule.scheduler import Scheduler
from dialogs import load_script
from dialogs.model import Reply
from tests.support.schedules import Where, open_data, open_schedule

HANG_AT = 3


class FileDeliverer:
    """Writes each chat id to a file, as a platform that accepted the message."""

    platform = "telegram"

    def __init__(self, path: Path, hang_at: int | None) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        self._hang_at = hang_at
        self._count = 0

    async def deliver(self, address: Address, replies: Sequence[Reply]) -> None:
        os.write(self._fd, f"{address.chat_id}\n".encode())
        self._count += 1
        if self._count == self._hang_at:
            print("hang", flush=True)
            await asyncio.Event().wait()
        await asyncio.sleep(0.001)


async def main(db: Where, mode: str, sent: Path, now: datetime) -> None:
    def clock() -> datetime:
        return now

    async with open_data(db, clock=clock) as store, open_schedule(db, clock=clock) as schedule:
        deliverers = {}
        if mode != "claim":
            deliverers["telegram"] = FileDeliverer(sent, HANG_AT if mode == "hang" else None)
        workers = 1 if mode == "hang" else 4
        scheduler = Scheduler(
            store, schedule, load_script(), deliverers, clock=clock,
            limits={"telegram": Limit(workers=workers)},
        )  # fmt: skip
        print("started", flush=True)
        await scheduler.tick()
        print("claimed", flush=True)
        await scheduler.settle()
        print("settled", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    database, how, sent_to, at = sys.argv[1:5]
    where: Where = database if database.startswith("postgresql://") else Path(database)
    asyncio.run(main(where, how, Path(sent_to), datetime.fromisoformat(at)))
