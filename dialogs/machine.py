"""The engine: ``step(state, event, script) -> Step``. Pure, synchronous, total.

Every event gets an answer. Unexpected input (free text where a button was expected, a button
from an earlier question, a forged button, an unknown command) is just another event: the
machine says so kindly and asks again. Only programmer errors raise (an event without a time
zone, a script that does not match the state).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from dialogs import (
    answering,
    answers,
    care,
    deliveries,
    flow,
    listening,
    prompts,
    shortcuts,
    since,
    understanding,
)
from dialogs.model import (
    Command,
    Event,
    ExportData,
    Pick,
    Reply,
    ShowHistory,
    ShowRecord,
    State,
    Step,
    Text,
)
from dialogs.prompts import CLEAR, DONE, NEW, SAME, SKIP
from dialogs.records import RECORD
from dialogs.safety import Concern, concern
from dialogs.script import Node, Option, Script

RESUME_AFTER = timedelta(hours=12)
"""After this much silence, typed text re-asks the open question instead of answering it."""


def step(state: State, event: Event, script: Script) -> Step:
    """Advance ``state`` by one ``event``: the new state, the replies to show, the effects to do."""
    if event.at.tzinfo is None:
        raise ValueError("event.at must be timezone-aware")
    out = flow.Out(at=event.at.astimezone(UTC))
    locale = getattr(event, "locale", None)
    if isinstance(locale, str) and locale and locale.casefold()[:16] != state.locale:
        state = replace(state, locale=locale.casefold()[:16])
    if since.due(state, out.at, script) and _opens(event):
        state = _ask_since(state, event, script, out)
    elif isinstance(event, Command):
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


COMMANDS = frozenset(
    {"start", "reflect", "checkin", "mantras", "forget", "safety", "help", "history", "export",
     "cancel", "back", "skip"}
)  # fmt: skip
"""Every command the machine answers (a mistyped one is matched against these)."""


OPENING_COMMANDS = frozenset({"start", "reflect", "checkin", "mantras", "safety", "history"})
"""Commands that begin a conversation: after a disclosure, "how are you since?" comes first."""


def _opens(event: Event) -> bool:
    if isinstance(event, Command):
        return answers.clean_text(event.name).lower() in OPENING_COMMANDS
    return isinstance(event, Text)


def _ask_since(state: State, event: Event, script: Script, out: flow.Out) -> State:
    """Ask how they are since the last time, before what they came for (which waits)."""
    wanted = answers.clean_text(event.name).lower() if isinstance(event, Command) else ""
    if isinstance(event, Text):
        text = answers.clean_text(event.text)
        worry = concern(text, script.safety)
        if worry:  # words that suggest harm are answered first, always
            then = state.node if state.flow is not None and state.node else care.IDLE
            return _offer_help(replace(state, ask_since=False), worry, then, script, out)
        if text and not listening.is_quiet(text, script.listening):
            state = flow.keep_opening(state, text, script)
            state = flow.hear(state, _IDLE_NODE, text, script, out)
    state, question = since.ask(state, wanted, script)
    out.replies.append(question)
    return state


def _on_since_pick(state: State, option_id: str, ask: int, script: Script, out: flow.Out) -> State:
    if option_id not in {o.id for o in since.choices(script)}:
        return _forged(state, script, out)
    wanted = since.pending(state)
    if wanted is None or ask != state.ask:
        return _stale(state, script, out)
    label = next(o.label for o in since.choices(script) if o.id == option_id)
    out.replies.append(Reply(text=label, kind="answer"))
    out.say(since.answer_text(option_id, state, script))
    state = since.without(state)
    if wanted:
        return _on_command(state, Command(name=wanted, at=out.at), script, out)
    if state.flow is not None:
        out.say(script.say("welcome_back", flow=flow.flow_title(state, script)))
        flow.reask(state, script, out)
        return state
    return flow.menu(state, script, out)


def _on_command(state: State, event: Command, script: Script, out: flow.Out) -> State:
    name = answers.clean_text(event.name).lower()
    if since.pending(state) is not None:  # another command: the question is let go
        state = since.without(state)
    if state.data.get(flow.SWITCH_KEY) and name not in flow.FLOW_COMMANDS:
        state = flow.without(state, flow.SWITCH_KEY)
    if state.data.get(flow.CANCEL_KEY) and name != "cancel":
        state = flow.without(state, flow.CANCEL_KEY)
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
            flow.reask(state, script, out)
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
        return _cancel(state, script, out)
    if name == "back":
        return _back(state, script, out)
    if name == "skip":
        node = flow.current(state, script)
        if node is None:
            out.say(script.say("nothing_to_skip"))
            return state
        return answering.skip(state, node, script, out)
    shown = name[:32] if name.isprintable() else "that"
    near = understanding.near_command(name, COMMANDS) if name.isprintable() else None
    if near is not None:
        out.say(script.say("unknown_command_near", command=shown, suggestion=near), "notice")
    else:
        out.say(script.say("unknown_command", command=shown), "notice")
    flow.reask(state, script, out)
    return state


def _cancel(state: State, script: Script, out: flow.Out) -> State:
    """Stop the flow in progress; when it holds answers, ask once first."""
    if state.flow is None:
        out.say(script.say("nothing_to_cancel"))
        return state
    if flow.has_answers(state) and not state.data.get(flow.CANCEL_KEY):
        state = replace(state, data={**state.data, flow.CANCEL_KEY: True}, ask=state.ask + 1)
        out.replies.append(flow.cancel_question(state, script))
        return state
    out.say(script.say("cancelled", flow=flow.flow_title(state, script)))
    ended = flow.end(state)
    if state.flow in flow.ASIDE_FLOWS and ended.paused:  # back to what the plan set aside
        return flow.take_up(ended, script, out)
    return ended


def _on_cancel_pick(state: State, option_id: str, ask: int, script: Script, out: flow.Out) -> State:
    if option_id not in ("yes", "no"):
        return _forged(state, script, out)
    if not state.data.get(flow.CANCEL_KEY) or ask != state.ask:
        return _stale(state, script, out)
    label = script.say("cancel_yes" if option_id == "yes" else "cancel_no")
    out.replies.append(Reply(text=label, kind="answer"))
    if option_id == "yes":
        return _cancel(state, script, out)
    state = flow.without(state, flow.CANCEL_KEY)
    out.say(script.say("cancel_kept_going"))
    node = flow.current(state, script)
    return flow.show(state, node, script, out) if node is not None else state


def _back(state: State, script: Script, out: flow.Out) -> State:
    if state.flow is None or state.node is None:
        out.say(script.say("nothing_to_back"))
        return state
    if not state.trail:
        out.say(script.say("first_question"), "notice")
        flow.reask(state, script, out)
        return state
    previous = flow.node_of(state, state.trail[-1], script)
    state = replace(state, trail=state.trail[:-1])
    return flow.show(state, previous, script, out)


def _known_option(node: Node, option_id: str, script: Script) -> bool:
    """Whether ``node`` (as asked about any kind) could ever have shown ``option_id``."""
    if option_id == SKIP:
        return node.optional
    if option_id == DONE:
        return node.type == "multi"
    if option_id in (SAME, CLEAR):
        return node.type == "text"
    if node.type == "rating":
        return option_id in {"1", "2", "3", "4", "5"}
    if node.type == "person":
        return option_id == NEW or (option_id[:1] == "p" and option_id[1:].isdecimal())
    if node.type == "timezone" and option_id in script.time_zones:
        return True
    return any(v.option(option_id) is not None for v in node.variants())


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
    if node_id == flow.CANCEL:
        return _on_cancel_pick(state, option_id, ask, script, out)
    if node_id == since.SINCE:
        return _on_since_pick(state, option_id, ask, script, out)
    if node_id in _RECORD_NODES:
        return _on_record_pick(state, option_id, script, out)
    node = script.nodes.get(node_id)
    if node is None or node.type not in prompts.QUESTION_TYPES:
        return _forged(state, script, out)
    if not _known_option(node, option_id, script):
        return _forged(state, script, out)
    if node_id != state.node or ask != state.ask:
        return _stale(state, script, out)
    node = node.for_kind(state.data.get("kind"))
    if option_id == SKIP:
        return answering.skip(state, node, script, out)
    if option_id == DONE:
        return answering.multi_done(state, node, script, out)
    if option_id == SAME and state.data.get(node.store or ""):
        return answering.keep(state, node, script, out)
    if option_id == CLEAR and state.data.get(node.store or ""):
        return answering.clear(state, node, script, out)
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
    return _pressed(state, press, script, out)


_RECORD_NODES = frozenset({RECORD})


def _on_record_pick(state: State, option_id: str, script: Script, out: flow.Out) -> State:
    """A button under ``/history`` that opens one record: the service shows it if it is
    this person's. Never stale (the record stays), and the open question is left as it was."""
    if not option_id.isdecimal() or len(option_id) > 12:
        return _forged(state, script, out)
    out.effects.append(ShowRecord(record_id=int(option_id)))
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
        state = flow.without(state, flow.SWITCH_KEY)
    if state.data.get(flow.CANCEL_KEY):
        chosen = answers.match_option(raw, _cancel_choices(script))
        if chosen is not None:
            return _on_cancel_pick(state, chosen.id, state.ask, script, out)
        state = flow.without(state, flow.CANCEL_KEY)
    if care.pending(state) is not None:
        return _help_text(state, raw, script, out)
    if since.pending(state) is not None:
        chosen = answers.match_option(raw, since.choices(script))
        named = understanding.named_options(raw, since.choices(script))
        chosen = chosen or (named[0] if len(named) == 1 else None)
        if chosen is not None and not concern(raw, script.safety):
            return _on_since_pick(state, chosen.id, state.ask, script, out)
        state = since.without(state)
    node = flow.current(state, script)
    text = answers.clean_text(raw)
    worry = concern(text, script.safety)  # words that suggest harm are answered first
    if state.flow is None or node is None:
        if worry:
            return _offer_help(state, worry, care.IDLE, script, out)
        return _idle_text(state, text, script, out)
    if state.last_at and out.at - datetime.fromisoformat(state.last_at) > RESUME_AFTER:
        if worry:  # not taken as an answer after so long, but kept, and answered first
            return _offer_help(flow.keep_opening(state, text, script), worry, node.id, script, out)
        out.say(script.say("welcome_back", flow=flow.flow_title(state, script)))
        flow.reask(state, script, out)
        return state
    exact = answers.match_option(text, prompts.visible_options(state, node, script))
    if worry and exact is None:  # an option's own name ("abusive") is that option
        return _worried(state, node, text, worry, script, out)
    if not text:
        out.say(script.say("empty_text"), "notice")
        flow.reask(state, script, out)
        return state
    press = deliveries.typed(state, text, out.at, script)
    if press is not None:
        return _pressed(state, press, script, out)
    if node.type == "text":
        return _typed_answer(state, node, text, script, out)
    if node.type == "timezone":
        return answering.typed_zone(state, node, text, script, out)
    return _typed_choice(state, node, text, script, out)


