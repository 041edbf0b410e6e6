"""Privacy and care in the terminal chat, through the real core on a real SQLite file: the
history chart is written to a file, and a whole encrypted session logged at DEBUG leaves what
the person typed neither in the logs nor in the database file."""

from __future__ import annotations

import io
import json
import logging
import re
import struct
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.console import run_console
from bot.core import Core, open_core
from bot.crypto import new_key
from bot.ports.store import AnswerRow, FinishedRecord, TurnWrite, UserKey
from bot.settings import Settings
from dialogs.model import State

KEY = UserKey("console", "tester")
CANARY_NAME = "Quillfeather"
CANARY_NOTE = "canary-b7e2 he forgets every promise"
SAVED = re.compile(r"\[file\] saved to (.+)$", re.MULTILINE)


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    database = tmp_path / "data" / "threshold.db"
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{database}",
        encryption_key=new_key(),
    )
    async with open_core(settings) as opened:
        yield opened


def read(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


async def typed(core: Core, lines: list[str], exports: Path) -> str:
    out = io.StringIO()
    await run_console(
        core,
        stdin=io.StringIO("".join(f"{line}\n" for line in lines)),
        stdout=out,
        user_id=KEY.user_id,
        exports_dir=exports,
    )
    return out.getvalue()


async def test_the_history_chart_is_written_to_a_file_and_its_path_printed(
    core: Core, tmp_path: Path
) -> None:
    at = datetime(2025, 3, 1, 8, tzinfo=UTC)
    finished = tuple(
        FinishedRecord(
            "checkin",
            "p1",
            at + timedelta(days=n),
            at + timedelta(days=n),
            (AnswerRow("reciprocity", value_int=n + 1), AnswerRow("feeling", value_int=3)),
        )
        for n in range(2)
    )
    state = State(intro_seen=True)
    await core.store.save(KEY, TurnWrite(state, finished=finished), expected_version=0)
    shown = await typed(core, ["/history"], tmp_path / "exports")
    [where] = SAVED.findall(shown)
    assert Path(where).name == "threshold-history.png"
    data = read(Path(where))
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1200, 740)
    assert "How it has felt over time" in shown


async def test_a_whole_encrypted_session_leaves_nothing_typed_in_logs_or_on_disk(
    core: Core, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # name, kind, two signals, done, pattern, serving, note, reciprocal, rating, skip, …
    lines = [CANARY_NAME, "1", "1", "2", "9", "2", "2", CANARY_NOTE, "2", "2", "/skip", "2",
             "/skip", "1", "5", "2", "/skip", "2", "4", "2", "/history", "/export"]  # fmt: skip
    shown = await typed(core, lines, tmp_path / "exports")
    assert "Here is what you wrote today." in shown
    exported = [Path(where) for where in SAVED.findall(shown) if where.endswith(".json")]
    [export] = exported
    assert CANARY_NOTE in json.dumps(json.loads(read(export)))  # readable to them
    await core.store.close()  # everything written, the WAL included
    database = core.settings.sqlite_path
    on_disk = read(database) + read(database.with_name(database.name + "-wal"))
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert caplog.records, "the session should have been logged"
    for canary in (CANARY_NAME, CANARY_NOTE):
        assert canary not in logged
        assert canary.encode() not in on_disk
