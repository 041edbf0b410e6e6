"""``threshold new-key`` and ``threshold rotate-key``, and a wrong key at start, in-process."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from adapters.cli import main
from bot.crypto import Cipher, cipher_for, new_key, parse_key
from bot.ports.store import TurnWrite, UserKey
from bot.sqlite.store import SqliteStore
from dialogs.model import State

KEY = UserKey("console", "tester")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory without .env or tokens, and a database under ``tmp_path``."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_TOKEN", "DISCORD_TOKEN", "LOG_LEVEL", "NEW_ENCRYPTION_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ENCRYPTION_KEY", raising=False)
    database = tmp_path / "data" / "threshold.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    return database


def sealed(key: str) -> Cipher:
    found = cipher_for(key)
    assert isinstance(found, Cipher)
    return found


async def stored_under(database: Path, key: str | None) -> None:
    async with SqliteStore(database, cipher=cipher_for(key)) as store:
        await store.save(KEY, TurnWrite(State(data={"name": "Sam"})), expected_version=0)


async def name_under(database: Path, key: str | None) -> object:
    async with SqliteStore(database, cipher=cipher_for(key)) as store:
        saved = await store.load(KEY)
        assert saved is not None
        return saved.state.data["name"]


def test_new_key_prints_a_usable_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new-key"]) == 0
    printed = capsys.readouterr().out.strip()
    assert len(parse_key(printed)) == 32
    assert main(["new-key"]) == 0
    assert capsys.readouterr().out.strip() != printed


async def test_rotate_key_moves_the_database_to_the_new_key(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = new_key(), new_key()
    await stored_under(database, old)
    monkeypatch.setenv("ENCRYPTION_KEY", old)
    monkeypatch.setenv("NEW_ENCRYPTION_KEY", new)
    assert main(["rotate-key"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("Re-encrypted 1 stored values") and "set ENCRYPTION_KEY" in out.out
    assert old not in out.out + out.err and new not in out.out + out.err
    assert await name_under(database, new) == "Sam"


async def test_rotate_key_can_encrypt_plain_data_and_decrypt_it_again(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = new_key()
    await stored_under(database, None)
    monkeypatch.setenv("NEW_ENCRYPTION_KEY", key)
    assert main(["rotate-key"]) == 0
    assert await name_under(database, key) == "Sam"
    monkeypatch.delenv("NEW_ENCRYPTION_KEY")
    monkeypatch.setenv("ENCRYPTION_KEY", key)
    assert main(["rotate-key", "--decrypt"]) == 0
    assert "Decrypted 1 stored values" in capsys.readouterr().out
    assert await name_under(database, None) == "Sam"


@pytest.mark.parametrize(
    ("env", "args", "says"),
    [
        ({}, ["rotate-key"], "Set NEW_ENCRYPTION_KEY"),
        ({"NEW_ENCRYPTION_KEY": "K"}, ["rotate-key", "--decrypt"], "unset NEW_ENCRYPTION_KEY"),
        ({"NEW_ENCRYPTION_KEY": "not a key"}, ["rotate-key"], "NEW_ENCRYPTION_KEY is not usable"),
        ({"ENCRYPTION_KEY": "K", "NEW_ENCRYPTION_KEY": "K"}, ["rotate-key"], "the same"),
        ({"ENCRYPTION_KEY": "W", "NEW_ENCRYPTION_KEY": "N"}, ["rotate-key"], "not the key"),
        ({"ENCRYPTION_KEY": "W"}, ["chat"], "not the key this database was encrypted with"),
        ({}, ["chat"], "ENCRYPTION_KEY is not set"),
    ],
)
def test_a_key_that_does_not_fit_is_one_line_and_exit_1(
    database: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    args: list[str],
    says: str,
) -> None:
    keys = {"K": new_key(), "W": new_key(), "N": new_key()}
    asyncio.run(stored_under(database, new_key()))
    for name, value in env.items():
        monkeypatch.setenv(name, keys.get(value, value))
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("threshold: ") and len(err.splitlines()) == 1, err
    assert says in err
    assert not any(key in err for key in keys.values())


async def test_rotate_key_on_postgresql_moves_every_sealed_value_and_back_to_plain(
    database: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime

    from bot.errors import ConfigError
    from bot.ports.store import AnswerRow, Due, FinishedRecord
    from bot.postgres.store import PostgresStore

    old, new = new_key(), new_key()
    at = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    answers = (AnswerRow("name", value_text="Sam"), AnswerRow("reciprocity", value_int=2))
    turn = TurnWrite(
        State(data={"name": "Sam"}),
        finished=(FinishedRecord("reflection", "p1", at, at, answers),),
        schedule=(Due("checkin:p1", "checkin_reminder", at, {"person_id": "p1"}),),
    )
    async with PostgresStore(pg_url, cipher=cipher_for(old)) as store:
        await store.save(KEY, turn, expected_version=0)
        await store.inbox_put("telegram", 9, b'{"update_id": 9}')
        before = await store.export(KEY)
    monkeypatch.setenv("DATABASE_URL", pg_url)
    monkeypatch.setenv("ENCRYPTION_KEY", old)
    monkeypatch.setenv("NEW_ENCRYPTION_KEY", new)
    assert await asyncio.to_thread(main, ["rotate-key"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Re-encrypted 5 stored values in postgresql://127.0.0.1:5432/test")
    with pytest.raises(ConfigError, match="not the key"):
        await PostgresStore(pg_url, cipher=cipher_for(old)).open()
    async with PostgresStore(pg_url, cipher=cipher_for(new)) as store:
        assert await store.export(KEY) == before
    monkeypatch.delenv("NEW_ENCRYPTION_KEY")
    monkeypatch.setenv("ENCRYPTION_KEY", new)
    assert await asyncio.to_thread(main, ["rotate-key", "--decrypt"]) == 0
    async with PostgresStore(pg_url) as store:
        assert await store.export(KEY) == before
        assert [i.update_id for i in await store.inbox_pending("telegram", 5)] == [9]
