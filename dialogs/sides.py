"""Questions asked beside the flow, and their answers, pressed or typed: "leave this for the …?"
(switch), "stop this here?" (cancel), "are you safe right now?" (safety, with
:mod:`dialogs.care`), "how are you since?" (:mod:`dialogs.since`); and the answer to a button
that cannot apply (stale or forged). Pure helpers of :mod:`dialogs.machine`.

Each side question is open while its field of :class:`~dialogs.model.State` is set
(``switch_to``, ``cancelling``, ``safety_then``, ``since_then``); :func:`dialogs.flow.reask`
asks the open one again.
"""

from __future__ import annotations

from dialogs import answers, care, commands, flow, listening, prompts, since, understanding
from dialogs.frozen import replace
from dialogs.model import Command, Event, Reply, State, Text
from dialogs.nodekinds import kind_of
from dialogs.safety import Concern, concern
from dialogs.script import Node, Option, Script

IDLE_NODE = Node(id="core.idle", type="text", prompt="", next="@end", listen=True)
"""Where words typed with nothing open are heard (no question of the content)."""
OPENING_COMMANDS = frozenset({"start", "reflect", "checkin", "mantras", "safety", "history"})
"""Commands that begin a conversation: after a disclosure, "how are you since?" comes first."""


def forged(state: State, script: Script, out: flow.Out) -> State:
    out.say(script.say("forged_button"), "notice")
    flow.reask(state, script, out)
    return state


def stale(state: State, script: Script, out: flow.Out) -> State:
    if state.flow is None:
        out.say(script.say("finished_button"), "notice")
        return state
    out.say(script.say("stale_button"), "notice")
    flow.reask(state, script, out)
    return state


def answered(out: flow.Out, label: str) -> None:
    out.replies.append(Reply(text=label, kind="answer"))


# ---------------------------------------------------------------------------------------------
# Leave this for another flow?


def switch_choices(state: State, script: Script) -> tuple[Option, ...]:
    wanted = script.flows.get(state.switch_to or "")
    new_flow = wanted.title if wanted is not None else ""
    return (
        Option(id="go_on", label=script.say("switch_continue")),
        Option(id="new", label=script.say("switch_new", new_flow=new_flow)),
    )


def on_switch(state: State, option_id: str, ask: int, script: Script, out: flow.Out) -> State:
    if option_id not in ("go_on", "new"):
        return forged(state, script, out)
    wanted = state.switch_to
    if wanted is None or wanted not in script.flows or ask != state.ask:
        return stale(state, script, out)
    state = replace(state, switch_to=None)
    node = flow.current(state, script)
    if option_id == "go_on" and node is not None:
        return flow.show(state, node, script, out)
    return flow.begin(flow.end(state), wanted, script, out)


# ---------------------------------------------------------------------------------------------
# Stop this here?


def cancel_choices(script: Script) -> tuple[Option, ...]:
    return (
        Option(id="yes", label=script.say("cancel_yes"), aliases=("yes", "y", "stop", "cancel")),
        Option(id="no", label=script.say("cancel_no"), aliases=("no", "n", "go on", "continue")),
    )


def on_cancel(state: State, option_id: str, ask: int, script: Script, out: flow.Out) -> State:
    if option_id not in ("yes", "no"):
        return forged(state, script, out)
    if not state.cancelling or ask != state.ask:
        return stale(state, script, out)
    answered(out, script.say("cancel_yes" if option_id == "yes" else "cancel_no"))
    if option_id == "yes":
        return commands.cancel(state, None, script, out)
    state = replace(state, cancelling=False)
    out.say(script.say("cancel_kept_going"))
    node = flow.current(state, script)
    return flow.show(state, node, script, out) if node is not None else state


# ---------------------------------------------------------------------------------------------
# Are you safe right now?


HINTED = "safety_hinted"
"""In ``State.heard`` while the first hint to the safety question was given: the next one is
the shorter second hint."""


def offer_help(state: State, worry: Concern, then: str, script: Script, out: flow.Out) -> State:
    state, replies, effects = care.offer(state, worry, then, script, out.at)
    out.replies.extend(replies)
    out.effects.extend(effects)
    return state


def worried(
    state: State, node: Node, text: str, worry: Concern, script: Script, out: flow.Out
) -> State:
    """Words that suggest harm, typed in a flow: the calm message and the resources come
    first. A note is kept, and going on goes where it would have; anything else (a name, a
    reply to a choice) is kept as what was on the person's mind, and the question comes again."""
    if kind_of(node).reads == "words" and not node.short and len(text) <= node.max_chars:
        data = {**state.data, node.store or node.id: text}
        state = replace(state, data=data, trail=(*state.trail, node.id))
        return offer_help(state, worry, node.next, script, out)
    return offer_help(flow.keep_opening(state, text, script), worry, node.id, script, out)


