"""The engine: ``step(state, event, script) -> Step``. Pure, synchronous, total.

Every event gets an answer. Unexpected input (free text where a button was expected, a button
from an earlier question, a forged button, an unknown command) is just another event: the
machine says so kindly and asks again. Only programmer errors raise (an event without a time
zone, a script that does not match the state).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from dialogs import answers, care, deliveries, prompts
from dialogs.mantras import next_mantra
from dialogs.model import (
    JSON,
    Button,
    Command,
    Effect,
    Event,
    ExportData,
    Finish,
    ForgetUser,
    Pick,
    Reply,
    ScheduleAt,
    SetMantras,
    ShowHistory,
    ShowMantras,
    State,
    Step,
    Text,
)
from dialogs.prompts import DONE, NEW, SKIP, TZ_CANDIDATES
from dialogs.safety import Concern, concern
from dialogs.script import Node, Option, Script

RESUME_AFTER = timedelta(hours=12)
"""After this much silence, typed text re-asks the open question instead of answering it."""
FLOW_COMMANDS = frozenset({"reflect", "checkin", "mantras", "forget"})
NO_INTRO_FLOWS = frozenset({"forget"})
SWITCH = "core.switch"
MENU = "core.menu"
SWITCH_KEY = "_switch"
MAX_PEOPLE = 8
"""The relationships a state remembers for the check-in picker (the most recent ones); every
record stays in the store whatever falls off this list."""


@dataclass
class _Out:
    """What one step has said and asked for so far (local to a single call of :func:`step`)."""

    at: datetime
    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    aside: bool = False
    """The event only answered a delivered message: the open question was not touched, so the
    silence before it still counts (``last_at`` stays)."""

    def say(self, text: str, kind: str = "say") -> None:
        self.replies.append(Reply(text=text, kind="notice" if kind == "notice" else "say"))


def step(state: State, event: Event, script: Script) -> Step:
    """Advance ``state`` by one ``event``: the new state, the replies to show, the effects to do."""
    if event.at.tzinfo is None:
        raise ValueError("event.at must be timezone-aware")
    out = _Out(at=event.at.astimezone(UTC))
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
        _reask(state, script, out)
    if not out.aside:
        state = replace(state, last_at=out.at.isoformat())
    return Step(state=state, replies=tuple(out.replies), effects=tuple(out.effects))


# ---------------------------------------------------------------------------------------------
# Moving between nodes


def _current(state: State, script: Script) -> Node | None:
    return script.nodes.get(state.node) if state.node else None


def _reask(state: State, script: Script, out: _Out) -> None:
    if care.pending(state) is not None:
        out.replies.append(care.question(state, script))
        return
    node = _current(state, script)
    if node is not None:
        out.replies.append(prompts.ask(state, node, script))


def _end(state: State) -> State:
    return replace(state, flow=None, node=None, data={}, trail=(), started_at=None)


def _show(state: State, node: Node, script: Script, out: _Out, *, updates: bool = False) -> State:
    """Ask ``node`` afresh: a new ``ask`` number makes every older button stale."""
    state = replace(state, node=node.id, ask=state.ask + 1)
    out.replies.append(prompts.ask(state, node, script, updates=updates))
    return state


def _goto(state: State, target: str, script: Script, out: _Out) -> State:
    while True:
        if target == "@end":
            return _end(state)
        if target == "@stop":
            out.say(script.say("stopped", flow=_flow_title(state, script)))
            return _end(state)
        node = script.node(target)
        if node.flow != state.flow:
            state = replace(state, flow=node.flow, data={}, trail=(), started_at=out.at.isoformat())
        if node.requires and node.requires not in state.data:
            target = node.next
        elif node.type == "person" and not state.people:
            out.say(script.say("no_people"))
            target = node.next_new or node.next
        elif node.type == "finish":
            state = _finish(state, node, script, out)
            target = node.next
        elif node.type == "effect":
            state = _effect(state, node, script, out)
            target = node.next
        else:
            return _show(state, node, script, out)


def _answer(
    state: State,
    node: Node,
    updates: Mapping[str, JSON],
    target: str,
    script: Script,
    out: _Out,
    *,
    label: str | None = None,
    after: str | None = None,
) -> State:
    data = {k: v for k, v in {**state.data, **updates}.items() if k != TZ_CANDIDATES}
    if label is not None:
        out.replies.append(Reply(text=label, kind="answer"))
    if after:
        out.say(after)
    state = replace(state, data=data, trail=(*state.trail, node.id))
    return _goto(state, target, script, out)


def _flow_title(state: State, script: Script) -> str:
    flow = script.flows.get(state.flow or "")
    return flow.title if flow else ""


def _begin(state: State, flow_id: str, script: Script, out: _Out) -> State:
    flow = script.flows[flow_id]
    if state.flow == flow_id:
        out.say(script.say("welcome_back", flow=flow.title))
        _reask(state, script, out)
        return state
    if state.flow is not None:
        state = replace(state, data={**state.data, SWITCH_KEY: flow_id}, ask=state.ask + 1)
        current = _flow_title(state, script)
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
    state = replace(state, data={}, trail=(), started_at=out.at.isoformat())
    state = replace(state, flow=flow_id)
    return _goto(state, flow.start, script, out)


def _menu(state: State, script: Script, out: _Out) -> State:
    state = replace(state, ask=state.ask + 1)
    buttons = tuple(
        Button(prompts.button_data(MENU, o.id, state.ask), o.label) for o in script.menu
    )
    out.replies.append(Reply(text=script.say("menu"), kind="ask", buttons=buttons))
    return state


# ---------------------------------------------------------------------------------------------
# Finishing and effects


def _finish(state: State, node: Node, script: Script, out: _Out) -> State:
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
    days = data.get("followup_days")
    if isinstance(days, int) and days > 0:
        out.effects.append(
            ScheduleAt(
                due_at=out.at + timedelta(days=days),
                key=f"checkin:{person_id}",
                kind="checkin_reminder",
                payload={"person_id": person_id},
            )
        )
    others = sorted(
        (dict(p) for p in state.people if p.get("id") != person_id),
        key=lambda p: str(p.get("last_at") or ""),
    )
    people = others[-(MAX_PEOPLE - 1) :]
    previous = next((p for p in state.people if p.get("id") == person_id), {})
    people.append(
        {
            "id": person_id,
            "name": data.get("name") or previous.get("name"),
            "kind": data.get("kind") or previous.get("kind"),
            "decision": data.get("decision") or previous.get("decision"),
            "last_at": out.at.isoformat(),
        }
    )
    index, seen = next_mantra(len(script.mantras), state.mantra_seen, state.started_at or "")
    text = prompts.fill_prompt(
        node,
        prompts.fields(state, script),
        card=prompts.card(data, script, node.flow),
        mantra=script.mantras[index],
    )
    out.say(text)
    return replace(state, data={}, trail=(), people=tuple(people), mantra_seen=seen)


def _effect(state: State, node: Node, script: Script, out: _Out) -> State:
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
    out.say(prompts.fill_prompt(node, prompts.fields(state, script)))
    return state


# ---------------------------------------------------------------------------------------------
# Commands


def _on_command(state: State, event: Command, script: Script, out: _Out) -> State:
    name = answers.clean_text(event.name).lower()
    if state.data.get(SWITCH_KEY) and name not in FLOW_COMMANDS:
        state = replace(state, data={k: v for k, v in state.data.items() if k != SWITCH_KEY})
    if care.pending(state) is not None:  # a command is a choice too: the question is left
        state = care.without(state)
    if name == "start":
        arg = answers.clean_text(event.arg).lower()
        if arg in FLOW_COMMANDS - {"forget"}:
            return _begin(state, arg, script, out)
        if state.flow is not None:
            out.say(script.say("welcome_back", flow=_flow_title(state, script)))
            _reask(state, script, out)
            return state
        if not state.intro_seen:
            return _begin(state, "reflect", script, out)
        return _menu(state, script, out)
    if name in FLOW_COMMANDS:
        return _begin(state, name, script, out)
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
        out.say(script.say("cancelled", flow=_flow_title(state, script)))
        return _end(state)
    if name == "back":
        return _back(state, script, out)
    if name == "skip":
        node = _current(state, script)
        if node is None:
            out.say(script.say("nothing_to_skip"))
            return state
        return _skip(state, node, script, out)
    shown = name[:32] if name.isprintable() else "that"
    out.say(script.say("unknown_command", command=shown), "notice")
    _reask(state, script, out)
    return state


def _back(state: State, script: Script, out: _Out) -> State:
    if state.flow is None or state.node is None:
        out.say(script.say("nothing_to_back"))
        return state
    if not state.trail:
        out.say(script.say("first_question"), "notice")
        _reask(state, script, out)
        return state
    previous = script.node(state.trail[-1])
    state = replace(state, trail=state.trail[:-1])
    return _show(state, previous, script, out)


def _skip(state: State, node: Node, script: Script, out: _Out) -> State:
    if not node.optional:
        out.say(script.say("not_skippable"), "notice")
        _reask(state, script, out)
        return state
    data = {k: v for k, v in state.data.items() if k != node.store}
    state = replace(state, data=data)
    target = node.next_new if node.type == "person" and node.next_new else node.next
    return _answer(state, node, {}, target, script, out, label=script.say("answered_skip"))


# ---------------------------------------------------------------------------------------------
# Buttons


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


def _on_pick(state: State, data: str, script: Script, out: _Out) -> State:
    parsed = prompts.parse_button(data)
    if parsed is None:
        return _forged(state, script, out)
    node_id, option_id, ask = parsed
    if node_id in deliveries.NODES:
        return _delivery_press(state, node_id, option_id, ask, script, out)
    if node_id == MENU:
        if option_id not in {o.id for o in script.menu}:
            return _forged(state, script, out)
        if state.flow is not None or ask != state.ask:
            return _stale(state, script, out)
        return _on_command(state, Command(name=option_id, at=out.at), script, out)
    if node_id == SWITCH:
        if option_id not in ("go_on", "new"):
            return _forged(state, script, out)
        pending = state.data.get(SWITCH_KEY)
        if not isinstance(pending, str) or ask != state.ask:
            return _stale(state, script, out)
        state = replace(state, data={k: v for k, v in state.data.items() if k != SWITCH_KEY})
        node = _current(state, script)
        if option_id == "go_on" and node is not None:
            return _show(state, node, script, out)
        return _begin(_end(state), pending, script, out)
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
        return _skip(state, node, script, out)
    if option_id == DONE:
        return _multi_done(state, node, script, out)
    if node.type == "timezone" and option_id in script.time_zones:
        return _choose(
            state, node, Option(id=option_id, label=option_id, value=option_id), script, out
        )
    option = next(
        (o for o in prompts.visible_options(state, node, script) if o.id == option_id), None
    )
    if option is None:
        return _forged(state, script, out)
    return _choose(state, node, option, script, out)


def _delivery_press(
    state: State, node_id: str, option_id: str, at: int, script: Script, out: _Out
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
        return _begin(state, "checkin", script, out)
    out.aside = True
    return state


def _forged(state: State, script: Script, out: _Out) -> State:
    out.say(script.say("forged_button"), "notice")
    _reask(state, script, out)
    return state


def _stale(state: State, script: Script, out: _Out) -> State:
    if state.flow is None:
        out.say(script.say("finished_button"), "notice")
        return state
    out.say(script.say("stale_button"), "notice")
    _reask(state, script, out)
    return state


def _choose(state: State, node: Node, option: Option, script: Script, out: _Out) -> State:
    """Apply a chosen option (pressed or typed) on a question that offers options."""
    store = node.store or node.id
    if node.type == "multi":
        return _toggle(state, node, option, script, out)
    if node.type == "person":
        forgotten = ("person_id", "name", "kind", "prev_decision")
        state = replace(state, data={k: v for k, v in state.data.items() if k not in forgotten})
        if option.id == NEW:
            updates: dict[str, JSON] = {"person_id": None}
            return _answer(
                state, node, updates, node.next_new or node.next, script, out, label=option.label
            )
        person = next(p for p in state.people if p.get("id") == option.id)
        updates = {"person_id": option.id, "name": person.get("name"), "kind": person.get("kind")}
        if person.get("decision"):
            updates["prev_decision"] = person.get("decision")
        return _answer(state, node, updates, node.next, script, out, label=option.label)
    value: JSON = option.id
    if node.type in ("days", "time", "timezone", "rating"):
        value = option.value if option.value is not None else option.id
    target = option.next or node.next
    after = option.say
    return _answer(
        state, node, {store: value}, target, script, out, label=option.label, after=after
    )


def _toggle(state: State, node: Node, option: Option, script: Script, out: _Out) -> State:
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
    return _show(state, node, script, out, updates=True)


def _multi_done(state: State, node: Node, script: Script, out: _Out) -> State:
    store = node.store or node.id
    current = state.data.get(store)
    selected = [str(s) for s in current] if isinstance(current, list) else []
    if not selected:
        if node.optional:
            return _skip(state, node, script, out)
        out.say(script.say("hint_multi_empty"), "notice")
        _reask(state, script, out)
        return state
    chosen = [o for o in node.options if o.id in selected]
    then = next((o.then for o in chosen if o.then), None)
    label = ", ".join(o.label for o in chosen)
    # A follow-up answered earlier for an option since unticked (after /back) no longer applies.
    dropped = {script.node(o.then).store for o in node.options if o.then and o.id not in selected}
    state = replace(state, data={k: v for k, v in state.data.items() if k not in dropped})
    return _answer(state, node, {}, then or node.next, script, out, label=label)


# ---------------------------------------------------------------------------------------------
# Typed text


def _on_text(state: State, raw: str, script: Script, out: _Out) -> State:
    pending = state.data.get(SWITCH_KEY)
    if isinstance(pending, str) and pending in script.flows:
        new_flow = script.flows[pending].title
        choices = (
            Option(id="go_on", label=script.say("switch_continue")),
            Option(id="new", label=script.say("switch_new", new_flow=new_flow)),
        )
        chosen = answers.match_option(raw, choices)
        if chosen is not None:
            return _on_pick(state, prompts.button_data(SWITCH, chosen.id, state.ask), script, out)
        state = replace(state, data={k: v for k, v in state.data.items() if k != SWITCH_KEY})
    if care.pending(state) is not None:
        return _help_text(state, raw, script, out)
    node = _current(state, script)
    text = answers.clean_text(raw)
    worry = concern(text, script.safety)  # words that suggest harm are answered first
    if state.flow is None or node is None:
        if worry:
            return _offer_help(state, worry, care.IDLE, script, out)
        if not state.intro_seen:
            return _begin(state, "reflect", script, out)
        return _menu(state, script, out)
    if state.last_at and out.at - datetime.fromisoformat(state.last_at) > RESUME_AFTER:
        if worry:
            return _offer_help(state, worry, node.id, script, out)
        out.say(script.say("welcome_back", flow=_flow_title(state, script)))
        _reask(state, script, out)
        return state
    if not text:
        out.say(script.say("empty_text"), "notice")
        _reask(state, script, out)
        return state
    if node.optional and text.casefold() in ("skip", "/skip"):
        return _skip(state, node, script, out)
    if node.type == "text":
        if len(text) > node.max_chars:
            out.say(script.say("too_long", limit=f"{node.max_chars:,}"), "notice")
            return state
        if worry:  # keep the answer, then the calm message; "go on" goes where it would have
            data = {**state.data, node.store or node.id: text}
            state = replace(state, data=data, trail=(*state.trail, node.id))
            return _offer_help(state, worry, node.next, script, out)
        return _answer(state, node, {node.store or node.id: text}, node.next, script, out)
    if node.type == "timezone":
        if worry:
            return _offer_help(state, worry, node.id, script, out)
        return _typed_zone(state, node, text, script, out)
    options = prompts.visible_options(state, node, script)
    option = _typed_value(node, text) if node.type in ("days", "time") else None
    option = option or answers.match_option(text, options)
    if node.type == "multi" and option is None and answers.is_done_word(text):
        return _multi_done(state, node, script, out)
    if option is None:
        option = _typed_value(node, text)
    if option is not None:
        return _choose(state, node, option, script, out)
    if worry:  # not an answer to this question: the calm message, then this question again
        return _offer_help(state, worry, node.id, script, out)
    hint = {
        "multi": script.say("hint_multi"),
        "rating": script.say("hint_rating"),
        "days": script.say("hint_days", min=node.min, max=node.max),
        "time": script.say("hint_time"),
    }.get(node.type, script.say("hint_choice"))
    out.say(hint, "notice")
    _reask(state, script, out)
    return state


# ---------------------------------------------------------------------------------------------
# Words that suggest harm (dialogs/care.py, dialogs/safety.py)


def _offer_help(state: State, worry: Concern, then: str, script: Script, out: _Out) -> State:
    state, replies = care.offer(state, worry, then, script)
    out.replies.extend(replies)
    return state


def _help_text(state: State, raw: str, script: Script, out: _Out) -> State:
    text = answers.clean_text(raw)
    chosen = answers.match_option(text, care.choices(script))
    if chosen is not None:
        return _on_help_pick(state, chosen.id, state.ask, script, out)
    then = care.pending(state)
    worry = concern(text, script.safety)
    if worry and then is not None:
        return _offer_help(care.without(state), worry, then, script, out)
    out.say(script.say("safety_hint"), "notice")
    _reask(state, script, out)
    return state


def _on_help_pick(state: State, option_id: str, ask: int, script: Script, out: _Out) -> State:
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
        out.say(script.say("stopped", flow=_flow_title(state, script)))
        return _end(state)
    if then == care.IDLE or state.flow is None:
        return (
            _begin(state, "reflect", script, out)
            if not state.intro_seen
            else _menu(state, script, out)
        )
    return _goto(state, then, script, out)


def _typed_value(node: Node, text: str) -> Option | None:
    """A typed answer that is not one of the options: a rating, a number of days, a time."""
    if node.type == "rating":
        rating = answers.parse_rating(text)
        return Option(id=str(rating), label=str(rating), value=rating) if rating else None
    if node.type == "days":
        days = answers.parse_days(text, node)
        return Option(id=f"d{days}", label=str(days), value=days) if days else None
    if node.type == "time":
        time = answers.parse_time(text)
        return Option(id=time.replace(":", ""), label=time, value=time) if time else None
    return None


def _typed_zone(state: State, node: Node, text: str, script: Script, out: _Out) -> State:
    option = answers.match_option(text, prompts.visible_options(state, node, script))
    if option is not None:
        return _choose(state, node, option, script, out)
    clock = answers.clock_time(text)
    if clock is not None:
        return _zones_by_clock(state, node, clock, script, out)
    zones = answers.find_time_zones(text, script)
    if len(zones) == 1:
        zone = zones[0]
        return _choose(state, node, Option(id=zone, label=zone, value=zone), script, out)
    if not zones:
        out.say(script.say("hint_timezone"), "notice")
        _reask(state, script, out)
        return state
    state = replace(state, data={**state.data, TZ_CANDIDATES: list[JSON](zones)})
    return _show(state, node, script, out)


def _zones_by_clock(
    state: State, node: Node, clock: tuple[str, int], script: Script, out: _Out
) -> State:
    """The person typed the time on their clock: offer the zones that show it right now."""
    shown, tolerance = clock
    zones = answers.zones_at_local_time(shown, tolerance, out.at, script)
    if not zones:
        out.say(script.say("hint_tz_clock", time=shown), "notice")
        _reask(state, script, out)
        return state
    out.say(script.say("tz_by_clock", time=shown))
    state = replace(state, data={**state.data, TZ_CANDIDATES: list[JSON](zones)})
    return _show(state, node, script, out)
