"""Rendering a node as a question, and the summary card: text and buttons from state and script."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from dialogs.listening import shorten
from dialogs.model import JSON, Button, Reply, State
from dialogs.nodekinds import NEW, kind_of
from dialogs.script import CardLine, Node, Option, Script, fill

SKIP = "skip"
DONE = "done"
SAME = "same"
"""On a text question answered before (after /back): keep what was written."""
CLEAR = "clear"
"""On a text question answered before: clear what was written, and go on."""
CHECK = "✓ "
__all__ = ["NEW", "ask", "button_data", "card", "fill_prompt", "parse_button"]


def button_data(node_id: str, option_id: str, ask: int) -> str:
    return f"thr:{node_id}:{option_id}:{ask}"


def parse_button(data: str) -> tuple[str, str, int] | None:
    """``thr:<node>:<option>:<ask>`` → its parts; ``None`` for anything else."""
    parts = data.split(":")
    if len(parts) != 4 or parts[0] != "thr" or not parts[3].isdecimal() or len(parts[3]) > 9:
        return None
    _, node_id, option_id, ask = parts
    if not node_id or not option_id:
        return None
    return node_id, option_id, int(ask)


def label_of(script: Script, store: str, value: JSON, kind: object = None) -> str:
    """The option label a stored choice stands for (``"romantic"`` → ``"Romantic"``), as worded
    for ``kind`` of connection where the question words it its own way."""
    for node in script.nodes.values():
        if node.store != store or not node.options:
            continue
        for variant in (node.for_kind(kind), *node.variants()):
            option = variant.option(str(value))
            if option is not None:
                return option.label
    return str(value)


def rating_text(node: Node, value: int, script: Script, *, message: str = "rating_value") -> str:
    """A rating with what it means: ``1 of 5 · almost all me`` on the card, ``1 · almost all
    me`` as the echo of the answer (``message``); the bare number without a scale."""
    if node.scale and 1 <= value <= len(node.scale):
        return script.say(message, value=value, scale=node.scale[value - 1])
    return str(value)


def visible_options(state: State, node: Node, script: Script) -> tuple[Option, ...]:
    """The options a node shows now, in order (without Skip/Done): its kind says which."""
    return kind_of(node).options(state, node, script)


def days_label(script: Script, days: object) -> str:
    key = f"days_{days}"
    return script.messages.get(key, str(days))


def mantra_status(state: State, script: Script) -> str:
    settings = state.mantras
    if not settings.get("enabled"):
        return script.say("mantras_status_off")
    return script.say(
        "mantras_status_on",
        days_label=days_label(script, settings.get("days")),
        time=settings.get("time"),
        tz=settings.get("tz"),
    )


def person_name(state: State, script: Script) -> str:
    name = state.data.get("name")
    return name if isinstance(name, str) and name else script.say("someone")


def reminders_note(state: State, script: Script, now: datetime | None) -> str:
    """A few words saying check-in reminders still come, when any is due after ``now``."""
    if now is None:
        return ""
    for person in state.people:
        due = person.get("remind_at")
        if isinstance(due, str) and datetime.fromisoformat(due) > now:
            return script.say("reminders_still_come")
    return ""


def last_time(state: State, script: Script) -> str:
    """ "Last time you wrote: …" for the relationship a check-in is about, when there is one."""
    person_id = state.data.get("person_id")
    person = next((p for p in state.people if p.get("id") == person_id), None)
    words = person.get("words") if person else None
    return script.say("last_time", value=words) if isinstance(words, str) and words else ""


def resources(state: State, script: Script) -> str:
    """The help resources for this person: the host's for their country (from the time zone
    they chose), else for their language (as their platform says it), else the default."""
    if script.resources:
        country = script.zone_countries.get(str(state.mantras.get("tz") or ""))
        language = (state.locale or "").replace("_", "-")
        for key in (
            f"country:{country}" if country else "",
            f"language:{language}",
            f"language:{language.split('-', 1)[0]}",
        ):
            if key in script.resources:
                return fill(script.resources[key], {})
    return script.say("safety")


def fields(state: State, script: Script, *, now: datetime | None = None) -> dict[str, object]:
    data = state.data
    decision = data.get("prev_decision")
    kind = data.get("kind")
    return {
        "name": person_name(state, script),
        "safety": resources(state, script),
        "work_help": script.say("work_help"),
        "prev_decision": label_of(script, "decision", decision, kind) if decision else "",
        "mantra_status": mantra_status(state, script),
        "days_label": days_label(script, data.get("days", state.mantras.get("days"))),
        "time": data.get("time", state.mantras.get("time")),
        "tz": data.get("tz", state.mantras.get("tz")),
        "last_time": last_time(state, script),
        "reminders": reminders_note(state, script, now),
    }


PLAN_LIMIT = 1000
"""A safety plan's steps are shown whole (a phone number must not be cut)."""


