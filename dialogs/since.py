"""After a disclosure, the next conversation opens by asking how the person is since.

:func:`due` says whether to ask now (``State.ask_since`` is set by :func:`dialogs.care.offer`,
and some hours have passed: the content's ``[care] since_after_hours``). The question is
``thr:core.since:<better|same|worse|skip>:<ask>``; what the person came to do waits in
``State.since_then`` (a command's name, or ``""``) and is done once they have answered. Asked
once: any answer, or any other command, lets it go. Pure.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dialogs.frozen import replace
from dialogs.model import Button, Reply, State
from dialogs.prompts import button_data, resources
from dialogs.script import Option, Script

SINCE = "core.since"
_SAME = (
    "same", "about the same", "the same", "ok", "okay", "no better", "not any better",
    "no different", "not much different",
)  # fmt: skip
_WORSE = (
    "worse", "bad", "not good", "worse than before", "not okay", "not ok", "not great",
    "not well", "not so good",
)  # fmt: skip
OPTIONS = (
    ("better", "since_better_label", ("better", "a little better", "a bit better", "good")),
    ("same", "since_same_label", _SAME),
    ("worse", "since_worse_label", _WORSE),
    ("skip", "since_skip_label", ("skip", "rather not say", "pass")),
)


def due(state: State, at: datetime, script: Script) -> bool:
    if not state.ask_since or not state.disclosed or state.since_then is not None:
        return False
    last = datetime.fromisoformat(state.disclosed[-1])
    return at - last >= timedelta(hours=script.since_after_hours)


def pending(state: State) -> str | None:
    return state.since_then


def choices(script: Script) -> tuple[Option, ...]:
    return tuple(Option(id=o, label=script.say(label), aliases=a) for o, label, a in OPTIONS)


def ask(state: State, wanted: str, script: Script) -> tuple[State, Reply]:
    """Ask how they are since; ``wanted`` is what they came to do (a command, or ``""``)."""
    state = replace(state, since_then=wanted, ask=state.ask + 1, ask_since=False)
    return state, question(state, script)


def question(state: State, script: Script) -> Reply:
    buttons = tuple(
        Button(button_data(SINCE, option.id, state.ask), option.label) for option in choices(script)
    )
    return Reply(script.say("since_question"), kind="ask", buttons=buttons)


def without(state: State) -> State:
    return replace(state, since_then=None)


def answer_text(option_id: str, state: State, script: Script) -> str:
    return script.say(f"since_{option_id}", safety=resources(state, script))


__all__ = ["SINCE", "ask", "choices", "due", "pending", "question", "without"]
