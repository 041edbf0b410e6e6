"""The storage port: one narrow protocol, frozen keys and records, and the time format.

Everything the core keeps goes through :class:`Store`. A turn of the conversation is written by
one call, :meth:`Store.save`, which carries the new state *and* everything the turn's effects
persist (a finished reflection with its answers, follow-ups to schedule or cancel, a mantra
schedule, a request to forget) so the whole turn is one transaction. The version check on it
(``expected_version``) is the only thing that lets several processes share a database safely.

Times are timezone-aware UTC ``datetime`` in Python and fixed-width ISO-8601 UTC strings
(``2025-03-01T08:00:00.000000+00:00``, see :func:`to_db_time`) in storage, so they sort as text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from bot.pseudonyms import pseudonym
from dialogs.model import JSON, State


@dataclass(frozen=True, slots=True)
class UserKey:
    """A person, as their platform knows them: ``UserKey("telegram", "12345")``.

    As text (``%s`` in a log line, an error message) it is the person's keyed pseudonym,
    ``telegram~3f9a1c0d2e4b`` (:mod:`bot.pseudonyms`), never the platform id: the ids are only
    ever read from the fields."""

    platform: str
    user_id: str

    def __str__(self) -> str:
        return pseudonym(self.platform, self.user_id)

    def __repr__(self) -> str:
        return f"UserKey({self})"


@dataclass(frozen=True, slots=True)
class Address:
    """Where to deliver a message later, neutral to any platform (a chat or DM channel id)."""

    platform: str
    chat_id: str

    def __str__(self) -> str:  # a chat id names a person (on Telegram, it is theirs)
        return pseudonym(self.platform, self.chat_id)

    def __repr__(self) -> str:
        return f"Address({self})"

    @classmethod
    def direct(cls, key: UserKey) -> Address:
        """The person's private chat when nothing better is known (Telegram: chat id == user id)."""
        return cls(key.platform, key.user_id)


@dataclass(frozen=True, slots=True)
class Saved:
    """A stored conversation and the version to pass back as ``expected_version``."""

    state: State
    version: int


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """One stored answer. Choices and numbers are queryable; free text stays in ``value_text``
    (the one column that may later be encrypted). ``position`` orders the items of a
    multi-choice answer and is ``None`` for a single value."""

    question: str
    value_text: str | None = None
    value_choice: str | None = None
    value_int: int | None = None
    position: int | None = None

    @property
    def value(self) -> JSON:
        if self.value_int is not None:
            return self.value_int
        if self.value_choice is not None:
            return self.value_choice
        return self.value_text


