"""Commands: one table, :data:`HANDLERS`, from a command's name to what it does.

The names, what they say in ``/help`` and in the platforms' command menus are content
(``[[command]]`` in ``dialogs/content/commands.toml``); a test checks that the two lists are the
same, so a command cannot be listed without being answered, or answered without being listed.
A mistyped command is answered with the nearest known one. Pure helpers of
:mod:`dialogs.machine`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from dialogs import answering, answers, care, flow, shortcuts, since, understanding
from dialogs.frozen import replace
from dialogs.model import Command, ExportData, ShowHistory, State
from dialogs.script import Script

Handler = Callable[[State, Command, Script, flow.Out], State]


def on_command(state: State, event: Command, script: Script, out: flow.Out) -> State:
    """Do what ``event`` asks. Any command leaves a side question open (it is a choice too),
    except the one the question is about (a second ``/cancel`` answers "stop this?")."""
    name = answers.clean_text(event.name).lower()
    state = since.without(state)
    if state.switch_to is not None and name not in flow.FLOW_COMMANDS:
        state = replace(state, switch_to=None)
    if state.cancelling and name != "cancel":
        state = replace(state, cancelling=False)
    state = care.without(state)
    handler = HANDLERS.get(name)
    if handler is not None:
        return handler(state, replace(event, name=name), script, out)
    return _unknown(state, name, script, out)


def _start(state: State, event: Command, script: Script, out: flow.Out) -> State:
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


def _flow(state: State, event: Command, script: Script, out: flow.Out) -> State:
    return flow.begin(state, event.name, script, out)


def _mantras(state: State, event: Command, script: Script, out: flow.Out) -> State:
    if event.arg.strip():
        return shortcuts.mantras_command(state, event.arg, script, out)
    return flow.begin(state, "mantras", script, out)


def _help(state: State, event: Command, script: Script, out: flow.Out) -> State:
    out.say(script.say("help"))
    if state.flow is not None:
        out.say(script.say("help_in_flow"))
        flow.reask(state, script, out)
    return state


def _history(state: State, event: Command, script: Script, out: flow.Out) -> State:
    arg = answers.clean_text(event.arg)
    page = int(arg) - 1 if arg.isdecimal() and 0 < int(arg) < 10_000 else 0
    out.effects.append(ShowHistory(page=page))
    return state


def _export(state: State, event: Command, script: Script, out: flow.Out) -> State:
    out.effects.append(ExportData())
    return state


def cancel(state: State, event: Command | None, script: Script, out: flow.Out) -> State:
    """Stop the flow in progress; when it holds answers, ask once first."""
    if state.flow is None:
        out.say(script.say("nothing_to_cancel"))
        return state
    if flow.has_answers(state) and not state.cancelling:
        state = replace(state, cancelling=True, ask=state.ask + 1)
        out.replies.append(flow.cancel_question(state, script))
        return state
    out.say(script.say("cancelled", flow=flow.flow_title(state, script)))
    ended = flow.end(state)
    if state.flow in flow.ASIDE_FLOWS and ended.paused:  # back to what the plan set aside
        return flow.take_up(ended, script, out)
    return ended


def _back(state: State, event: Command, script: Script, out: flow.Out) -> State:
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


def _skip(state: State, event: Command, script: Script, out: flow.Out) -> State:
    node = flow.current(state, script)
    if node is None:
        out.say(script.say("nothing_to_skip"))
        return state
    return answering.skip(state, node, script, out)


def _unknown(state: State, name: str, script: Script, out: flow.Out) -> State:
    shown = name[:32] if name.isprintable() else "that"
    near = understanding.near_command(name, HANDLERS) if name.isprintable() else None
    if near is not None:
        out.say(script.say("unknown_command_near", command=shown, suggestion=near), "notice")
    else:
        out.say(script.say("unknown_command", command=shown), "notice")
    flow.reask(state, script, out)
    return state


HANDLERS: Mapping[str, Handler] = {
    "start": _start,
    "reflect": _flow,
    "checkin": _flow,
    "mantras": _mantras,
    "safety": _flow,
    "forget": _flow,
    "history": _history,
    "export": _export,
    "help": _help,
    "cancel": cancel,
    "back": _back,
    "skip": _skip,
}
"""Every command the machine answers, by name (the content lists the same names)."""

__all__ = ["HANDLERS", "cancel", "on_command"]
