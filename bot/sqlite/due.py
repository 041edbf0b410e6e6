"""The SQL behind the scheduler: functions on a ``sqlite3.Connection`` in autocommit mode.

They run on a database thread, never on the event loop. :func:`claim` and :func:`mark` open
their own ``BEGIN IMMEDIATE`` transaction; :func:`snooze` runs inside the caller's (a turn).
Times are the fixed-width UTC text of :func:`bot.ports.store.to_db_time`, so they compare as text.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta

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
from bot.schedule.recurrence import first_at_or_after, next_occurrence
from bot.sqlite.seals import payload_cell
from bot.sqlite.support import transaction
from dialogs.mantras import next_mantra

PRUNE_CHUNK = 10_000
"""Log rows looked at per pruning step (rows are appended in time order, roughly)."""

_LOG_INSERT = (
    "INSERT INTO delivery_log (user_id, due_id, kind, at, outcome, due_at_utc, address_platform,"
    " address_chat_id, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def anything_due(conn: sqlite3.Connection, now: str) -> bool:
    """Two index probes, no transaction: the cost of a tick that finds nothing."""
    mantra = conn.execute(
        "SELECT 1 FROM mantra_subscriptions WHERE enabled = 1 AND next_due_utc <= ? LIMIT 1",
        (now,),
    ).fetchone()
    if mantra is not None:
        return True
    due = conn.execute(
        "SELECT 1 FROM due WHERE done_at IS NULL AND due_at_utc <= ? LIMIT 1", (now,)
    ).fetchone()
    return due is not None


def claim(conn: sqlite3.Connection, now: datetime, graces: Graces, limit: int) -> Claimed:
    """See :meth:`bot.ports.schedule.ScheduleStore.claim`. One transaction for both tables."""
    at = to_db_time(now)
    with transaction(conn):
        m_claimed, m_skipped, m_full, m_oldest = _claim_mantras(conn, now, at, graces, limit)
        r_claimed, r_skipped, r_full, r_oldest = _claim_reminders(conn, now, at, graces, limit)
    oldest = min((t for t in (m_oldest, r_oldest) if t is not None), default=None)
    return Claimed(
        m_claimed + r_claimed,
        m_skipped + r_skipped,
        m_full or r_full,
        None if oldest is None else from_db_time(oldest),
    )


def _claim_mantras(
    conn: sqlite3.Connection, now: datetime, at: str, graces: Graces, limit: int
) -> tuple[int, int, bool, str | None]:
    rows = conn.execute(
        "SELECT m.user_id, m.time, m.tz, m.days, m.next_due_utc, u.address_platform,"
        " u.address_chat_id, u.platform, u.platform_user_id"
        " FROM mantra_subscriptions m JOIN users u ON u.id = m.user_id"
        " WHERE m.enabled = 1 AND m.next_due_utc <= ? ORDER BY m.next_due_utc LIMIT ?",
        (at, limit),
    ).fetchall()
    too_late = to_db_time(now - graces.mantra)
    following: dict[tuple[str, str, str], str] = {}  # one computation per distinct schedule
    advances = []
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
        advances.append((next_due, user_id))
        logs.append((user_id, None, MANTRA, at, outcome, due, *address, "{}"))
    conn.executemany("UPDATE mantra_subscriptions SET next_due_utc = ? WHERE user_id = ?", advances)
    conn.executemany(_LOG_INSERT, logs)
    oldest = rows[0][4] if rows else None  # they come earliest first
    return len(rows) - skipped, skipped, len(rows) == limit, oldest


def _claim_reminders(
    conn: sqlite3.Connection, now: datetime, at: str, graces: Graces, limit: int
) -> tuple[int, int, bool, str | None]:
    stale = to_db_time(now - timedelta(seconds=CLAIM_LEASE_SECONDS))
    rows = conn.execute(
        "UPDATE due SET claimed_at = ?, done_at = ? WHERE id IN ("
        "  SELECT id FROM due WHERE done_at IS NULL AND due_at_utc <= ?"
        "  AND (claimed_at IS NULL OR claimed_at <= ?) ORDER BY due_at_utc, id LIMIT ?)"
        " RETURNING id, user_id, kind, due_at_utc, address_platform, address_chat_id",
        (at, at, at, stale, limit),
    ).fetchall()
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
        # the payload stays in the due row (sealed there when encryption is on): see pending()
        logs.append((user_id, due_id, kind, at, outcome, due, a_platform, a_chat, "{}"))
    conn.executemany(_LOG_INSERT, logs)
    oldest = min((r[3] for r in rows), default=None)
    return len(rows) - skipped, skipped, len(rows) == limit, oldest


def pending(
    conn: sqlite3.Connection, platform: str, limit: int, cipher: Sealer = PLAIN
) -> list[Delivery]:
    """Claimed deliveries for ``platform``, oldest first. A reminder's payload is read from its
    due row, where ``cipher`` sealed it (and where key rotation finds it)."""
    rows = conn.execute(
        "SELECT d.id, d.kind, u.platform, u.platform_user_id, d.due_at_utc, d.address_chat_id,"
        " d.payload, r.key, r.payload FROM delivery_log d JOIN users u ON u.id = d.user_id"
        " LEFT JOIN due r ON r.id = d.due_id"
        " WHERE d.outcome = 'claimed' AND d.address_platform = ? ORDER BY d.id LIMIT ?",
        (platform, limit),
    ).fetchall()
    found = []
    for delivery_id, kind, user_platform, pid, due_at, chat_id, logged, due_key, sealed in rows:
        user = UserKey(user_platform, pid)
        if due_key is None:  # a mantra: the log row's own payload, which holds no words
            payload = str(logged or "{}")
        else:
            payload = cipher.open(sealed, payload_cell(user, due_key)) or "{}"
        found.append(
            Delivery(
                id=delivery_id,
                kind=kind,
                user=user,
                due_at=from_db_time(due_at),
                address=Address(platform, chat_id),
                payload=json.loads(payload),
            )
        )
    return found


Mark = tuple[int, str, str, int, frozenset[int]]
"""``(delivery id, new outcome, expected outcome, lines of mantras)`` for :func:`mark`."""


def mark(conn: sqlite3.Connection, ops: list[Mark], now: str) -> list[Begun]:
    """Apply outcome changes in one transaction; for each, what is stored now (``gone`` if the
    delivery was not at the expected outcome). ``sending`` goes through :func:`_begin`."""
    results = []
    with transaction(conn):
        for delivery_id, outcome, expect, mantras, held in ops:
            if outcome == SENDING:
                results.append(_begin(conn, delivery_id, now, mantras, held))
                continue
            cur = conn.execute(
                "UPDATE delivery_log SET outcome = ?, at = ? WHERE id = ? AND outcome = ?",
                (outcome, now, delivery_id, expect),
            )
            results.append(Begun(outcome if cur.rowcount == 1 else GONE))
    return results


def _begin(
    conn: sqlite3.Connection, delivery_id: int, now: str, mantras: int, held: frozenset[int]
) -> Begun:
    """A claimed delivery becomes ``sending``; a mantra's line is chosen now (never one of
    ``held`` while the person's ``gentle_until`` lasts, after a disclosure)."""
    row = conn.execute(
        "SELECT d.kind, d.user_id, u.unreachable, m.enabled, m.rotation, m.gentle_until"
        " FROM delivery_log d"
        " JOIN users u ON u.id = d.user_id"
        " LEFT JOIN mantra_subscriptions m ON m.user_id = d.user_id"
        " WHERE d.id = ? AND d.outcome = 'claimed'",
        (delivery_id,),
    ).fetchone()
    if row is None:
        return Begun(GONE)
    kind, user_id, unreachable, enabled, rotation, gentle_until = row
    if unreachable or (kind == MANTRA and not enabled):
        outcome = UNREACHABLE if unreachable else CANCELLED
        conn.execute(
            "UPDATE delivery_log SET outcome = ?, at = ? WHERE id = ?", (outcome, now, delivery_id)
        )
        return Begun(outcome)
    if kind != MANTRA:
        conn.execute(
            "UPDATE delivery_log SET outcome = 'sending', at = ? WHERE id = ?", (now, delivery_id)
        )
        return Begun(SENDING)
    holding = held if gentle_until is not None and gentle_until > now else frozenset()
    index, seen = next_mantra(mantras, tuple(json.loads(rotation)), str(user_id), holding)
    conn.execute(
        "UPDATE mantra_subscriptions SET rotation = ? WHERE user_id = ?",
        (_json(list(seen)), user_id),
    )
    conn.execute(
        "UPDATE delivery_log SET outcome = 'sending', at = ?, payload = ? WHERE id = ?",
        (now, _json({"mantra": index}), delivery_id),
    )
    return Begun(SENDING, index)