@dataclass(frozen=True, slots=True)
class FinishedRecord:
    """A finished reflection or check-in, as it is written."""

    kind: str
    person_id: str
    started_at: datetime
    finished_at: datetime
    answers: tuple[AnswerRow, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordSummary:
    """A finished reflection or check-in, as history reads it back."""

    id: int
    kind: str
    person_id: str
    started_at: datetime
    finished_at: datetime
    answers: Mapping[str, JSON]


@dataclass(frozen=True, slots=True)
class HistoryPage:
    items: tuple[RecordSummary, ...]
    page: int
    pages: int


@dataclass(frozen=True, slots=True)
class Due:
    """Something to deliver at ``due_at``. ``key`` is unique per person: scheduling the same key
    again moves it, :class:`TurnWrite` ``cancel`` removes it."""

    key: str
    kind: str
    due_at: datetime
    payload: Mapping[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MantraSettings:
    """A change of mantra schedule. ``next_due`` is computed by the service (UTC)."""

    enabled: bool
    time: str
    tz: str
    days: str
    next_due: datetime | None


@dataclass(frozen=True, slots=True)
class MantraSubscription:
    enabled: bool
    time: str
    tz: str
    days: str
    next_due: datetime | None
    rotation: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class TurnWrite:
    """Everything one turn persists, written in one transaction.

    ``address`` (when given) becomes the person's delivery address and clears an earlier
    "unreachable" mark. ``forget`` deletes the person and everything about them; the other
    fields are then ignored and nothing is stored for them afterwards.
    """

    state: State
    address: Address | None = None
    finished: tuple[FinishedRecord, ...] = ()
    schedule: tuple[Due, ...] = ()
    cancel: tuple[str, ...] = ()
    mantras: MantraSettings | None = None
    forget: bool = False
    snooze_until: datetime | None = None
    """Deliver no mantra before this instant: the next one is the schedule's first at or
    after it, or the one already due if that is later (so snoozing twice snoozes once)."""
    snooze_gentle: bool = False
    """The snooze follows a disclosure: until ``snooze_until``, no held-back line is sent."""


@dataclass(frozen=True, slots=True)
class InboxItem:
    """An update received from a platform and recorded before it was acknowledged."""

    platform: str
    update_id: int
    body: bytes


class Store(Protocol):
    """Where conversations, records, schedules and due deliveries live."""

    def turn(self, key: UserKey) -> AbstractAsyncContextManager[None]:
        """Held around one turn's load, step and save: no other turn of ``key`` runs in any
        process sharing the database until it is left (PostgreSQL: an advisory lock; one file
        or memory: nothing more than the service's own per-person lock). Nothing slow (no
        platform call) is done while it is held. ``expected_version`` stays the real guard."""
        ...

    async def load(self, key: UserKey) -> Saved | None:
        """The person's conversation, or ``None`` if nothing is stored (version 0)."""
        ...

    async def save(self, key: UserKey, turn: TurnWrite, *, expected_version: int) -> int:
        """Write a turn atomically and return the new version (0 after ``forget``).

        Raises :class:`~bot.errors.StaleWrite` if the stored version is not
        ``expected_version`` (nothing is written), :class:`~bot.errors.StoreUnavailable` if the
        database cannot be written (nothing is written).
        """
        ...

    async def history(self, key: UserKey, *, page: int = 0, per_page: int = 5) -> HistoryPage:
        """Finished records, newest first; ``page`` counts from 0."""
        ...

    async def record(self, key: UserKey, record_id: int) -> RecordSummary | None:
        """One finished record of the person's; ``None`` when they have none with that id
        (another person's record is never returned)."""
        ...

    async def export(self, key: UserKey) -> dict[str, JSON]:
        """Every stored row about the person, as a JSON-able document."""
        ...

    async def mantras(self, key: UserKey) -> MantraSubscription | None: ...

    async def mark_unreachable(self, key: UserKey) -> None:
        """The person blocked the bot: remember it and switch their mantras off."""
        ...

    async def inbox_put(self, platform: str, update_id: int, body: bytes) -> bool:
        """Record an update durably (committed) before the platform is told it arrived; whether
        it is new (``False``: this update id was recorded before, so it is not applied again).
        The body is sealed like everything a person wrote."""
        ...

    async def inbox_pending(self, platform: str, limit: int) -> list[InboxItem]:
        """Recorded updates not yet applied, oldest first (after a crash: from before it)."""
        ...

    async def inbox_done(self, platform: str, update_id: int) -> None:
        """The update was applied: its body is erased; its id is remembered for
        :data:`INBOX_KEEP_SECONDS` to recognise a repeated delivery."""
        ...

    async def ping(self) -> None:
        """One cheap round trip to the data (for ``/healthz``); raises
        :class:`~bot.errors.StoreUnavailable` when the store cannot answer or write."""
        ...

    async def close(self) -> None: ...


CLAIM_LEASE_SECONDS = 600
"""How long a claimed due item stays reserved for the process that claimed it."""
INBOX_KEEP_SECONDS = 86_400
"""How long the id of an applied update is kept (Telegram gives up redelivering within a day)."""


@asynccontextmanager
async def no_lock(key: UserKey) -> AsyncIterator[None]:
    """:meth:`Store.turn` of a store that only one process writes at a time."""
    yield


def utc_now() -> datetime:
    """The real clock, timezone-aware UTC: the default wherever a clock can be passed in."""
    return datetime.now(UTC)


def to_db_time(at: datetime) -> str:
    """A fixed-width UTC ISO-8601 string; naive datetimes are a programmer error."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("naive datetime: Threshold keeps every time timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def from_db_time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def answers_from_rows(rows: list[AnswerRow]) -> dict[str, JSON]:
    """Rebuild an answers mapping: a row with a ``position`` belongs to a list."""
    answers: dict[str, JSON] = {}
    lists: dict[str, list[tuple[int, JSON]]] = {}
    for row in rows:
        if row.position is None:
            answers[row.question] = row.value
        else:
            lists.setdefault(row.question, []).append((row.position, row.value))
    for question, items in lists.items():
        answers[question] = [value for _, value in sorted(items, key=lambda item: item[0])]
    return answers


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def answer_json(a: AnswerRow) -> JSON:
    return {
        "question": a.question,
        "position": a.position,
        "value_text": a.value_text,
        "value_choice": a.value_choice,
        "value_int": a.value_int,
    }


def mantras_json(sub: MantraSubscription) -> JSON:
    return {
        "enabled": sub.enabled,
        "time": sub.time,
        "tz": sub.tz,
        "days": sub.days,
        "next_due": None if sub.next_due is None else to_db_time(sub.next_due),
        "rotation": list(sub.rotation),
    }
