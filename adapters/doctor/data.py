"""The doctor's checks of the data: the database file (reachable, writable, private, its schema
as :mod:`bot.migrate` reads it), the time zone database, and ``ENCRYPTION_KEY`` against the
database's key check. Nothing is changed: the files are opened read-only, or writes rolled back."""

from __future__ import annotations

import os
import sqlite3
import stat
import zoneinfo
from pathlib import Path

from adapters.doctor.findings import Finding, note, ok, problem, secret
from bot import crypto
from bot.errors import ConfigError, MigrationError
from bot.migrate import schema_status
from bot.settings import Settings
from bot.sqlite.seals import KeyCheck, key_matches, stored_check
from bot.sqlite.support import describe

SAMPLE_ZONES = ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe")


def check_database(settings: Settings) -> list[Finding]:
    """The SQLite file: reachable, writable and migrated (or creatable, if it is not there)."""
    if settings.uses_postgres:
        from adapters.doctor import postgres

        return postgres.check_database(settings)
    path = settings.sqlite_path
    topic = "database"
    if path.is_dir():
        return [problem(topic, f"{path} is a folder, not a database file; fix DATABASE_URL.")]
    if not path.exists():
        return [_creatable(path)]
    try:
        db = sqlite3.connect(path.resolve().as_uri() + "?mode=rw", uri=True, timeout=2.0)
    except sqlite3.Error as exc:
        return [problem(topic, f"{path} cannot be opened: {describe(exc)}.")]
    try:
        return _inspect(db, path)
    except sqlite3.Error as exc:
        return [problem(topic, f"{path} cannot be used: {describe(exc)}.")]
    finally:
        db.close()


def _creatable(path: Path) -> Finding:
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return problem("database", f"{path} cannot be created: {folder} is a file, not a folder.")
    if not os.access(folder, os.W_OK | os.X_OK):
        return problem("database", f"{path} cannot be created: {folder} is not writable.")
    return note(
        "database",
        f"{path} does not exist yet; it is created, with its schema, at the first start.",
    )


def _inspect(db: sqlite3.Connection, path: Path) -> list[Finding]:
    topic = "database"
    try:
        status = schema_status(db)
    except MigrationError as exc:
        return [problem(topic, str(exc))]
    if status.foreign:
        return [
            problem(
                topic,
                f"{path} holds tables but no schema_migrations: it was not made "
                f"by Threshold; point DATABASE_URL at Threshold's own file.",
            )
        ]
    if status.newer:
        return [
            problem(
                topic,
                f"{path} has schema version {max(status.newer)}, newer than this "
                f"Threshold knows ({status.latest}); upgrade Threshold.",
            )
        ]
    db.execute("BEGIN IMMEDIATE")  # can it be written? (takes the write lock, changes nothing)
    db.execute("ROLLBACK")
    exposed = _exposed(path)
    if exposed:
        return [problem(topic, exposed)]
    if status.pending:
        pending = ", ".join(f"{m.version:04d}_{m.name}" for m in status.pending)
        return [
            note(
                topic,
                f"{path} answers and is writable; {len(status.pending)} schema migration(s) "
                f"to apply ({pending}): `threshold run` applies them at start, each in one "
                "transaction.",
            )
        ]
    return [
        ok(
            topic,
            f"{path} answers, is writable, and its schema is up to date (version {status.latest}).",
        )
    ]


def _exposed(path: Path) -> str | None:
    """What is wrong with who may read the database file, or ``None``."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & 0o077:
        return None
    return (
        f"{path} can be read by other accounts on this machine (mode {mode:04o}); "
        f"make it private with `chmod 600 {path}` (Threshold creates it 0600)."
    )


def check_time_zones(settings: Settings) -> list[Finding]:
    """The IANA time zone database that mantra times are computed in."""
    names = zoneinfo.available_timezones()
    missing = [name for name in SAMPLE_ZONES if not _zone_loads(name)]
    if not names or missing:
        return [
            problem(
                "time zones",
                "No time zone data found: install the system's tzdata "
                "package (apt-get install tzdata) or `pip install tzdata`; "
                "mantras are timed in each person's own zone.",
            )
        ]
    return [ok("time zones", f"{len(names)} time zones available.")]


def _zone_loads(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def check_encryption(settings: Settings) -> list[Finding]:
    """``ENCRYPTION_KEY``: absent (answers stored as typed), or a well-formed key; whether it is
    the key the database was sealed with is checked when ``threshold run`` opens it."""
    if settings.uses_postgres:
        from adapters.doctor import postgres

        return postgres.check_encryption(settings)
    topic = "encryption"
    key = secret(settings.encryption_key)
    check = _key_check(settings.sqlite_path)
    if key is None:
        if check is not None:
            return [
                problem(
                    topic,
                    "The database is encrypted, but ENCRYPTION_KEY is not set: Threshold "
                    "would refuse to start. Set it to the key the data was encrypted with.",
                )
            ]
        return [
            note(
                topic,
                "ENCRYPTION_KEY is not set: what people write is stored as typed "
                "(the database file is as private as its folder).",
            )
        ]
    try:
        cipher = crypto.cipher_for(key)
    except ConfigError as exc:
        return [problem(topic, str(exc))]
    if check is not None and not key_matches(check, cipher):
        return [
            problem(
                topic,
                "ENCRYPTION_KEY is not the key this database was encrypted with: Threshold "
                "would refuse to start. Set the key it was encrypted with.",
            )
        ]
    if check is not None:
        return [ok(topic, "ENCRYPTION_KEY is well formed and opens the encrypted database.")]
    when = "at the next start" if settings.sqlite_path.is_file() else "as it is written"
    return [ok(topic, f"ENCRYPTION_KEY is well formed; what people write is encrypted {when}.")]


def _key_check(path: Path) -> KeyCheck | None:
    """The database's key check, read without changing anything (``None``: none, or no file)."""
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=2.0)
    except sqlite3.Error:
        return None
    try:
        return stored_check(db)
    except sqlite3.Error:
        return None
    finally:
        db.close()
