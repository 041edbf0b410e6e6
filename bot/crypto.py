"""Encryption at rest: what people wrote is stored sealed with AES-256-GCM when a key is set.

Sealed columns (everything a person wrote, and whatever holds it):

* ``conversations.state`` — the whole dialog state JSON (drafts, names of the people, notes);
* ``answers.value_text`` — every free-text answer of a finished reflection or check-in;
* ``due.payload`` — what a scheduled delivery carries.

Choices (``value_choice``), ratings (``value_int``), times and ids stay plain and queryable.

A sealed value is a BLOB ``0x01 | key id (4 bytes) | nonce (12) | ciphertext+tag``; the column
name is bound in as associated data, so a value cannot be moved to another column unnoticed.
Plain values are TEXT, so a reader always knows which it holds. The ``encryption`` table (one
row) records the key id and a sealed probe: :func:`check_key` compares them with the configured
key when the store opens and refuses a wrong or missing key with a :class:`ConfigError`, before
anything is read or written. :func:`reencrypt` moves every sealed value from one key (or none)
to another (or none) in one transaction: ``threshold rotate-key`` and the first start with a key
on a database that holds plain text both use it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.errors import ConfigError, StoreUnavailable
from bot.migrate import migrate
from bot.sqlite_support import describe

logger = logging.getLogger(__name__)

VERSION = b"\x01"
NONCE_BYTES = 12
KEY_ID_BYTES = 4
HEADER = len(VERSION) + KEY_ID_BYTES + NONCE_BYTES
PROBE = "threshold key check"

SEALED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("conversations", "user_id", "state"),
    ("answers", "id", "value_text"),
    ("due", "id", "payload"),
)
"""``(table, row key, column)`` of every column that holds personal text."""

KEY_HELP = (
    "it must be 32 random bytes in base64, as printed by `threshold new-key` "
    "(44 characters ending in '=')"
)


class EncryptedDataUnreadable(StoreUnavailable):
    """A stored value was sealed under another key (it was rotated while this process ran)."""


def new_key() -> str:
    """A fresh random key, in the form ``ENCRYPTION_KEY`` takes."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def parse_key(text: str, setting: str = "ENCRYPTION_KEY") -> bytes:
    """The 32 key bytes of ``text`` (base64, URL-safe or standard); never echoes the text."""
    raw = text.strip()
    try:
        padded = raw + "=" * (-len(raw) % 4)
        key = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ConfigError(f"{setting} is not usable: {KEY_HELP}.")
    return key


