"""The reads behind :class:`bot.sqlite_store.SqliteStore`: history, export, mantra schedule.

Plain functions on a ``sqlite3.Connection``, run on the store's database thread.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from bot.sqlite_ops import find_user
from bot.store import (
    AnswerRow,
    HistoryPage,
    MantraSubscription,
    RecordSummary,
    UserKey,
    answer_json,
    answers_from_rows,
    from_db_time,
    mantras_json,
    page_count,
)
from dialogs.model import JSON


def mantras(conn: sqlite3.Connection, key: UserKey) -> MantraSubscription | None:
    row = conn.execute(
        "SELECT m.enabled, m.time, m.tz, m.days, m.next_due_utc, m.rotation"
        " FROM mantra_subscriptions m JOIN users u ON u.id = m.user_id"
        " WHERE u.platform = ? AND u.platform_user_id = ?",
        (key.platform, key.user_id),
    ).fetchone()
    if row is None:
        return None
    return MantraSubscription(
        enabled=bool(row[0]),
        time=row[1],
        tz=row[2],
        days=row[3],
        next_due=None if row[4] is None else from_db_time(row[4]),
        rotation=tuple(json.loads(row[5])),
    )


def history(conn: sqlite3.Connection, key: UserKey, page: int, per_page: int) -> HistoryPage:
    user_id = find_user(conn, key)
    if user_id is None:
        return HistoryPage(items=(), page=page, pages=1)
    total = conn.execute("SELECT count(*) FROM records WHERE user_id = ?", (user_id,)).fetchone()
    rows = conn.execute(
        "SELECT id, kind, person_id, started_at, finished_at FROM records WHERE user_id = ?"
        " ORDER BY finished_at DESC, id DESC LIMIT ? OFFSET ?",
        (user_id, per_page, page * per_page),
    ).fetchall()
    answers = _answers(conn, [r[0] for r in rows])
    items = tuple(
        RecordSummary(
            id=r[0],
            kind=r[1],
            person_id=r[2],
            started_at=from_db_time(r[3]),
            finished_at=from_db_time(r[4]),
            answers=answers_from_rows(answers.get(r[0], [])),
        )
        for r in rows
    )
    return HistoryPage(items=items, page=page, pages=page_count(int(total[0]), per_page))


def _answers(conn: sqlite3.Connection, record_ids: list[int]) -> dict[int, list[AnswerRow]]:
    found: dict[int, list[AnswerRow]] = {}
    if not record_ids:
        return found
    for r in conn.execute(
        "SELECT record_id, question, position, value_text, value_choice, value_int FROM answers"
        f" WHERE record_id IN ({','.join('?' * len(record_ids))}) ORDER BY id",
        record_ids,
    ):
        found.setdefault(r[0], []).append(AnswerRow(r[1], r[3], r[4], r[5], r[2]))
    return found


def export(conn: sqlite3.Connection, key: UserKey) -> dict[str, JSON]:
    """Every row about the person. The shape is the contract of ``Store.export``."""
    conn.execute("BEGIN")
    try:
        return _export(conn, key)
    finally:
        conn.execute("COMMIT")


def _export(conn: sqlite3.Connection, key: UserKey) -> dict[str, JSON]:
    doc: dict[str, Any] = {
        "user": None,
        "conversation": None,
        "records": [],
        "mantras": None,
        "due": [],
        "delivery_log": [],
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
            "state": json.loads(conv[0]),
            "version": conv[1],
            "updated_at": conv[2],
        }
    records = conn.execute(
        "SELECT id, kind, person_id, started_at, finished_at FROM records WHERE user_id = ?"
        " ORDER BY finished_at, id",
        (uid,),
    ).fetchall()
    answers = _answers(conn, [r[0] for r in records])
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
            "payload": json.loads(r[5]),
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
        {"kind": r[0], "at": r[1], "outcome": r[2]}
        for r in conn.execute(
            "SELECT kind, at, outcome FROM delivery_log WHERE user_id = ? ORDER BY at, id", (uid,)
        )
    ]
    return doc


def _addr_json(platform: str | None, chat_id: str | None) -> JSON:
    return None if platform is None else {"platform": platform, "chat_id": chat_id}
