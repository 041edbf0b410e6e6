"""``/export`` from PostgreSQL: the document :mod:`bot.sqlite.export` makes from the file,
read in one REPEATABLE READ transaction (a consistent snapshot), sealed text opened.

Tables are listed as in SQLite (:data:`bot.sqlite.export.SHAPED` and ``NOT_PERSONAL``); any other
table of the schema with a ``user_id`` column is exported row by row under ``"tables"``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import psycopg
from psycopg import sql

from bot.crypto import PLAIN, Sealer
from bot.ports.store import UserKey, answer_json, mantras_json
from bot.postgres.reads import answer_rows, mantras
from bot.postgres.support import joined
from bot.sqlite.export import SHAPED, SKIPPED_COLUMNS
from bot.sqlite.seals import payload_cell, state_cell
from dialogs.model import JSON

Conn = psycopg.AsyncConnection[Any]
BOOKKEEPING = frozenset({"owner", "lease_until"})
"""Which process holds a delivery: nothing about the person."""


async def export_user(conn: Conn, key: UserKey, cipher: Sealer = PLAIN) -> dict[str, JSON]:
    async with conn.transaction():
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return await _export(conn, key, cipher)


async def user_tables(conn: Conn) -> list[str]:
    cur = await conn.execute(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND column_name = 'user_id' ORDER BY table_name"
    )
    return [str(r[0]) for r in await cur.fetchall()]


async def _export(conn: Conn, key: UserKey, cipher: Sealer) -> dict[str, JSON]:
    doc: dict[str, Any] = {
        "user": None,
        "conversation": None,
        "records": [],
        "mantras": None,
        "due": [],
        "delivery_log": [],
        "tables": {},
    }
    cur = await conn.execute(
        "SELECT id, address_platform, address_chat_id, unreachable, created_at FROM users"
        " WHERE platform = %s AND platform_user_id = %s",
        (key.platform, key.user_id),
    )
    user = await cur.fetchone()
    if user is None:
        return doc
    uid = user[0]
    doc["user"] = {
        "platform": key.platform,
        "user_id": key.user_id,
        "address": _addr_json(user[1], user[2]),
        "unreachable": bool(user[3]),
        "created_at": user[4],
    }
    cur = await conn.execute(
        "SELECT state, state_sealed, version, updated_at FROM conversations WHERE user_id = %s",
        (uid,),
    )
    conv = await cur.fetchone()
    if conv is not None:
        doc["conversation"] = {
            "state": json.loads(cipher.open(joined(conv[0], conv[1]), state_cell(key)) or "{}"),
            "version": conv[2],
            "updated_at": conv[3],
        }
    cur = await conn.execute(
        "SELECT id, kind, person_id, started_at, finished_at FROM records WHERE user_id = %s"
        " ORDER BY finished_at, id",
        (uid,),
    )
    records = await cur.fetchall()
    answers = await answer_rows(conn, key, [int(r[0]) for r in records], cipher)
    doc["records"] = [
        {
            "kind": r[1],
            "person_id": r[2],
            "started_at": r[3],
            "finished_at": r[4],
            "answers": [answer_json(a) for a in answers.get(int(r[0]), [])],
        }
        for r in records
    ]
    sub = await mantras(conn, key)
    if sub is not None:
        doc["mantras"] = mantras_json(sub)
    cur = await conn.execute(
        "SELECT key, kind, due_at_utc, address_platform, address_chat_id, payload,"
        " payload_sealed, created_at, claimed_at, done_at FROM due WHERE user_id = %s"
        " ORDER BY due_at_utc, id",
        (uid,),
    )
    doc["due"] = [
        {
            "key": r[0],
            "kind": r[1],
            "due_at": r[2],
            "address": _addr_json(r[3], r[4]),
            "payload": json.loads(cipher.open(joined(r[5], r[6]), payload_cell(key, r[0])) or "{}"),
            "created_at": r[7],
            "claimed_at": r[8],
            "done_at": r[9],
        }
        for r in await cur.fetchall()
    ]
    cur = await conn.execute(
        "SELECT kind, at, outcome, due_at_utc, address_platform, address_chat_id"
        " FROM delivery_log WHERE user_id = %s ORDER BY at, id",
        (uid,),
    )
    doc["delivery_log"] = [
        {
            "kind": r[0],
            "at": r[1],
            "outcome": r[2],
            "due_at": r[3],
            "address": None if r[4] is None else {"platform": r[4], "chat_id": r[5]},
        }
        for r in await cur.fetchall()
    ]
    for table in await user_tables(conn):
        if table not in SHAPED:
            doc["tables"][table] = await _rows(conn, table, uid)
    return doc


async def _rows(conn: Conn, table: str, uid: int) -> list[JSON]:
    cur = await conn.execute(
        sql.SQL("SELECT * FROM {} WHERE user_id = %s ORDER BY 1").format(sql.Identifier(table)),
        (uid,),
    )
    names = [d.name for d in cur.description or []]
    skipped = SKIPPED_COLUMNS | BOOKKEEPING
    return [
        {name: _value(v) for name, v in zip(names, row, strict=True) if name not in skipped}
        for row in await cur.fetchall()
    ]


def _value(value: object) -> JSON:
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if value is None or isinstance(value, int | float | str):
        return value
    return str(value)


def _addr_json(platform: str | None, chat_id: str | None) -> JSON:
    return None if platform is None else {"platform": platform, "chat_id": chat_id}
