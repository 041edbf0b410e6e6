"""The reads behind :class:`bot.postgres.store.PostgresStore`: history, one record, the mantra
schedule and the answers of records, as :mod:`bot.sqlite.reads` reads them from the file."""

from __future__ import annotations

import json
from typing import Any

import psycopg

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
from bot.postgres.support import joined
from bot.postgres.turns import find_user
from bot.sqlite.seals import answer_cell

Conn = psycopg.AsyncConnection[Any]


async def mantras(conn: Conn, key: UserKey) -> MantraSubscription | None:
    cur = await conn.execute(
        "SELECT m.enabled, m.time, m.tz, m.days, m.next_due_utc, m.rotation"
        " FROM mantra_subscriptions m JOIN users u ON u.id = m.user_id"
        " WHERE u.platform = %s AND u.platform_user_id = %s",
        (key.platform, key.user_id),
    )
    row = await cur.fetchone()
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


def _summary(r: tuple[Any, ...], answers: dict[int, list[AnswerRow]]) -> RecordSummary:
    return RecordSummary(
        id=int(r[0]),
        kind=r[1],
        person_id=r[2],
        started_at=from_db_time(r[3]),
        finished_at=from_db_time(r[4]),
        answers=answers_from_rows(answers.get(int(r[0]), [])),
    )


async def history(
    conn: Conn, key: UserKey, page: int, per_page: int, cipher: Sealer = PLAIN
) -> HistoryPage:
    user_id = await find_user(conn, key)
    if user_id is None:
        return HistoryPage(items=(), page=page, pages=1)
    cur = await conn.execute("SELECT count(*) FROM records WHERE user_id = %s", (user_id,))
    total = await cur.fetchone()
    cur = await conn.execute(
        "SELECT id, kind, person_id, started_at, finished_at FROM records WHERE user_id = %s"
        " ORDER BY finished_at DESC, id DESC LIMIT %s OFFSET %s",
        (user_id, per_page, page * per_page),
    )
    rows = await cur.fetchall()
    answers = await answer_rows(conn, key, [int(r[0]) for r in rows], cipher)
    items = tuple(_summary(r, answers) for r in rows)
    count = int(total[0]) if total else 0
    return HistoryPage(items=items, page=page, pages=page_count(count, per_page))


async def record(
    conn: Conn, key: UserKey, record_id: int, cipher: Sealer = PLAIN
) -> RecordSummary | None:
    cur = await conn.execute(
        "SELECT r.id, r.kind, r.person_id, r.started_at, r.finished_at FROM records r"
        " JOIN users u ON u.id = r.user_id"
        " WHERE r.id = %s AND u.platform = %s AND u.platform_user_id = %s",
        (record_id, key.platform, key.user_id),
    )
    row = await cur.fetchone()
    if row is None:
        return None
    return _summary(row, await answer_rows(conn, key, [int(row[0])], cipher))


async def answer_rows(
    conn: Conn, key: UserKey, record_ids: list[int], cipher: Sealer = PLAIN
) -> dict[int, list[AnswerRow]]:
    """The answers of ``key``'s records ``record_ids``, each record's in the order written."""
    found: dict[int, list[AnswerRow]] = {}
    if not record_ids:
        return found
    cur = await conn.execute(
        "SELECT record_id, question, position, value_text, value_text_sealed, value_choice,"
        " value_choice_sealed, value_int, value_int_sealed FROM answers"
        " WHERE record_id = ANY(%s) ORDER BY id",
        (record_ids,),
    )
    for (
        record_id,
        question,
        position,
        text,
        text_s,
        choice,
        choice_s,
        num,
        num_s,
    ) in await cur.fetchall():
        rid = int(record_id)

        def cell(column: str, rid: int = rid, q: str = question, p: int | None = position) -> Any:
            return answer_cell(key, column, rid, q, p)

        number = joined(None if num is None else int(num), num_s)
        found.setdefault(rid, []).append(
            AnswerRow(
                question,
                cipher.open(joined(text, text_s), cell("value_text")),
                cipher.open(joined(choice, choice_s), cell("value_choice")),
                cipher.open_int(number, cell("value_int")),
                position,
            )
        )
    return found
