"""Messages the bot sends unasked (a scheduled mantra, a check-in reminder) and their buttons.

The scheduler builds each delivered message with :func:`mantra_reply` or :func:`reminder_reply`;
the buttons under it come back, maybe days later, as ordinary :class:`~dialogs.model.Pick`
events and :func:`on_press` says what they mean. Their data is
``thr:core.mantra:<stop|snooze>:<minute>`` or ``thr:core.remind:checkin:<minute>``, where
``<minute>`` is the delivery's scheduled instant in minutes since the Unix epoch (UTC). Unlike
a question's buttons they carry no ``ask`` number, so they never go stale; and answering them
leaves the open question (node, answers, ``ask``) exactly as it was. Each press is idempotent:
stopping twice leaves mantras off, and snoozing twice from the same message gives the same
``until`` (it counts from the delivery, not from the press).

Pure: the wording lives in ``content/messages.toml``, the snooze length in ``content/mantras.toml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dialogs.model import JSON, Button, Effect, Reply, SetMantras, SnoozeMantras, State
from dialogs.prompts import button_data, reminders_note
from dialogs.script import Script

MANTRA = "core.mantra"
REMINDER = "core.remind"
NODES = frozenset({MANTRA, REMINDER})
STOP = "stop"
SNOOZE = "snooze"
RESUME = "resume"
CHECKIN = "checkin"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LAST_MINUTE = 999_999_999  # the largest number a button's last part may hold (nine digits)

__all__ = [
    "MANTRA",
    "NODES",
    "REMINDER",
    "Press",
    "instant",
    "mantra_reply",
    "minute",
    "on_press",
    "reminder_reply",
    "typed",
]


def minute(at: datetime) -> int:
    """``at`` as whole minutes since the Unix epoch (what a delivery's buttons carry)."""
    return int((at.astimezone(UTC) - _EPOCH) // timedelta(minutes=1))


def instant(minutes: int) -> datetime:
    return _EPOCH + timedelta(minutes=minutes)


def mantra_reply(script: Script, index: int, due_at: datetime) -> Reply:
    """A scheduled mantra: line ``index`` of the essay, with one-tap stop and snooze."""
    at = minute(due_at)
    return Reply(
        text=script.mantras[index % len(script.mantras)],
        buttons=(
            Button(button_data(MANTRA, STOP, at), script.say("mantra_stop_label")),
            Button(button_data(MANTRA, SNOOZE, at), script.say("mantra_snooze_label")),
        ),
    )


def reminder_reply(script: Script, state: State, person_id: str, due_at: datetime) -> Reply:
    """The "check in with me in N days" reminder, naming the person as the state knows them,
    with a button that starts the check-in."""
    person = next((p for p in state.people if p.get("id") == person_id), {})
    name = person.get("name")
    return Reply(
        text=script.say("checkin_reminder", name=name if name else script.say("someone")),
        buttons=(
            Button(button_data(REMINDER, CHECKIN, minute(due_at)), script.say("checkin_now")),
        ),
    )


@dataclass(frozen=True)
class Press:
    """What a press on a delivered message does: replies to show, effects for the service, the
    person's new mantra settings (``None``: unchanged), and whether a check-in starts."""

    replies: tuple[Reply, ...]
    effects: tuple[Effect, ...] = ()
    mantras: Mapping[str, JSON] | None = None
    start_checkin: bool = False


def on_press(
    state: State, node_id: str, option_id: str, at: int, now: datetime, script: Script
) -> Press | None:
    """The meaning of a delivery's button; ``None`` for data no delivery ever carries."""
    if not 0 <= at <= _LAST_MINUTE:
        return None
    if node_id == REMINDER and option_id == CHECKIN:
        return Press((Reply(script.say("checkin_now"), kind="answer"),), start_checkin=True)
    if node_id != MANTRA or option_id not in (STOP, SNOOZE, RESUME):
        return None
    settings = state.mantras
    if option_id == RESUME:  # paused after a disclosure: on again from now, lines still held
        answered = Reply(script.say("mantra_resume_label"), kind="answer")
        if not settings.get("enabled"):
            return Press((answered, Reply(script.say("mantra_already_off"))))
        effect = SetMantras(
            enabled=True,
            time=str(settings.get("time") or "09:00"),
            tz=str(settings.get("tz") or "UTC"),
            days=str(settings.get("days") or "daily"),
        )
        return Press((answered, Reply(script.say("mantras_resumed"))), (effect,))
    label = script.say("mantra_stop_label" if option_id == STOP else "mantra_snooze_label")
    answered = Reply(label, kind="answer")
    if option_id == STOP:
        effect = SetMantras(
            enabled=False,
            time=str(settings.get("time") or "09:00"),
            tz=str(settings.get("tz") or "UTC"),
            days=str(settings.get("days") or "daily"),
        )
        said = "mantra_stopped" if settings.get("enabled") else "mantra_already_off"
        text = script.say(said, reminders=reminders_note(state, script, now))
        return Press((answered, Reply(text)), (effect,), mantras={**settings, "enabled": False})
    if not settings.get("enabled"):
        return Press((answered, Reply(script.say("mantra_already_off"))))
    until = instant(at) + timedelta(days=script.snooze_days)
    if until <= now:
        return Press((answered, Reply(script.say("mantra_snooze_over"))))
    return Press(
        (answered, Reply(script.say("mantra_snoozed", days=script.snooze_days))),
        (SnoozeMantras(until=until),),
    )


def typed(state: State, text: str, now: datetime, script: Script) -> Press | None:
    """Words typed instead of a delivered message's buttons ("stop mantras", "snooze", or a
    button's own label): the same as pressing it, a snooze counted from now. ``None`` for any
    other text."""
    key = _key(text)
    if key in script.stop_words or key == _key(script.say("mantra_stop_label")):
        return on_press(state, MANTRA, STOP, minute(now), now, script)
    if key in script.snooze_words or key == _key(script.say("mantra_snooze_label")):
        return on_press(state, MANTRA, SNOOZE, minute(now), now, script)
    if key == _key(script.say("checkin_now")):
        return on_press(state, REMINDER, CHECKIN, minute(now), now, script)
    return None


def _key(text: str) -> str:
    return " ".join(text.casefold().strip(" .!").split())
