"""What the machine says and does when words suggest self-harm, suicide or abuse: a calm
message with help resources, the question crisis lines ask first — are you safe right now? —
and what the answer leads to. Pure; :mod:`dialogs.safety` does the noticing.

* **The question.** "I'm safe — let's go on gently" goes on to where the person was going
  (``then``), gently: the self-respect judgement questions are left out for the rest of that
  conversation. "I'm safe, but I'd like to stop" pauses there: nothing they wrote is thrown
  away, and the flow can be picked up later. "No, I'm not safe right now" puts the resources
  first and foremost and the reflection waits, until "I'm safe now" or "Make a safety plan".
* **Staying.** Each disclosure is remembered (``State.disclosed``, the last day's): a second one
  the same day is answered as a second one. Scheduled mantras are paused for
  ``[care] hold_hours`` (the person is told, with one tap to resume), lines that could read as
  "disappear" are held back for as long, and the next conversation begins by asking how the
  person is since (``State.ask_since``; :mod:`dialogs.since`).

The open question lives in the state as ``safety_then`` (where to go on to: a node id, or
:data:`IDLE`) and ``safety_step`` (``ask`` or ``unsafe``). Buttons are
``thr:core.safety:<option>:<ask>``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dialogs.frozen import replace
from dialogs.model import Button, Effect, Reply, SnoozeMantras, State
from dialogs.prompts import button_data, resources
from dialogs.safety import Concern
from dialogs.script import Option, Script

SAFETY = "core.safety"
IDLE = "@idle"
"""Go on to: nothing was in progress (the menu, or a newcomer's first reflection)."""
SAFE = "safe"
STOP = "stop"
UNSAFE = "unsafe"
SAFE_NOW = "safe_now"
PLAN = "plan"
GO_ON = SAFE  # kept for the buttons of messages sent before the question was asked
_SAFE_WORDS = ("yes", "y", "yeah", "safe", "i'm safe", "im safe", "i am safe", "yes i am")
_UNSAFE_WORDS = (
    "no", "n", "nope", "not safe", "i'm not safe", "not okay", "not ok", "not alright",
    "not really", "not sure", "i don't know", "i dont know", "don't know", "dont know",
)  # fmt: skip
"""Unsure is answered as not safe: when in doubt, the resources come first."""
OPTIONS = {
    "ask": (
        (SAFE, "safety_safe_label", _SAFE_WORDS),
        (STOP, "safety_stop_label", ("stop", "stop for now", "stop here")),
        (UNSAFE, "safety_unsafe_label", _UNSAFE_WORDS),
    ),
    "unsafe": (
        (SAFE_NOW, "safety_safe_now_label", ("yes", "safe", "i'm safe", "im safe", "safe now")),
        (PLAN, "safety_plan_label", ("plan", "safety plan", "make a plan", "make a safety plan")),
    ),
}
DAY = timedelta(days=1)


def pending(state: State) -> str | None:
    """Where the person goes on to, while they are answering the safety question."""
    return state.safety_then


def step_of(state: State) -> str:
    step = state.safety_step
    return step if step in OPTIONS else "ask"


def without(state: State) -> State:
    return replace(state, safety_then=None, safety_step=None)


def choices(state: State, script: Script) -> tuple[Option, ...]:
    return tuple(
        Option(id=option, label=script.say(label), aliases=aliases)
        for option, label, aliases in OPTIONS[step_of(state)]
    )


def known(option_id: str) -> bool:
    return any(option_id == o for options in OPTIONS.values() for o, _, _ in options)


def question(state: State, script: Script) -> Reply:
    """The question open now (are you safe? or, once not, the way back), with its buttons."""
    buttons = tuple(
        Button(button_data(SAFETY, option.id, state.ask), option.label)
        for option in choices(state, script)
    )
    key = "safety_question" if step_of(state) == "ask" else "safety_unsafe_question"
    return Reply(text=script.say(key), kind="ask", buttons=buttons)


def recent(state: State, at: datetime) -> tuple[str, ...]:
    """The disclosures of the last day (older ones are forgotten)."""
    return tuple(d for d in state.disclosed if at - datetime.fromisoformat(d) < DAY)


def held(state: State, at: datetime, script: Script) -> bool:
    """Whether mantras that could hurt are held back now (a disclosure in the last hours)."""
    hold = timedelta(hours=script.care_hold_hours)
    return any(at - datetime.fromisoformat(d) < hold for d in state.disclosed)


def offer(
    state: State, concern: Concern, then: str, script: Script, at: datetime, *, lead: str = ""
) -> tuple[State, list[Reply], list[Effect]]:
    """The calm message with the resources, and the question; ``then`` is where going on goes.
    ``lead`` replaces the opening words (a question of the content that leads here)."""
    earlier = recent(state, at)
    again = "_again" if earlier else ""
    state = replace(
        state,
        safety_then=then,
        safety_step="ask",
        gentle=state.gentle or state.flow is not None,
        ask=state.ask + 1,
        disclosed=(*earlier, at.isoformat()),
        ask_since=True,
    )
    message = lead or script.say(f"safety_{concern}{again}")
    message += f"\n\n{resources(state, script)}"
    if state.data.get("kind") == "work":  # workplace help beside the general resources
        message += f"\n\n{script.say('work_help')}"
    effects: list[Effect] = []
    if state.mantras.get("enabled"):
        until = at + timedelta(hours=script.care_hold_hours)
        effects.append(SnoozeMantras(until=until, gentle=True))
    return state, [Reply(text=message), question(state, script)], effects


def mantras_paused(state: State, script: Script, at: datetime) -> Reply | None:
    """Telling the person their mantras are paused, with one tap to resume them."""
    if not state.mantras.get("enabled") or not held(state, at, script):
        return None
    resume = Button(
        button_data("core.mantra", "resume", _minute(at)), script.say("mantra_resume_label")
    )
    return Reply(script.say("mantras_paused", hours=script.care_hold_hours), buttons=(resume,))


def _minute(at: datetime) -> int:
    return int(at.timestamp() // 60)


def with_resources(script: Script, text: str) -> Script:
    """``script`` showing ``text`` wherever it shows help resources (``SAFETY_RESOURCES_FILE``)."""
    escaped = text.strip().replace("{", "{{").replace("}", "}}")
    return replace(script, messages={**script.messages, "safety": escaped})
