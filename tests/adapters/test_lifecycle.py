"""Graceful shutdown: SIGTERM or SIGINT stops taking input, finishes what is in flight, closes
the database and exits 0 within 10 s; a restart picks up exactly where it stopped."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from adapters import cli
from adapters.cli import Platform
from adapters.console import run_console
from adapters.lifecycle import adapters_last, until_signalled
from bot.conversations import Conversations
from bot.core import Core
from bot.ports.store import Address, TurnWrite, UserKey
from bot.settings import Settings
from bot.sqlite.store import SqliteStore
from dialogs import load_script
from dialogs.model import Reply
from tests.support.services import SETTINGS, STOP_WITHIN, Service, answer, clean_env, question
from tests.support.words import GOODBYE

# --------------------------------------------------------------------------------------------
# until_signalled, in this process


async def test_work_that_ends_by_itself_gives_its_status() -> None:
    async def work() -> int:
        return 3

    assert await until_signalled(work()) == 3


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_cancels_the_work_once_and_it_winds_down_to_exit_0(
    sig: signal.Signals,
) -> None:
    wound_down: list[str] = []

    async def work() -> int:
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0.05)  # in-flight work finishing after the signal
            wound_down.append("finished")
        return 2

    async def signal_soon() -> None:
        await asyncio.sleep(0.05)
        os.kill(os.getpid(), sig)

    poke = asyncio.create_task(signal_soon())
    assert await until_signalled(work()) == 0
    await poke
    assert wound_down == ["finished"]


async def test_work_that_does_not_wind_down_in_time_is_abandoned_with_exit_1() -> None:
    abandoned: list[bool] = []

    async def work() -> int:
        try:
            await asyncio.sleep(3600)
        finally:
            try:
                await asyncio.sleep(3600)  # stuck while stopping
            except asyncio.CancelledError:
                abandoned.append(True)
                raise
        return 0

    asyncio.get_running_loop().call_later(0.05, os.kill, os.getpid(), signal.SIGTERM)
    assert await until_signalled(work(), grace=0.2) == 1
    assert abandoned == [True]


async def test_a_second_signal_stops_at_once() -> None:
    async def work() -> int:
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(3600)
        return 0

    loop = asyncio.get_running_loop()
    loop.call_later(0.05, os.kill, os.getpid(), signal.SIGINT)
    loop.call_later(0.15, os.kill, os.getpid(), signal.SIGINT)
    assert await asyncio.wait_for(until_signalled(work(), grace=60), 5) == 1


async def test_the_handlers_are_removed_afterwards() -> None:
    async def work() -> int:
        return 0

    await until_signalled(work())
    assert signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None)


# --------------------------------------------------------------------------------------------
# The terminal chat finishes the turn it is in


class Telegram:
    """Stands for a connected platform: it serves, and delivers nothing."""

    platform = "telegram"

    async def deliver(self, address: Address, replies: Sequence[Reply]) -> None:
        return None


class SlowSaves(SqliteStore):
    """Saves take a while, and say when one has started."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.saving = asyncio.Event()

    async def save(self, key: UserKey, turn: TurnWrite, *, expected_version: int) -> int:
        self.saving.set()
        await asyncio.sleep(0.3)
        return await super().save(key, turn, expected_version=expected_version)


async def test_the_terminal_chat_finishes_a_turn_in_flight_before_stopping(
    tmp_path: Path,
) -> None:
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 't.db'}")
    script = load_script()
    store = SlowSaves(settings.sqlite_path)
    async with store:
        core = Core(settings, store, Conversations(store, script), script)
        read, write = os.pipe()
        out = io.StringIO()
        with os.fdopen(read, encoding="utf-8") as stdin:
            chat = asyncio.create_task(run_console(core, stdin=stdin, stdout=out, user_id="me"))
            await asyncio.wait_for(store.saving.wait(), 5)  # the greeting's turn is saving
            store.saving.clear()
            os.write(write, b"Sam\n")
            await asyncio.wait_for(store.saving.wait(), 5)  # "Sam" is being saved now
            chat.cancel()  # what a SIGTERM does
            with pytest.raises(asyncio.CancelledError):
                await chat
            os.close(write)
        saved = await store.load(UserKey("console", "me"))

    printed = out.getvalue()
    assert "→ Sam" in printed or "What kind of connection" in printed, printed
    assert printed.rstrip().endswith(GOODBYE)
    assert saved is not None and saved.state.node == "reflect.kind"


