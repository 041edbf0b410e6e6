"""Checking a script: everything a typo in the content could break, found when it loads.

Every target exists and every node is reachable from its flow's start; option ids are unique and
every button id fits Telegram's 64-byte ``callback_data`` limit; every ``{field}`` in a text is
one the engine fills; each node has what its type needs (the table of :mod:`dialogs.nodekinds`);
the listening lines and the card name only what exists.
"""

from __future__ import annotations

from dialogs.nodekinds import kind_of
from dialogs.safety import concern
from dialogs.script import (
    CALLBACK_LIMIT,
    CONDITIONS,
    EFFECTS,
    END_TARGETS,
    MAX_ASK_DIGITS,
    NODE_ID,
    OPTION_ID,
    RECORDS,
    RESERVED_OPTIONS,
    TEMPLATE_FIELDS,
    Node,
    Script,
    ScriptError,
    template_fields,
)


def _check_target(script: Script, node: Node, target: str | None, what: str) -> None:
    if target is None or target in END_TARGETS:
        return
    if target not in script.nodes:
        raise ScriptError(f"node {node.id}: {what} {target!r} does not exist")


def _check_text(where: str, text: str) -> None:
    unknown = template_fields(text) - TEMPLATE_FIELDS
    if unknown:
        raise ScriptError(f"{where}: unknown field(s) {sorted(unknown)} in text")


def _check_node(script: Script, node: Node) -> None:
    """What a node needs, by its kind (:mod:`dialogs.nodekinds`), and where it leads."""
    kind = kind_of(node)
    if not NODE_ID.match(node.id):
        raise ScriptError(f"node id {node.id!r} must look like 'flow.step'")
    if node.flow not in script.flows:
        raise ScriptError(f"node {node.id}: no flow {node.flow!r}")
    if kind.stores and not node.store:
        raise ScriptError(f"node {node.id}: a question needs 'store'")
    if kind.passes == "record" and node.record not in RECORDS:
        raise ScriptError(f"node {node.id}: record must be one of {sorted(RECORDS)}")
    if kind.passes == "effect" and node.effect not in EFFECTS:
        raise ScriptError(f"node {node.id}: effect must be one of {sorted(EFFECTS)}")
    if node.low_say is not None and (not kind.may_scale or node.low_say not in script.messages):
        raise ScriptError(f"node {node.id}: low_say names no message, or is not on a rating")
    if kind.applies == "person" and not node.next_new:
        raise ScriptError(f"node {node.id}: a person question needs 'next_new'")
    if node.listen and not kind.may_listen:
        raise ScriptError(f"node {node.id}: only a text question can 'listen'")
    for name, condition in (("unless", node.unless), ("only_if", node.only_if)):
        if condition is not None and condition not in CONDITIONS:
            raise ScriptError(f"node {node.id}: {name} names unknown {condition!r}")
    _check_target(script, node, node.next, "next")
    _check_target(script, node, node.next_new, "next_new")
    for variant in node.variants():
        _check_asked(script, variant)


def _check_asked(script: Script, node: Node) -> None:
    """What a node (or one of its kind variants) shows: prompt, options, scale."""
    kind = kind_of(node)
    _check_text(f"node {node.id} prompt", node.prompt)
    _check_text(f"node {node.id} lead", node.lead)
    if len(node.options) < kind.min_options:
        raise ScriptError(f"node {node.id}: needs at least {kind.min_options} options")
    if node.scale and (not kind.may_scale or len(node.scale) != 5):
        raise ScriptError(f"node {node.id}: a scale is five words, on a rating")
    seen: set[str] = set()
    for option in node.options:
        if not OPTION_ID.match(option.id) or option.id in RESERVED_OPTIONS:
            raise ScriptError(f"node {node.id}: bad option id {option.id!r}")
        if option.id in seen:
            raise ScriptError(f"node {node.id}: option {option.id!r} appears twice")
        seen.add(option.id)
        _check_target(script, node, option.next, "next")
        _check_target(script, node, option.then, "then")
        if option.then and not kind.may_then:
            raise ScriptError(f"node {node.id}: 'then' only works on a multi question")
        if option.requires is not None and option.requires not in CONDITIONS:
            raise ScriptError(f"node {node.id}: option requires unknown {option.requires!r}")
        if option.say:
            _check_text(f"node {node.id} option {option.id}", option.say)
        if kind.value_type is not None and not isinstance(option.value, kind.value_type):
            what = "a number" if kind.value_type is int else "a text"
            raise ScriptError(f"node {node.id}: option {option.id!r} needs {what} 'value'")
        if kind.zones and option.value not in script.time_zones:
            raise ScriptError(f"node {node.id}: {option.value!r} is not a known time zone")
        data = f"thr:{node.id}:{option.id}:{'9' * MAX_ASK_DIGITS}"
        if len(data.encode()) > CALLBACK_LIMIT:
            raise ScriptError(f"node {node.id}: button id {data!r} exceeds {CALLBACK_LIMIT} bytes")
    if sum(1 for o in node.options if o.then) > 1:
        raise ScriptError(f"node {node.id}: at most one option may have 'then'")


