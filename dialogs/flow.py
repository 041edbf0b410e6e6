"""Moving through a flow: asking a node, answering it, going on, beginning and ending flows.

Helpers of :mod:`dialogs.machine`, pure like it; :class:`Out` collects what one step says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from dialogs import care, listening, prompts, since
from dialogs.mantras import next_mantra
from dialogs.model import (
    JSON,
    Button,
    Cancel,
    Effect,
    Finish,
    ForgetUser,
    Reply,
    ScheduleAt,
    SetMantras,
    ShowMantras,
    State,
)
from dialogs.prompts import TZ_CANDIDATES
from dialogs.script import Node, Script

FLOW_COMMANDS = frozenset({"reflect", "checkin", "mantras", "forget", "safety"})
NO_INTRO_FLOWS = frozenset({"forget"})
KEEPS_OPENING = frozenset({"reflect", "checkin"})
"""Flows that keep what the person wrote before they began (``opening``) with their answers."""
SWITCH = "core.switch"
MENU = "core.menu"
CANCEL = "core.cancel"
SWITCH_KEY = "_switch"
CANCEL_KEY = "_cancel"
GENTLE_SAID = "_gentle_said"
LOW_KEY = "_low"
"""In a flow's answers: a rating was as low as it goes (a very low feeling)."""
ASIDE_FLOWS = frozenset({"safety"})
"""Flows begun without leaving the one in progress: it waits, and is taken up again after."""
OPENING = "opening"
"""What the person wrote that was not an answer (typed before a flow began, or a sentence
where a name was asked): kept with the flow's answers, shown on the card."""
MAX_PEOPLE = 8
"""The relationships a state remembers for the check-in picker (the most recent ones); every
record stays in the store whatever falls off this list."""


@dataclass
class Out:
    """What one step has said and asked for so far (local to a single call of :func:`step`)."""

    at: datetime
    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    aside: bool = False
    """The event only answered a delivered message: the open question was not touched, so the
    silence before it still counts (``last_at`` stays)."""

    def say(self, text: str, kind: str = "say") -> None:
        self.replies.append(Reply(text=text, kind="notice" if kind == "notice" else "say"))


def current(state: State, script: Script) -> Node | None:
    """The open question, as asked about the kind of connection chosen."""
    node = script.nodes.get(state.node) if state.node else None
    return node.for_kind(state.data.get("kind")) if node is not None else None


def node_of(state: State, node_id: str, script: Script) -> Node:
    return script.node(node_id).for_kind(state.data.get("kind"))


def has_answers(state: State) -> bool:
    """Whether the flow in progress holds anything the person gave (so leaving it loses it)."""
    return state.flow is not None and any(not k.startswith("_") for k in state.data)


def without(state: State, key: str) -> State:
    return replace(state, data={k: v for k, v in state.data.items() if k != key})


def reask(state: State, script: Script, out: Out) -> None:
    if care.pending(state) is not None:
        out.replies.append(care.question(state, script))
        return
    if state.data.get(CANCEL_KEY):
        out.replies.append(cancel_question(state, script))
        return
    if since.pending(state) is not None:
        out.replies.append(since.question(state, script))
        return
    node = current(state, script)
    if node is not None:
        out.replies.append(prompts.ask(state, node, script))


def cancel_question(state: State, script: Script) -> Reply:
    buttons = tuple(
        Button(prompts.button_data(CANCEL, option, state.ask), script.say(label))
        for option, label in (("yes", "cancel_yes"), ("no", "cancel_no"))
    )
    text = script.say("cancel_confirm", flow=flow_title(state, script))
    return Reply(text=text, kind="ask", buttons=buttons)


def end(state: State) -> State:
    return replace(state, flow=None, node=None, data={}, trail=(), started_at=None)


def hear(state: State, node: Node, text: str, script: Script, out: Out) -> State:
    """Say one line that shows ``text`` was heard (when it needs one), remembering it."""
    name = state.data.get("name")
    heard = listening.acknowledge(
        text,
        script.listening,
        node=node.id,
        kind=str(state.data.get("kind") or "") or None,
        name=name if isinstance(name, str) and name else None,
        heard=state.heard,
    )
    if heard is None:
        return state
    out.say(heard.text)
    return replace(state, heard=listening.remember(state.heard, heard.id))


def keep_opening(state: State, text: str, script: Script) -> State:
    """Keep ``text`` as something the person wrote that was not an answer."""
    before = state.data.get(OPENING)
    joined = f"{before}\n{text}" if isinstance(before, str) and before else text
    return replace(state, data={**state.data, OPENING: joined[-10_000:]})


def show(state: State, node: Node, script: Script, out: Out, *, updates: bool = False) -> State:
    """Ask ``node`` afresh: a new ``ask`` number makes every older button stale."""
    state = replace(state, node=node.id, ask=state.ask + 1)
    out.replies.append(prompts.ask(state, node, script, updates=updates))
    return state


