"""``kill -9`` a real scheduler process at chosen moments, restart, and count what arrived.

The child (``scheduler_child.py``) runs the real store and scheduler on a real SQLite file (or
a PostgreSQL schema: every test runs on both) and
writes each chat it delivered to a file; after the kill, the test restarts the scheduler in
this process with a recording deliverer. Whatever arrived in either must be every due mantra,
none twice. The one exception is the documented window (a send started, not confirmed): such a
row is marked ``unconfirmed`` and never sent again, so it may be missing but never doubled.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.schedule.scheduler import SENDING_LEASE, Scheduler
from dialogs import load_script
from tests.support.schedules import (
    RecordingDeliverer,
    Where,
    open_data,
    open_schedule,
    outcomes,
    rows,
    subscribe,
    where,
)

__all__ = ["where"]  # the shared fixture, for pytest to find

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

CHILD = Path(__file__).with_name("scheduler_child.py")
ROOT = Path(__file__).resolve().parents[2]
SUBSCRIBED_AT = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
NINE = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


async def prepare(db: Where, people: int) -> list[str]:
    async with open_data(db) as store:
        for n in range(people):
            await subscribe(store, f"u{n}", SUBSCRIBED_AT)
    return [f"chat-u{n}" for n in range(people)]


async def run_child_until(db: Where, mode: str, sent: Path, line: str, *, after: float = 0) -> None:
    """Start the child, wait for it to print ``line`` (then ``after`` seconds), kill -9 it."""
    await run_children_until(db, mode, [sent], line, after=after)


async def run_children_until(
    db: Where, mode: str, sent: list[Path], line: str, *, after: float = 0
) -> None:
    """One child per file in ``sent``, all at once on ``db``; each is killed -9 once every one
    of them printed ``line`` (and ``after`` seconds more)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [str(db), mode]
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(CHILD),
            *args,
            str(to),
            NINE.isoformat(),
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        for to in sent
    ]
    try:
        async with asyncio.timeout(60):
            for child in children:
                assert child.stdout is not None
                while (await child.stdout.readline()).decode().strip() != line:
                    pass
        await asyncio.sleep(after)
    finally:
        for child in children:
            child.send_signal(signal.SIGKILL)
            await child.wait()
    assert [child.returncode for child in children] == [-signal.SIGKILL] * len(children)


async def restart(db: Where, at: datetime) -> RecordingDeliverer:
    """A new scheduler on the same file: one tick, every send finished."""
    recorder = RecordingDeliverer()

    def clock() -> datetime:
        return at

    async with open_data(db, clock=clock) as store, open_schedule(db, clock=clock) as schedule:
        scheduler = Scheduler(store, schedule, load_script(), {"telegram": recorder}, clock=clock)
        try:
            await scheduler.tick()
            await scheduler.settle()
        finally:
            await scheduler.stop()
    return recorder


def sent_by_child(sent: Path) -> list[str]:
    return sent.read_text().split() if sent.exists() else []


async def test_killed_between_claim_and_send_then_restarted_delivers_each_once(
    tmp_path: Path, where: Where
) -> None:
    db, sent = where, tmp_path / "sent.txt"
    everyone = await prepare(db, 20)
    await run_child_until(db, "claim", sent, "claimed")
    assert outcomes(db) == {"claimed": 20}  # advanced and logged, then the process died

    recorder = await restart(db, NINE + timedelta(minutes=2))
    assert sent_by_child(sent) == []
    assert sorted(recorder.chats) == sorted(everyone)
    assert outcomes(db) == {"sent": 20}


async def test_killed_during_a_send_never_sends_that_one_twice(
    tmp_path: Path, where: Where
) -> None:
    db, sent = where, tmp_path / "sent.txt"
    everyone = await prepare(db, 10)
    await run_child_until(db, "hang", sent, "hang")
    by_child = sent_by_child(sent)
    assert len(by_child) == 3  # two confirmed, and the third arrived but was never confirmed
    assert outcomes(db) == {"sent": 2, "sending": 1, "claimed": 7}

    recorder = await restart(db, NINE + timedelta(minutes=2))
    assert sorted(by_child + recorder.chats) == sorted(everyone)  # each exactly once
    assert outcomes(db) == {"sent": 9, "sending": 1}

    later = await restart(db, NINE + SENDING_LEASE + timedelta(minutes=3))
    assert later.delivered == []
    assert outcomes(db) == {"sent": 9, "unconfirmed": 1}
    [(unconfirmed,)] = rows(
        db, "SELECT address_chat_id FROM delivery_log WHERE outcome = 'unconfirmed'"
    )
    assert unconfirmed == by_child[-1]


@pytest.mark.parametrize("after", [0.0, 0.05, 0.1])
async def test_killed_at_any_moment_nothing_is_sent_twice_and_only_the_window_is_unsure(
    tmp_path: Path, where: Where, after: float
) -> None:
    db, sent = where, tmp_path / "sent.txt"
    everyone = await prepare(db, 300)
    await run_child_until(db, "run", sent, "started", after=after)
    again = await restart(db, NINE + timedelta(minutes=2))  # sends what was only claimed
    late = await restart(db, NINE + SENDING_LEASE + timedelta(minutes=3))
    assert late.delivered == []

    arrived = Counter(sent_by_child(sent) + again.chats)
    assert set(arrived.values()) <= {1}  # never twice
    log = rows(db, "SELECT address_chat_id, outcome FROM delivery_log")
    assert sorted(str(chat) for chat, _ in log) == sorted(everyone)  # one row each
    assert {outcome for _, outcome in log} <= {"sent", "unconfirmed"}
    unsure = {str(chat) for chat, outcome in log if outcome == "unconfirmed"}
    assert len(unsure) <= 4  # at most one send in flight per worker
    assert set(everyone) - set(arrived) <= unsure  # lost, if at all, only in the window


async def test_two_processes_sending_at_once_send_each_due_mantra_once(
    tmp_path: Path, where: Where
) -> None:
    everyone = await prepare(where, 300)
    sent = [tmp_path / "one.txt", tmp_path / "two.txt"]
    await run_children_until(where, "run", sent, "settled")
    arrived = Counter(sent_by_child(sent[0]) + sent_by_child(sent[1]))
    assert sorted(arrived) == sorted(everyone)
    assert set(arrived.values()) == {1}  # each once, whichever process claimed or sent it
    assert outcomes(where) == {"sent": 300}