def _cancel_choices(script: Script) -> tuple[Option, ...]:
    return (
        Option(id="yes", label=script.say("cancel_yes"), aliases=("yes", "y", "stop", "cancel")),
        Option(id="no", label=script.say("cancel_no"), aliases=("no", "n", "go on", "continue")),
    )


def _worried(
    state: State, node: Node, text: str, worry: Concern, script: Script, out: flow.Out
) -> State:
    """Words that suggest harm, typed in a flow: the calm message and the resources come
    first. A note is kept, and "go on" goes where it would have; anything else (a name, a
    reply to a choice) is kept as what was on the person's mind, and the question comes again."""
    if node.type == "text" and not node.short and len(text) <= node.max_chars:
        data = {**state.data, node.store or node.id: text}
        state = replace(state, data=data, trail=(*state.trail, node.id))
        return _offer_help(state, worry, node.next, script, out)
    return _offer_help(flow.keep_opening(state, text, script), worry, node.id, script, out)


def _idle_text(state: State, text: str, script: Script, out: flow.Out) -> State:
    """Typed text with no flow open: a command word, a delivery's words, or something on the
    person's mind — heard, kept for the reflection they may start, and the choices offered."""
    word = understanding.command_word(text, script)
    if word is not None and word != "cancel":
        return _on_command(state, Command(name=word, at=out.at), script, out)
    press = deliveries.typed(state, text, out.at, script)
    if press is None and word == "cancel":  # "stop" with nothing open: the mantras, if any
        if state.mantras.get("enabled"):
            press = deliveries.typed(state, "stop mantras", out.at, script)
        else:
            out.say(script.say("nothing_running"))
            return state
    if press is not None:
        return _pressed(state, press, script, out)
    quiet = listening.is_quiet(text, script.listening)
    if not quiet:
        state = flow.keep_opening(replace(state, data={}), text, script)
        state = flow.hear(state, _IDLE_NODE, text, script, out)
    if not state.intro_seen:
        return flow.begin(state, "reflect", script, out)
    return flow.menu(state, script, out, text="menu" if quiet else "idle_menu")


