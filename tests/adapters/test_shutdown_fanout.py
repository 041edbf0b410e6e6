"""SIGTERM in the middle of a mantra fan-out, then a restart: nothing lost, nothing doubled.

A real ``threshold run`` serves Telegram against the loopback Bot API stand-in, with
``PEOPLE`` mantras due at once and the scheduler allowed ``RATE`` sends a second, so the
fan-out takes a few seconds. Once some have arrived, the stand-in holds the next sends at the
door (sends in flight), the process gets SIGTERM, and only after it has said so are the sends
let through. Graceful shutdown (``docs/scheduler.md``, ``adapters/lifecycle.py``) promises:

* the sends already started finish before the exit (exit 0 within 10 s), so the one window of
  the delivery protocol (``sending``, later ``unconfirmed``) stays empty: no row is left
  ``sending`` and none becomes ``unconfirmed``; at most ``Limit.concurrency`` sends are in
  flight, and each of those is confirmed ``sent``;
* what was only claimed (queued in memory or still in the database) stays ``claimed``;
* the restarted process sends exactly those, so every person gets exactly one mantra.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.ports.store import to_db_time
from bot.schedule.fanout import Limit
from bot.sqlite.store import SqliteStore
from dialogs import load_script
from tests.standins.telegram_api import TOKEN, TelegramAPI
from tests.support.schedules import subscribe
from tests.support.services import SCRIPT, STOP_WITHIN, clean_env

PEOPLE = 100
RATE = 20
"""Scheduled sends a second (``TELEGRAM_SEND_RATE``): the whole fan-out takes about 5 s."""
STOP_AFTER = 20
"""Mantras arrived before the sends are held and SIGTERM is sent (some, not all)."""
WORKERS = Limit(RATE).concurrency
"""Sends in flight at once (10): at most these finish after SIGTERM."""
FIRST_CHAT = 700_000
WITHIN = 15.0


async def prepare(database: Path) -> list[int]:
    """``PEOPLE`` private chats, each with mantras on and the next one due a moment ago."""
    now = datetime.now(UTC)
    minute = now.strftime("%H:%M")  # due at the start of this minute: within the grace
    chats = [FIRST_CHAT + n for n in range(PEOPLE)]
    database.parent.mkdir(parents=True, exist_ok=True)
    async with SqliteStore(database) as store:
        for chat in chats:
            await subscribe(
                store, str(chat), now - timedelta(minutes=1), time=minute, chat_id=str(chat)
            )
    due = rows(
        database,
        "SELECT count(*) FROM mantra_subscriptions WHERE next_due_utc <= ?",
        to_db_time(now),
    )
    assert due == [(PEOPLE,)], "the subscriptions are not all due now"
    return chats


class Bot:
    """A ``threshold run`` process whose output (JSON log lines) is read as it comes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._pump = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, env: dict[str, str], cwd: Path) -> Bot:
        process = await asyncio.create_subprocess_exec(
            str(SCRIPT), "run",
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, env=env, cwd=cwd,
        )  # fmt: skip
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            self.lines.append(raw.decode("utf-8").rstrip("\n"))

    def said(self, words: str) -> bool:
        return any(words in line for line in self.lines)

    async def wait(self, since: float) -> tuple[int, float]:
        """The exit status and the seconds since ``since``; fails past ``STOP_WITHIN``."""
        try:
            status = await asyncio.wait_for(
                self.process.wait(), STOP_WITHIN - (time.monotonic() - since)
            )
        except TimeoutError:
            raise AssertionError(f"still running {STOP_WITHIN} s after SIGTERM") from None
        took = time.monotonic() - since
        await self._pump
        return status, took

    async def stop(self) -> tuple[int, float]:
        since = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        return await self.wait(since)

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        self._pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._pump

    def problems(self) -> list[str]:
        """Lines that are not one JSON log record, or that report an error."""
        found = []
        for line in self.lines:
            try:
                record = json.loads(line)
            except ValueError:
                found.append(line)
                continue
            if record.get("level") not in ("DEBUG", "INFO"):
                found.append(line)
        return found

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


