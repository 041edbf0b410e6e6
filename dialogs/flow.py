"""Moving through a flow: asking a node, answering it, going on, beginning and ending flows.

Helpers of :mod:`dialogs.machine`, pure like it; :class:`Out` collects what one step says.
Reaching a node that is no question does what its kind says (:mod:`dialogs.nodekinds`): a
record is finished, an effect performed, or the safety question asked (:mod:`dialogs.endings`,
:mod:`dialogs.care`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dialogs import care, endings, listening, prompts, since
from dialogs.frozen import replace
from dialogs.model import JSON, Button, Effect, Reply, ShowMantras, State
from dialogs.nodekinds import kind_of
from dialogs.script import Node, Script

FLOW_COMMANDS = frozenset({"reflect", "checkin", "mantras", "forget", "safety"})
NO_INTRO_FLOWS = frozenset({"forget"})
KEEPS_OPENING = frozenset({"reflect", "checkin"})
"""Flows that keep what the person wrote before they began (``opening``) with their answers."""
SWITCH = "core.switch"
MENU = "core.menu"
CANCEL = "core.cancel"
ASIDE_FLOWS = frozenset({"safety"})
"""Flows begun without leaving the one in progress: it waits, and is taken up again after."""
SAFETY_PLAN = "safety"
"""The safety plan's flow: its answers name warning signs and means on purpose ("give Ana the
pills"), so only the phrase rules read them, never the looser second look."""
OPENING = "opening"
"""What the person wrote that was not an answer (typed before a flow began, or a sentence
where a name was asked): kept with the flow's answers, shown on the card."""


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
    return state.flow is not None and bool(state.data)


def without(state: State, key: str) -> State:
    return replace(state, data={k: v for k, v in state.data.items() if k != key})


def reask(state: State, script: Script, out: Out) -> None:
    """Ask again what is open: a side question (are you safe? stop this? how are you since?
    leave this for another?), or else the flow's question."""
    if care.pending(state) is not None:
        out.replies.append(care.question(state, script))
    elif state.cancelling:
        out.replies.append(cancel_question(state, script))
    elif since.pending(state) is not None:
        out.replies.append(since.question(state, script))
    elif state.switch_to is not None and state.switch_to in script.flows:
        out.replies.append(switch_question(state, state.switch_to, script))
    elif (node := current(state, script)) is not None:
        out.replies.append(prompts.ask(state, node, script, again=True))


def cancel_question(state: State, script: Script) -> Reply:
    buttons = tuple(
        Button(prompts.button_data(CANCEL, option, state.ask), script.say(label))
        for option, label in (("yes", "cancel_yes"), ("no", "cancel_no"))
    )
    text = script.say("cancel_confirm", flow=flow_title(state, script))
    return Reply(text=text, kind="ask", buttons=buttons)


def switch_question(state: State, flow_id: str, script: Script) -> Reply:
    new_flow = script.flows[flow_id].title
    choices = (
        ("go_on", script.say("switch_continue")),
        ("new", script.say("switch_new", new_flow=new_flow)),
    )
    buttons = tuple(
        Button(prompts.button_data(SWITCH, o, state.ask), label) for o, label in choices
    )
    text = script.say("switch", flow=flow_title(state, script), new_flow=new_flow)
    return Reply(text=text, kind="ask", buttons=buttons)


def end(state: State) -> State:
    """Nothing in progress: the flow, its answers and everything that belonged to it go."""
    return replace(
        state,
        flow=None,
        node=None,
        data={},
        trail=(),
        started_at=None,
        switch_to=None,
        cancelling=False,
        zones_offered=(),
        gentle=False,
        gentle_said=False,
        low=False,
    )


def _fresh(state: State, flow_id: str, data: Mapping[str, JSON], at: datetime) -> State:
    """``flow_id`` begins now, with ``data``; whatever belonged to another flow goes."""
    return replace(end(state), flow=flow_id, data=dict(data), started_at=at.isoformat())


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
            state = _fresh(state, node.flow, {}, out.at)
        node = node.for_kind(state.data.get("kind"))
        kind = kind_of(node)
        if _passed_over(state, node):
            if node.judging and not state.gentle_said:
                out.say(script.say("gentle_skipped"))
                state = replace(state, gentle_said=True)
            target = node.next
        elif kind.applies == "person" and not state.people:
            out.say(script.say("no_people"))
            target = node.next_new or node.next
        elif kind.passes == "record":
            state = endings.finish(state, node, script, out.at, out.replies, out.effects)
            target = node.next
        elif kind.passes == "effect":
            state = endings.run_effect(state, node, script, out.at, out.replies, out.effects)
            target = node.next
        elif kind.passes == "care":
            lead = prompts.fill_prompt(node, prompts.fields(state, script))
            offered = care.offer(state, "abuse", node.next, script, out.at, lead=lead)
            state, replies, effects = offered
            out.replies.extend(replies)
            out.effects.extend(effects)
            return state
        else:
            return show(state, node, script, out)