# --------------------------------------------------------------------------------------------
# `threshold run` over stdin, stopped in the middle of a reflection, then started again


async def test_sigterm_during_a_reflection_loses_nothing_and_a_restart_resumes_it(
    tmp_path: Path,
) -> None:
    env = clean_env(tmp_path)
    database = tmp_path / "data" / "threshold.db"
    first = await Service.start("run", env=env, cwd=tmp_path)
    try:
        lines = await first.read_turn()
        previous: list[str] = []
        for _ in range(6):  # a few questions into the reflection
            lines, previous = await first.send(answer(lines, previous)), lines
        asked = question(lines)
        status, took = await first.stop(signal.SIGTERM)
    finally:
        await first.kill()

    assert (status, first.stderr) == (0, ""), first.text
    assert took < STOP_WITHIN
    assert first.transcript[-1] == GOODBYE
    version = stored(database, "SELECT version FROM conversations")
    assert version and isinstance(version[0][0], int) and version[0][0] >= 6
    assert_database_closed_cleanly(database)

    second = await Service.start("run", env=env, cwd=tmp_path)
    try:
        resumed = await second.read_turn()
        assert question(resumed) == asked, f"before:\n{asked}\nafter:\n{second.text}"
        lines, previous = resumed, lines
        for _ in range(80):
            lines, previous = await second.send(answer(lines, previous)), lines
            if stored(database, "SELECT count(*) FROM records") != [(0,)]:
                break
        status, _ = await second.close()
    finally:
        await second.kill()

    assert status == 0, second.text
    assert stored(database, "SELECT kind FROM records") == [("reflection",)]
    questions = [row[0] for row in stored(database, "SELECT question FROM answers")]
    assert len(questions) == len(set(questions)), f"an answer stored twice: {questions}"


async def test_sigint_is_as_graceful_as_sigterm(tmp_path: Path) -> None:
    service = await Service.start("chat", env=clean_env(tmp_path), cwd=tmp_path)
    try:
        await service.read_turn()
        await service.send("Sam")
        status, _ = await service.stop(signal.SIGINT)
    finally:
        await service.kill()
    assert (status, service.stderr) == (0, "")
    assert service.transcript[-1] == GOODBYE


def stored(database: Path, sql: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(database)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def assert_database_closed_cleanly(database: Path) -> None:
    """The last connection to close checkpoints the WAL into the file and removes it."""
    assert not Path(f"{database}-wal").exists() or Path(f"{database}-wal").stat().st_size == 0
    assert stored(database, "PRAGMA integrity_check") == [("ok",)]


# --------------------------------------------------------------------------------------------
# Parts of the core that wind down before the adapters (the scheduler's deliveries)


async def test_before_stop_runs_while_the_adapters_still_serve() -> None:
    order: list[str] = []
    serving = asyncio.Event()

    async def adapter() -> None:
        serving.set()
        try:
            await asyncio.sleep(3600)
        finally:
            order.append("adapter stopped")

    async def failing() -> None:
        order.append("failing step")
        raise RuntimeError("boom")

    async def step() -> None:
        await asyncio.sleep(0.01)
        order.append("step ran")

    task = asyncio.create_task(adapters_last([failing, step], adapter()))
    await serving.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert order == ["failing step", "step ran", "adapter stopped"]


async def test_adapters_that_end_by_themselves_run_no_stop_steps() -> None:
    ran: list[str] = []

    async def step() -> None:
        ran.append("step")

    async def adapter() -> None:
        return None

    await adapters_last([step], adapter())
    assert ran == []


def test_threshold_run_stops_the_cores_parts_before_its_platforms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    async def platform(core: Core) -> None:
        async def deliveries_finished() -> None:
            seen.append("connected" if "telegram" in core.serving_platforms() else "gone")

        core.before_stop.append(deliveries_finished)
        try:
            async with core.serving(Telegram()):
                os.kill(os.getpid(), signal.SIGTERM)
                await asyncio.sleep(3600)
        finally:
            seen.append("platform stopped")

    monkeypatch.setattr(
        cli, "PLATFORMS", (Platform("Telegram", "telegram_token", "TELEGRAM_TOKEN", platform),)
    )
    monkeypatch.chdir(tmp_path)
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 't.db'}")
    monkeypatch.setenv("TELEGRAM_TOKEN", "123:abc")

    assert cli.main(["run"]) == 0
    assert seen == ["connected", "platform stopped"]