_IDLE_NODE = Node(id="core.idle", type="text", prompt="", next="@end", listen=True)


def _pressed(state: State, press: deliveries.Press, script: Script, out: flow.Out) -> State:
    out.replies.extend(press.replies)
    out.effects.extend(press.effects)
    if press.mantras is not None:
        state = replace(state, mantras=press.mantras)
    if press.start_checkin:
        return flow.begin(state, "checkin", script, out)
    out.aside = True
    return state


def _typed_answer(state: State, node: Node, text: str, script: Script, out: flow.Out) -> State:
    """Text typed on a text question: a command word, a sentence where a name was asked, or
    the answer (acknowledged when the question listens)."""
    word = understanding.command_word(text, script)
    if word is not None:
        return _on_command(state, Command(name=word, at=out.at), script, out)
    if node.short and understanding.looks_like_sentence(text):
        state = flow.hear(flow.keep_opening(state, text, script), node, text, script, out)
        out.say(script.say("opening_kept"))
        return flow.show(state, node, script, out)
    if len(text) > node.max_chars:
        out.say(script.say("too_long", limit=f"{node.max_chars:,}"), "notice")
        return state
    store = node.store or node.id
    return flow.answer(state, node, {store: text}, node.next, script, out, typed=text)


def _typed_choice(state: State, node: Node, text: str, script: Script, out: flow.Out) -> State:
    """Text typed where options are shown: a value, a number or several, an option's own words
    (alone or in a sentence), Done, a command word; otherwise a hint."""
    options = prompts.visible_options(state, node, script)
    option = answering.typed_value(node, text, script) if node.type in ("days", "time") else None
    if node.type == "multi" and option is None:
        numbers = understanding.several_numbers(text)
        if numbers is not None:
            if all(1 <= n <= len(options) for n in numbers):
                return answering.select(state, node, [options[n - 1] for n in numbers], script, out)
            return _hint(state, node, script, out)
    option = option or answers.match_option(text, options)
    if node.type == "multi" and option is None and answers.is_done_word(text):
        return answering.multi_done(state, node, script, out)
    if option is None:
        option = answering.typed_value(node, text, script)
    if option is not None:
        return answering.choose(state, node, option, script, out)
    word = understanding.command_word(text, script)
    if word is not None:
        return _on_command(state, Command(name=word, at=out.at), script, out)
    named = understanding.named_options(text, options)
    if len(named) == 1:
        return answering.choose(state, node, named[0], script, out)
    if len(named) > 1 and node.type == "multi":
        return answering.select(state, node, named, script, out)
    if len(named) > 1:
        labels = [f"“{o.label}”" for o in named]
        joined = f" {script.say('or_word')} ".join([", ".join(labels[:-1]), labels[-1]])
        out.say(script.say("did_you_mean", options=joined), "notice")
        flow.reask(state, script, out)
        return state
    return _hint(state, node, script, out)


