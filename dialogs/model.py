"""The dialog's vocabulary: events that come in, state that is kept, replies and effects going out.

Everything here is plain, frozen data. State holds only JSON-able values so it can be persisted
as-is; no platform object and no clock ever enters it (the time arrives on each event as ``at``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeAlias

JSON: TypeAlias = "bool | int | float | str | list[JSON] | dict[str, JSON] | None"

STATE_VERSION = 2
"""Bumped whenever the persisted shape of :class:`State` changes; :mod:`dialogs.codec` upgrades
a state of every earlier version as it reads it (1 kept its side questions in ``data``)."""

# --------------------------------------------------------------------------------------------
# Events: what a person did.


@dataclass(frozen=True)
class Text:
    """The person typed something that is not a command."""

    text: str
    at: datetime
    locale: str | None = None
    """The language the platform says the person uses (``de``, ``pt-BR``), when it says."""


@dataclass(frozen=True)
class Pick:
    """The person pressed a button. ``data`` is the button's id exactly as it came back."""

    data: str
    at: datetime
    locale: str | None = None


@dataclass(frozen=True)
class Command:
    """A slash command such as ``/cancel``; ``name`` without the slash, lower case."""

    name: str
    at: datetime
    arg: str = ""
    locale: str | None = None


@dataclass(frozen=True)
class Unsupported:
    """Something the bot cannot read. ``what`` names it: ``sticker``, ``photo``, ``voice``,
    ``document`` …, ``edited`` (an edited message) or ``long`` (over the platform's limit); a
    ``what`` with its own message in the content (``unsupported_<what>``) gets that, and the
    general one names the thing by its ``thing.<what>`` line (``thing.other`` when it has none)."""

    what: str
    at: datetime


Event: TypeAlias = Text | Pick | Command | Unsupported

# --------------------------------------------------------------------------------------------
# Replies: what the person sees.

ReplyKind = Literal["say", "ask", "notice", "answer"]


@dataclass(frozen=True)
class Button:
    """One choice. ``data`` is ``thr:<node>:<option>:<ask>`` and fits Telegram's 64 bytes."""

    data: str
    label: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    media_type: str
    data: bytes


@dataclass(frozen=True)
class Reply:
    """A message to show.

    ``kind`` tells adapters how to present it: ``ask`` is a question waiting for an answer
    (``buttons`` may be empty when only typed text is expected, ``free_text`` says whether typed
    text is accepted); ``answer`` is the label of the choice just made on the previous question,
    which adapters show by editing that question (dropping its buttons) or by echoing it;
    ``notice`` is a short aside such as "that button is from an earlier question"; ``say`` is
    anything else. ``updates_prompt`` marks a question re-shown only because a toggle changed
    (a multi-choice step): adapters that can edit the previous question do so instead of sending
    a new message.
    """

    text: str
    kind: ReplyKind = "say"
    buttons: tuple[Button, ...] = ()
    free_text: bool = False
    updates_prompt: bool = False
    attachment: Attachment | None = None
    numbers_are_values: bool = False
    """A number typed in answer is a value in itself (a number of days), not the position of
    a button: adapters that number their buttons for typing should not number these."""
    alone: bool = False
    """A message that stands on its own (a finished reflection's card, the safety plan):
    adapters that join short lines into the next question's message keep this one apart."""


# --------------------------------------------------------------------------------------------
# Effects: what the service must do after a turn.


@dataclass(frozen=True)
class Finish:
    """A reflection or check-in is complete: store it with every answer."""

    kind: Literal["reflection", "checkin"]
    person_id: str
    started_at: datetime
    finished_at: datetime
    answers: Mapping[str, JSON]


@dataclass(frozen=True)
class ScheduleAt:
    """Remind the person at ``due_at`` (UTC). ``key`` identifies it for :class:`Cancel`."""

    due_at: datetime
    key: str
    kind: Literal["checkin_reminder"]
    payload: Mapping[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True)
class Cancel:
    key: str


@dataclass(frozen=True)
class SetMantras:
    """Turn scheduled mantras on (with a schedule) or off."""

    enabled: bool
    time: str = "09:00"
    """Local time of day, ``HH:MM``."""
    tz: str = "UTC"
    """IANA time zone name."""
    days: str = "daily"
    """``daily``, ``weekdays``, or one weekday: ``mon`` … ``sun``."""


@dataclass(frozen=True)
class SnoozeMantras:
    """Send no scheduled mantra before ``until`` (UTC); the schedule itself stays as it is.
    Pressing the same snooze button twice gives the same ``until``: it is idempotent.
    ``gentle``: after a disclosure — until then, also never send a line the content holds back
    (one that could read as "disappear"), even if the person resumes them sooner."""

    until: datetime
    gentle: bool = False


