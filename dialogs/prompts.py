"""Rendering a node as a question, and the summary card: text and buttons from state and script."""

from __future__ import annotations

from collections.abc import Mapping

from dialogs.answers import people_options
from dialogs.model import JSON, Button, Reply, State
from dialogs.script import QUESTION_TYPES, Node, Option, Script, fill

SKIP = "skip"
DONE = "done"
NEW = "new"
CHECK = "✓ "
TYPED_TYPES = frozenset({"text", "days", "time", "timezone"})
TZ_CANDIDATES = "_tz_candidates"
__all__ = ["QUESTION_TYPES", "ask", "button_data", "card", "fill_prompt", "parse_button"]


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


def label_of(script: Script, store: str, value: JSON, flow: str | None = None) -> str:
    """The option label a stored choice stands for (``"romantic"`` → ``"Romantic"``)."""
    nodes = sorted(
        (n for n in script.nodes.values() if n.store == store and n.options),
        key=lambda n: n.flow != flow,
    )
    for node in nodes:
        option = node.option(str(value))
        if option is not None:
            return option.label
    return str(value)


def visible_options(state: State, node: Node, script: Script) -> tuple[Option, ...]:
    """The options a node shows now, in order (without Skip/Done)."""
    if node.type == "person":
        return (*people_options(state.people, script), Option(id=NEW, label=node.new_label))
    if node.type == "rating":
        return tuple(Option(id=str(n), label=str(n), value=n) for n in range(1, 6))
    if node.type == "timezone":
        candidates = state.data.get(TZ_CANDIDATES)
        if isinstance(candidates, list) and candidates:
            return tuple(Option(id=str(z), label=str(z), value=str(z)) for z in candidates)
        current = state.mantras.get("tz")
        extra: tuple[Option, ...] = ()
        if isinstance(current, str) and all(o.value != current for o in node.options):
            extra = (Option(id=current, label=current, value=current),)
        return (*extra, *node.options)
    enabled = bool(state.mantras.get("enabled"))
    return tuple(o for o in node.options if o.requires != "mantras_enabled" or enabled)


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


def fields(state: State, script: Script) -> dict[str, object]:
    data = state.data
    decision = data.get("prev_decision")
    return {
        "name": person_name(state, script),
        "safety": script.say("safety"),
        "prev_decision": label_of(script, "decision", decision) if decision else "",
        "mantra_status": mantra_status(state, script),
        "days_label": days_label(script, data.get("days", state.mantras.get("days"))),
        "time": data.get("time", state.mantras.get("time")),
        "tz": data.get("tz", state.mantras.get("tz")),
    }


def ask(state: State, node: Node, script: Script, *, updates: bool = False) -> Reply:
    """The question for ``node`` with buttons carrying the current ``state.ask``."""
    options = visible_options(state, node, script)
    selected = state.data.get(node.store or "", [])
    buttons = []
    for option in options:
        label = option.label
        if node.type == "multi" and isinstance(selected, list) and option.id in selected:
            label = CHECK + label
        buttons.append(Button(button_data(node.id, option.id, state.ask), label))
    if node.type == "multi":
        buttons.append(Button(button_data(node.id, DONE, state.ask), node.done_label))
    if node.optional:
        buttons.append(Button(button_data(node.id, SKIP, state.ask), script.say("skip_label")))
    text = fill(node.prompt, fields(state, script))
    if node.type == "timezone" and state.data.get(TZ_CANDIDATES):
        text = script.say("tz_candidates")
    return Reply(
        text=text,
        kind="ask",
        buttons=tuple(buttons),
        free_text=node.type in TYPED_TYPES,
        updates_prompt=updates,
    )


def fill_prompt(node: Node, base: Mapping[str, object], **extra: object) -> str:
    return fill(node.prompt, {**base, **extra})


def card(data: Mapping[str, JSON], script: Script, flow: str) -> str:
    """The short summary of a finished reflection or check-in."""
    lines = []

    def add(key: str, value: object) -> None:
        lines.append(script.say(key, value=value))

    def labels(store: str) -> str:
        value = data.get(store)
        values = value if isinstance(value, list) else [value]
        return ", ".join(label_of(script, store, v, flow) for v in values)

    if data.get("name"):
        add("card_name", data["name"])
    if data.get("signals"):
        add("card_signals", labels("signals"))
    if data.get("pattern"):
        add("card_pattern", labels("pattern"))
    questions = ("serving", "reciprocal", "love_or_fear")
    if any(data.get(q) for q in questions):
        answered = {q: labels(q) if data.get(q) else "—" for q in questions}
        lines.append(script.say("card_questions", **answered))
    if data.get("reciprocity"):
        add("card_reciprocity", data["reciprocity"])
    if data.get("feeling"):
        add("card_feeling", data["feeling"])
    if data.get("self"):
        add("card_self", labels("self"))
    if data.get("decision"):
        add("card_decision", labels("decision"))
    days = data.get("followup_days")
    if isinstance(days, int) and days > 0:
        add("card_followup", days)
    return "\n".join(lines)
