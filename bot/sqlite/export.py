"""``/export``: every row the bot holds about one person, as one JSON document.

The shape is versioned (``"format": "threshold.export/1"``), described in ``docs/export.md`` and
checked by ``docs/export.schema.json`` in the tests. Sealed text (:mod:`bot.crypto`) is opened:
the export is for the person, so it holds what they wrote, readable.

Tables with a shaped section are listed in :data:`SHAPED`. Any *other* table that has a
``user_id`` column (one a later migration adds, such as a scheduler's) is exported too, row by
row, under ``"tables"``, so nothing about a person is ever left out of their export; give it a
shaped section when its shape is settled. Tables that hold nothing about anyone are listed in
:data:`NOT_PERSONAL`; a test fails for a table in none of these.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from typing import Any

from bot.crypto import PLAIN, Sealer
from bot.ports.store import UserKey, answer_json, mantras_json
from bot.sqlite.reads import answer_rows, mantras
from bot.sqlite.seals import payload_cell, state_cell
from dialogs.model import JSON

SHAPED = frozenset(
    {"users", "conversations", "records", "answers", "mantra_subscriptions", "due", "delivery_log"}
)
"""Tables exported in a section of their own (``answers`` inside ``records``)."""
NOT_PERSONAL = frozenset({"schema_migrations", "encryption", "install", "inbox"})
"""Tables with nothing about any person: the schema log, the key check, the install's secret, and
the webhook inbox (updates not yet applied; emptied once they are)."""
SKIPPED_COLUMNS = frozenset({"id", "user_id"})
"""Internal row ids: they mean nothing outside this database."""


def export_user(conn: sqlite3.Connection, key: UserKey, cipher: Sealer = PLAIN) -> dict[str, JSON]:
    """Every row about the person, read in one transaction (a consistent snapshot)."""
    conn.execute("BEGIN")
    try:
        return _export(conn, key, cipher)
    finally:
        conn.execute("COMMIT")


def user_tables(conn: sqlite3.Connection) -> list[str]:
    """Every table with a ``user_id`` column, in name order."""
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
    ]
    return [name for name in names if "user_id" in _columns(conn, name)]


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]


def _export(conn: sqlite3.Connection, key: UserKey, cipher: Sealer) -> dict[str, JSON]:
    doc: dict[str, Any] = {
        "user": None,
        "conversation": None,
        "records": [],
        "mantras": None,
        "due": [],
        "delivery_log": [],
        "tables": {},
    }
    user = conn.execute(
        "SELECT id, address_platform, address_chat_id, unreachable, created_at FROM users"
        " WHERE platform = ? AND platform_user_id = ?",
        (key.platform, key.user_id),
    ).fetchone()
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
    conv = conn.execute(
        "SELECT state, version, updated_at FROM conversations WHERE user_id = ?", (uid,)
    ).fetchone()
    if conv is not None:
        doc["conversation"] = {
            "state": json.loads(cipher.open(conv[0], state_cell(key)) or "{}"),
            "version": conv[1],
            "updated_at": conv[2],
        }
    records = conn.execute(
        "SELECT id, kind, person_id, started_at, finished_at FROM records WHERE user_id = ?"
        " ORDER BY finished_at, id",
        (uid,),
    ).fetchall()
    answers = answer_rows(conn, key, [r[0] for r in records], cipher)
    doc["records"] = [
        {
            "kind": r[1],
            "person_id": r[2],
            "started_at": r[3],
            "finished_at": r[4],
            "answers": [answer_json(a) for a in answers.get(r[0], [])],
        }
        for r in records
    ]
    sub = mantras(conn, key)
    if sub is not None:
        doc["mantras"] = mantras_json(sub)
    doc["due"] = [
        {
            "key": r[0],
            "kind": r[1],
            "due_at": r[2],
            "address": _addr_json(r[3], r[4]),
            "payload": json.loads(cipher.open(r[5], payload_cell(key, r[0])) or "{}"),
            "created_at": r[6],
            "claimed_at": r[7],
            "done_at": r[8],
        }
        for r in conn.execute(
            "SELECT key, kind, due_at_utc, address_platform, address_chat_id, payload,"
            " created_at, claimed_at, done_at FROM due WHERE user_id = ? ORDER BY due_at_utc, id",
            (uid,),
        )
    ]
    doc["delivery_log"] = [
        {
            "kind": r[0],
            "at": r[1],
            "outcome": r[2],
            "due_at": r[3],
            "address": None if r[4] is None else {"platform": r[4], "chat_id": r[5]},
        }
        for r in conn.execute(
            "SELECT kind, at, outcome, due_at_utc, address_platform, address_chat_id"
            " FROM delivery_log WHERE user_id = ? ORDER BY at, id",
            (uid,),
        )
    ]
    for table in user_tables(conn):
        if table not in SHAPED:
            doc["tables"][table] = _rows(conn, table, uid)
    return doc


def _rows(conn: sqlite3.Connection, table: str, uid: int) -> list[JSON]:
    cursor = conn.execute(f'SELECT * FROM "{table}" WHERE user_id = ? ORDER BY rowid', (uid,))
    names = [d[0] for d in cursor.description]
    return [
        {
            name: _value(value)
            for name, value in zip(names, row, strict=True)
            if name not in SKIPPED_COLUMNS
        }
        for row in cursor
    ]


def _value(value: object) -> JSON:
    """A column of a table without a shaped section: a BLOB (sealed or not) as base64."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if value is None or isinstance(value, int | float | str):
        return value
    return str(value)


def _addr_json(platform: str | None, chat_id: str | None) -> JSON:
    return None if platform is None else {"platform": platform, "chat_id": chat_id}
