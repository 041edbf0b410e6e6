"""Keyed pseudonyms: how log lines (and the terminal's file names) name a person.

A log line never carries a platform id (``telegram:12345``): it names the person
``telegram~3f9a1c0d2e4b``, the first 12 hex digits of HMAC-SHA256 of the platform and the id
under a secret of this installation. The same person always gets the same pseudonym, so their
lines can be followed; without the secret the id cannot be recovered, not even by trying every
possible Telegram id.

The secret is a random 32-byte value made when the database is created (the ``install`` table,
migration 0004), so every process on one database names people alike and nothing needs to be
configured; :class:`bot.sqlite.store.SqliteStore` installs it with :func:`use_secret` when it
opens. Until then (a tool, a test, the in-memory store) a random secret of this process is used.
Whoever holds the database holds the ids themselves, so the secret need not be hidden from them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["HEX_DIGITS", "pseudonym", "use_secret"]

HEX_DIGITS = 12
"""48 bits: a collision between two people in one log is a one-in-a-billion event."""

_secret: bytes | None = None


def use_secret(secret: bytes) -> None:
    """Name people under ``secret`` from now on (the installation's, read from the database)."""
    global _secret
    if len(secret) < 16:
        raise ValueError("a pseudonym secret needs at least 16 random bytes")
    _secret = bytes(secret)


def _key() -> bytes:
    global _secret
    if _secret is None:
        _secret = secrets.token_bytes(32)
    return _secret


def digest(platform: str, raw_id: object) -> str:
    """The hex part of the pseudonym of ``raw_id`` on ``platform``."""
    message = f"{platform}\x00{raw_id}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()[:HEX_DIGITS]


def pseudonym(platform: str, raw_id: object) -> str:
    """``telegram~3f9a1c0d2e4b``: a person, or a chat (on Telegram a private chat's id is the
    person's), as log lines name them."""
    return f"{platform}~{digest(platform, raw_id)}"
