"""Sealed columns of the SQLite file: which they are, the key check, re-sealing and rotation.

:data:`SEALED` lists every sealed column with the query that finds each row's owner and
identity, so the same :class:`~bot.crypto.Cell` is used when a value is written (the ``*_cell``
functions, called by :mod:`bot.sqlite.turns` and the readers) and when everything is re-sealed.

The ``encryption`` table (one row, migration 0003; ``scheme`` from 0004) records the key id, a
sealed probe and the scheme. :func:`check_key` compares them with the configured key when the
store opens and refuses a wrong or missing key with a :class:`ConfigError` before anything is
read or written; a key set on plain data seals it, and data sealed under scheme 1 (before rows
were bound in) is re-sealed under the current scheme, each in one transaction.
:func:`reencrypt` moves every sealed value from one key (or none) to another (or none):
``threshold rotate-key`` uses it. All of this runs on a database thread, never the event loop.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.crypto import PLAIN, PROBE, PROBE_CELL, SCHEME, Cell, Cipher
from bot.crypto import Sealer as Sealer
from bot.errors import ConfigError, EncryptedDataUnreadable, StoreUnavailable
from bot.migrate import migrate
from bot.ports.store import UserKey
from bot.sqlite.support import configure, describe

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# Cells: the identity bound into each sealed value


def _owner(key: UserKey) -> tuple[str, str]:
    return key.platform, key.user_id


def state_cell(key: UserKey) -> Cell:
    return Cell("conversations", "state", _owner(key))


def answer_cell(
    key: UserKey, column: str, record_id: int, question: str, position: int | None
) -> Cell:
    return Cell("answers", column, _owner(key), (record_id, question, position))


def payload_cell(key: UserKey, due_key: str) -> Cell:
    return Cell("due", "payload", _owner(key), (due_key,))


def inbox_cell(platform: str, update_id: int) -> Cell:
    return Cell("inbox", "body", (platform, ""), (update_id,))


@dataclass(frozen=True, slots=True)
class Sealed:
    """One sealed column. ``select`` returns ``(row id, platform, platform user id, *row
    identity, value)`` for every row holding a value; ``number``: an integer column."""

    table: str
    column: str
    select: str
    number: bool = False

    def cell(self, owner: tuple[str, str], row: tuple[object, ...]) -> Cell:
        parts = tuple(p if p is None or isinstance(p, int | str) else str(p) for p in row)
        return Cell(self.table, self.column, owner, parts)


def _answers(column: str, number: bool = False) -> Sealed:
    return Sealed(
        "answers",
        column,
        f"SELECT a.id, u.platform, u.platform_user_id, a.record_id, a.question, a.position,"
        f" a.{column} FROM answers a JOIN records r ON r.id = a.record_id"
        f" JOIN users u ON u.id = r.user_id WHERE a.{column} IS NOT NULL",
        number,
    )


SEALED: tuple[Sealed, ...] = (
    Sealed(
        "conversations",
        "state",
        "SELECT c.user_id, u.platform, u.platform_user_id, c.state"
        " FROM conversations c JOIN users u ON u.id = c.user_id",
    ),
    _answers("value_text"),
    _answers("value_choice"),
    _answers("value_int", number=True),
    Sealed(
        "due",
        "payload",
        "SELECT d.id, u.platform, u.platform_user_id, d.key, d.payload"
        " FROM due d JOIN users u ON u.id = d.user_id",
    ),
    Sealed(
        "inbox",
        "body",
        "SELECT id, platform, '', update_id, body FROM inbox WHERE body IS NOT NULL",
    ),
)
"""Every column that holds what a person wrote or chose."""
ROW_KEYS = {"conversations": "user_id"}
"""The column each table's UPDATE finds its row by (``id`` unless listed)."""


# --------------------------------------------------------------------------------------------
# The key-check row


@dataclass(frozen=True, slots=True)
class KeyCheck:
    key_id: bytes
    probe: bytes
    scheme: int


def stored_check(conn: sqlite3.Connection) -> KeyCheck | None:
    columns = {row[1] for row in conn.execute("PRAGMA table_info(encryption)")}
    if not columns:
        return None
    scheme = "scheme" if "scheme" in columns else "1"
    row = conn.execute(f"SELECT key_id, probe, {scheme} FROM encryption WHERE id = 1").fetchone()
    return None if row is None else KeyCheck(bytes(row[0]), bytes(row[1]), int(row[2]))


def current_key_id(conn: sqlite3.Connection) -> bytes | None:
    """The id of the key the data is sealed under (``None``: plain). One indexed read."""
    row = conn.execute("SELECT key_id FROM encryption WHERE id = 1").fetchone()
    return None if row is None else bytes(row[0])


def ensure_same_key(conn: sqlite3.Connection, cipher: Sealer) -> None:
    """Inside a write transaction: refuse to write if the key was rotated under us."""
    if current_key_id(conn) != cipher.key_id:
        raise EncryptedDataUnreadable(
            "The encryption key of the database changed while this process ran "
            "(threshold rotate-key); nothing was written. Restart with the current ENCRYPTION_KEY."
        )


def key_matches(check: KeyCheck, cipher: Sealer) -> bool:
    """Whether ``cipher`` is the key the data was sealed under (the probe opens)."""
    if not isinstance(cipher, Cipher) or check.key_id != cipher.key_id:
        return False
    try:
        if check.scheme < SCHEME:
            return cipher.open_legacy(check.probe, "probe") == PROBE
        return cipher.open(check.probe, PROBE_CELL) == PROBE
    except EncryptedDataUnreadable:
        return False


