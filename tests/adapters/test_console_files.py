"""The terminal's files and what /forget leaves, through the real core on a real SQLite file:
the chart path printed is the file written (and the next chart replaces it), files are private
to their owner and never written through a planted link, and after /forget a canary answer is
in no byte of the database, its WAL or the exports folder, with other people's rows around it."""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.console import run_console
from adapters.console_files import save_attachment
from bot.core import Core, open_core
from bot.ports.store import AnswerRow, FinishedRecord, TurnWrite, UserKey
from bot.settings import Settings
from dialogs.model import Attachment, State

SAVED = re.compile(r"\[file\] saved to (.+)$", re.MULTILINE)
CANARY = "canary-forget-0d9e he only calls when he needs something"
CANARY_NAME = "Wrenfeather"
MARKER = "marker-bob-55aa my sister listens"


def reflection(name: str, note: str) -> list[str]:
    """A whole reflection typed into the terminal, then no mantras."""
    return [name, "1", "1", "2", "9", "2", "2", note, "2", "2", "/skip", "2", "/skip", "1", "5",
            "2", "/skip", "2", "4", "2"]  # fmt: skip


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    database = tmp_path / "data" / "threshold.db"
    settings = Settings(_env_file=None, database_url=f"sqlite:///{database}")
    async with open_core(settings) as opened:
        yield opened


async def typed(core: Core, who: str, lines: list[str], exports: Path) -> str:
    out = io.StringIO()
    stdin = io.StringIO("".join(f"{line}\n" for line in lines))
    await run_console(core, stdin=stdin, stdout=out, user_id=who, exports_dir=exports)
    return out.getvalue()


async def two_points(core: Core, who: str) -> None:
    at = datetime(2025, 3, 1, 8, tzinfo=UTC)
    finished = tuple(
        FinishedRecord(
            "checkin", "p1", at + timedelta(days=n), at + timedelta(days=n),
            (AnswerRow("reciprocity", value_int=n + 1), AnswerRow("feeling", value_int=3)),
        )
        for n in range(2)
    )  # fmt: skip
    key = UserKey("console", who)
    await core.store.save(
        key, TurnWrite(State(intro_seen=True), finished=finished), expected_version=0
    )


def every_byte(*places: Path) -> bytes:
    found = b""
    for place in places:
        paths = [place] if place.is_file() else [p for p in place.rglob("*") if p.is_file()]
        found += b"".join(p.read_bytes() for p in paths)
    return found


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --------------------------------------------------------------------------------------------
# The chart file


async def test_each_history_writes_the_file_it_names_and_replaces_the_last(
    core: Core, tmp_path: Path
) -> None:
    await two_points(core, "tester")
    exports = tmp_path / "exports"
    first = SAVED.findall(await typed(core, "tester", ["/history"], exports))
    second = SAVED.findall(await typed(core, "tester", ["/history", "/history"], exports))
    assert len(first) == 1 and len(second) == 2
    assert set(first) == set(second)  # the same file each time, as printed
    [written] = [p for p in exports.rglob("*") if p.is_file()]
    assert str(written) == first[0] and written.read_bytes()[:4] == b"\x89PNG"


async def test_two_people_on_one_machine_keep_their_own_charts(core: Core, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    for who in ("1000", "1001"):
        await two_points(core, who)
    [mine] = SAVED.findall(await typed(core, "1000", ["/history"], exports))
    [theirs] = SAVED.findall(await typed(core, "1001", ["/history"], exports))
    assert Path(mine).parent != Path(theirs).parent
    assert "1000" not in mine and "1001" not in theirs  # folders named by pseudonym, not uid


async def test_files_and_folders_are_readable_by_their_owner_only(
    core: Core, tmp_path: Path
) -> None:
    await two_points(core, "tester")
    exports = tmp_path / "exports"
    [chart] = SAVED.findall(await typed(core, "tester", ["/history"], exports))
    assert mode(Path(chart)) == 0o600
    assert mode(Path(chart).parent) == 0o700 and mode(exports) == 0o700
    database = core.settings.sqlite_path
    assert mode(database) == 0o600 and mode(database.parent) == 0o700
    wal = database.with_name(database.name + "-wal")
    assert wal.exists() and mode(wal) == 0o600


def test_a_link_planted_where_a_file_goes_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    folder = tmp_path / "exports"
    folder.mkdir(mode=0o700)
    (folder / "threshold-history.png").symlink_to(victim)
    (folder / f".threshold-history.png.{os.getpid()}.part").symlink_to(victim)
    saved = save_attachment(Attachment("threshold-history.png", "image/png", b"PNG"), folder)
    assert victim.read_text() == "untouched"
    assert not saved.is_symlink() and saved.read_bytes() == b"PNG"


def test_a_folder_that_is_a_planted_link_is_not_written_into(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "exports").symlink_to(elsewhere)
    with pytest.raises(OSError, match="symbolic link"):
        save_attachment(Attachment("x.json", "application/json", b"{}"), tmp_path / "exports")
    assert list(elsewhere.iterdir()) == []


# --------------------------------------------------------------------------------------------
# /forget deletes what it says


async def test_a_forgotten_canary_is_in_no_byte_of_the_database_wal_or_exports(
    core: Core, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    await typed(core, "bob", [*reflection("Robin", MARKER), "/export"], exports)
    await two_points(core, "tester")  # with the reflection below: a chart to draw
    shown = await typed(
        core,
        "tester",
        ["/reflect", *reflection(CANARY_NAME, CANARY), "/history", "/export"],
        exports,
    )
    assert len(SAVED.findall(shown)) == 2  # the chart and the export, on disk now
    await typed(core, "carol", reflection("Jo", "carol's note"), exports)
    database = core.settings.sqlite_path
    wal = database.with_name(database.name + "-wal")
    places = (database, wal, exports)
    assert CANARY.encode() in every_byte(*places)  # the scan finds it while it is kept

    shown = await typed(core, "tester", ["/forget", "1"], exports)
    assert "Everything is deleted" in shown
    left = every_byte(*places)
    assert CANARY.encode() not in left and CANARY_NAME.encode() not in left
    assert MARKER.encode() in left  # the others' rows around it are still there
    assert {p.parent.name for p in exports.rglob("*.json")} and len(
        [p for p in exports.iterdir() if p.is_dir()]
    ) == 1  # bob's folder stays, the forgotten person's is gone
