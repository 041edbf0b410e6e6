"""How a flow ends, or does something on the way: a finished reflection or check-in (stored,
and shown as its card), and the effects of the content (mantras on or off, forgetting, the
safety plan). Pure helpers of :mod:`dialogs.flow`: what they say and ask for is appended to the
turn's replies and effects.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from dialogs import care, prompts
from dialogs.frozen import replace
from dialogs.mantras import next_mantra
from dialogs.model import (
    JSON,
    Cancel,
    Effect,
    Finish,
    ForgetUser,
    Reply,
    ScheduleAt,
    SetMantras,
    State,
)
from dialogs.script import Node, Script

MAX_PEOPLE = 8
"""The relationships a state remembers for the check-in picker (the most recent ones); every
record stays in the store whatever falls off this list."""


def finish(
    state: State, node: Node, script: Script, at: datetime, said: list[Reply], effects: list[Effect]
) -> State:
    """Store the reflection or check-in (its answers, the person it was about, a reminder if
    one was asked for) and show its card."""
    data = dict(state.data)
    person_id = data.get("person_id")
    if not isinstance(person_id, str) or not person_id:
        numbers = [int(str(p.get("id", "p0"))[1:] or 0) for p in state.people]
        person_id = f"p{max(numbers, default=0) + 1}"
    if data.get("keep") == "keep" and "prev_decision" in data:
        data["decision"] = data["prev_decision"]
    record_answers = {k: v for k, v in data.items() if k not in ("person_id", "prev_decision")}
    started = datetime.fromisoformat(state.started_at) if state.started_at else at
    kind: Literal["reflection", "checkin"] = (
        "reflection" if node.record == "reflection" else "checkin"
    )
    effects.append(
        Finish(
            kind=kind,
            person_id=person_id,
            started_at=started,
            finished_at=at,
            answers=record_answers,
        )
    )
    previous = next((p for p in state.people if p.get("id") == person_id), {})
    reminder = f"checkin:{person_id}"
    days = data.get("followup_days")
    remind_at: str | None = None
    if isinstance(days, int) and days > 0:  # replaces a reminder asked for before
        due = at + timedelta(days=days)
        remind_at = due.isoformat()
        effects.append(
            ScheduleAt(
                due_at=due, key=reminder, kind="checkin_reminder", payload={"person_id": person_id}
            )
        )
    elif previous.get("remind_at"):  # checked in (or let go) without asking again: none due
        effects.append(Cancel(reminder))
    others = sorted(
        (dict(p) for p in state.people if p.get("id") != person_id),
        key=lambda p: str(p.get("last_at") or ""),
    )
    people = others[-(MAX_PEOPLE - 1) :]
    words = prompts.last_words(data, script) or previous.get("words")
    entry: dict[str, JSON] = {
        "id": person_id,
        "name": data.get("name") or previous.get("name"),
        "kind": data.get("kind") or previous.get("kind"),
        "decision": data.get("decision") or previous.get("decision"),
        "last_at": at.isoformat(),
    }
    if words:
        entry["words"] = words
    if remind_at:
        entry["remind_at"] = remind_at
    people.append(entry)
    seen = state.mantra_seen
    if state.gentle or state.low:  # after pain, no slogan: a gentle close
        essay = script.say("gentle_close")
    else:
        held = script.held_mantras if care.held(state, at, script) else frozenset()
        index, seen = next_mantra(len(script.mantras), seen, state.started_at or "", held)
        essay = script.say("essay_line", mantra=script.mantras[index])
    text = prompts.fill_prompt(
        node, prompts.fields(state, script), card=prompts.card(data, script), essay=essay
    )
    said.append(Reply(text, alone=True))
    return replace(state, data={}, trail=(), people=tuple(people), mantra_seen=seen)


def run_effect(
    state: State, node: Node, script: Script, at: datetime, said: list[Reply], effects: list[Effect]
) -> State:
    """Do what an effect node says (mantras on or off, forget, the safety plan), and say so."""
    if node.effect == "plan_load":  # a plan made before: shown, and each step kept a tap away
        if not state.plan:
            return state
        return replace(state, data={**state.data, **state.plan})
    if node.effect == "plan_save":
        steps = {line.answer for line in script.plan_card}  # the plan is what its card shows
        plan = {k: v for k, v in state.data.items() if k in steps and v}
        state = replace(state, plan=plan)
        card = prompts.fill_prompt(node, {"plan_card": prompts.plan_card(plan, script)})
        said.append(Reply(card, alone=True))
        return state
    if node.effect == "forget":
        effects.append(ForgetUser())
        said.append(Reply(prompts.fill_prompt(node, prompts.fields(state, script))))
        return State(ask=state.ask)
    settings = dict(state.mantras)
    if node.effect == "mantras_on":
        settings = {
            "enabled": True,
            "time": str(state.data.get("time") or settings.get("time") or "09:00"),
            "tz": str(state.data.get("tz") or settings.get("tz") or "UTC"),
            "days": str(state.data.get("days") or settings.get("days") or "daily"),
        }
    else:
        settings["enabled"] = False
    effects.append(
        SetMantras(
            enabled=bool(settings["enabled"]),
            time=str(settings.get("time") or "09:00"),
            tz=str(settings.get("tz") or "UTC"),
            days=str(settings.get("days") or "daily"),
        )
    )
    state = replace(state, mantras=settings)
    said.append(Reply(prompts.fill_prompt(node, prompts.fields(state, script, now=at))))
    return state
