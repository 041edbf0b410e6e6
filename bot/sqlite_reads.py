"""The reads behind :class:`bot.sqlite_store.SqliteStore`: history and the mantra schedule.

Plain functions on a ``sqlite3.Connection``, run on the store's database thread. The export
is :mod:`bot.export`.
"""

from __future__ import annotations

import json
import sqlite3

from bot.crypto import PLAIN, Sealer
from bot.sqlite_ops import find_user
from bot.store import (
    AnswerRow,
    HistoryPage,
    MantraSubscription,
    RecordSummary,
    UserKey,
    answers_from_rows,
    from_db_time,
    page_count,
)


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
    answers = answer_rows(conn, [r[0] for r in rows], cipher)
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
    answers = answer_rows(conn, [row[0]], cipher)
    return RecordSummary(
        id=row[0],
        kind=row[1],
        person_id=row[2],
        started_at=from_db_time(row[3]),
        finished_at=from_db_time(row[4]),
        answers=answers_from_rows(answers.get(row[0], [])),
    )


def answer_rows(
    conn: sqlite3.Connection, record_ids: list[int], cipher: Sealer = PLAIN
) -> dict[int, list[AnswerRow]]:
    found: dict[int, list[AnswerRow]] = {}
    if not record_ids:
        return found
    for r in conn.execute(
        "SELECT record_id, question, position, value_text, value_choice, value_int FROM answers"
        f" WHERE record_id IN ({','.join('?' * len(record_ids))}) ORDER BY id",
        record_ids,
    ):
        text = cipher.open(r[3], "value_text")
        found.setdefault(r[0], []).append(AnswerRow(r[1], text, r[4], r[5], r[2]))
    return found