def _hint(state: State, node: Node, script: Script, out: flow.Out) -> State:
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
    state, replies, effects = care.offer(state, worry, then, script, out.at)
    out.replies.extend(replies)
    out.effects.extend(effects)
    return state


def _help_text(state: State, raw: str, script: Script, out: flow.Out) -> State:
    """Typed words while the safety question is open: an answer to it ("yes", "not safe"),
    another disclosure (answered as such), or a gentle hint and the question again."""
    text = answers.clean_text(raw)
    options = care.choices(state, script)
    chosen = answers.match_option(text, options)
    named = understanding.named_options(text, options) if chosen is None else [chosen]
    worry = concern(text, script.safety)
    then = care.pending(state)
    if worry and then is not None and len(named) != 1:
        return _offer_help(care.without(state), worry, then, script, out)
    if len(named) == 1:
        return _on_help_pick(state, named[0].id, state.ask, script, out)
    out.say(script.say("safety_hint"), "notice")
    flow.reask(state, script, out)
    return state


def _on_help_pick(state: State, option_id: str, ask: int, script: Script, out: flow.Out) -> State:
    option_id = care.SAFE if option_id == "go_on" else option_id  # an older message's button
    if not care.known(option_id):
        return _forged(state, script, out)
    then = care.pending(state)
    options = care.choices(state, script)
    if then is None or ask != state.ask or option_id not in {o.id for o in options}:
        return _stale(state, script, out)
    out.replies.append(
        Reply(text=next(o.label for o in options if o.id == option_id), kind="answer")
    )
    if option_id == care.UNSAFE:  # resources first and foremost; everything else waits
        data = {**state.data, care.STEP_KEY: "unsafe"}
        state = replace(state, data=data, ask=state.ask + 1)
        out.say(script.say("safety_unsafe", safety=prompts.resources(state, script)))
        out.replies.append(care.question(state, script))
        return state
    state = care.without(state)
    idle = then == care.IDLE or state.flow is None
    if option_id == care.STOP:
        out.say(script.say("safety_stopped_idle" if idle else "safety_stopped"))
        _tell_mantras_paused(state, script, out)
        return state if idle else flow.set_aside(_at(state, then, script))
    if option_id == care.PLAN:
        _tell_mantras_paused(state, script, out)
        state = state if idle else _at(state, then, script)
        return flow.begin(state, "safety", script, out)
    out.say(script.say("safety_safe_idle" if idle else "safety_safe"))
    _tell_mantras_paused(state, script, out)
    if idle:
        if not state.intro_seen:
            return flow.begin(state, "reflect", script, out)
        return flow.menu(state, script, out)
    return flow.goto(state, then, script, out)


def _at(state: State, then: str, script: Script) -> State:
    """The flow moved on to ``then`` without asking it yet (where going on would have gone)."""
    node = script.nodes.get(then)
    if node is None or node.type not in prompts.QUESTION_TYPES:
        return state
    return replace(state, node=then)


def _tell_mantras_paused(state: State, script: Script, out: flow.Out) -> None:
    paused = care.mantras_paused(state, script, out.at)
    if paused is not None:
        out.replies.append(paused)