def _passed_over(state: State, node: Node) -> bool:
    """A node that is not asked: what it requires is missing, what it is for holds already
    (the offer of mantras to someone who has them), or it judges, in a gentle conversation."""
    if node.requires and node.requires not in state.data:
        return True
    if node.judging and state.gentle:
        return True
    if node.only_if is not None and not _holds(state, node.only_if):
        return True
    return node.unless is not None and _holds(state, node.unless)


def _holds(state: State, condition: str) -> bool:
    if condition == "mantras_enabled":
        return bool(state.mantras.get("enabled"))
    return condition == "has_plan" and bool(state.plan)


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
    if label is not None:
        out.replies.append(Reply(text=label, kind="answer"))
    if after:
        out.say(after)
    data = {**state.data, **updates}
    state = replace(state, data=data, trail=(*state.trail, node.id), zones_offered=())
    if typed is not None and node.listen:
        state = hear(state, node, typed, script, out)
    return goto(state, target, script, out)


def flow_title(state: State, script: Script) -> str:
    flow = script.flows.get(state.flow or "")
    return flow.title if flow else ""


RESUME_AFTER = timedelta(hours=12)
"""Away this long, a person coming back is welcomed back before their question is asked again."""


def away(state: State, at: datetime) -> bool:
    """Whether the person has been away long enough to be welcomed back."""
    return not state.last_at or at - datetime.fromisoformat(state.last_at) > RESUME_AFTER


def begin(state: State, flow_id: str, script: Script, out: Out) -> State:
    flow = script.flows[flow_id]
    if state.flow == flow_id:
        said = "welcome_back" if away(state, out.at) else "already_in"
        out.say(script.say(said, flow=flow.title))
        reask(state, script, out)
        return state
    if state.flow is None and state.paused.get("flow") == flow_id:
        return take_up(state, script, out)
    if state.flow is not None and not has_answers(state):
        state = end(state)  # nothing given yet (a menu left open): nothing to lose by leaving
    if state.flow is not None and flow_id in ASIDE_FLOWS and state.flow not in ASIDE_FLOWS:
        state = set_aside(state)
    if state.flow is not None:
        state = replace(state, switch_to=flow_id, ask=state.ask + 1)
        out.replies.append(switch_question(state, flow_id, script))
        return state
    if not state.intro_seen and flow_id not in NO_INTRO_FLOWS:
        out.say(script.say("intro"))
        state = replace(state, intro_seen=True)
    if flow_id == "mantras" and state.mantras.get("enabled"):
        out.effects.append(ShowMantras())
    opening = state.data.get(OPENING) if flow_id in KEEPS_OPENING else None
    data: dict[str, JSON] = {OPENING: opening} if isinstance(opening, str) and opening else {}
    return goto(_fresh(state, flow_id, data, out.at), flow.start, script, out)


def set_aside(state: State) -> State:
    """The flow in progress waits (answers, question and all) while an aside flow runs."""
    paused: dict[str, JSON] = {
        "flow": state.flow,
        "node": state.node,
        "data": dict(state.data),
        "trail": list(state.trail),
        "started_at": state.started_at,
        "gentle": state.gentle,
    }
    return replace(end(state), paused=paused)


def take_up(state: State, script: Script, out: Out) -> State:
    """Take up again, where it was, the flow set aside (for the safety plan, or by stopping
    after a disclosure); nothing is open when this is called."""
    paused = state.paused
    flow, node, trail, data = (paused.get(k) for k in ("flow", "node", "trail", "data"))
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
        gentle=bool(paused.get("gentle")),
    )
    out.say(script.say("welcome_back", flow=flow_title(state, script)))
    reask(state, script, out)
    return state


def menu(state: State, script: Script, out: Out, *, text: str = "menu") -> State:
    state = replace(state, ask=state.ask + 1)
    buttons = tuple(
        Button(prompts.button_data(MENU, o.id, state.ask), o.label) for o in script.menu
    )
    out.replies.append(Reply(text=script.say(text), kind="ask", buttons=buttons))
    return state
