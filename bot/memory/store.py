"""``MemoryStore``: the store in a few dicts, every row kept as JSON text.

The test double for :class:`bot.ports.store.Store` (and a baseline for benches). Like
aiogram-dialog's ``JsonMemoryStorage`` it round-trips everything through JSON, so anything that
would not survive the real database (a non-JSON value, a naive datetime) fails here too. Each
call yields to the event loop once, as a real store would, so interleavings show up in tests.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any

from bot.errors import StaleWrite, StoreUnavailable
from bot.ports.store import (
    INBOX_KEEP_SECONDS,
    Address,
    AnswerRow,
    Due,
    HistoryPage,
    InboxItem,
    MantraSubscription,
    Saved,
    TurnWrite,
    UserKey,
    answer_json,
    answers_from_rows,
    from_db_time,
    mantras_json,
    no_lock,
    page_count,
    to_db_time,
    utc_now,
)
from bot.ports.store import RecordSummary as Summary
from bot.schedule.recurrence import first_at_or_after
from dialogs.codec import dumps, loads
from dialogs.model import JSON

Row = dict[str, Any]


def _dump(row: Row) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


class _Table:
    """Rows by id, each stored as JSON text."""

    def __init__(self) -> None:
        self.rows: dict[int, str] = {}

    def get(self, row_id: int) -> Row | None:
        text = self.rows.get(row_id)
        return None if text is None else dict(json.loads(text))

    def put(self, row_id: int, row: Row) -> None:
        self.rows[row_id] = _dump(row)

    def where(self, **match: object) -> list[tuple[int, Row]]:
        found = []
        for row_id, text in self.rows.items():
            row = json.loads(text)
            if all(row.get(k) == v for k, v in match.items()):
                found.append((row_id, row))
        return found


class MemoryStore:
    """:class:`~bot.ports.store.Store` in memory: ``SqliteStore``'s contract, none of its speed."""

    def __init__(self, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._clock = clock
        self._ids = itertools.count(1)
        self._users = _Table()
        self._conversations = _Table()  # keyed by user id
        self._records = _Table()
        self._mantras = _Table()  # keyed by user id
        self._due = _Table()
        self._log = _Table()
        self._inbox = _Table()
        self._by_key: dict[UserKey, int] = {}
        self._closed = False

    async def open(self) -> MemoryStore:
        return self

    async def close(self) -> None:
        self._closed = True

    async def ping(self) -> None:
        await self._tick()

    async def _tick(self) -> None:
        await asyncio.sleep(0)
        if self._closed:
            raise StoreUnavailable("The in-memory store is closed.")

    def _now(self) -> str:
        return to_db_time(self._clock())

    def _user_id(self, key: UserKey) -> int | None:
        return self._by_key.get(key)

    def _ensure_user(self, key: UserKey, address: Address | None) -> int:
        found = self._user_id(key)
        if found is not None:
            return found
        row_id = next(self._ids)
        self._by_key[key] = row_id
        self._users.put(
            row_id,
            {
                "platform": key.platform,
                "user_id": key.user_id,
                "address": _addr(address),
                "unreachable": False,
                "created_at": self._now(),
            },
        )
        return row_id

    # -- conversations ------------------------------------------------------------------------

    def turn(self, key: UserKey) -> AbstractAsyncContextManager[None]:
        return no_lock(key)

    async def load(self, key: UserKey) -> Saved | None:
        await self._tick()
        user_id = self._user_id(key)
        row = None if user_id is None else self._conversations.get(user_id)
        if row is None:
            return None
        return Saved(loads(row["state"]), row["version"])

    async def save(self, key: UserKey, turn: TurnWrite, *, expected_version: int) -> int:
        await self._tick()
        user_id = self._user_id(key)
        conv = None if user_id is None else self._conversations.get(user_id)
        stored = 0 if conv is None else int(conv["version"])
        if stored != expected_version:
            raise StaleWrite(
                f"conversation of {key} is at version {stored}, not {expected_version}"
            )
        if turn.forget:
            if user_id is not None:
                self._delete_user(key, user_id)
            return 0
        # Everything that can fail (encoding, naive datetimes) happens before anything changes.
        now = self._now()
        state = dumps(turn.state)
        records = [
            {
                "kind": r.kind,
                "person_id": r.person_id,
                "started_at": to_db_time(r.started_at),
                "finished_at": to_db_time(r.finished_at),
                "answers": [answer_json(a) for a in r.answers],
            }
            for r in turn.finished
        ]
        schedule = [(d, to_db_time(d.due_at), _dump(dict(d.payload))) for d in turn.schedule]
        mantras = turn.mantras
        next_due = (
            to_db_time(mantras.next_due)
            if mantras and mantras.enabled and mantras.next_due
            else None
        )
        if turn.snooze_until is not None:
            to_db_time(turn.snooze_until)  # a naive time fails here, before anything changes
        user_id = self._ensure_user(key, turn.address)
        version = stored + 1
        self._conversations.put(user_id, {"state": state, "version": version, "updated_at": now})
        if turn.address is not None:
            user = self._users.get(user_id) or {}
            self._users.put(user_id, user | {"address": _addr(turn.address), "unreachable": False})
        for record in records:
            self._records.put(next(self._ids), record | {"user_id": user_id})
        for due_key in turn.cancel:
            for row_id, _ in self._due.where(user_id=user_id, key=due_key, done_at=None):
                del self._due.rows[row_id]
        for due, due_at, _payload in schedule:
            self._upsert_due(user_id, key, due, due_at, turn.address)
        if mantras is not None:
            old = self._mantras.get(user_id) or {"rotation": []}
            self._mantras.put(
                user_id,
                old
                | {
                    "enabled": mantras.enabled,
                    "time": mantras.time,
                    "tz": mantras.tz,
                    "days": mantras.days,
                    "next_due": next_due,
                    "updated_at": now,
                },
            )
        if turn.snooze_until is not None:
            self._snooze(user_id, turn.snooze_until, gentle=turn.snooze_gentle)
        return version

    def _snooze(self, user_id: int, until: datetime, *, gentle: bool = False) -> None:
        sub = self._mantras.get(user_id)
        if sub is not None and gentle:
            sub = sub | {"gentle_until": to_db_time(until)}
            self._mantras.put(user_id, sub)
        if sub is None or not sub["enabled"] or sub["next_due"] is None:
            return
        target = to_db_time(first_at_or_after(sub["time"], sub["tz"], sub["days"], until))
        self._mantras.put(user_id, sub | {"next_due": max(sub["next_due"], target)})

    def _delete_user(self, key: UserKey, user_id: int) -> None:
        del self._by_key[key]
        del self._users.rows[user_id]
        self._conversations.rows.pop(user_id, None)
        self._mantras.rows.pop(user_id, None)
        for table in (self._records, self._due, self._log):
            for row_id, _ in table.where(user_id=user_id):
                del table.rows[row_id]

    def _upsert_due(
        self, user_id: int, key: UserKey, due: Due, due_at: str, address: Address | None
    ) -> int:
        if address is None:
            stored = (self._users.get(user_id) or {}).get("address")
            address = Address(**stored) if stored else Address.direct(key)
        row = {
            "user_id": user_id,
            "key": due.key,
            "kind": due.kind,
            "due_at": due_at,
            "address": _addr(address),
            "payload": dict(due.payload),
            "claimed_at": None,
            "done_at": None,
        }
        for row_id, old in self._due.where(user_id=user_id, key=due.key):
            self._due.put(row_id, old | row)
            return row_id
        row_id = next(self._ids)
        self._due.put(row_id, row | {"created_at": self._now()})
        return row_id

    # -- reads --------------------------------------------------------------------------------

    async def history(self, key: UserKey, *, page: int = 0, per_page: int = 5) -> HistoryPage:
        await self._tick()
        page = max(page, 0)
        user_id = self._user_id(key)
        rows = [] if user_id is None else self._records.where(user_id=user_id)
        rows.sort(key=lambda item: (item[1]["finished_at"], item[0]), reverse=True)
        chosen = rows[page * per_page : (page + 1) * per_page]
        items = tuple(_summary(row_id, row) for row_id, row in chosen)
        return HistoryPage(items=items, page=page, pages=page_count(len(rows), per_page))

    async def record(self, key: UserKey, record_id: int) -> Summary | None:
        await self._tick()
        user_id = self._user_id(key)
        rows = [] if user_id is None else self._records.where(user_id=user_id)
        return next((_summary(i, row) for i, row in rows if i == record_id), None)

    async def mantras(self, key: UserKey) -> MantraSubscription | None:
        await self._tick()
        user_id = self._user_id(key)
        row = None if user_id is None else self._mantras.get(user_id)
        if row is None:
            return None
        return MantraSubscription(
            enabled=row["enabled"],
            time=row["time"],
            tz=row["tz"],
            days=row["days"],
            next_due=None if row["next_due"] is None else from_db_time(row["next_due"]),
            rotation=tuple(row["rotation"]),
        )

    async def export(self, key: UserKey) -> dict[str, JSON]:
        await self._tick()
        doc: dict[str, Any] = {
            "user": None,
            "conversation": None,
            "records": [],
            "mantras": None,
            "due": [],
            "delivery_log": [],
            "tables": {},
        }
        user_id = self._user_id(key)
        user = None if user_id is None else self._users.get(user_id)
        if user_id is None or user is None:
            return doc
        doc["user"] = user
        conv = self._conversations.get(user_id)
        if conv is not None:
            doc["conversation"] = conv | {"state": json.loads(conv["state"])}
        records = sorted(
            self._records.where(user_id=user_id), key=lambda r: (r[1]["finished_at"], r[0])
        )
        doc["records"] = [{k: v for k, v in r.items() if k != "user_id"} for _, r in records]
        sub = await self.mantras(key)
        doc["mantras"] = None if sub is None else mantras_json(sub)
        dues = sorted(self._due.where(user_id=user_id), key=lambda r: (r[1]["due_at"], r[0]))
        doc["due"] = [
            {
                k: r[k]
                for k in (
                    "key",
                    "kind",
                    "due_at",
                    "address",
                    "payload",
                    "created_at",
                    "claimed_at",
                    "done_at",
                )
            }
            for _, r in dues
        ]
        logs = sorted(self._log.where(user_id=user_id), key=lambda r: (r[1]["at"], r[0]))
        doc["delivery_log"] = [
            {"kind": r["kind"], "at": r["at"], "outcome": r["outcome"], "due_at": None,
             "address": None}
            for _, r in logs
        ]  # fmt: skip
        return doc

    # -- the webhook inbox ----------------------------------------------------------------------

    async def inbox_put(self, platform: str, update_id: int, body: bytes) -> bool:
        await self._tick()
        if self._inbox.where(platform=platform, update_id=update_id):
            return False
        row = {"platform": platform, "update_id": update_id, "body": body.decode("utf-8"),
               "received_at": self._now(), "done_at": None}  # fmt: skip
        self._inbox.put(next(self._ids), row)
        return True

    async def inbox_pending(self, platform: str, limit: int) -> list[InboxItem]:
        await self._tick()
        rows = sorted(self._inbox.where(platform=platform, done_at=None))[:limit]
        return [InboxItem(platform, r["update_id"], r["body"].encode("utf-8")) for _, r in rows]

    async def inbox_done(self, platform: str, update_id: int) -> None:
        await self._tick()
        before = to_db_time(self._clock() - timedelta(seconds=INBOX_KEEP_SECONDS))
        for row_id, row in self._inbox.where(platform=platform, update_id=update_id):
            if row["done_at"] is None:
                self._inbox.put(row_id, row | {"body": None, "done_at": self._now()})
        for row_id, kept in self._inbox.where():
            if kept["done_at"] is not None and kept["done_at"] < before:
                del self._inbox.rows[row_id]

    async def mark_unreachable(self, key: UserKey) -> None:
        await self._tick()
        user_id = self._user_id(key)
        user = None if user_id is None else self._users.get(user_id)
        if user_id is None or user is None:
            return
        now = self._now()
        self._users.put(user_id, user | {"unreachable": True})
        sub = self._mantras.get(user_id)
        if sub is not None:
            self._mantras.put(
                user_id, sub | {"enabled": False, "next_due": None, "updated_at": now}
            )
        self._log.put(
            next(self._ids),
            {
                "user_id": user_id,
                "due_id": None,
                "kind": "user",
                "at": now,
                "outcome": "unreachable",
            },
        )


def _addr(address: Address | None) -> Row | None:
    return None if address is None else {"platform": address.platform, "chat_id": address.chat_id}


def _summary(row_id: int, row: dict[str, Any]) -> Summary:
    return Summary(
        id=row_id,
        kind=row["kind"],
        person_id=row["person_id"],
        started_at=from_db_time(row["started_at"]),
        finished_at=from_db_time(row["finished_at"]),
        answers=answers_from_rows([AnswerRow(**a) for a in row["answers"]]),
    )
