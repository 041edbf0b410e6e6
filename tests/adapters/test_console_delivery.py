"""Scheduled mantras in the terminal: subscribe by typing, and one arrives a minute later.

Everything is real: ``open_core`` (store, scheduler with its APScheduler tick), the console
runner reading a pipe, the dialog. Only the scheduler's clock is the test's: it is moved to the
chosen minute, and the tick (every 50 ms of real time) does the rest.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.console import ConsoleDeliverer, run_console
from bot.core import Core, open_core
from bot.errors import DeliveryFailed
from bot.ports.store import Address
from bot.settings import Settings
from dialogs.model import Button, Reply
from tests.support.words import CONSOLE as WORDS

START = datetime(2025, 3, 1, 8, 58, 30, tzinfo=UTC)


class MovableClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Screen(io.StringIO):
    """An output that can be awaited until some text has been printed."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    def write(self, text: str) -> int:
        written = super().write(text)
        self.changed.set()
        return written

    async def shows(self, text: str, *, after: int = 0) -> int:
        """Wait until ``text`` appears after position ``after``; where it ends."""
        async with asyncio.timeout(15):
            while (found := self.getvalue().find(text, after)) < 0:
                self.changed.clear()
                await self.changed.wait()
        return found + len(text)


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[tuple[Core, MovableClock]]:
    clock = MovableClock(START)
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'threshold.db'}",
        scheduler_tick_seconds=0.05,
    )
    async with open_core(settings, clock=clock) as opened:
        yield opened, clock


async def test_subscribe_in_the_terminal_and_a_mantra_arrives_a_minute_later(
    core: tuple[Core, MovableClock],
) -> None:
    opened, clock = core
    read_end, write_end = os.pipe()
    screen = Screen()

    def typed(line: str) -> None:
        os.write(write_end, f"{line}\n".encode())

    with open(read_end, encoding="utf-8") as stdin:  # noqa: ASYNC230 (a pipe, opened at once)
        chat = asyncio.create_task(
            run_console(opened, stdin=stdin, stdout=screen, user_id="me", clock=clock)
        )
        try:
            await screen.shows("/help")  # greeted, and a first reflection begins: not now
            typed("/cancel")
            await screen.shows("Stopped.")
            typed("/mantras")
            at = await screen.shows("Choose a schedule")
            typed("1")
            at = await screen.shows("What time of day", after=at)
            typed("09:00")
            at = await screen.shows("Which time zone", after=at)
            typed("UTC")
            at = await screen.shows("How often?", after=at)
            typed("1")  # every day
            at = await screen.shows("The next one comes today at 09:00.", after=at)
            assert "console" in opened.deliverers

            clock.now = START + timedelta(minutes=1)  # 08:59:30: not yet
            await asyncio.sleep(0.3)
            assert "Stop mantras" not in screen.getvalue()[at:]
            clock.now = START + timedelta(minutes=1, seconds=30)  # 09:00
            arrived = await screen.shows("Snooze for a week”)", after=at)
            delivered = screen.getvalue()[at:arrived]
            assert any(line in delivered for line in opened.script.mantras)
            assert "(type “Stop mantras” or “Snooze for a week”)" in delivered
            assert "4) Stop mantras" not in delivered  # not numbered after the open question

            typed("stop mantras")  # its words, as printed with the mantra
            await screen.shows("Mantras are off:", after=arrived)
            clock.now += timedelta(days=1)
            await asyncio.sleep(0.3)
            assert screen.getvalue().count("Snooze for a week") == 1
        finally:
            os.close(write_end)
            await asyncio.wait_for(chat, 15)
    assert "console" not in opened.serving_platforms()  # the chat ended: nobody to print to


async def test_the_terminal_delivers_only_to_the_person_at_it() -> None:
    out = io.StringIO()
    deliverer = ConsoleDeliverer("me", out.write, WORDS, prompt=False)
    mantra = Reply(
        "Rather than chasing, reflect.",
        buttons=(
            Button("thr:core.mantra:stop:1", "Stop mantras"),
            Button("thr:core.mantra:snooze:1", "Snooze for a week"),
        ),
    )
    await deliverer.deliver(Address("console", "me"), [mantra])
    assert out.getvalue() == (
        "\nRather than chasing, reflect.\n  (type “Stop mantras” or “Snooze for a week”)"
    )
    with pytest.raises(DeliveryFailed):
        await deliverer.deliver(Address("console", "someone else"), [mantra])