@dataclass(frozen=True)
class ShowHistory:
    page: int = 0


@dataclass(frozen=True)
class ShowRecord:
    """Show one finished reflection or check-in of the person's, with their own words.
    ``record_id`` came back on a button: the service shows it only if it is theirs."""

    record_id: int


@dataclass(frozen=True)
class ExportData:
    pass


@dataclass(frozen=True)
class ForgetUser:
    """Delete everything about the person. The machine emits it only after a confirmation."""


@dataclass(frozen=True)
class ShowMantras:
    """Show the person's mantra schedule and the next delivery in their local time."""


Effect: TypeAlias = (
    Finish
    | ScheduleAt
    | Cancel
    | SetMantras
    | SnoozeMantras
    | ShowHistory
    | ShowRecord
    | ExportData
    | ForgetUser
    | ShowMantras
)

# --------------------------------------------------------------------------------------------
# State: where the person is.


@dataclass(frozen=True)
class State:
    """One person's conversation, persisted after every turn.

    ``flow``/``node`` say where they are (``None`` when idle). ``data`` holds the answers of the
    flow in progress, ``trail`` the nodes already answered (for ``/back``), ``ask`` counts the
    questions shown so far; every button carries the ``ask`` it was shown at, so a button from an
    earlier question is recognised. ``people`` lists the relationships reflected on so far (id,
    name, kind, decision) so a check-in can offer them. ``mantra_seen`` is the rotation so far.
    """

    flow: str | None = None
    node: str | None = None
    data: Mapping[str, JSON] = field(default_factory=dict)
    """The answers of the flow in progress, by the question's ``store`` (nothing else)."""
    trail: tuple[str, ...] = ()
    ask: int = 0
    started_at: str | None = None
    last_at: str | None = None
    intro_seen: bool = False
    people: tuple[Mapping[str, JSON], ...] = ()
    mantra_seen: tuple[int, ...] = ()
    mantras: Mapping[str, JSON] = field(default_factory=dict)
    """The person's mantra schedule as they chose it (``enabled``, ``time``, ``tz``, ``days``);
    the store's subscription row is what the scheduler reads."""
    heard: tuple[str, ...] = ()
    """The acknowledgement lines said lately (their ids, oldest first), so that none is said
    twice while another one fits (:mod:`dialogs.listening`)."""
    disclosed: tuple[str, ...] = ()
    """When words that suggest harm were last answered with the safety message (UTC ISO
    times, the last day's only): a second one in a day is answered as a second one, and for
    48 hours after one, mantras are held back (:mod:`dialogs.care`)."""
    ask_since: bool = False
    """After a disclosure: the next conversation opens by asking how the person is since."""
    plan: Mapping[str, JSON] = field(default_factory=dict)
    """The person's safety plan (``/safety``), step by step, in their own words."""
    locale: str | None = None
    """The person's language as their platform last said it (``de``, ``pt-br``): it chooses the
    help resources where the host has given some per language."""
    paused: Mapping[str, JSON] = field(default_factory=dict)
    """A flow set aside while the safety plan is made (``flow``, ``node``, ``data``, ``trail``,
    ``started_at``, ``gentle``); it is taken up again when the plan is done."""
    # A question asked beside the flow, open until answered (at most one of these is set):
    switch_to: str | None = None
    """"Leave it and start the …?": the flow the person asked for, with another in progress."""
    cancelling: bool = False
    """"Stop this reflection here?": asked once before answers are dropped."""
    safety_then: str | None = None
    """"Are you safe right now?": where going on goes (a node id, or ``@idle``)."""
    safety_step: str | None = None
    """Which safety question is open: ``ask`` (are you safe?) or ``unsafe`` (the way back)."""
    since_then: str | None = None
    """"How are you since?": the command the person came with (``""``: none)."""
    zones_offered: tuple[str, ...] = ()
    """The time zones offered to choose from (a city that is in several, a clock time)."""
    # The flow in progress, beside its answers (reset when it ends):
    gentle: bool = False
    """A disclosure was made in it: it goes on gently (no judging questions, no essay line)."""
    gentle_said: bool = False
    low: bool = False
    """A rating in it was as low as it goes: it ends with care, not an essay line."""
    version: int = STATE_VERSION


@dataclass(frozen=True)
class Step:
    """What :func:`dialogs.machine.step` returns."""

    state: State
    replies: tuple[Reply, ...]
    effects: tuple[Effect, ...] = ()
