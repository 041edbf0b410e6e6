"""Encryption at rest: sealed values, the key check at start, rotation, and the file itself
scanned for what a person wrote (found when encryption is off, so the scan can fail)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.conversations import Conversations
from bot.crypto import (
    PLAIN,
    Cell,
    Cipher,
    EncryptedDataUnreadable,
    cipher_for,
    new_key,
    parse_key,
)
from bot.errors import ConfigError, StoreUnavailable
from bot.ports.store import TurnWrite, UserKey
from bot.sqlite.seals import SEALED, rotate_file
from bot.sqlite.store import SqliteStore
from dialogs.model import State
from dialogs.script import Script
from tests.support.chats import REFLECTION, Clock, chat_for, play

KEY_A, KEY_B = new_key(), new_key()
CANARY_NOTE = "canary-note-7f3a Some days are fine."
CANARY_NAME = "Canaryname"
CANARY_CLOSURE = "canary-closure-91c2 I see value in myself."


def cipher(key: str) -> Cipher:
    found = cipher_for(key)
    assert isinstance(found, Cipher)
    return found


def file_bytes(db: Path) -> bytes:
    """The database file and its WAL, as they are on disk."""
    return b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())


def sealed_values(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return sum(
            1
            for sealed in SEALED
            for *_, value in conn.execute(sealed.select).fetchall()
            if value is not None
        )


def canaries_in(db: Path) -> list[str]:
    data = file_bytes(db)
    return [c for c in (CANARY_NOTE, CANARY_NAME, CANARY_CLOSURE) if c.encode() in data]


def with_canaries(steps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    swap = {
        "Sam": CANARY_NAME,
        "Some days are fine.": CANARY_NOTE,
        "I see value in myself.": CANARY_CLOSURE,
    }
    return [(action, swap.get(value, value)) for action, value in steps]


async def reflect_with_canaries(db: Path, script: Script, clock: Clock, key: str | None) -> None:
    """A whole reflection, then a check-in started (a draft with a name in the state)."""
    async with SqliteStore(db, clock=clock, cipher=cipher_for(key)) as store:
        chat = chat_for(Conversations(store, script, clock=clock), clock)
        await chat.command("reflect")
        await play(chat, with_canaries(REFLECTION))
        await chat.command("checkin")
        await chat.press("new")
        await chat.send(CANARY_NAME)


# --------------------------------------------------------------------------------------------
# The cipher


def test_a_sealed_value_opens_only_under_its_key_and_in_its_own_cell() -> None:
    a, b = cipher(KEY_A), cipher(KEY_B)
    here = Cell("answers", "value_text", ("telegram", "1"), (7, "closure", None))
    sealed = a.seal("what I wrote", here)
    assert isinstance(sealed, bytes) and b"what I wrote" not in sealed
    assert a.open(sealed, here) == "what I wrote"
    assert a.seal("same", here) != a.seal("same", here)  # a fresh nonce each time
    with pytest.raises(EncryptedDataUnreadable, match="another key"):
        b.open(sealed, here)
    elsewhere = [
        Cell("answers", "value_choice", ("telegram", "1"), (7, "closure", None)),  # column
        Cell("answers", "value_text", ("telegram", "2"), (7, "closure", None)),  # person
        Cell("answers", "value_text", ("discord", "1"), (7, "closure", None)),  # platform
        Cell("answers", "value_text", ("telegram", "1"), (8, "closure", None)),  # record
        Cell("answers", "value_text", ("telegram", "1"), (7, "serving_note", None)),  # question
        Cell("answers", "value_text", ("telegram", "1"), (7, "closure", 0)),  # position
        Cell("due", "value_text", ("telegram", "1"), (7, "closure", None)),  # table
    ]
    for cell in elsewhere:
        with pytest.raises(EncryptedDataUnreadable, match="integrity"):
            a.open(sealed, cell)
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(EncryptedDataUnreadable, match="integrity"):
        a.open(tampered, here)
    with pytest.raises(EncryptedDataUnreadable, match="no ENCRYPTION_KEY"):
        PLAIN.open(sealed, here)
    assert a.open(None, here) is None
    assert a.open_int(a.seal_int(4, here), here) == 4


@pytest.mark.parametrize("plain", ["plain text", 3, 2.5])
def test_a_plain_value_where_a_sealed_one_belongs_is_refused(plain: object) -> None:
    here = Cell("conversations", "state", ("telegram", "1"))
    with pytest.raises(EncryptedDataUnreadable, match="not encrypted although the database is"):
        cipher(KEY_A).open(plain, here)


@pytest.mark.parametrize("bad", ["", "short", "x" * 44, new_key()[:-4], new_key() + "AAAA"])
def test_a_malformed_key_is_refused_without_echoing_it(bad: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_key(bad)
    assert "ENCRYPTION_KEY" in str(caught.value)
    assert not bad or bad not in str(caught.value)


def test_keys_in_either_base64_alphabet_are_accepted() -> None:
    key = new_key()
    standard = key.replace("-", "+").replace("_", "/")
    assert parse_key(key) == parse_key(standard) and len(parse_key(key)) == 32
    assert repr(cipher(key)).startswith("<Cipher key id ") and key not in repr(cipher(key))


# --------------------------------------------------------------------------------------------
# The file on disk


async def test_with_a_key_nothing_a_person_wrote_is_in_the_file_or_its_wal(
    tmp_path: Path, script: Script, clock: Clock
) -> None:
    db = tmp_path / "on.db"
    await reflect_with_canaries(db, script, clock, KEY_A)
    assert canaries_in(db) == []
    with sqlite3.connect(db) as conn:  # choices and ratings are sealed too
        for column in ("value_int", "value_choice", "value_text"):
            kinds = {t for (t,) in conn.execute(f"SELECT typeof({column}) FROM answers")}
            assert kinds <= {"blob", "null"} and "blob" in kinds, column
        assert b"boundary" not in file_bytes(db)
        sealed = conn.execute("SELECT typeof(state) FROM conversations").fetchall()
        assert sealed == [("blob",)]


async def test_without_a_key_the_same_scan_finds_the_words(
    tmp_path: Path, script: Script, clock: Clock
) -> None:
    db = tmp_path / "off.db"
    await reflect_with_canaries(db, script, clock, None)
    assert sorted(canaries_in(db)) == sorted([CANARY_NOTE, CANARY_NAME, CANARY_CLOSURE])


async def test_with_a_key_the_person_still_reads_everything_back(
    tmp_path: Path, script: Script, clock: Clock
) -> None:
    db = tmp_path / "on.db"
    await reflect_with_canaries(db, script, clock, KEY_A)
    async with SqliteStore(db, clock=clock, cipher=cipher(KEY_A)) as store:
        key = UserKey("telegram", "1")
        saved = await store.load(key)
        assert saved is not None and saved.state.data.get("name") == CANARY_NAME
        [item] = (await store.history(key)).items
        assert item.answers["serving_note"] == CANARY_NOTE
        doc = await store.export(key)
        assert CANARY_CLOSURE in str(doc) and CANARY_NAME in str(doc["conversation"])


# --------------------------------------------------------------------------------------------
# The key check at start


async def test_a_wrong_or_missing_key_is_refused_at_start_and_nothing_is_touched(
    tmp_path: Path, script: Script, clock: Clock
) -> None:
    db = tmp_path / "on.db"
    await reflect_with_canaries(db, script, clock, KEY_A)
    before = file_bytes(db)
    with pytest.raises(ConfigError, match="not the key this database was encrypted with"):
        async with SqliteStore(db, cipher=cipher(KEY_B)):
            pass
    with pytest.raises(ConfigError, match="ENCRYPTION_KEY is not set"):
        async with SqliteStore(db):
            pass
    assert file_bytes(db) == before
    async with SqliteStore(db, cipher=cipher(KEY_A)) as store:  # the right key still works
        assert await store.load(UserKey("telegram", "1")) is not None


async def test_a_key_set_on_plain_data_encrypts_it_at_start(
    tmp_path: Path, script: Script, clock: Clock
) -> None:
    db = tmp_path / "was-plain.db"
    await reflect_with_canaries(db, script, clock, None)
    assert canaries_in(db)
    async with SqliteStore(db, cipher=cipher(KEY_A)) as store:
        [item] = (await store.history(UserKey("telegram", "1"))).items
        assert item.answers["closure"] == CANARY_CLOSURE
    assert canaries_in(db) == []  # and no plain copy left in free pages or the WAL


# --------------------------------------------------------------------------------------------
# Rotation


async def test_rotation_moves_everything_to_the_new_key(
    tmp_path: Path, script: Script, clock: Clock
) -> None:
    db = tmp_path / "on.db"
    await reflect_with_canaries(db, script, clock, KEY_A)
    count = rotate_file(db, cipher(KEY_A), cipher(KEY_B))
    assert count == sealed_values(db) > 6  # the state, every answer's value, the reminder
    assert canaries_in(db) == []
    with pytest.raises(ConfigError):
        async with SqliteStore(db, cipher=cipher(KEY_A)):
            pass
    async with SqliteStore(db, cipher=cipher(KEY_B)) as store:
        [item] = (await store.history(UserKey("telegram", "1"))).items
        assert item.answers["serving_note"] == CANARY_NOTE
    assert rotate_file(db, cipher(KEY_B), PLAIN) == count  # --decrypt
    assert sorted(canaries_in(db)) == sorted([CANARY_NOTE, CANARY_NAME, CANARY_CLOSURE])
    async with SqliteStore(db) as store:
        assert await store.load(UserKey("telegram", "1")) is not None


async def test_rotation_with_the_wrong_old_key_changes_nothing(
    tmp_path: Path, script: Script, clock: Clock
) -> None:
    db = tmp_path / "on.db"
    await reflect_with_canaries(db, script, clock, KEY_A)
    with pytest.raises(ConfigError, match="not the key"):
        rotate_file(db, cipher(KEY_B), cipher(new_key()))
    plain = tmp_path / "plain.db"
    await reflect_with_canaries(plain, script, clock, None)
    with pytest.raises(ConfigError, match="not encrypted yet"):
        rotate_file(plain, cipher(KEY_A), cipher(KEY_B))
    async with SqliteStore(db, cipher=cipher(KEY_A)) as store:
        assert await store.load(UserKey("telegram", "1")) is not None
    with pytest.raises(StoreUnavailable, match="no database"):
        rotate_file(tmp_path / "missing.db", PLAIN, cipher(KEY_A))


async def test_a_process_still_running_after_rotation_refuses_to_write(
    tmp_path: Path, script: Script, clock: Clock
) -> None:
    db = tmp_path / "on.db"
    key = UserKey("telegram", "1")
    async with SqliteStore(db, clock=clock, cipher=cipher(KEY_A)) as store:
        version = await store.save(key, TurnWrite(State(node="x")), expected_version=0)
        rotate_file(db, cipher(KEY_A), cipher(KEY_B))
        with pytest.raises(StoreUnavailable, match="changed while this process ran"):
            await store.save(key, TurnWrite(State(node="y")), expected_version=version)
    async with SqliteStore(db, cipher=cipher(KEY_B)) as store:
        saved = await store.load(key)
        assert saved is not None and saved.state.node == "x"