def goto(state: State, target: str, script: Script, out: Out) -> State:
    while True:
        if target == "@end":
            return take_up(end(state), script, out) if state.paused else end(state)
        if target == "@stop":
            out.say(script.say("stopped", flow=flow_title(state, script)))
            return end(state)
        node = script.node(target)
        if node.flow != state.flow:
            state = replace(state, flow=node.flow, data={}, trail=(), started_at=out.at.isoformat())
        node = node.for_kind(state.data.get("kind"))
        if _passed_over(state, node):
            if node.judging and not state.data.get(GENTLE_SAID):
                out.say(script.say("gentle_skipped"))
                state = replace(state, data={**state.data, GENTLE_SAID: True})
            target = node.next
        elif node.type == "person" and not state.people:
            out.say(script.say("no_people"))
            target = node.next_new or node.next
        elif node.type == "finish":
            state = finish(state, node, script, out)
            target = node.next
        elif node.type == "effect":
            state = run_effect(state, node, script, out)
            target = node.next
        elif node.type == "care":
            lead = fill_lead(node, state, script)
            state, replies, effects = care.offer(
                state, "abuse", node.next, script, out.at, lead=lead
            )
            out.replies.extend(replies)
            out.effects.extend(effects)
            return state
        else:
            return show(state, node, script, out)


def fill_lead(node: Node, state: State, script: Script) -> str:
    return prompts.fill_prompt(node, prompts.fields(state, script))


def take_up(state: State, script: Script, out: Out) -> State:
    """Take up again, where it was, the flow set aside (for the safety plan, or by stopping
    after a disclosure); nothing is open when this is called."""
    paused = state.paused
    flow = paused.get("flow")
    node = paused.get("node")
    trail = paused.get("trail")
    data = paused.get("data")
    state = replace(state, paused={})
    if not isinstance(flow, str) or not isinstance(node, str) or node not in script.nodes:
        return state
    state = replace(
        state,
        flow=flow,
        node=node,
        data=dict(data) if isinstance(data, dict) else {},
        trail=tuple(str(t) for t in trail) if isinstance(trail, list) else (),
        started_at=str(paused.get("started_at") or out.at.isoformat()),
    )
    out.say(script.say("welcome_back", flow=flow_title(state, script)))
    reask(state, script, out)
    return state


def _passed_over(state: State, node: Node) -> bool:
    """A node that is not asked: what it requires is missing, what it is for holds already
    (the offer of mantras to someone who has them), or it judges, in a gentle conversation."""
    if node.requires and node.requires not in state.data:
        return True
    if node.judging and state.data.get(care.GENTLE_KEY):
        return True
    return node.unless == "mantras_enabled" and bool(state.mantras.get("enabled"))


def answer(
    state: State,
    node: Node,
    updates: Mapping[str, JSON],
    target: str,
    script: Script,
    out: Out,
    *,
    label: str | None = None,
    after: str | None = None,
    typed: str | None = None,
) -> State:
    """Apply ``updates``, echo the choice (``label``) and its line (``after``), acknowledge a
    typed answer (``typed``, on a question that listens), and go on to ``target``."""
    data = {k: v for k, v in {**state.data, **updates}.items() if k != TZ_CANDIDATES}
    if label is not None:
        out.replies.append(Reply(text=label, kind="answer"))
    if after:
        out.say(after)
    state = replace(state, data=data, trail=(*state.trail, node.id))
    if typed is not None and node.listen:
        state = hear(state, node, typed, script, out)
    return goto(state, target, script, out)


def flow_title(state: State, script: Script) -> str:
    flow = script.flows.get(state.flow or "")
    return flow.title if flow else ""


def begin(state: State, flow_id: str, script: Script, out: Out) -> State:
    flow = script.flows[flow_id]
    if state.flow == flow_id:
        out.say(script.say("welcome_back", flow=flow.title))
        reask(state, script, out)
        return state
    if state.flow is None and state.paused.get("flow") == flow_id:
        return take_up(state, script, out)
    if state.flow is not None and not has_answers(state):
        state = end(state)  # nothing given yet (a menu left open): nothing to lose by leaving
    if state.flow is not None and flow_id in ASIDE_FLOWS and state.flow not in ASIDE_FLOWS:
        state = set_aside(state)
    if state.flow is not None:
        state = replace(state, data={**state.data, SWITCH_KEY: flow_id}, ask=state.ask + 1)
        current = flow_title(state, script)
        choices = (
            (SWITCH, "go_on", script.say("switch_continue")),
            (SWITCH, "new", script.say("switch_new", new_flow=flow.title)),
        )
        buttons = tuple(
            Button(prompts.button_data(n, o, state.ask), label) for n, o, label in choices
        )
        text = script.say("switch", flow=current, new_flow=flow.title)
        out.replies.append(Reply(text=text, kind="ask", buttons=buttons))
        return state
    if not state.intro_seen and flow_id not in NO_INTRO_FLOWS:
        out.say(script.say("intro"))
        state = replace(state, intro_seen=True)
    if flow_id == "mantras" and state.mantras.get("enabled"):
        out.effects.append(ShowMantras())
    opening = state.data.get(OPENING) if flow_id in KEEPS_OPENING else None
    data: dict[str, JSON] = {OPENING: opening} if isinstance(opening, str) and opening else {}
    state = replace(state, data=data, trail=(), started_at=out.at.isoformat())
    state = replace(state, flow=flow_id)
    return goto(state, flow.start, script, out)