def _verify(check: KeyCheck, cipher: Sealer, setting: str) -> None:
    if not isinstance(cipher, Cipher):
        raise ConfigError(
            f"The database is encrypted, but {setting} is not set. Set it to the key the data "
            "was encrypted with."
        )
    if not key_matches(check, cipher):
        raise ConfigError(
            f"{setting} is not the key this database was encrypted with; nothing was read. "
            "Set the key it was encrypted with (see `threshold rotate-key` to change keys)."
        )


def check_key(conn: sqlite3.Connection, cipher: Sealer) -> int:
    """When the store opens: a wrong or missing key for sealed data is a :class:`ConfigError`.

    A key set on a database that holds plain text seals that text now, and data sealed under
    an older scheme is re-sealed under the current one (one transaction each); returns how many
    values were written (to vacuum away the old copies afterwards)."""
    check = stored_check(conn)
    if check is not None:
        _verify(check, cipher, "ENCRYPTION_KEY")
        if check.scheme >= SCHEME:
            return 0
    elif not isinstance(cipher, Cipher):
        return 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        again = stored_check(conn)
        if again != check:  # another process did it first
            conn.execute("ROLLBACK")
            return check_key(conn, cipher)
        count = _rewrite(conn, PLAIN if check is None else cipher, cipher, legacy=check is not None)
        _set_check(conn, cipher)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    if count:
        what = "plain text" if check is None else "sealed without their row"
        logger.warning("sealed %d stored values that were %s", count, what)
    return count


def _set_check(conn: sqlite3.Connection, cipher: Sealer) -> None:
    conn.execute("DELETE FROM encryption")
    if isinstance(cipher, Cipher):
        conn.execute(
            "INSERT INTO encryption (id, key_id, probe, updated_at, scheme) VALUES (1, ?, ?, ?, ?)",
            (
                cipher.key_id,
                cipher.seal(PROBE, PROBE_CELL),
                datetime.now(UTC).isoformat(),
                SCHEME,
            ),
        )


# --------------------------------------------------------------------------------------------
# Re-sealing everything


def _sealed_rows(conn: sqlite3.Connection) -> Iterator[tuple[Sealed, object, Cell, object]]:
    for sealed in SEALED:
        for row_id, platform, pid, *identity, value in conn.execute(sealed.select).fetchall():
            if value is not None:
                yield sealed, row_id, sealed.cell((platform, pid), tuple(identity)), value


def _rewrite(conn: sqlite3.Connection, old: Sealer, new: Sealer, *, legacy: bool = False) -> int:
    """Open every sealed value with ``old`` (``legacy``: under scheme 1) and write it back
    sealed by ``new`` for its cell."""
    count = 0
    for sealed, row_id, cell, value in _sealed_rows(conn):
        stored: object
        if legacy:
            text = old.open_legacy(value, cell.column)
            assert text is not None
            stored = new.seal_int(int(text), cell) if sealed.number else new.seal(text, cell)
        elif sealed.number:
            number = old.open_int(value, cell)
            assert number is not None
            stored = new.seal_int(number, cell)
        else:
            text = old.open(value, cell)
            assert text is not None
            stored = new.seal(text, cell)
        row_key = ROW_KEYS.get(sealed.table, "id")
        conn.execute(
            f"UPDATE {sealed.table} SET {sealed.column} = ? WHERE {row_key} = ?", (stored, row_id)
        )
        count += 1
    return count


def reencrypt(conn: sqlite3.Connection, old: Sealer, new: Sealer) -> int:
    """Move every sealed value from ``old`` to ``new`` (either may be :data:`PLAIN`) in one
    transaction, then vacuum so no copy under the old key (or in plain text) stays in the file
    or its WAL. ``conn`` is in autocommit mode with the schema migrated. Returns the count."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        check = stored_check(conn)
        if check is not None:
            _verify(check, old, "ENCRYPTION_KEY")
        elif isinstance(old, Cipher):
            raise ConfigError(
                "The database is not encrypted yet: leave ENCRYPTION_KEY unset and put the new "
                "key in NEW_ENCRYPTION_KEY."
            )
        legacy = check is not None and check.scheme < SCHEME
        count = _rewrite(conn, old, new, legacy=legacy)
        _set_check(conn, new)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    scrub(conn)
    return count


def rotate_file(path: Path, old: Sealer, new: Sealer, *, busy_timeout: float = 10.0) -> int:
    """``threshold rotate-key``: re-encrypt the database at ``path`` from ``old`` to ``new``.

    Stop every Threshold process on the file first: one still running would go on writing under
    the old key (it notices the change and refuses to write, but its turns fail until it is
    restarted with the new key)."""
    if not path.is_file():
        raise StoreUnavailable(f"There is no database at {path} to re-encrypt.")
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout)
    except sqlite3.Error as exc:
        raise StoreUnavailable(f"Cannot open the database at {path}: {describe(exc)}.") from None
    try:
        configure(conn, int(busy_timeout * 1000))
        migrate(conn)
        return reencrypt(conn, old, new)
    except sqlite3.Error as exc:
        raise StoreUnavailable(
            f"Cannot re-encrypt the database at {path}: {describe(exc)}."
        ) from None
    finally:
        conn.close()


def scrub(conn: sqlite3.Connection) -> None:
    """Rebuild the file and empty the WAL, so freed pages keep no old copy of anything."""
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


__all__ = [
    "SEALED",
    "KeyCheck",
    "answer_cell",
    "check_key",
    "current_key_id",
    "ensure_same_key",
    "inbox_cell",
    "key_matches",
    "payload_cell",
    "reencrypt",
    "rotate_file",
    "scrub",
    "state_cell",
    "stored_check",
]