def plan_card(data: Mapping[str, JSON], script: Script) -> str:
    return card(data, script, script.plan_card, limit=PLAN_LIMIT) or script.say("plan_empty")


def ask(
    state: State, node: Node, script: Script, *, updates: bool = False, again: bool = False
) -> Reply:
    """The question for ``node`` with buttons carrying the current ``state.ask``; ``again``
    (asked once more after an aside) leaves out its lead line."""
    kind = kind_of(node)
    options = kind.options(state, node, script)
    chosen = state.data.get(node.store or "")
    selected = chosen if isinstance(chosen, list) else [chosen] if chosen is not None else []
    buttons = []
    for option in options:
        label = option.label
        if kind.marks_chosen and option.id in selected:
            label = CHECK + label
        buttons.append(Button(button_data(node.id, option.id, state.ask), label))
    if kind.applies == "toggle":
        buttons.append(Button(button_data(node.id, DONE, state.ask), node.done_label))
    shown = fields(state, script)
    if "{plan_card}" in node.prompt:
        shown["plan_card"] = plan_card(state.data, script)
    text = fill(node.prompt, shown)
    if node.lead and not again:
        text = fill(node.lead, shown) + "\n\n" + text
    written = chosen if kind.keeps_written and isinstance(chosen, str) and chosen else None
    if written is not None:  # back on a note: show it, and let it be kept as it is
        text += "\n\n" + script.say("previous_answer", value=shorten(written, script.words_limit))
        keeps = [(SAME, "keep_label"), (CLEAR, "clear_label")][: 2 if node.optional else 1]
        buttons.extend(Button(button_data(node.id, o, state.ask), script.say(k)) for o, k in keeps)
    elif node.optional:
        buttons.append(Button(button_data(node.id, SKIP, state.ask), script.say("skip_label")))
    if state.zones_offered:
        text = script.say("tz_candidates")
    return Reply(
        text=text,
        kind="ask",
        buttons=tuple(buttons),
        free_text=kind.free_text,
        updates_prompt=updates,
        numbers_are_values=kind.numbers_are_values,
    )


def fill_prompt(node: Node, base: Mapping[str, object], **extra: object) -> str:
    return fill(node.prompt, {**base, **extra})


def _node_storing(script: Script, store: str, kind: object) -> Node | None:
    node = next((n for n in script.nodes.values() if n.store == store), None)
    return node.for_kind(kind) if node is not None else None


def answer_text(
    data: Mapping[str, JSON], store: str, script: Script, *, limit: int | None = None
) -> str | None:
    """One answer as the card shows it: labels, a rating with its meaning, a number of days,
    or the person's own words shortened; ``None`` when there is nothing to show."""
    value = data.get(store)
    if value is None or value == "" or value == []:
        return None
    connection = data.get("kind")
    node = _node_storing(script, store, connection)
    if node is None or kind_of(node).reads == "words":
        return shorten(str(value), limit or script.words_limit)
    kind = kind_of(node)
    if kind.may_scale and isinstance(value, int):
        return rating_text(node, value, script)
    if kind.numbers_are_values:
        return str(value) if isinstance(value, int) and value > 0 else None
    values = value if isinstance(value, list) else [value]
    return ", ".join(label_of(script, store, v, connection) for v in values)


def card(
    data: Mapping[str, JSON],
    script: Script,
    layout: tuple[CardLine, ...] | None = None,
    *,
    limit: int | None = None,
) -> str:
    """The summary of a finished reflection or check-in, in the order of ``[card]`` (or of
    ``layout``, such as the safety plan's), own words shortened to ``limit``."""
    lines: list[str] = []
    name = data.get("name")
    who = name if isinstance(name, str) and name else script.say("someone")
    for line in script.card if layout is None else layout:
        if line.answer is None:
            if lines and lines[-1]:
                lines.append("")
            continue
        shown = answer_text(data, line.answer, script, limit=limit)
        if shown is not None and line.say:
            lines.append(script.say(line.say, value=shown, name=who))
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def last_words(data: Mapping[str, JSON], script: Script) -> str | None:
    """The words a later check-in recalls ("Last time you wrote: …"), shortened."""
    for store in script.last_words:
        value = data.get(store)
        if isinstance(value, str) and value.strip():
            return shorten(value, script.last_words_limit)
    return None
