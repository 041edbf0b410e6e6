"""The reads behind :class:`bot.sqlite.store.SqliteStore`: history and the mantra schedule.

Plain functions on a ``sqlite3.Connection``, run on the store's database thread. The export
is :mod:`bot.sqlite.export`.
"""

from __future__ import annotations

import json
import sqlite3

from bot.crypto import PLAIN, Sealer
from bot.ports.store import (
    AnswerRow,
    HistoryPage,
    MantraSubscription,
    RecordSummary,
    UserKey,
    answers_from_rows,
    from_db_time,
    page_count,
)
from bot.sqlite.seals import answer_cell
from bot.sqlite.turns import find_user


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


def history(
    conn: sqlite3.Connection, key: UserKey, page: int, per_page: int, cipher: Sealer = PLAIN
) -> HistoryPage:
    user_id = find_user(conn, key)
    if user_id is None:
        return HistoryPage(items=(), page=page, pages=1)
    total = conn.execute("SELECT count(*) FROM records WHERE user_id = ?", (user_id,)).fetchone()
    rows = conn.execute(
        "SELECT id, kind, person_id, started_at, finished_at FROM records WHERE user_id = ?"
        " ORDER BY finished_at DESC, id DESC LIMIT ? OFFSET ?",
        (user_id, per_page, page * per_page),
    ).fetchall()
    answers = answer_rows(conn, key, [r[0] for r in rows], cipher)
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


ANSWER_CHUNK = 500
"""Records whose answers are read per query (SQLite allows 32,766 parameters in one)."""


def record(
    conn: sqlite3.Connection, key: UserKey, record_id: int, cipher: Sealer = PLAIN
) -> RecordSummary | None:
    user_id = find_user(conn, key)
    if user_id is None:
        return None
    row = conn.execute(
        "SELECT id, kind, person_id, started_at, finished_at FROM records"
        " WHERE id = ? AND user_id = ?",
        (record_id, user_id),
    ).fetchone()
    if row is None:
        return None
    answers = answer_rows(conn, key, [row[0]], cipher)
    return RecordSummary(
        id=row[0],
        kind=row[1],
        person_id=row[2],
        started_at=from_db_time(row[3]),
        finished_at=from_db_time(row[4]),
        answers=answers_from_rows(answers.get(row[0], [])),
    )


def answer_rows(
    conn: sqlite3.Connection, key: UserKey, record_ids: list[int], cipher: Sealer = PLAIN
) -> dict[int, list[AnswerRow]]:
    """The answers of ``key``'s records ``record_ids``, each record's in the order written,
    read a chunk of records at a time and opened for their own cells."""
    found: dict[int, list[AnswerRow]] = {}
    for start in range(0, len(record_ids), ANSWER_CHUNK):
        chunk = record_ids[start : start + ANSWER_CHUNK]
        for record_id, question, position, text, choice, number in conn.execute(
            "SELECT record_id, question, position, value_text, value_choice, value_int"
            f" FROM answers WHERE record_id IN ({','.join('?' * len(chunk))}) ORDER BY id",
            chunk,
        ):
            cells = [
                answer_cell(key, column, record_id, question, position)
                for column in ("value_text", "value_choice", "value_int")
            ]
            found.setdefault(record_id, []).append(
                AnswerRow(
                    question,
                    cipher.open(text, cells[0]),
                    cipher.open(choice, cells[1]),
                    cipher.open_int(number, cells[2]),
                    position,
                )
            )
    return found
