"""The engine: ``step(state, event, script) -> Step``. Pure, synchronous, total.

Every event gets an answer. Unexpected input (free text where a button was expected, a button
from an earlier question, a forged button, an unknown command) is just another event: the
machine says so kindly and asks again. Only programmer errors raise (an event without a time
zone, a script that does not match the state).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from dialogs import answering, answers, care, deliveries, flow, prompts, shortcuts
from dialogs.model import (
    Command,
    Event,
    ExportData,
    Pick,
    Reply,
    ShowHistory,
    State,
    Step,
    Text,
)
from dialogs.prompts import DONE, NEW, SKIP
from dialogs.safety import Concern, concern
from dialogs.script import Node, Option, Script

RESUME_AFTER = timedelta(hours=12)
"""After this much silence, typed text re-asks the open question instead of answering it."""


def step(state: State, event: Event, script: Script) -> Step:
    """Advance ``state`` by one ``event``: the new state, the replies to show, the effects to do."""
    if event.at.tzinfo is None:
        raise ValueError("event.at must be timezone-aware")
    out = flow.Out(at=event.at.astimezone(UTC))
    if isinstance(event, Command):
        state = _on_command(state, event, script, out)
    elif isinstance(event, Pick):
        state = _on_pick(state, event.data, script, out)
    elif isinstance(event, Text):
        state = _on_text(state, event.text, script, out)
    else:
        what = answers.clean_text(event.what)[:40]
        key = f"unsupported_{what}" if f"unsupported_{what}" in script.messages else "unsupported"
        out.say(script.say(key, what=what), "notice")
        flow.reask(state, script, out)
    if not out.aside:
        state = replace(state, last_at=out.at.isoformat())
    return Step(state=state, replies=tuple(out.replies), effects=tuple(out.effects))


# ---------------------------------------------------------------------------------------------
# Moving between nodes


def _on_command(state: State, event: Command, script: Script, out: flow.Out) -> State:
    name = answers.clean_text(event.name).lower()
    if state.data.get(flow.SWITCH_KEY) and name not in flow.FLOW_COMMANDS:
        state = replace(state, data={k: v for k, v in state.data.items() if k != flow.SWITCH_KEY})
    if care.pending(state) is not None:  # a command is a choice too: the question is left
        state = care.without(state)
    if name == "start":
        arg = answers.clean_text(event.arg).lower()
        if arg in flow.FLOW_COMMANDS - {"forget"}:
            return flow.begin(state, arg, script, out)
        if state.flow is not None:
            out.say(script.say("welcome_back", flow=flow.flow_title(state, script)))
            flow.reask(state, script, out)
            return state
        if not state.intro_seen:
            return flow.begin(state, "reflect", script, out)
        return flow.menu(state, script, out)
    if name == "mantras" and event.arg.strip():
        return shortcuts.mantras_command(state, event.arg, script, out)
    if name in flow.FLOW_COMMANDS:
        return flow.begin(state, name, script, out)
    if name == "help":
        out.say(script.say("help"))
        if state.flow is not None:
            out.say(script.say("help_in_flow"))
        return state
    if name == "history":
        arg = answers.clean_text(event.arg)
        page = int(arg) - 1 if arg.isdecimal() and 0 < int(arg) < 10_000 else 0
        out.effects.append(ShowHistory(page=page))
        return state
    if name == "export":
        out.effects.append(ExportData())
        return state
    if name == "cancel":
        if state.flow is None:
            out.say(script.say("nothing_to_cancel"))
            return state
        out.say(script.say("cancelled", flow=flow.flow_title(state, script)))
        return flow.end(state)
    if name == "back":
        return _back(state, script, out)
    if name == "skip":
        node = flow.current(state, script)
        if node is None:
            out.say(script.say("nothing_to_skip"))
            return state
        return answering.skip(state, node, script, out)
    shown = name[:32] if name.isprintable() else "that"
    out.say(script.say("unknown_command", command=shown), "notice")
    flow.reask(state, script, out)
    return state


def _back(state: State, script: Script, out: flow.Out) -> State:
    if state.flow is None or state.node is None:
        out.say(script.say("nothing_to_back"))
        return state
    if not state.trail:
        out.say(script.say("first_question"), "notice")
        flow.reask(state, script, out)
        return state
    previous = script.node(state.trail[-1])
    state = replace(state, trail=state.trail[:-1])
    return flow.show(state, previous, script, out)


def _known_option(node: Node, option_id: str, script: Script) -> bool:
    """Whether ``node`` could ever have shown a button with ``option_id``."""
    if option_id == SKIP:
        return node.optional
    if option_id == DONE:
        return node.type == "multi"
    if node.type == "rating":
        return option_id in {"1", "2", "3", "4", "5"}
    if node.type == "person":
        return option_id == NEW or (option_id[:1] == "p" and option_id[1:].isdecimal())
    if node.type == "timezone" and option_id in script.time_zones:
        return True
    return node.option(option_id) is not None


def _on_pick(state: State, data: str, script: Script, out: flow.Out) -> State:
    parsed = prompts.parse_button(data)
    if parsed is None:
        return _forged(state, script, out)
    node_id, option_id, ask = parsed
    if node_id in deliveries.NODES:
        return _delivery_press(state, node_id, option_id, ask, script, out)
    if node_id == flow.MENU:
        if option_id not in {o.id for o in script.menu}:
            return _forged(state, script, out)
        if state.flow is not None or ask != state.ask:
            return _stale(state, script, out)
        return _on_command(state, Command(name=option_id, at=out.at), script, out)
    if node_id == flow.SWITCH:
        if option_id not in ("go_on", "new"):
            return _forged(state, script, out)
        pending = state.data.get(flow.SWITCH_KEY)
        if not isinstance(pending, str) or ask != state.ask:
            return _stale(state, script, out)
        state = replace(state, data={k: v for k, v in state.data.items() if k != flow.SWITCH_KEY})
        node = flow.current(state, script)
        if option_id == "go_on" and node is not None:
            return flow.show(state, node, script, out)
        return flow.begin(flow.end(state), pending, script, out)
    if node_id == care.SAFETY:
        return _on_help_pick(state, option_id, ask, script, out)
    node = script.nodes.get(node_id)
    if node is None or node.type not in prompts.QUESTION_TYPES:
        return _forged(state, script, out)
    if not _known_option(node, option_id, script):
        return _forged(state, script, out)
    if node_id != state.node or ask != state.ask:
        return _stale(state, script, out)
    if option_id == SKIP:
        return answering.skip(state, node, script, out)
    if option_id == DONE:
        return answering.multi_done(state, node, script, out)
    if node.type == "timezone" and option_id in script.time_zones:
        return answering.choose(
            state, node, Option(id=option_id, label=option_id, value=option_id), script, out
        )
    option = next(
        (o for o in prompts.visible_options(state, node, script) if o.id == option_id), None
    )
    if option is None:
        return _forged(state, script, out)
    return answering.choose(state, node, option, script, out)


def _delivery_press(
    state: State, node_id: str, option_id: str, at: int, script: Script, out: flow.Out
) -> State:
    """A button under a scheduled mantra or reminder, pressed whenever: answered beside the
    open question, which stays as it was (unless the press starts a check-in)."""
    press = deliveries.on_press(state, node_id, option_id, at, out.at, script)
    if press is None:
        return _forged(state, script, out)
    out.replies.extend(press.replies)
    out.effects.extend(press.effects)
    if press.mantras is not None:
        state = replace(state, mantras=press.mantras)
    if press.start_checkin:
        return flow.begin(state, "checkin", script, out)
    out.aside = True
    return state


def _forged(state: State, script: Script, out: flow.Out) -> State:
    out.say(script.say("forged_button"), "notice")
    flow.reask(state, script, out)
    return state


def _stale(state: State, script: Script, out: flow.Out) -> State:
    if state.flow is None:
        out.say(script.say("finished_button"), "notice")
        return state
    out.say(script.say("stale_button"), "notice")
    flow.reask(state, script, out)
    return state


def _on_text(state: State, raw: str, script: Script, out: flow.Out) -> State:
    pending = state.data.get(flow.SWITCH_KEY)
    if isinstance(pending, str) and pending in script.flows:
        new_flow = script.flows[pending].title
        choices = (
            Option(id="go_on", label=script.say("switch_continue")),
            Option(id="new", label=script.say("switch_new", new_flow=new_flow)),
        )
        chosen = answers.match_option(raw, choices)
        if chosen is not None:
            return _on_pick(
                state, prompts.button_data(flow.SWITCH, chosen.id, state.ask), script, out
            )
        state = replace(state, data={k: v for k, v in state.data.items() if k != flow.SWITCH_KEY})
    if care.pending(state) is not None:
        return _help_text(state, raw, script, out)
    node = flow.current(state, script)
    text = answers.clean_text(raw)
    worry = concern(text, script.safety)  # words that suggest harm are answered first
    if state.flow is None or node is None:
        if worry:
            return _offer_help(state, worry, care.IDLE, script, out)
        if not state.intro_seen:
            return flow.begin(state, "reflect", script, out)
        return flow.menu(state, script, out)
    if state.last_at and out.at - datetime.fromisoformat(state.last_at) > RESUME_AFTER:
        if worry:
            return _offer_help(state, worry, node.id, script, out)
        out.say(script.say("welcome_back", flow=flow.flow_title(state, script)))
        flow.reask(state, script, out)
        return state
    if not text:
        out.say(script.say("empty_text"), "notice")
        flow.reask(state, script, out)
        return state
    if node.optional and text.casefold() in ("skip", "/skip"):
        return answering.skip(state, node, script, out)
    if node.type == "text":
        if len(text) > node.max_chars:
            out.say(script.say("too_long", limit=f"{node.max_chars:,}"), "notice")
            return state
        if worry:  # keep the answer, then the calm message; "go on" goes where it would have
            data = {**state.data, node.store or node.id: text}
            state = replace(state, data=data, trail=(*state.trail, node.id))
            return _offer_help(state, worry, node.next, script, out)
        return flow.answer(state, node, {node.store or node.id: text}, node.next, script, out)
    if node.type == "timezone":
        if worry:
            return _offer_help(state, worry, node.id, script, out)
        return answering.typed_zone(state, node, text, script, out)
    options = prompts.visible_options(state, node, script)
    option = answering.typed_value(node, text) if node.type in ("days", "time") else None
    option = option or answers.match_option(text, options)
    if node.type == "multi" and option is None and answers.is_done_word(text):
        return answering.multi_done(state, node, script, out)
    if option is None:
        option = answering.typed_value(node, text)
    if option is not None:
        return answering.choose(state, node, option, script, out)
    if worry:  # not an answer to this question: the calm message, then this question again
        return _offer_help(state, worry, node.id, script, out)
    hint = {
        "multi": script.say("hint_multi"),
        "rating": script.say("hint_rating"),
        "days": script.say("hint_days", min=node.min, max=node.max),
        "time": script.say("hint_time"),
    }.get(node.type, script.say("hint_choice"))
    out.say(hint, "notice")
    flow.reask(state, script, out)
    return state


# ---------------------------------------------------------------------------------------------
# Words that suggest harm (dialogs/care.py, dialogs/safety.py)


def _offer_help(state: State, worry: Concern, then: str, script: Script, out: flow.Out) -> State:
    state, replies = care.offer(state, worry, then, script)
    out.replies.extend(replies)
    return state


def _help_text(state: State, raw: str, script: Script, out: flow.Out) -> State:
    text = answers.clean_text(raw)
    chosen = answers.match_option(text, care.choices(script))
    if chosen is not None:
        return _on_help_pick(state, chosen.id, state.ask, script, out)
    then = care.pending(state)
    worry = concern(text, script.safety)
    if worry and then is not None:
        return _offer_help(care.without(state), worry, then, script, out)
    out.say(script.say("safety_hint"), "notice")
    flow.reask(state, script, out)
    return state


def _on_help_pick(state: State, option_id: str, ask: int, script: Script, out: flow.Out) -> State:
    if option_id not in (care.GO_ON, care.STOP):
        return _forged(state, script, out)
    then = care.pending(state)
    if then is None or ask != state.ask:
        return _stale(state, script, out)
    state = care.without(state)
    label = next(o.label for o in care.choices(script) if o.id == option_id)
    out.replies.append(Reply(text=label, kind="answer"))
    if option_id == care.STOP:
        if state.flow is None:
            out.say(script.say("safety_stopped"))
            return state
        out.say(script.say("stopped", flow=flow.flow_title(state, script)))
        return flow.end(state)
    if then == care.IDLE or state.flow is None:
        return (
            flow.begin(state, "reflect", script, out)
            if not state.intro_seen
            else flow.menu(state, script, out)
        )
    return flow.goto(state, then, script, out)
