"""Keyed pseudonyms: stable for one installation (its database), different for another, and no
way back to the platform id without the installation's secret."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from bot import pseudonyms
from bot.ports.store import UserKey
from bot.sqlite.store import SqliteStore

KEY = UserKey("telegram", "424242")


async def named_by(db: Path) -> str:
    async with SqliteStore(db):
        return str(KEY)


async def test_one_installation_names_a_person_alike_across_restarts(tmp_path: Path) -> None:
    first = await named_by(tmp_path / "a.db")
    other = await named_by(tmp_path / "b.db")
    again = await named_by(tmp_path / "a.db")
    assert first == again != other
    assert first.startswith("telegram~") and len(first) == len("telegram~") + 12


async def test_the_secret_is_made_once_at_first_start_and_kept_in_the_database(
    tmp_path: Path,
) -> None:
    db = tmp_path / "a.db"
    shown = await named_by(db)
    with sqlite3.connect(db) as conn:
        [(secret,)] = conn.execute("SELECT secret FROM install").fetchall()
    assert len(secret) == 32
    pseudonyms.use_secret(bytes(secret))
    assert str(KEY) == shown


async def test_a_pseudonym_is_not_a_plain_hash_of_the_id(tmp_path: Path) -> None:
    shown = await named_by(tmp_path / "a.db")
    for guess in (b"telegram\x00424242", b"424242", b"telegram:424242"):
        for algorithm in ("sha256", "sha1", "md5", "blake2b"):
            assert hashlib.new(algorithm, guess).hexdigest()[:12] not in shown
