"""The reads behind the SQLite store (:mod:`bot.sqlite.reads`), called directly on a real
file written through the real store: history's order and pages, one record, the answers of
many records read a chunk at a time, sealed answers opened only for the cell they were sealed
for, and the mantra schedule. The store contract (``test_store_contract.py``) checks history
and records across stores; here the SQLite reads' own rules are pinned."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.crypto import PLAIN, Sealer, cipher_for, new_key
from bot.errors import EncryptedDataUnreadable
from bot.ports.store import AnswerRow, FinishedRecord, MantraSettings, TurnWrite, UserKey
from bot.sqlite import reads
from bot.sqlite.store import SqliteStore
from dialogs.model import State
from tests.support.chats import START

ANN = UserKey("telegram", "100")
BOB = UserKey("telegram", "200")


def finished(n: int, at_minute: int | None = None, **answers: str) -> FinishedRecord:
    at = START + timedelta(minutes=n if at_minute is None else at_minute)
    rows = tuple(AnswerRow(q, value_text=v) for q, v in answers.items())
    return FinishedRecord("reflection", f"p{n}", at, at, rows)


async def write(path: Path, key: UserKey, *records: FinishedRecord, cipher: Sealer = PLAIN) -> None:
    async with SqliteStore(path, cipher=cipher) as store:
        saved = await store.load(key)
        version = saved.version if saved else 0
        await store.save(key, TurnWrite(State(), finished=records), expected_version=version)


@pytest.fixture
def read(db_path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(db_path)
    yield conn
    conn.close()


def ids(conn: sqlite3.Connection) -> list[int]:
    return [r[0] for r in conn.execute("SELECT id FROM records ORDER BY id")]


async def test_records_finished_at_the_same_moment_list_the_one_written_last_first(
    db_path: Path, read: sqlite3.Connection
) -> None:
    await write(db_path, ANN, finished(1, 5), finished(2, 5), finished(3, 1))
    page = reads.history(read, ANN, 0, 10)
    assert [r.person_id for r in page.items] == ["p2", "p1", "p3"]


async def test_a_page_past_the_last_is_empty_but_counts_the_pages(
    db_path: Path, read: sqlite3.Connection
) -> None:
    await write(db_path, ANN, *(finished(n) for n in range(5)))
    page = reads.history(read, ANN, 3, 2)
    assert page.items == () and page.pages == 3 and page.page == 3


async def test_history_of_someone_else_is_theirs_alone(
    db_path: Path, read: sqlite3.Connection
) -> None:
    await write(db_path, ANN, finished(1, closure="Ann's words"))
    await write(db_path, BOB, finished(2, closure="Bob's words"))
    (only,) = reads.history(read, BOB, 0, 10).items
    assert only.answers == {"closure": "Bob's words"}
    assert reads.history(read, UserKey("telegram", "999"), 0, 10).pages == 1


async def test_the_answers_of_more_records_than_one_query_reads_are_all_read(
    db_path: Path, read: sqlite3.Connection
) -> None:
    """Past :data:`ANSWER_CHUNK` records the ids go in a second query: none may be lost."""
    count = reads.ANSWER_CHUNK + 3
    await write(db_path, ANN, *(finished(n, closure=f"words {n}") for n in range(count)))
    found = reads.answer_rows(read, ANN, ids(read), PLAIN)
    assert len(found) == count
    assert {rows[0].value_text for rows in found.values()} == {f"words {n}" for n in range(count)}


async def test_one_record_is_read_with_its_answers_and_another_persons_id_is_nothing(
    db_path: Path, read: sqlite3.Connection
) -> None:
    await write(db_path, ANN, finished(1, closure="Enough.", serving_note="Some days."))
    await write(db_path, BOB, finished(2, closure="Bob's."))
    record_id, bob_record = ids(read)
    record = reads.record(read, ANN, record_id)
    assert record is not None
    assert record.answers == {"closure": "Enough.", "serving_note": "Some days."}
    assert reads.record(read, BOB, record_id) is None
    assert reads.record(read, ANN, bob_record) is None
    assert reads.record(read, ANN, bob_record + 1) is None


async def test_sealed_answers_open_with_the_key_and_not_under_another_persons_record(
    db_path: Path, read: sqlite3.Connection
) -> None:
    """A sealed value is bound to its own row: moved onto another person's record (a copied
    row, a wrong join), it must fail to open rather than show one person's words to another."""
    cipher = cipher_for(new_key())
    await write(db_path, ANN, finished(1, closure="Ann's words"), cipher=cipher)
    await write(db_path, BOB, finished(2, closure="Bob's words"), cipher=cipher)
    ann_record, bob_record = ids(read)
    stored = read.execute("SELECT value_text FROM answers WHERE record_id = ?", (ann_record,))
    raw = stored.fetchone()[0]
    assert b"Ann's words" not in (raw if isinstance(raw, bytes) else str(raw).encode())
    assert reads.answer_rows(read, ANN, [ann_record], cipher)[ann_record][0].value_text == (
        "Ann's words"
    )
    read.execute(
        "UPDATE answers SET value_text = (SELECT value_text FROM answers WHERE record_id = ?)"
        " WHERE record_id = ?",
        (ann_record, bob_record),
    )
    with pytest.raises(EncryptedDataUnreadable):
        reads.answer_rows(read, BOB, [bob_record], cipher)


async def test_the_mantra_schedule_reads_back_as_set_and_nothing_for_someone_without(
    db_path: Path, read: sqlite3.Connection
) -> None:
    due = START + timedelta(hours=1)
    async with SqliteStore(db_path) as store:
        mantras = MantraSettings(True, "07:30", "Europe/Berlin", "weekdays", due)
        await store.save(ANN, TurnWrite(State(), mantras=mantras), expected_version=0)
        off = MantraSettings(False, "07:30", "Europe/Berlin", "weekdays", due)
        await store.save(BOB, TurnWrite(State(), mantras=off), expected_version=0)
    ann = reads.mantras(read, ANN)
    assert ann is not None
    assert (ann.enabled, ann.time, ann.tz, ann.days, ann.next_due) == (
        True,
        "07:30",
        "Europe/Berlin",
        "weekdays",
        due,
    )
    assert ann.rotation == ()
    bob = reads.mantras(read, BOB)
    assert bob is not None and not bob.enabled and bob.next_due is None
    assert reads.mantras(read, UserKey("telegram", "999")) is None
