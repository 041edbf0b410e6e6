"""The SQL behind :class:`bot.postgres.schedule.PostgresSchedule`, for several processes at once.

The same steps as :mod:`bot.sqlite.due`, made safe for processes that run side by side:

* :func:`claim` takes due subscriptions and reminders with ``FOR UPDATE SKIP LOCKED``: two
  processes claiming at once each take different rows, and a row a turn is changing is left for
  the next tick. Each claim is written to ``delivery_log`` as ``claimed`` with no owner, so any
  process that can send to that platform may take it.
* :func:`pending` *takes* claimed rows for this process: it sets ``owner`` and a ``lease_until``
  (again ``SKIP LOCKED``), renewing the lease of rows it already holds, and takes over rows whose
  lease ran out (their process died before it sent them).
* :func:`begin` moves a row to ``sending`` once, under its row lock, and only for its owner
  while the lease lasts, so a row that was taken over is never sent by both; ``sending`` rows
  of a process that died become ``unconfirmed`` (:func:`housekeep`) and are never sent again.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import psycopg

from bot.crypto import PLAIN, Sealer
from bot.ports.schedule import (
    CANCELLED,
    CLAIMED,
    GONE,
    MANTRA,
    SENDING,
    SKIPPED,
    UNCONFIRMED,
    UNREACHABLE,
    Begun,
    Claimed,
    Delivery,
    Graces,
    Housekept,
)
from bot.ports.store import CLAIM_LEASE_SECONDS, Address, UserKey, from_db_time, to_db_time
from bot.postgres.support import joined
from bot.schedule.recurrence import first_at_or_after, next_occurrence
from bot.sqlite.seals import payload_cell
from dialogs.mantras import next_mantra

Conn = psycopg.AsyncConnection[Any]
PRUNE_CHUNK = 10_000

_LOG_COPY = (
    "COPY delivery_log (user_id, due_id, kind, at, outcome, due_at_utc, address_platform,"
    " address_chat_id, payload) FROM STDIN"
)
FEW_SCHEDULES = 20
"""Up to this many distinct next-due instants, a claim advances each group with one ``= ANY``
UPDATE (cheaper per row than joining an ``unnest``); more, with one joined UPDATE."""


async def anything_due(conn: Conn, now: str) -> bool:
    cur = await conn.execute(
        "SELECT EXISTS (SELECT 1 FROM mantra_subscriptions WHERE enabled = 1"
        " AND next_due_utc <= %s) OR EXISTS (SELECT 1 FROM due WHERE done_at IS NULL"
        " AND due_at_utc <= %s)",
        (now, now),
    )
    row = await cur.fetchone()
    return bool(row and row[0])


async def claim(conn: Conn, now: datetime, graces: Graces, limit: int) -> Claimed:
    """See :meth:`bot.ports.schedule.ScheduleStore.claim`: one transaction for both tables."""
    at = to_db_time(now)
    async with conn.transaction():
        m_claimed, m_skipped, m_full, m_oldest = await _claim_mantras(conn, now, at, graces, limit)
        r_claimed, r_skipped, r_full, r_oldest = await _claim_reminders(
            conn, now, at, graces, limit
        )
    oldest = min((t for t in (m_oldest, r_oldest) if t is not None), default=None)
    return Claimed(
        m_claimed + r_claimed,
        m_skipped + r_skipped,
        m_full or r_full,
        None if oldest is None else from_db_time(oldest),
    )


async def _insert_logs(conn: Conn, logs: list[tuple[Any, ...]]) -> None:
    """One ``COPY`` for every log row of a claim (the cheapest way in, per row)."""
    if logs:
        async with conn.cursor() as cur, cur.copy(_LOG_COPY) as copy:
            for row in logs:
                await copy.write_row(row)


async def _advance(conn: Conn, ids: list[int], nexts: list[str]) -> None:
    groups: dict[str, list[int]] = {}
    for user_id, next_due in zip(ids, nexts, strict=True):
        groups.setdefault(next_due, []).append(user_id)
    if len(groups) <= FEW_SCHEDULES:
        for next_due, members in groups.items():
            await conn.execute(
                "UPDATE mantra_subscriptions SET next_due_utc = %s WHERE user_id = ANY(%s)",
                (next_due, members),
            )
        return
    await conn.execute(
        "UPDATE mantra_subscriptions m SET next_due_utc = x.next FROM"
        " unnest(%s::bigint[], %s::text[]) AS x(id, next) WHERE m.user_id = x.id",
        (ids, nexts),
    )


async def _claim_mantras(
    conn: Conn, now: datetime, at: str, graces: Graces, limit: int
) -> tuple[int, int, bool, str | None]:
    cur = await conn.execute(
        "SELECT m.user_id, m.time, m.tz, m.days, m.next_due_utc, u.address_platform,"
        " u.address_chat_id, u.platform, u.platform_user_id"
        " FROM mantra_subscriptions m JOIN users u ON u.id = m.user_id"
        " WHERE m.enabled = 1 AND m.next_due_utc <= %s ORDER BY m.next_due_utc LIMIT %s"
        " FOR UPDATE OF m SKIP LOCKED",
        (at, limit),
    )
    rows = await cur.fetchall()
    too_late = to_db_time(now - graces.mantra)
    following: dict[tuple[str, str, str], str] = {}
    ids: list[int] = []
    nexts: list[str] = []
    logs = []
    skipped = 0
    for user_id, time, tz, days, due, a_platform, a_chat, platform, pid in rows:
        schedule = (time, tz, days)
        next_due = following.get(schedule)
        if next_due is None:
            next_due = following[schedule] = to_db_time(next_occurrence(time, tz, days, now))
        address = (a_platform, a_chat) if a_platform is not None else (platform, pid)
        outcome = CLAIMED
        if due < too_late:
            outcome = SKIPPED
            skipped += 1
        ids.append(user_id)
        nexts.append(next_due)
        logs.append((user_id, None, MANTRA, at, outcome, due, *address, "{}"))
    if rows:
        await _advance(conn, ids, nexts)
    await _insert_logs(conn, logs)
    oldest = min((r[4] for r in rows), default=None)
    return len(rows) - skipped, skipped, len(rows) == limit, oldest


async def _claim_reminders(
    conn: Conn, now: datetime, at: str, graces: Graces, limit: int
) -> tuple[int, int, bool, str | None]:
    stale = to_db_time(now - timedelta(seconds=CLAIM_LEASE_SECONDS))
    cur = await conn.execute(
        "UPDATE due SET claimed_at = %s, done_at = %s WHERE id IN ("
        "  SELECT id FROM due WHERE done_at IS NULL AND due_at_utc <= %s"
        "  AND (claimed_at IS NULL OR claimed_at <= %s) ORDER BY due_at_utc, id LIMIT %s"
        "  FOR UPDATE SKIP LOCKED)"
        " RETURNING id, user_id, kind, due_at_utc, address_platform, address_chat_id",
        (at, at, at, stale, limit),
    )
    rows = await cur.fetchall()
    logs = []
    skipped = 0
    too_late = {MANTRA: to_db_time(now - graces.mantra)}
    for due_id, user_id, kind, due, a_platform, a_chat in rows:
        outcome = CLAIMED
        if kind not in too_late:
            too_late[kind] = to_db_time(now - graces.of(kind))
        if due < too_late[kind]:
            outcome = SKIPPED
            skipped += 1
        logs.append((user_id, due_id, kind, at, outcome, due, a_platform, a_chat, "{}"))
    await _insert_logs(conn, logs)
    oldest = min((r[3] for r in rows), default=None)
    return len(rows) - skipped, skipped, len(rows) == limit, oldest


async def pending(
    conn: Conn,
    platform: str,
    limit: int,
    owner: str,
    now: datetime,
    lease: timedelta,
    cipher: Sealer = PLAIN,
) -> list[Delivery]:
    """Take claimed deliveries for ``platform`` for ``owner``, oldest first: unowned ones, its
    own (the lease renewed), and those whose lease ran out."""
    at = to_db_time(now)
    cur = await conn.execute(
        "WITH taken AS (UPDATE delivery_log d SET owner = %s, lease_until = %s FROM ("
        "  SELECT id FROM delivery_log WHERE outcome = 'claimed' AND address_platform = %s"
        "  AND (owner IS NULL OR owner = %s OR lease_until < %s) ORDER BY id LIMIT %s"
        "  FOR UPDATE SKIP LOCKED) s WHERE d.id = s.id"
        "  RETURNING d.id, d.kind, d.user_id, d.due_at_utc, d.address_chat_id, d.payload,"
        "  d.due_id)"
        " SELECT t.id, t.kind, u.platform, u.platform_user_id, t.due_at_utc, t.address_chat_id,"
        " t.payload, r.key, r.payload, r.payload_sealed FROM taken t"
        " JOIN users u ON u.id = t.user_id LEFT JOIN due r ON r.id = t.due_id ORDER BY t.id",
        (owner, to_db_time(now + lease), platform, owner, at, limit),
    )
    found = []
    for (
        delivery_id,
        kind,
        user_platform,
        pid,
        due_at,
        chat,
        logged,
        key,
        plain,
        sealed,
    ) in await cur.fetchall():
        user = UserKey(user_platform, pid)
        if key is None:
            payload = str(logged or "{}")
        else:
            payload = cipher.open(joined(plain, sealed), payload_cell(user, key)) or "{}"
        found.append(
            Delivery(
                id=int(delivery_id),
                kind=kind,
                user=user,
                due_at=from_db_time(due_at),
                address=Address(platform, chat),
                payload=json.loads(payload),
            )
        )
    return found


async def settle(conn: Conn, delivery_id: int, outcome: str, expect: str, now: str) -> bool:
    cur = await conn.execute(
        "UPDATE delivery_log SET outcome = %s, at = %s WHERE id = %s AND outcome = %s",
        (outcome, now, delivery_id, expect),
    )
    return cur.rowcount == 1


async def begin(
    conn: Conn, delivery_id: int, owner: str, now: str, mantras: int, held: frozenset[int]
) -> Begun:
    """``claimed → sending`` for the row's owner (or anyone, for a row nobody holds a live
    lease on); a mantra's line is chosen now. The row lock and the outcome check make the move
    happen once, whoever asks."""
    async with conn.transaction():
        cur = await conn.execute(
            "SELECT d.kind, d.user_id, u.unreachable FROM delivery_log d"
            " JOIN users u ON u.id = d.user_id"
            " WHERE d.id = %s AND d.outcome = 'claimed'"
            " AND (d.owner = %s OR d.owner IS NULL OR d.lease_until < %s) FOR UPDATE OF d",
            (delivery_id, owner, now),
        )
        row = await cur.fetchone()
        if row is None:
            return Begun(GONE)
        kind, user_id, unreachable = row
        sub = None
        if kind == MANTRA:
            cur = await conn.execute(
                "SELECT enabled, rotation, gentle_until FROM mantra_subscriptions"
                " WHERE user_id = %s FOR UPDATE",
                (user_id,),
            )
            sub = await cur.fetchone()
        if unreachable or (kind == MANTRA and (sub is None or not sub[0])):
            outcome = UNREACHABLE if unreachable else CANCELLED
            await conn.execute(
                "UPDATE delivery_log SET outcome = %s, at = %s WHERE id = %s",
                (outcome, now, delivery_id),
            )
            return Begun(outcome)
        if sub is None:
            await conn.execute(
                "UPDATE delivery_log SET outcome = 'sending', at = %s WHERE id = %s",
                (now, delivery_id),
            )
            return Begun(SENDING)
        _, rotation, gentle_until = sub
        holding = held if gentle_until is not None and gentle_until > now else frozenset()
        index, seen = next_mantra(mantras, tuple(json.loads(rotation)), str(user_id), holding)
        await conn.execute(
            "UPDATE mantra_subscriptions SET rotation = %s WHERE user_id = %s",
            (_json(list(seen)), user_id),
        )
        await conn.execute(
            "UPDATE delivery_log SET outcome = 'sending', at = %s, payload = %s WHERE id = %s",
            (now, _json({"mantra": index}), delivery_id),
        )
        return Begun(SENDING, index)


async def housekeep(
    conn: Conn, now: datetime, graces: Graces, sending_lease: timedelta, keep: timedelta
) -> Housekept:
    at = to_db_time(now)
    async with conn.transaction():
        cur = await conn.execute(
            "UPDATE delivery_log SET outcome = 'skipped', at = %s WHERE outcome = 'claimed'"
            " AND due_at_utc < CASE kind WHEN 'mantra' THEN %s ELSE %s END",
            (at, to_db_time(now - graces.mantra), to_db_time(now - graces.reminder)),
        )
        skipped = cur.rowcount
        cur = await conn.execute(
            "UPDATE delivery_log SET outcome = %s, at = %s WHERE outcome = 'sending' AND at < %s",
            (UNCONFIRMED, at, to_db_time(now - sending_lease)),
        )
        unconfirmed = cur.rowcount
    pruned = 0
    before = to_db_time(now - keep)
    while True:
        cur = await conn.execute(
            "DELETE FROM delivery_log WHERE id IN (SELECT id FROM delivery_log WHERE at < %s"
            " AND outcome NOT IN ('claimed', 'sending') LIMIT %s FOR UPDATE SKIP LOCKED)",
            (before, PRUNE_CHUNK),
        )
        pruned += cur.rowcount
        if cur.rowcount < PRUNE_CHUNK:
            return Housekept(skipped, unconfirmed, pruned)


async def snooze(
    conn: Conn, user_id: int, until: datetime, now: str, *, gentle: bool = False
) -> None:
    """Inside a turn's transaction: no mantra before ``until``; ``gentle``: and no held-back
    line until then either."""
    to_db_time(until)
    if gentle:
        await conn.execute(
            "UPDATE mantra_subscriptions SET gentle_until = %s WHERE user_id = %s",
            (to_db_time(until), user_id),
        )
    cur = await conn.execute(
        "SELECT time, tz, days, next_due_utc FROM mantra_subscriptions"
        " WHERE user_id = %s AND enabled = 1 AND next_due_utc IS NOT NULL",
        (user_id,),
    )
    row = await cur.fetchone()
    if row is None:
        return
    target = to_db_time(first_at_or_after(row[0], row[1], row[2], until))
    if target > row[3]:
        await conn.execute(
            "UPDATE mantra_subscriptions SET next_due_utc = %s, updated_at = %s WHERE user_id = %s",
            (target, now, user_id),
        )


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))