def _reachable(script: Script, start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        current = todo.pop()
        if current in seen or current in END_TARGETS:
            continue
        seen.add(current)
        node = script.nodes[current]
        todo.extend(t for t in (node.next, node.next_new) if t)
        todo.extend(t for n in node.variants() for o in n.options for t in (o.next, o.then) if t)
    return seen


def validate(script: Script) -> None:
    """Raise :class:`ScriptError` on the first inconsistency found."""
    for flow in script.flows.values():
        if flow.start not in script.nodes:
            raise ScriptError(f"flow {flow.id}: start {flow.start!r} does not exist")
    for node in script.nodes.values():
        _check_node(script, node)
    for key, text in script.messages.items():
        _check_text(f"message {key}", text)
    _check_listening(script)
    _check_card(script)
    reached: set[str] = set()
    for flow in script.flows.values():
        reached |= _reachable(script, flow.start)
    unreachable = sorted(set(script.nodes) - reached)
    if unreachable:
        raise ScriptError(f"node(s) never reached from a flow's start: {unreachable}")
    if not script.mantras or any(not m.strip() or len(m) > 200 for m in script.mantras):
        raise ScriptError("mantras: need at least one line, each 1 to 200 characters")
    for alias, zone in script.tz_aliases.items():
        if zone not in script.time_zones:
            raise ScriptError(f"tz_aliases: {alias!r} points to unknown zone {zone!r}")
    unknown_zones = [z for z in script.popular_zones if z not in script.time_zones]
    if unknown_zones:
        raise ScriptError(f"popular_zones: unknown zone(s) {unknown_zones}")
    if not isinstance(script.snooze_days, int) or not 1 <= script.snooze_days <= 90:
        raise ScriptError("delivery: snooze_days must be a whole number of days from 1 to 90")
    required = {
        "intro", "menu", "help", "unknown_command", "stale_button", "forged_button",
        "finished_button", "not_skippable", "cancelled", "stopped", "hint_choice",
        "welcome_back", "already_in", "switch", "safety", "too_long", "empty_text",
        "unsupported", "thing.other",
        "mantra_stop_label", "mantra_snooze_label", "mantra_stopped", "mantra_already_off",
        "mantra_snoozed", "mantra_snooze_over", "checkin_reminder", "checkin_now",
        "tz_by_clock", "hint_tz_clock", "unknown_command_near", "did_you_mean", "or_word",
        "cancel_confirm", "cancel_yes", "cancel_no", "cancel_kept_going", "opening_kept",
        "name_greeted", "name_greeted_again",
        "options_heard",
        "idle_menu", "previous_answer", "keep_label", "clear_label", "answered_kept",
        "answered_cleared", "last_time", "reminders_still_come", "nothing_running",
        "work_help", "rating_value", "rating_echo", "safety_question", "safety_safe_label",
        "safety_stop_label", "safety_unsafe_label", "safety_safe_now_label", "safety_plan_label",
        "safety_safe", "safety_safe_idle", "safety_unsafe", "safety_unsafe_question",
        "safety_stopped", "safety_stopped_idle", "safety_hint", "safety_hint_again",
        "gentle_skipped", "gentle_close",
        "essay_line", "mantras_paused", "mantra_resume_label", "mantras_resumed",
        "since_question", "since_better", "since_same", "since_worse", "since_skip",
        "since_better_label", "since_same_label", "since_worse_label", "since_skip_label",
        "safety_crisis", "safety_abuse", "safety_crisis_again", "safety_abuse_again",
    }  # fmt: skip
    missing = required - set(script.messages)
    if missing:
        raise ScriptError(f"messages: missing {sorted(missing)}")


def _check_listening(script: Script) -> None:
    """Questions with lines of their own exist and take text; no theme's example is a text
    the safety rules notice (such a text gets the safety message, never a theme's line)."""
    for node_id in script.listening.nodes:
        node = script.nodes.get(node_id)
        if node is None or not node.listen:
            raise ScriptError(f"listening: {node_id!r} is not a question that listens")
    for theme, examples in script.listening.examples.items():
        for example in examples:
            if concern(example, script.safety):
                raise ScriptError(f"listening: example {example!r} of {theme!r} is a concern")


def _check_card(script: Script) -> None:
    stores = {n.store for n in script.nodes.values() if n.store} | {"opening"}
    for line in (*script.card, *script.plan_card):
        if line.answer is None:
            continue
        if line.answer not in stores:
            raise ScriptError(f"card: no question stores {line.answer!r}")
        if line.say not in script.messages:
            raise ScriptError(f"card: message {line.say!r} does not exist")
    if len(script.history_ratings) not in (0, 2):
        raise ScriptError("history: ratings names two answers (effort shared, then feeling)")
    named = (script.history_name, *script.history_ratings) if script.history_ratings else ()
    for answer in named:
        kinds = {n.type for n in script.nodes.values() if n.store == answer}
        if not kinds:
            raise ScriptError(f"history: no question stores {answer!r}")
        if answer in script.history_ratings and kinds != {"rating"}:
            raise ScriptError(f"history: {answer!r} is not a rating")
    for answer in script.last_words:
        if answer not in stores:
            raise ScriptError(f"card: last_words names {answer!r}, which no question stores")
