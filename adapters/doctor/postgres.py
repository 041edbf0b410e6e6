"""The doctor's checks of a PostgreSQL ``DATABASE_URL``: the server answers, the schema as
:mod:`bot.postgres.migrate` reads it, and ``ENCRYPTION_KEY`` against the key check. Read-only:
one connection, nothing written (migrations are ``threshold run``'s)."""

from __future__ import annotations

import asyncio

import psycopg

from adapters.doctor.findings import Finding, note, ok, problem, secret
from bot import crypto
from bot.errors import ConfigError
from bot.migrate import SchemaStatus
from bot.postgres.migrate import schema_status
from bot.postgres.seals import stored_check
from bot.postgres.support import describe, where
from bot.settings import Settings
from bot.sqlite.seals import KeyCheck, key_matches


async def _read(url: str) -> tuple[SchemaStatus, KeyCheck | None]:
    async with await psycopg.AsyncConnection.connect(
        url, autocommit=True, connect_timeout=3
    ) as conn:
        status = await schema_status(conn)
        check = await stored_check(conn) if status.applied and not status.foreign else None
        return status, check


def _state(settings: Settings) -> tuple[SchemaStatus, KeyCheck | None] | str:
    try:
        return asyncio.run(_read(settings.database_url))
    except (psycopg.Error, OSError) as exc:
        return describe(exc)


def check_database(settings: Settings) -> list[Finding]:
    place = where(settings.database_url)
    state = _state(settings)
    if isinstance(state, str):
        return [problem("database", f"{place} does not answer: {state}.")]
    status, _ = state
    if status.foreign:
        return [
            problem(
                "database",
                f"{place} holds tables but no schema_migrations: point DATABASE_URL at a "
                "database (or schema) of Threshold's own.",
            )
        ]
    if status.newer:
        return [
            problem(
                "database",
                f"{place} has schema version {max(status.newer)}, newer than this Threshold "
                f"knows ({status.latest}); upgrade Threshold.",
            )
        ]
    if status.pending:
        return [
            note(
                "database",
                f"{place} answers; {len(status.pending)} schema migration(s) to apply: "
                "`threshold run` applies them at start.",
            )
        ]
    return [ok("database", f"{place} answers and its schema is up to date.")]


def check_encryption(settings: Settings) -> list[Finding]:
    topic = "encryption"
    key = secret(settings.encryption_key)
    state = _state(settings)
    check = None if isinstance(state, str) else state[1]
    if key is None:
        if check is not None:
            return [
                problem(
                    topic,
                    "The database is encrypted, but ENCRYPTION_KEY is not set: Threshold "
                    "would refuse to start.",
                )
            ]
        return [note(topic, "ENCRYPTION_KEY is not set: what people write is stored as typed.")]
    try:
        cipher = crypto.cipher_for(key)
    except ConfigError as exc:
        return [problem(topic, str(exc))]
    if check is not None and not key_matches(check, cipher):
        return [
            problem(
                topic,
                "ENCRYPTION_KEY is not the key this database was encrypted with: Threshold "
                "would refuse to start.",
            )
        ]
    if check is not None:
        return [ok(topic, "ENCRYPTION_KEY is well formed and opens the encrypted database.")]
    return [ok(topic, "ENCRYPTION_KEY is well formed; what people write is encrypted.")]