def housekeep(
    conn: sqlite3.Connection,
    now: datetime,
    graces: Graces,
    sending_lease: timedelta,
    keep: timedelta,
) -> Housekept:
    at = to_db_time(now)
    with transaction(conn):
        skipped = conn.execute(
            "UPDATE delivery_log SET outcome = 'skipped', at = ? WHERE outcome = 'claimed'"
            " AND due_at_utc < CASE kind WHEN 'mantra' THEN ? ELSE ? END",
            (at, to_db_time(now - graces.mantra), to_db_time(now - graces.reminder)),
        ).rowcount
        unconfirmed = conn.execute(
            "UPDATE delivery_log SET outcome = ?, at = ? WHERE outcome = 'sending' AND at < ?",
            (UNCONFIRMED, at, to_db_time(now - sending_lease)),
        ).rowcount
    return Housekept(skipped, unconfirmed, prune(conn, to_db_time(now - keep)))


def prune(conn: sqlite3.Connection, before: str) -> int:
    """Delete finished log rows older than ``before``, oldest first, a chunk at a time."""
    pruned = 0
    while True:
        first = conn.execute("SELECT min(id) FROM delivery_log").fetchone()[0]
        if first is None:
            return pruned
        with transaction(conn):
            cur = conn.execute(
                "DELETE FROM delivery_log WHERE id >= ? AND id < ? AND at < ?"
                " AND outcome NOT IN ('claimed', 'sending')",
                (first, first + PRUNE_CHUNK, before),
            )
            left = conn.execute(
                "SELECT count(*) FROM delivery_log WHERE id >= ? AND id < ?",
                (first, first + PRUNE_CHUNK),
            ).fetchone()[0]
        pruned += cur.rowcount
        if left:  # the oldest chunk still holds rows to keep: everything later is newer
            return pruned


def snooze(
    conn: sqlite3.Connection, user_id: int, until: datetime, now: str, *, gentle: bool = False
) -> None:
    """Inside a turn's transaction: no mantra before ``until`` (never an earlier next-due);
    ``gentle``: and no held-back line until then either, even once resumed."""
    to_db_time(until)  # a naive time is refused before anything is read
    if gentle:
        conn.execute(
            "UPDATE mantra_subscriptions SET gentle_until = ? WHERE user_id = ?",
            (to_db_time(until), user_id),
        )
    row = conn.execute(
        "SELECT time, tz, days, next_due_utc FROM mantra_subscriptions"
        " WHERE user_id = ? AND enabled = 1 AND next_due_utc IS NOT NULL",
        (user_id,),
    ).fetchone()
    if row is None:
        return
    target = to_db_time(first_at_or_after(row[0], row[1], row[2], until))
    if target > row[3]:
        conn.execute(
            "UPDATE mantra_subscriptions SET next_due_utc = ?, updated_at = ? WHERE user_id = ?",
            (target, now, user_id),
        )


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))
