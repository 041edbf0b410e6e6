"""Encryption at rest: what people wrote is stored sealed with AES-256-GCM when a key is set.

Sealed columns (everything a person wrote or chose, and whatever holds it) are listed, with how
each row names its owner, in :data:`bot.sqlite.seals.SEALED`: the dialog state, every answer's
text, choice and rating, a scheduled delivery's payload, and an update waiting in the webhook
inbox. Ids and times stay plain: they are what rows are found by.

A sealed value is a BLOB ``0x01 | key id (4 bytes) | nonce (12) | ciphertext+tag``. Its
associated data is the value's :class:`Cell`: table, column, the person it belongs to (platform
and platform id) and the row's own identity (a record and question, a due key), so a value
copied into another column, another row or another person's row fails its integrity check
instead of being read back for the wrong person. Once a database is encrypted a plain value in
a sealed column is refused the same way: it can only have been written by someone without the
key. The threat model is in ``docs/encryption.md``.

Sealing costs a few microseconds a value; the key check, re-sealing and rotation on an open
database are :mod:`bot.sqlite.seals`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.errors import ConfigError, EncryptedDataUnreadable

VERSION = b"\x01"
NONCE_BYTES = 12
KEY_ID_BYTES = 4
HEADER = len(VERSION) + KEY_ID_BYTES + NONCE_BYTES
SCHEME = 2
"""1: the associated data was the column name alone (before rows were bound); 2: a :class:`Cell`."""

KEY_HELP = (
    "it must be 32 random bytes in base64, as printed by `threshold new-key` "
    "(44 characters ending in '=')"
)

RowPart = str | int | None


@dataclass(frozen=True, slots=True)
class Cell:
    """Where a sealed value lives: bound into it as associated data.

    ``owner`` is ``(platform, platform user id)`` of the person the row belongs to (``("", "")``
    for rows of nobody, such as the key check); ``row`` is what tells the row apart among that
    person's rows of the table (a record id and question, a due key)."""

    table: str
    column: str
    owner: tuple[str, str] = ("", "")
    row: tuple[RowPart, ...] = ()

    def associated_data(self) -> bytes:
        parts = ["threshold", SCHEME, self.table, self.column, *self.owner, *self.row]
        return json.dumps(parts, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def __repr__(self) -> str:  # the owner is a platform id: not for logs
        return f"<cell {self.table}.{self.column}>"


PROBE_CELL = Cell("encryption", "probe")
PROBE = "threshold key check"


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
    """AES-256-GCM under one key."""

    enabled = True

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)
        self.key_id = hashlib.sha256(b"threshold-key-id:" + key).digest()[:KEY_ID_BYTES]
        self._prefix = VERSION + self.key_id

    def __repr__(self) -> str:  # never the key
        return f"<Cipher key id {self.key_id.hex()}>"

    def seal(self, text: str, cell: Cell) -> bytes:
        return self._seal(text.encode("utf-8"), cell.associated_data())

    def seal_int(self, number: int, cell: Cell) -> bytes:
        return self.seal(str(number), cell)

    def open(self, value: object, cell: Cell) -> str | None:
        if value is None:
            return None
        if not isinstance(value, bytes):
            raise EncryptedDataUnreadable(
                f"A stored {cell.table}.{cell.column} is not encrypted although the database "
                "is: it was written by someone without the key; nothing was read."
            )
        return self._open(value, cell.associated_data(), cell.column)

    def open_int(self, value: object, cell: Cell) -> int | None:
        text = self.open(value, cell)
        if text is None:
            return None
        try:
            return int(text)
        except ValueError:
            raise EncryptedDataUnreadable(f"A stored {cell.column} is not a number.") from None

    def open_legacy(self, value: object, column: str) -> str | None:
        """A value sealed under scheme 1 (the column name as associated data), or plain as
        scheme 1 allowed: only for re-sealing it (:mod:`bot.sqlite.seals`)."""
        if not isinstance(value, bytes):
            return None if value is None else str(value)
        return self._open(value, column.encode("ascii"), column)

    def _seal(self, data: bytes, associated: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return self._prefix + nonce + self._aead.encrypt(nonce, data, associated)

    def _open(self, value: bytes, associated: bytes, column: str) -> str:
        if value[: len(self._prefix)] != self._prefix:
            raise EncryptedDataUnreadable(
                f"A stored {column} was encrypted under another key (id {value[1:5].hex()}); "
                "was the key rotated while this process ran? Restart with the current "
                "ENCRYPTION_KEY."
            )
        nonce = value[len(self._prefix) : HEADER]
        try:
            plain = self._aead.decrypt(nonce, value[HEADER:], associated)
        except InvalidTag:
            raise EncryptedDataUnreadable(
                f"A stored {column} failed its integrity check: the database file was altered "
                "(a value changed, or moved from another row or person); nothing was read."
            ) from None
        return plain.decode("utf-8")


class Plain:
    """No key: values are stored as they are; a sealed value cannot be read."""

    key_id = None
    enabled = False

    def __repr__(self) -> str:
        return "<Plain>"

    def seal(self, text: str, cell: Cell) -> str:
        return text

    def seal_int(self, number: int, cell: Cell) -> int:
        return number

    def open(self, value: object, cell: Cell) -> str | None:
        if isinstance(value, bytes):
            raise EncryptedDataUnreadable(
                f"A stored {cell.column} is encrypted, and no ENCRYPTION_KEY is set."
            )
        return None if value is None else str(value)

    def open_int(self, value: object, cell: Cell) -> int | None:
        if isinstance(value, bytes):
            self.open(value, cell)
        return value if isinstance(value, int) else None

    def open_legacy(self, value: object, column: str) -> str | None:
        return self.open(value, Cell("", column))


PLAIN = Plain()
Sealer = Cipher | Plain


def cipher_for(key: str | None, setting: str = "ENCRYPTION_KEY") -> Sealer:
    """The cipher for a configured key; :data:`PLAIN` when it is unset or blank."""
    if key is None or not key.strip():
        return PLAIN
    return Cipher(parse_key(key, setting))


__all__ = [
    "PLAIN",
    "PROBE",
    "PROBE_CELL",
    "SCHEME",
    "Cell",
    "Cipher",
    "EncryptedDataUnreadable",
    "Plain",
    "Sealer",
    "cipher_for",
    "new_key",
    "parse_key",
]
