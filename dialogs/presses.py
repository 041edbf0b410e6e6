"""A pressed button: ``thr:<node>:<option>:<ask>``, read and applied — or answered as stale (from
an earlier question) or forged (no button ever said that). Pure helpers of
:mod:`dialogs.machine`.

The buttons of the menu, of a side question (``core.switch``, ``core.cancel``,
``core.safety``, ``core.since``) and of the flow's questions carry the ``ask`` they were shown
at; the buttons under a delivered mantra or reminder (:mod:`dialogs.deliveries`) and under
``/history`` (:mod:`dialogs.records`) answer no question, and never go stale.
"""

from __future__ import annotations

from dialogs import answering, care, commands, deliveries, flow, prompts, sides, since
from dialogs.frozen import replace
from dialogs.model import Command, ShowRecord, State
from dialogs.nodekinds import kind_of
from dialogs.prompts import CLEAR, DONE, SAME, SKIP
from dialogs.records import RECORD
from dialogs.script import Node, Option, Script


def on_pick(state: State, data: str, script: Script, out: flow.Out) -> State:
    parsed = prompts.parse_button(data)
    if parsed is None:
        return sides.forged(state, script, out)
    node_id, option_id, ask = parsed
    if node_id in deliveries.NODES:
        press = deliveries.on_press(state, node_id, option_id, ask, out.at, script)
        return pressed(state, press, script, out) if press else sides.forged(state, script, out)
    if node_id == RECORD:
        return _record(state, option_id, script, out)
    if node_id == flow.MENU:
        if option_id not in {o.id for o in script.menu}:
            return sides.forged(state, script, out)
        if state.flow is not None or ask != state.ask:
            return sides.stale(state, script, out)
        return commands.on_command(state, Command(name=option_id, at=out.at), script, out)
    side = {
        flow.SWITCH: sides.on_switch,
        flow.CANCEL: sides.on_cancel,
        care.SAFETY: sides.on_safety,
        since.SINCE: sides.on_since,
    }.get(node_id)
    if side is not None:
        return side(state, option_id, ask, script, out)
    return _question(state, node_id, option_id, ask, script, out)


def _question(
    state: State, node_id: str, option_id: str, ask: int, script: Script, out: flow.Out
) -> State:
    node = script.nodes.get(node_id)
    if node is None or not kind_of(node).asks or not _known(node, option_id, script):
        return sides.forged(state, script, out)
    if node_id != state.node or ask != state.ask:
        return sides.stale(state, script, out)
    node = node.for_kind(state.data.get("kind"))
    if option_id == SKIP:
        return answering.skip(state, node, script, out)
    if option_id == DONE:
        return answering.multi_done(state, node, script, out)
    if option_id in (SAME, CLEAR) and state.data.get(node.store or ""):
        keep = answering.keep if option_id == SAME else answering.clear
        return keep(state, node, script, out)
    option = next(
        (o for o in prompts.visible_options(state, node, script) if o.id == option_id), None
    )
    if option is None and kind_of(node).zones and option_id in script.time_zones:
        option = Option(id=option_id, label=option_id, value=option_id)
    if option is None:
        return sides.forged(state, script, out)
    return answering.choose(state, node, option, script, out)


def _known(node: Node, option_id: str, script: Script) -> bool:
    """Whether ``node`` (as asked about any kind of connection) could ever have shown it."""
    kind = kind_of(node)
    if option_id == SKIP:
        return node.optional
    if option_id == DONE:
        return kind.applies == "toggle"
    if option_id in (SAME, CLEAR):
        return kind.keeps_written
    return kind.known(node, option_id, script)


def _record(state: State, option_id: str, script: Script, out: flow.Out) -> State:
    """A button under ``/history`` that opens one record: the service shows it if it is
    this person's. Never stale (the record stays), and the open question is left as it was."""
    if not option_id.isdecimal() or len(option_id) > 12:
        return sides.forged(state, script, out)
    out.effects.append(ShowRecord(record_id=int(option_id)))
    out.aside = True
    return state


def pressed(state: State, press: deliveries.Press, script: Script, out: flow.Out) -> State:
    """What a delivered message's button (or its words, typed) does: beside the open question,
    which stays as it was, unless the press starts a check-in."""
    out.replies.extend(press.replies)
    out.effects.extend(press.effects)
    if press.mantras is not None:
        state = replace(state, mantras=press.mantras)
    if press.start_checkin:
        return flow.begin(state, "checkin", script, out)
    out.aside = True
    return state