class Cipher:
    """AES-256-GCM under one key. ``seal`` and ``open`` cost a few microseconds each."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)
        self.key_id = hashlib.sha256(b"threshold-key-id:" + key).digest()[:KEY_ID_BYTES]
        self._prefix = VERSION + self.key_id

    def __repr__(self) -> str:  # never the key
        return f"<Cipher key id {self.key_id.hex()}>"

    @property
    def enabled(self) -> bool:
        return True

    def seal(self, text: str, column: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        data = self._aead.encrypt(nonce, text.encode("utf-8"), column.encode("ascii"))
        return self._prefix + nonce + data

    def open(self, value: str | bytes | None, column: str) -> str | None:
        if not isinstance(value, bytes):
            return value  # plain text, or NULL
        if value[: len(self._prefix)] != self._prefix:
            raise EncryptedDataUnreadable(
                f"A stored {column} was encrypted under another key (id {value[1:5].hex()}); "
                "was the key rotated while this process ran? Restart with the current "
                "ENCRYPTION_KEY."
            )
        nonce = value[len(self._prefix) : HEADER]
        try:
            plain = self._aead.decrypt(nonce, value[HEADER:], column.encode("ascii"))
        except InvalidTag:
            raise EncryptedDataUnreadable(
                f"A stored {column} failed its integrity check: the database file was altered."
            ) from None
        return plain.decode("utf-8")


class Plain:
    """No key: values are stored as they are; a sealed value cannot be read."""

    key_id = None
    enabled = False

    def __repr__(self) -> str:
        return "<Plain>"

    def seal(self, text: str, column: str) -> str:
        return text

    def open(self, value: str | bytes | None, column: str) -> str | None:
        if isinstance(value, bytes):
            raise EncryptedDataUnreadable(
                f"A stored {column} is encrypted, and no ENCRYPTION_KEY is set."
            )
        return value


PLAIN = Plain()
Sealer = Cipher | Plain


def cipher_for(key: str | None, setting: str = "ENCRYPTION_KEY") -> Sealer:
    """The cipher for a configured key; :data:`PLAIN` when it is unset or blank."""
    if key is None or not key.strip():
        return PLAIN
    return Cipher(parse_key(key, setting))


# ---------------------------------------------------------------------------------------------
# The key-check row (migration 0003_encryption), on the store's database thread.


@dataclass(frozen=True, slots=True)
class KeyCheck:
    key_id: bytes
    probe: bytes


def stored_check(conn: sqlite3.Connection) -> KeyCheck | None:
    row = conn.execute("SELECT key_id, probe FROM encryption WHERE id = 1").fetchone()
    return None if row is None else KeyCheck(bytes(row[0]), bytes(row[1]))


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


def _verify(check: KeyCheck, cipher: Sealer, setting: str) -> None:
    if not isinstance(cipher, Cipher):
        raise ConfigError(
            f"The database is encrypted, but {setting} is not set. Set it to the key the data "
            "was encrypted with."
        )
    try:
        ok = check.key_id == cipher.key_id and cipher.open(check.probe, "probe") == PROBE
    except EncryptedDataUnreadable:
        ok = False
    if not ok:
        raise ConfigError(
            f"{setting} is not the key this database was encrypted with; nothing was read. "
            "Set the key it was encrypted with (see `threshold rotate-key` to change keys)."
        )


def check_key(conn: sqlite3.Connection, cipher: Sealer) -> int:
    """When the store opens: a wrong or missing key for sealed data is a :class:`ConfigError`.

    A key set on a database that holds plain text seals that text now (one transaction);
    returns how many values were sealed (to vacuum away the plain copies afterwards).
    """
    check = stored_check(conn)
    if check is not None:
        _verify(check, cipher, "ENCRYPTION_KEY")
        return 0
    if not isinstance(cipher, Cipher):
        return 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        if stored_check(conn) is not None:  # another process did it first
            conn.execute("ROLLBACK")
            return check_key(conn, cipher)
        count = _rewrite(conn, PLAIN, cipher)
        _set_check(conn, cipher)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    if count:
        logger.warning("encrypted %d stored values that were plain text", count)
    return count


def _set_check(conn: sqlite3.Connection, cipher: Sealer) -> None:
    conn.execute("DELETE FROM encryption")
    if isinstance(cipher, Cipher):
        conn.execute(
            "INSERT INTO encryption (id, key_id, probe, updated_at) VALUES (1, ?, ?, ?)",
            (cipher.key_id, cipher.seal(PROBE, "probe"), datetime.now(UTC).isoformat()),
        )


def _sealed_rows(conn: sqlite3.Connection) -> Iterator[tuple[str, str, str, object, object]]:
    for table, row_key, column in SEALED_COLUMNS:
        rows = conn.execute(
            f"SELECT {row_key}, {column} FROM {table} WHERE {column} IS NOT NULL"
        ).fetchall()
        for row_id, value in rows:
            yield table, row_key, column, row_id, value


def _rewrite(conn: sqlite3.Connection, old: Sealer, new: Sealer) -> int:
    count = 0
    for table, row_key, column, row_id, value in _sealed_rows(conn):
        text = old.open(value if isinstance(value, bytes | str) else str(value), column)
        assert text is not None
        conn.execute(
            f"UPDATE {table} SET {column} = ? WHERE {row_key} = ?",
            (new.seal(text, column), row_id),
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
        count = _rewrite(conn, old, new)
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
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA secure_delete = FAST")
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
    "PLAIN",
    "SEALED_COLUMNS",
    "Cipher",
    "EncryptedDataUnreadable",
    "Plain",
    "Sealer",
    "check_key",
    "cipher_for",
    "ensure_same_key",
    "new_key",
    "parse_key",
    "reencrypt",
    "rotate_file",
    "scrub",
]