def set_aside(state: State) -> State:
    """The flow in progress waits (answers, question and all) while an aside flow runs."""
    paused: dict[str, JSON] = {
        "flow": state.flow,
        "node": state.node,
        "data": {k: v for k, v in state.data.items() if k not in (SWITCH_KEY, CANCEL_KEY)},
        "trail": list(state.trail),
        "started_at": state.started_at,
    }
    return replace(end(state), paused=paused)


def menu(state: State, script: Script, out: Out, *, text: str = "menu") -> State:
    state = replace(state, ask=state.ask + 1)
    buttons = tuple(
        Button(prompts.button_data(MENU, o.id, state.ask), o.label) for o in script.menu
    )
    out.replies.append(Reply(text=script.say(text), kind="ask", buttons=buttons))
    return state


# ---------------------------------------------------------------------------------------------
# Finishing and effects


def finish(state: State, node: Node, script: Script, out: Out) -> State:
    data = dict(state.data)
    person_id = data.get("person_id")
    if not isinstance(person_id, str) or not person_id:
        numbers = [int(str(p.get("id", "p0"))[1:] or 0) for p in state.people]
        person_id = f"p{max(numbers, default=0) + 1}"
    if data.get("keep") == "keep" and "prev_decision" in data:
        data["decision"] = data["prev_decision"]
    record_answers = {
        k: v
        for k, v in data.items()
        if not k.startswith("_") and k not in ("person_id", "prev_decision")
    }
    started = datetime.fromisoformat(state.started_at) if state.started_at else out.at
    kind: Literal["reflection", "checkin"] = (
        "reflection" if node.record == "reflection" else "checkin"
    )
    out.effects.append(
        Finish(
            kind=kind,
            person_id=person_id,
            started_at=started,
            finished_at=out.at,
            answers=record_answers,
        )
    )
    previous = next((p for p in state.people if p.get("id") == person_id), {})
    reminder = f"checkin:{person_id}"
    days = data.get("followup_days")
    remind_at: str | None = None
    if isinstance(days, int) and days > 0:  # replaces a reminder asked for before
        due = out.at + timedelta(days=days)
        remind_at = due.isoformat()
        out.effects.append(
            ScheduleAt(
                due_at=due, key=reminder, kind="checkin_reminder", payload={"person_id": person_id}
            )
        )
    elif previous.get("remind_at"):  # checked in (or let go) without asking again: none due
        out.effects.append(Cancel(reminder))
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
        "last_at": out.at.isoformat(),
    }
    if words:
        entry["words"] = words
    if remind_at:
        entry["remind_at"] = remind_at
    people.append(entry)
    seen = state.mantra_seen
    if data.get(care.GENTLE_KEY) or data.get(LOW_KEY):  # after pain, no slogan: a gentle close
        essay = script.say("gentle_close")
    else:
        held = script.held_mantras if care.held(state, out.at, script) else frozenset()
        index, seen = next_mantra(len(script.mantras), seen, state.started_at or "", held)
        essay = script.say("essay_line", mantra=script.mantras[index])
    text = prompts.fill_prompt(
        node, prompts.fields(state, script), card=prompts.card(data, script), essay=essay
    )
    out.say(text)
    return replace(state, data={}, trail=(), people=tuple(people), mantra_seen=seen)


def run_effect(state: State, node: Node, script: Script, out: Out) -> State:
    if node.effect == "plan_load":  # a plan made before: shown, and each step kept a tap away
        if not state.plan:
            return state
        return replace(state, data={**state.data, **state.plan, "_has_plan": True})
    if node.effect == "plan_save":
        steps = {n.store for n in script.nodes.values() if n.flow == node.flow and n.type == "text"}
        plan = {k: v for k, v in state.data.items() if k in steps and v}
        state = replace(state, plan=plan)
        out.say(prompts.fill_prompt(node, {"plan_card": prompts.plan_card(plan, script)}))
        return state
    if node.effect == "forget":
        out.effects.append(ForgetUser())
        out.say(prompts.fill_prompt(node, prompts.fields(state, script)))
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
    out.effects.append(
        SetMantras(
            enabled=bool(settings["enabled"]),
            time=str(settings.get("time") or "09:00"),
            tz=str(settings.get("tz") or "UTC"),
            days=str(settings.get("days") or "daily"),
        )
    )
    state = replace(state, mantras=settings)
    out.say(prompts.fill_prompt(node, prompts.fields(state, script, now=out.at)))
    return state


# ---------------------------------------------------------------------------------------------
# Commands
