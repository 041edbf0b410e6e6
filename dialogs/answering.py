"""Applying an answer to the open question: a chosen option, a toggle, Done, a skip, typed values.

Helpers of :mod:`dialogs.machine`, pure like it.
"""

from __future__ import annotations

from dialogs import answers, flow, prompts
from dialogs.frozen import replace
from dialogs.model import JSON, State
from dialogs.nodekinds import NEW, kind_of
from dialogs.script import Node, Option, Script


def skip(state: State, node: Node, script: Script, out: flow.Out) -> State:
    if not node.optional:
        out.say(script.say("not_skippable"), "notice")
        flow.reask(state, script, out)
        return state
    kind = kind_of(node)
    if kind.keeps_written and state.data.get(node.store or ""):
        return keep(state, node, script, out)  # back on a note: skipping it keeps what was written
    data = {k: v for k, v in state.data.items() if k != node.store}
    state = replace(state, data=data)
    target = node.next_new if kind.applies == "person" and node.next_new else node.next
    return flow.answer(state, node, {}, target, script, out, label=script.say("answered_skip"))


def keep(state: State, node: Node, script: Script, out: flow.Out) -> State:
    """Keep the note written earlier on ``node`` (reached again with /back) and go on."""
    return flow.answer(state, node, {}, node.next, script, out, label=script.say("answered_kept"))


def clear(state: State, node: Node, script: Script, out: flow.Out) -> State:
    """Clear the note written earlier on ``node`` and go on."""
    state = flow.without(state, node.store or node.id)
    label = script.say("answered_cleared")
    return flow.answer(state, node, {}, node.next, script, out, label=label)


# ---------------------------------------------------------------------------------------------
# Buttons


def choose(state: State, node: Node, option: Option, script: Script, out: flow.Out) -> State:
    """Apply a chosen option (pressed or typed) on a question that offers options."""
    store = node.store or node.id
    kind = kind_of(node)
    if kind.applies == "toggle":
        return toggle(state, node, option, script, out)
    if kind.applies == "person":
        forgotten = ("person_id", "name", "kind", "prev_decision")
        state = replace(state, data={k: v for k, v in state.data.items() if k not in forgotten})
        if option.id == NEW:
            updates: dict[str, JSON] = {"person_id": None}
            return flow.answer(
                state, node, updates, node.next_new or node.next, script, out, label=option.label
            )
        person = next(p for p in state.people if p.get("id") == option.id)
        updates = {"person_id": option.id, "name": person.get("name"), "kind": person.get("kind")}
        if person.get("decision"):
            updates["prev_decision"] = person.get("decision")
        return flow.answer(state, node, updates, node.next, script, out, label=option.label)
    value: JSON = option.id
    if kind.applies == "value":
        value = option.value if option.value is not None else option.id
    label = option.label
    if kind.may_scale and isinstance(value, int):
        label = prompts.rating_text(node, value, script, message="rating_echo")
    target = option.next or node.next
    after = option.say
    if node.low_say and isinstance(value, int) and value <= node.low_at:
        after = script.say(node.low_say, safety=prompts.resources(state, script))  # no slogan
        state = replace(state, low=True)
    return flow.answer(state, node, {store: value}, target, script, out, label=label, after=after)


def select(state: State, node: Node, options: list[Option], script: Script, out: flow.Out) -> State:
    """Several options of a multi question named at once ("2 5 4"): choose them, and Done."""
    store = node.store or node.id
    current = state.data.get(store)
    selected = [str(s) for s in current] if isinstance(current, list) else []
    named = [o for o in options if not o.exclusive]
    if named:  # "None of these" beside others means the others
        exclusive = {o.id for o in node.options if o.exclusive}
        selected = [s for s in selected if s not in exclusive]
        selected += [o.id for o in named if o.id not in selected]
    else:
        selected = [options[0].id]
    state = replace(state, data={**state.data, store: list[JSON](selected)})
    return multi_done(state, node, script, out)


def toggle(state: State, node: Node, option: Option, script: Script, out: flow.Out) -> State:
    store = node.store or node.id
    current = state.data.get(store)
    selected = [str(s) for s in current] if isinstance(current, list) else []
    if option.id in selected:
        selected.remove(option.id)
    elif option.exclusive:
        selected = [option.id]
    else:
        exclusive = {o.id for o in node.options if o.exclusive}
        selected = [s for s in selected if s not in exclusive] + [option.id]
    state = replace(state, data={**state.data, store: list[JSON](selected)})
    return flow.show(state, node, script, out, updates=True)


def multi_done(state: State, node: Node, script: Script, out: flow.Out) -> State:
    store = node.store or node.id
    current = state.data.get(store)
    selected = [str(s) for s in current] if isinstance(current, list) else []
    if not selected:
        if node.optional:
            return skip(state, node, script, out)
        out.say(script.say("hint_multi_empty"), "notice")
        flow.reask(state, script, out)
        return state
    chosen = [o for o in node.options if o.id in selected]
    then = next((o.then for o in chosen if o.then), None)
    label = ", ".join(o.label for o in chosen)
    # A follow-up answered earlier for an option since unticked (after /back) no longer applies.
    dropped = {script.node(o.then).store for o in node.options if o.then and o.id not in selected}
    state = replace(state, data={k: v for k, v in state.data.items() if k not in dropped})
    return flow.answer(state, node, {}, then or node.next, script, out, label=label)


# ---------------------------------------------------------------------------------------------
# Typed text


def typed_value(node: Node, text: str, script: Script) -> Option | None:
    """A typed answer that is not one of the options (a rating, a number of days, a time)."""
    typed = kind_of(node).typed
    return typed(node, text, script) if typed is not None else None


def typed_zone(state: State, node: Node, text: str, script: Script, out: flow.Out) -> State:
    option = answers.match_option(text, prompts.visible_options(state, node, script))
    if option is not None:
        return choose(state, node, option, script, out)
    clock = answers.clock_time(text)
    if clock is not None:
        return zones_by_clock(state, node, clock, script, out)
    zones = answers.find_time_zones(text, script)
    if len(zones) == 1:
        zone = zones[0]
        return choose(state, node, Option(id=zone, label=zone, value=zone), script, out)
    if not zones:
        out.say(script.say("hint_timezone"), "notice")
        flow.reask(state, script, out)
        return state
    state = replace(state, zones_offered=tuple(zones))
    return flow.show(state, node, script, out)


def zones_by_clock(
    state: State, node: Node, clock: tuple[str, int], script: Script, out: flow.Out
) -> State:
    """The person typed the time on their clock: offer the zones that show it right now."""
    shown, tolerance = clock
    zones = answers.zones_at_local_time(shown, tolerance, out.at, script)
    if not zones:
        out.say(script.say("hint_tz_clock", time=shown), "notice")
        flow.reask(state, script, out)
        return state
    out.say(script.say("tz_by_clock", time=shown))
    state = replace(state, zones_offered=tuple(zones))
    return flow.show(state, node, script, out)