async def until(condition: Callable[[], bool], what: str, within: float = WITHIN) -> None:
    deadline = time.monotonic() + within
    while True:
        if condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within} s")
        await asyncio.sleep(0.02)


def mantras(api: TelegramAPI) -> list[int]:
    """The chats that a scheduled message reached (the stand-in answered it)."""
    return [int(call.params["chat_id"]) for call in api.calls_to("sendMessage")]


def rows(database: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    db = sqlite3.connect(database)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def outcomes(database: Path) -> dict[str, int]:
    found = rows(database, "SELECT outcome, count(*) FROM delivery_log GROUP BY outcome")
    return {str(outcome): int(str(n)) for outcome, n in found}


def sent_chats(database: Path) -> list[int]:
    found = rows(database, "SELECT address_chat_id FROM delivery_log WHERE outcome = 'sent'")
    return [int(str(chat)) for (chat,) in found]


async def test_sigterm_during_a_mantra_fan_out_then_a_restart_delivers_each_exactly_once(
    tmp_path: Path,
) -> None:
    database = tmp_path / "data" / "threshold.db"
    everyone = await prepare(database)
    async with TelegramAPI() as api:
        env = clean_env(
            tmp_path,
            TELEGRAM_TOKEN=TOKEN,
            TELEGRAM_API_URL=api.url,
            TELEGRAM_SEND_RATE=str(RATE),
            SCHEDULER_TICK_SECONDS="0.2",
            LOG_LEVEL="INFO",
            LOG_FORMAT="json",
        )

        first = await Bot.start(env, tmp_path)
        hold = None
        try:
            await until(lambda: len(mantras(api)) >= STOP_AFTER, "the fan-out never started")
            hold = api.hold("sendMessage")
            await asyncio.wait_for(hold.arrived.wait(), 5)  # a send is in flight
            stopping = time.monotonic()
            first.process.send_signal(signal.SIGTERM)
            await until(lambda: first.said("SIGTERM received"), "SIGTERM was not noticed")
            in_flight = first.process.returncode is None  # it waits for the held sends
            before_release = len(mantras(api))
            hold.release()
            status, took = await first.wait(stopping)
        finally:
            if hold is not None:
                hold.release()  # else the stand-in's shutdown would wait for the held calls
            await first.kill()

        assert in_flight, "it stopped without finishing the sends in flight"
        assert (status, first.problems()) == (0, []), first.text
        assert took < STOP_WITHIN
        by_first = mantras(api)
        assert len(by_first) > before_release, "the sends held in flight never completed"
        assert len(by_first) - before_release <= WORKERS, "it went on sending after SIGTERM"
        assert STOP_AFTER <= len(by_first) < PEOPLE, "SIGTERM did not land mid-fan-out"
        after_stop = outcomes(database)
        # Graceful: the window is empty. Every send started was finished and confirmed; the
        # rest is still claimed. Nothing is 'sending' (it would become 'unconfirmed').
        assert after_stop == {"sent": len(by_first), "claimed": PEOPLE - len(by_first)}
        assert sorted(sent_chats(database)) == sorted(by_first)

        second = await Bot.start(env, tmp_path)
        try:
            await until(lambda: len(mantras(api)) >= PEOPLE, "the rest never arrived")
            await until(lambda: outcomes(database).keys() <= {"sent"}, "not all confirmed")
            status, took = await second.stop()
        finally:
            await second.kill()

        assert (status, second.problems()) == (0, []), second.text
        assert took < STOP_WITHIN
        arrived = mantras(api)  # both processes have exited: nothing more can come
        assert Counter(arrived) == Counter(everyone), "a mantra lost or sent twice"
        texts = {str(call.params["text"]) for call in api.calls_to("sendMessage")}
        assert texts <= set(load_script().mantras)

    assert outcomes(database) == {"sent": PEOPLE}  # none 'unconfirmed': nothing was unsure
    assert sorted(sent_chats(database)) == sorted(everyone)
    later = rows(
        database, "SELECT count(*) FROM mantra_subscriptions WHERE next_due_utc <= ?",
        to_db_time(datetime.now(UTC)),
    )  # fmt: skip
    assert later == [(0,)], "a subscription is still due: it would be sent again"