def safety_text(state: State, raw: str, script: Script, out: flow.Out) -> State:
    """Typed words while the safety question is open: an answer to it ("yes", "not safe"),
    another disclosure (answered as such), or a gentle hint and the question again."""
    text = answers.clean_text(raw)
    options = care.choices(state, script)
    chosen = answers.match_option(text, options)
    named = understanding.named_options(text, options) if chosen is None else [chosen]
    worry = concern(text, script.safety)
    then = care.pending(state)
    if worry and then is not None and len(named) != 1:
        return offer_help(care.without(state), worry, then, script, out)
    if len(named) == 1:
        return on_safety(state, named[0].id, state.ask, script, out)
    again = HINTED in state.heard  # a second hint is not the first one again
    out.say(script.say("safety_hint_again" if again else "safety_hint"), "notice")
    state = replace(state, heard=listening.remember(state.heard, HINTED))
    flow.reask(state, script, out)
    return state


def on_safety(state: State, option_id: str, ask: int, script: Script, out: flow.Out) -> State:
    option_id = care.SAFE if option_id == "go_on" else option_id  # an older message's button
    if not care.known(option_id):
        return forged(state, script, out)
    then = care.pending(state)
    options = care.choices(state, script)
    if then is None or ask != state.ask or option_id not in {o.id for o in options}:
        return stale(state, script, out)
    answered(out, next(o.label for o in options if o.id == option_id))
    state = replace(state, heard=tuple(h for h in state.heard if h != HINTED))
    if option_id == care.UNSAFE:  # resources first and foremost; everything else waits
        state = replace(state, safety_step="unsafe", ask=state.ask + 1)
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
        return flow.begin(state if idle else _at(state, then, script), "safety", script, out)
    out.say(script.say("safety_safe_idle" if idle else "safety_safe"))
    _tell_mantras_paused(state, script, out)
    if not idle:
        return flow.goto(state, then, script, out)
    if not state.intro_seen:
        return flow.begin(state, "reflect", script, out)
    return flow.menu(state, script, out)


def _at(state: State, then: str, script: Script) -> State:
    """The flow moved on to ``then`` without asking it yet (where going on would have gone)."""
    node = script.nodes.get(then)
    return replace(state, node=then) if node is not None and kind_of(node).asks else state


def _tell_mantras_paused(state: State, script: Script, out: flow.Out) -> None:
    paused = care.mantras_paused(state, script, out.at)
    if paused is not None:
        out.replies.append(paused)


# ---------------------------------------------------------------------------------------------
# How are you since?


def opens(event: Event) -> bool:
    """Whether ``event`` begins a conversation (words typed, or a command that starts one)."""
    if isinstance(event, Command):
        return answers.clean_text(event.name).lower() in OPENING_COMMANDS
    return isinstance(event, Text)


def ask_since(state: State, event: Event, script: Script, out: flow.Out) -> State:
    """Ask how they are since the last time, before what they came for (which waits)."""
    wanted = answers.clean_text(event.name).lower() if isinstance(event, Command) else ""
    if isinstance(event, Text):
        text = answers.clean_text(event.text)
        worry = concern(text, script.safety)
        if worry:  # words that suggest harm are answered first, always
            then = state.node if state.flow is not None and state.node else care.IDLE
            return offer_help(replace(state, ask_since=False), worry, then, script, out)
        if text and not listening.is_quiet(text, script.listening):
            state = flow.keep_opening(state, text, script)
            state = flow.hear(state, IDLE_NODE, text, script, out)
    state, question = since.ask(state, wanted, script)
    out.replies.append(question)
    return state


def since_text(state: State, raw: str, script: Script) -> str | None:
    """The answer ``raw`` gives to "how are you since?", if it gives one."""
    chosen = answers.match_option(raw, since.choices(script))
    named = understanding.named_options(raw, since.choices(script))
    chosen = chosen or (named[0] if len(named) == 1 else None)
    return chosen.id if chosen is not None and not concern(raw, script.safety) else None


def on_since(state: State, option_id: str, ask: int, script: Script, out: flow.Out) -> State:
    if option_id not in {o.id for o in since.choices(script)}:
        return forged(state, script, out)
    wanted = since.pending(state)
    if wanted is None or ask != state.ask:
        return stale(state, script, out)
    answered(out, next(o.label for o in since.choices(script) if o.id == option_id))
    out.say(since.answer_text(option_id, state, script))
    state = since.without(state)
    if wanted:
        return commands.on_command(state, Command(name=wanted, at=out.at), script, out)
    if state.flow is not None:
        out.say(script.say("welcome_back", flow=flow.flow_title(state, script)))
        flow.reask(state, script, out)
        return state
    return flow.menu(state, script, out)
