"""Sealed values bound to their row, tried on the real SQLite file: someone with write access to
the file but not the key copies one person's sealed values into another's rows, or writes plain
values into sealed columns; and data sealed before rows were bound is re-sealed at start."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.conversations import Conversations
from bot.crypto import SCHEME, Cipher, cipher_for, new_key
from bot.errors import EncryptedDataUnreadable
from bot.ports.store import UserKey
from bot.sqlite.seals import SEALED, stored_check
from bot.sqlite.store import SqliteStore
from dialogs.script import Script
from tests.support.chats import REFLECTION, Clock, chat_for, play

KEY = new_key()
ANN, BOB = UserKey("telegram", "1"), UserKey("telegram", "2")
ANN_SECRET = "canary-ann-3e1d he never asks how I am"


def cipher() -> Cipher:
    found = cipher_for(KEY)
    assert isinstance(found, Cipher)
    return found


def ids(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT platform_user_id, id FROM users").fetchall())


def on_disk(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.glob("t.db*"))


def tamper(db: Path, sql: str, *args: object) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(sql, args)


async def two_people(db: Path, script: Script, clock: Clock) -> None:
    """Ann and Bob each reflect (Ann's note is the canary), then Ann starts a check-in."""
    steps = [(a, ANN_SECRET if v == "Some days are fine." else v) for a, v in REFLECTION]
    async with SqliteStore(db, clock=clock, cipher=cipher()) as store:
        service = Conversations(store, script, clock=clock)
        for user, walk in (("1", steps), ("2", REFLECTION)):
            chat = chat_for(service, clock, user)
            await chat.command("reflect")
            await play(chat, walk)
        ann = chat_for(service, clock, "1")
        await ann.command("checkin")
        await ann.press("new")
        await ann.send(ANN_SECRET)  # the draft in Ann's state holds it too


async def bobs_export(db: Path, script: Script, clock: Clock) -> list[str]:
    """What Bob is shown when he asks for his export, on a store opened afresh."""
    async with SqliteStore(db, clock=clock, cipher=cipher()) as store:
        chat = chat_for(Conversations(store, script, clock=clock), clock, "2")
        replies = await chat.command("export")
        return [r.text + (r.attachment.data.decode() if r.attachment else "") for r in replies]


async def test_a_state_copied_into_another_persons_row_is_never_shown_to_them(
    tmp_path: Path, script: Script, clock: Clock
) -> None:
    db = tmp_path / "t.db"
    await two_people(db, script, clock)
    people = ids(db)
    tamper(
        db,
        "UPDATE conversations SET state = (SELECT state FROM conversations WHERE user_id = ?)"
        " WHERE user_id = ?",
        people["1"],
        people["2"],
    )
    shown = await bobs_export(db, script, clock)
    assert not any(ANN_SECRET in text for text in shown)
    assert shown and all(text.startswith("Sorry") for text in shown)
    async with SqliteStore(db, cipher=cipher()) as store:
        with pytest.raises(EncryptedDataUnreadable, match="integrity"):
            await store.load(BOB)
        assert await store.load(ANN) is not None  # Ann's own row still reads


async def test_answers_moved_to_another_persons_record_are_refused(
    tmp_path: Path, script: Script, clock: Clock
) -> None:
    db = tmp_path / "t.db"
    await two_people(db, script, clock)
    people = ids(db)
    tamper(db, "UPDATE records SET user_id = ? WHERE user_id = ?", people["2"], people["1"])
    async with SqliteStore(db, cipher=cipher()) as store:
        with pytest.raises(EncryptedDataUnreadable, match="integrity"):
            await store.history(BOB, per_page=10)
        with pytest.raises(EncryptedDataUnreadable, match="integrity"):
            await store.export(BOB)


async def test_an_answer_moved_to_another_question_or_record_is_refused(
    tmp_path: Path, script: Script, clock: Clock
) -> None:
    db = tmp_path / "t.db"
    await two_people(db, script, clock)
    tamper(db, "UPDATE answers SET question = 'closure' WHERE question = 'serving_note'")
    async with SqliteStore(db, cipher=cipher()) as store:
        with pytest.raises(EncryptedDataUnreadable):
            await store.history(ANN)
    db2 = tmp_path / "t2.db"
    await two_people(db2, script, clock)
    tamper(db2, "UPDATE answers SET record_id = 3 - record_id")  # Ann's and Bob's swapped
    async with SqliteStore(db2, cipher=cipher()) as store:
        with pytest.raises(EncryptedDataUnreadable):
            await store.history(ANN)


async def test_people_whose_platform_ids_were_swapped_read_nothing_of_each_other(
    tmp_path: Path, script: Script, clock: Clock
) -> None:
    db = tmp_path / "t.db"
    await two_people(db, script, clock)
    tamper(db, "UPDATE users SET platform_user_id = 'x' || platform_user_id")
    tamper(db, "UPDATE users SET platform_user_id = CASE platform_user_id WHEN 'x1' THEN '2'"
           " ELSE '1' END")  # fmt: skip
    async with SqliteStore(db, cipher=cipher()) as store:
        with pytest.raises(EncryptedDataUnreadable):
            await store.load(BOB)  # Bob's row now holds Ann's sealed state


@pytest.mark.parametrize(
    ("column", "value"),
    [("state", '{"flow": null}'), ("value_text", "planted"), ("value_int", 5),
     ("value_choice", "boundary")],
)  # fmt: skip
async def test_a_plain_value_written_into_a_sealed_column_is_refused(
    tmp_path: Path, script: Script, clock: Clock, column: str, value: object
) -> None:
    db = tmp_path / "t.db"
    await two_people(db, script, clock)
    if column == "state":
        tamper(db, "UPDATE conversations SET state = ?", value)
        read = "load"
    else:
        tamper(db, f"UPDATE answers SET {column} = ? WHERE {column} IS NOT NULL", value)
        read = "history"
    async with SqliteStore(db, cipher=cipher()) as store:
        with pytest.raises(EncryptedDataUnreadable, match="not encrypted although"):
            await getattr(store, read)(ANN)


async def test_data_sealed_before_rows_were_bound_is_resealed_at_start(
    tmp_path: Path, script: Script, clock: Clock
) -> None:
    db = tmp_path / "t.db"
    await two_people(db, script, clock)
    legacy = cipher()
    with sqlite3.connect(db) as conn:  # as a database of the previous release holds it
        for sealed in SEALED:
            for row_id, _platform, _pid, *_identity, value in conn.execute(sealed.select):
                text = legacy.open(value, sealed.cell((_platform, _pid), tuple(_identity)))
                assert text is not None
                if sealed.column in ("value_choice", "value_int"):
                    old: object = int(text) if sealed.number else text  # stored plain then
                else:
                    old = legacy._seal(text.encode(), sealed.column.encode())
                key = "user_id" if sealed.table == "conversations" else "id"
                conn.execute(
                    f"UPDATE {sealed.table} SET {sealed.column} = ? WHERE {key} = ?", (old, row_id)
                )
        conn.execute(
            "UPDATE encryption SET scheme = 1, probe = ?",
            (legacy._seal(b"threshold key check", b"probe"),),
        )
    async with SqliteStore(db, clock=clock, cipher=cipher()) as store:
        [item] = (await store.history(ANN)).items
        assert item.answers["serving_note"] == ANN_SECRET and item.answers["reciprocity"] == 2
    with sqlite3.connect(db) as conn:
        check = stored_check(conn)
        assert check is not None and check.scheme == SCHEME
        kinds = {t for (t,) in conn.execute("SELECT DISTINCT typeof(value_choice) FROM answers")}
        assert kinds == {"blob", "null"}
    async with SqliteStore(db, cipher=cipher()) as store:  # and it stays readable
        assert (await store.load(ANN)) is not None


async def test_an_update_waiting_in_the_inbox_is_sealed_and_erased_once_applied(
    tmp_path: Path,
) -> None:
    db = tmp_path / "t.db"
    body = f'{{"update_id": 7, "message": {{"text": "{ANN_SECRET}"}}}}'.encode()
    async with SqliteStore(db, cipher=cipher()) as store:
        await store.inbox_put("telegram", 7, body)
        assert ANN_SECRET.encode() not in on_disk(tmp_path)
        [item] = await store.inbox_pending("telegram", 10)
        assert item.body == body
        tamper(db, "UPDATE inbox SET update_id = 8")  # moved to another update: refused
        with pytest.raises(EncryptedDataUnreadable):
            await store.inbox_pending("telegram", 10)
        tamper(db, "UPDATE inbox SET update_id = 7")
        await store.inbox_done("telegram", 7)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT body FROM inbox").fetchall() == [(None,)]
