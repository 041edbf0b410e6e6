"""What the machine says when words suggest self-harm, suicide or abuse: a calm message, help
resources, then a choice to go on or stop. Pure; :mod:`dialogs.safety` does the noticing.

The pending choice lives in the state as ``data["_safety"]``: where to go on to (a node id, or
:data:`IDLE` when nothing was in progress). Buttons are ``thr:core.safety:<go_on|stop>:<ask>``.
"""

from __future__ import annotations

from dataclasses import replace

from dialogs.model import JSON, Button, Reply, State
from dialogs.prompts import button_data
from dialogs.safety import Concern
from dialogs.script import Option, Script

SAFETY = "core.safety"
SAFETY_KEY = "_safety"
IDLE = "@idle"
"""Go on to: nothing was in progress (the menu, or a newcomer's first reflection)."""
GO_ON = "go_on"
STOP = "stop"


def pending(state: State) -> str | None:
    """Where the person goes on to, while they are choosing after a safety message."""
    then = state.data.get(SAFETY_KEY)
    return then if isinstance(then, str) else None


def without(state: State) -> State:
    return replace(state, data={k: v for k, v in state.data.items() if k != SAFETY_KEY})


def choices(script: Script) -> tuple[Option, ...]:
    return (
        Option(id=GO_ON, label=script.say("safety_go_on"), aliases=("go on", "continue", "yes")),
        Option(id=STOP, label=script.say("safety_stop"), aliases=("stop", "no")),
    )


def question(state: State, script: Script) -> Reply:
    """The go-on-or-stop question, with buttons for the current ``state.ask``."""
    buttons = tuple(
        Button(button_data(SAFETY, option.id, state.ask), option.label)
        for option in choices(script)
    )
    return Reply(text=script.say("safety_question"), kind="ask", buttons=buttons)


def offer(state: State, concern: Concern, then: str, script: Script) -> tuple[State, list[Reply]]:
    """The calm message with the resources, and the question; ``then`` is where "go on" goes."""
    data: dict[str, JSON] = {**state.data, SAFETY_KEY: then}
    state = replace(state, data=data, ask=state.ask + 1)
    message = f"{script.say(f'safety_{concern}')}\n\n{script.say('safety')}"
    if state.data.get("kind") == "work":  # workplace help beside the general resources
        message += f"\n\n{script.say('work_help')}"
    return state, [Reply(text=message), question(state, script)]


def leads_to_help(option: Option, script: Script) -> bool:
    """Whether choosing ``option`` already shows the safety message (its next node does)."""
    target = script.nodes.get(option.then or option.next or "")
    return target is not None and "{safety}" in target.prompt


def with_resources(script: Script, text: str) -> Script:
    """``script`` showing ``text`` wherever it shows help resources (``SAFETY_RESOURCES_FILE``)."""
    escaped = text.strip().replace("{", "{{").replace("}", "}}")
    return replace(script, messages={**script.messages, "safety": escaped})
