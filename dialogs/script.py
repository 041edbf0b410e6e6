"""The dialog's content as data: flows of nodes, loaded from ``dialogs/content/*.toml``, validated.

A writer changes wording, options and order in the TOML files; the engine in ``machine.py`` only
knows the node *types* below. Loading checks everything a typo could break: every target exists,
every node is reachable from its flow's start, option ids are unique and every button id fits
Telegram's 64-byte ``callback_data`` limit, and every ``{field}`` in a text is one the engine
fills in.

Node types (``type = ...``):

``text``      free text stored under ``store`` (``max_chars``, default 10,000).
``choice``    one option; an option may override ``next`` and carry a ``say`` line.
``multi``     several options toggled, then Done; an option may have ``then`` (a node visited
              after Done when it is chosen) or be ``exclusive`` (clears the others).
``rating``    1 to 5.
``days``      options with a ``value`` in days, or a typed number from ``min`` to ``max``.
``time``      options with a ``value`` ``HH:MM``, or a typed time.
``timezone``  options with a ``value``, or a typed IANA name or city.
``person``    the relationships reflected on so far, plus ``new_label`` (goes to ``next_new``).
``finish``    not a question: stores the reflection/check-in (``record``) and shows ``prompt``.
``effect``    not a question: performs ``effect`` (``mantras_on``, ``mantras_off``, ``forget``).

Any node may be ``optional`` (``/skip`` and a Skip button) and may name a ``requires`` field that
must be present in the answers for the node to be asked at all (it is passed over otherwise).
Targets are node ids, ``@end`` (the flow is over) or ``@stop`` (the person chose to stop).
"""

from __future__ import annotations

import re
import string
import tomllib
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from functools import cache
from importlib import resources
from typing import Any

from dialogs.listening import Listening, ListeningError, listening_from
from dialogs.safety import SafetyRules, SafetyRulesError, concern, rules_from

QUESTION_TYPES = frozenset(
    {"text", "choice", "multi", "rating", "days", "time", "timezone", "person"}
)
AUTO_TYPES = frozenset({"finish", "effect", "care"})
EFFECTS = frozenset({"mantras_on", "mantras_off", "forget", "plan_load", "plan_save"})
RECORDS = frozenset({"reflection", "checkin"})
END_TARGETS = frozenset({"@end", "@stop"})
RESERVED_OPTIONS = frozenset({"skip", "done", "new", "same", "clear"})
OPTION_REQUIRES = frozenset({"mantras_enabled"})
TEMPLATE_FIELDS = frozenset(
    {
        "name", "card", "mantra", "safety", "prev_decision", "mantra_status", "days_label",
        "time", "tz", "flow", "new_flow", "command", "what", "limit", "min", "max", "value",
        "serving", "reciprocal", "love_or_fear", "page", "pages", "date", "kind", "details",
        "next", "days", "reminders", "last_time", "work_help", "suggestion", "options",
        "scale", "words", "hours", "plan_card", "essay",
    }
)  # fmt: skip
WORD_COMMANDS = frozenset({"help", "cancel", "back", "skip"})
"""Commands that may be typed without a slash (``[words]`` in the content)."""
CALLBACK_LIMIT = 64
MAX_ASK_DIGITS = 7
NODE_ID = re.compile(r"^[a-z_]+\.[a-z_]+$")
OPTION_ID = re.compile(r"^[A-Za-z0-9_+\-/]+$")


class ScriptError(ValueError):
    """The content files are inconsistent; the message names the file and node."""


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    aliases: tuple[str, ...] = ()
    next: str | None = None
    then: str | None = None
    exclusive: bool = False
    value: int | str | None = None
    say: str | None = None
    requires: str | None = None


@dataclass(frozen=True)
class Node:
    id: str
    type: str
    prompt: str
    next: str
    store: str | None = None
    optional: bool = False
    options: tuple[Option, ...] = ()
    max_chars: int = 10_000
    done_label: str = "Done"
    min: int = 1
    max: int = 90
    record: str | None = None
    effect: str | None = None
    requires: str | None = None
    new_label: str = "Someone new"
    next_new: str | None = None
    listen: bool = False
    """A text answer here is acknowledged with one short line (:mod:`dialogs.listening`)."""
    short: bool = False
    """A short text answer is expected (a name): a whole sentence typed here is kept as what
    is on the person's mind, acknowledged, and the question asked again."""
    judging: bool = False
    """A question that judges the relationship (self-respect): left out of a conversation
    that goes on gently after a disclosure."""
    low_at: int = 0
    low_say: str | None = None
    """For a rating: a rating of ``low_at`` or less is answered with the message ``low_say``
    (care and the resources), and the conversation ends without an essay line."""
    unless: str | None = None
    """A condition (``mantras_enabled``) under which the node is passed over."""
    scale: tuple[str, ...] = ()
    """For a rating: what 1 … 5 mean, shown beside the number when it is echoed."""
    by_kind: Mapping[str, Node] = field(default_factory=dict, compare=False, repr=False)
    """The node as asked about one kind of connection (``romantic``, ``work`` …): its own
    prompt, options, scale or Done label. See :meth:`for_kind`."""

    @property
    def flow(self) -> str:
        return self.id.split(".", 1)[0]

    def for_kind(self, kind: object) -> Node:
        """This node as asked about ``kind`` of connection (itself when it has no variant)."""
        return self.by_kind.get(kind, self) if isinstance(kind, str) else self

    def variants(self) -> tuple[Node, ...]:
        """The node and each of its kind variants."""
        return (self, *self.by_kind.values())

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class CardLine:
    """One line of the summary card: an answer shown with a message, or a gap."""

    answer: str | None = None
    say: str | None = None


@dataclass(frozen=True)
class Flow:
    id: str
    title: str
    start: str


@dataclass(frozen=True)
class Script:
    flows: Mapping[str, Flow]
    nodes: Mapping[str, Node]
    messages: Mapping[str, str]
    menu: tuple[Option, ...]
    mantras: tuple[str, ...]
    time_zones: frozenset[str]
    tz_aliases: Mapping[str, str] = field(default_factory=dict)
    safety: SafetyRules = field(default_factory=SafetyRules)
    """Phrases that suggest self-harm, suicide or abuse (``content/safety.toml``)."""
    listening: Listening = field(default_factory=Listening)
    """How a written answer is acknowledged (``content/listening.toml``)."""
    snooze_days: int = 7
    """How long the snooze button under a scheduled mantra pauses them (``[delivery]``)."""
    stop_words: frozenset[str] = frozenset()
    snooze_words: frozenset[str] = frozenset()
    """What may be typed instead of a delivered mantra's stop or snooze button."""
    card: tuple[CardLine, ...] = ()
    """The summary card's lines, in order (``content/summary.toml``)."""
    words_limit: int = 200
    """The person's own words on a card are shortened to this many characters."""
    last_words: tuple[str, ...] = ()
    """Answers a check-in may recall as "Last time you wrote", in order of preference."""
    last_words_limit: int = 120
    plan_card: tuple[CardLine, ...] = ()
    """The safety plan's card (``content/plan.toml``)."""
    care_hold_hours: int = 48
    since_after_hours: int = 2
    held_mantras: frozenset[int] = frozenset()
    """Mantra lines held back in the hours after a disclosure (their indices)."""
    resources: Mapping[str, str] = field(default_factory=dict)
    """Help resources the host gave per place or language (``country:DE``, ``language:de``),
    shown instead of the default ``safety`` message where they fit the person."""
    zone_countries: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    """Time zone → the country it is in (from the time zone database's ``zone.tab``)."""
    words: Mapping[str, str] = field(default_factory=dict)
    """A word typed without a slash (lower case) → the command it stands for."""
    popular_zones: tuple[str, ...] = ()
    """Zones offered first when a person finds theirs by typing their local time."""
    zone_rules: Mapping[str, tzinfo] = field(default_factory=dict, compare=False, repr=False)
    """The rules of every zone that can be offered by local time, loaded once with the script
    so that stepping the machine only does arithmetic on them (no file is read then)."""

    def say(self, key: str, **fields: object) -> str:
        """The message ``key`` with its ``{fields}`` filled in (a missing field reads as empty)."""
        return fill(self.messages[key], fields)

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]


class _Blank(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, fields: Mapping[str, object]) -> str:
    return template.format_map(_Blank(fields))


def template_fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


# ---------------------------------------------------------------------------------------------
# Loading


def _option(raw: Mapping[str, Any], where: str) -> Option:
    known = {"id", "label", "aliases", "next", "then", "exclusive", "value", "say", "requires"}
    extra = set(raw) - known
    if extra:
        raise ScriptError(f"{where}: unknown option field(s) {sorted(extra)}")
    try:
        return Option(
            id=str(raw["id"]),
            label=str(raw["label"]),
            aliases=tuple(str(a).casefold() for a in raw.get("aliases", ())),
            next=raw.get("next"),
            then=raw.get("then"),
            exclusive=bool(raw.get("exclusive", False)),
            value=raw.get("value"),
            say=raw.get("say"),
            requires=raw.get("requires"),
        )
    except KeyError as exc:
        raise ScriptError(f"{where}: option is missing {exc.args[0]!r}") from exc


VARIANT_FIELDS = frozenset({"prompt", "options", "done_label", "scale", "new_label"})
KINDS = ("romantic", "friendship", "family", "work")
"""The kinds of connection a node may have a variant for (``by_kind``)."""


def _variant(node: Node, kind: str, raw: Mapping[str, Any], where: str) -> Node:
    extra = set(raw) - VARIANT_FIELDS
    if extra:
        raise ScriptError(f"{where}: unknown field(s) {sorted(extra)} for kind {kind!r}")
    if kind not in KINDS:
        raise ScriptError(f"{where}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
    changes: dict[str, Any] = {k: raw[k] for k in ("prompt", "done_label", "new_label") if k in raw}
    if "options" in raw:
        changes["options"] = tuple(
            _option(o, f"{where} ({kind}) option #{i + 1}") for i, o in enumerate(raw["options"])
        )
    if "scale" in raw:
        changes["scale"] = tuple(str(s) for s in raw["scale"])
    return replace(node, **changes)


def _node(raw: Mapping[str, Any], where: str) -> Node:
    known = {
        "id", "type", "prompt", "next", "store", "optional", "options", "max_chars",
        "done_label", "min", "max", "record", "effect", "requires", "new_label", "next_new",
        "listen", "unless", "scale", "by_kind", "short", "judging", "low_at", "low_say",
    }  # fmt: skip
    extra = set(raw) - known
    if extra:
        raise ScriptError(f"{where}: unknown field(s) {sorted(extra)}")
    node = _base_node(raw, where)
    variants = {
        str(kind): _variant(node, str(kind), spec, f"{where} {node.id}")
        for kind, spec in dict(raw.get("by_kind", {})).items()
    }
    return replace(node, by_kind=variants) if variants else node


def _base_node(raw: Mapping[str, Any], where: str) -> Node:
    try:
        node_id = str(raw["id"])
        options = tuple(
            _option(o, f"{where} {node_id} option #{i + 1}")
            for i, o in enumerate(raw.get("options", ()))
        )
        return Node(
            id=node_id,
            type=str(raw["type"]),
            prompt=str(raw["prompt"]),
            next=str(raw["next"]),
            store=raw.get("store"),
            optional=bool(raw.get("optional", False)),
            options=options,
            max_chars=int(raw.get("max_chars", 10_000)),
            done_label=str(raw.get("done_label", "Done")),
            min=int(raw.get("min", 1)),
            max=int(raw.get("max", 90)),
            record=raw.get("record"),
            effect=raw.get("effect"),
            requires=raw.get("requires"),
            new_label=str(raw.get("new_label", "Someone new")),
            next_new=raw.get("next_new"),
            listen=bool(raw.get("listen", False)),
            short=bool(raw.get("short", False)),
            judging=bool(raw.get("judging", False)),
            low_at=int(raw.get("low_at", 0)),
            low_say=raw.get("low_say"),
            unless=raw.get("unless"),
            scale=tuple(str(s) for s in raw.get("scale", ())),
        )
    except KeyError as exc:
        raise ScriptError(f"{where}: a node is missing {exc.args[0]!r}") from exc


def _held(held: Iterable[str], mantras: tuple[str, ...]) -> frozenset[int]:
    unknown = [line for line in held if line not in mantras]
    if unknown:
        raise ScriptError(f"mantras: held_after_disclosure names lines not in lines: {unknown}")
    indices = frozenset(mantras.index(line) for line in held)
    if mantras and len(indices) >= len(mantras):
        raise ScriptError("mantras: held_after_disclosure must leave some lines to send")
    return indices


def _card_line(raw: Mapping[str, Any], where: str) -> CardLine:
    extra = set(raw) - {"answer", "say", "gap"}
    if extra or (raw.get("gap") and set(raw) != {"gap"}):
        raise ScriptError(f"{where}: a card line is {{answer, say}} or {{gap = true}}")
    if raw.get("gap"):
        return CardLine()
    if "answer" not in raw or "say" not in raw:
        raise ScriptError(f"{where}: a card line needs 'answer' and 'say'")
    return CardLine(answer=str(raw["answer"]), say=str(raw["say"]))


def build_script(
    documents: Mapping[str, Mapping[str, Any]],
    time_zones: Iterable[str],
    zone_rules: Mapping[str, tzinfo] | None = None,
) -> Script:
    """Assemble and validate a script from parsed TOML documents keyed by file name."""
    flows: dict[str, Flow] = {}
    nodes: dict[str, Node] = {}
    messages: dict[str, str] = {}
    menu: tuple[Option, ...] = ()
    mantras: tuple[str, ...] = ()
    tz_aliases: dict[str, str] = {}
    safety = SafetyRules()
    listening = Listening()
    snooze_days = 7
    stop_words: frozenset[str] = frozenset()
    snooze_words: frozenset[str] = frozenset()
    card: tuple[CardLine, ...] = ()
    words_limit = 200
    last_words: tuple[str, ...] = ()
    last_words_limit = 120
    plan_card: tuple[CardLine, ...] = ()
    care_hold_hours, since_after_hours = 48, 2
    held: list[str] = []
    words: dict[str, str] = {}
    popular: tuple[str, ...] = ()
    for name, doc in sorted(documents.items()):
        if "flow" in doc:
            raw_flow = doc["flow"]
            flow = Flow(str(raw_flow["id"]), str(raw_flow["title"]), str(raw_flow["start"]))
            if flow.id in flows:
                raise ScriptError(f"{name}: flow {flow.id!r} is defined twice")
            flows[flow.id] = flow
        for raw_node in doc.get("node", ()):
            node = _node(raw_node, name)
            if node.id in nodes:
                raise ScriptError(f"{name}: node {node.id!r} is defined twice")
            nodes[node.id] = node
        raw_messages = dict(doc.get("messages", {}))
        messages.update(raw_messages.pop("service", {}))
        messages.update(raw_messages)
        if "menu" in doc:
            menu = tuple(_option(o, f"{name} menu") for o in doc["menu"]["options"])
        if "lines" in doc:
            mantras = tuple(str(line) for line in doc["lines"])
        tz_aliases.update({k.casefold(): v for k, v in doc.get("tz_aliases", {}).items()})
        if "safety" in doc:
            try:
                safety = rules_from(doc["safety"], name)
            except SafetyRulesError as exc:
                raise ScriptError(str(exc)) from exc
        if "listening" in doc:
            try:
                listening = listening_from(doc["listening"], name)
            except ListeningError as exc:
                raise ScriptError(str(exc)) from exc
        if "delivery" in doc:
            delivery = doc["delivery"]
            snooze_days = delivery.get("snooze_days", snooze_days)
            stop_words = frozenset(str(w).casefold() for w in delivery.get("stop_words", ()))
            snooze_words = frozenset(str(w).casefold() for w in delivery.get("snooze_words", ()))
        if "card" in doc:
            card = tuple(_card_line(line, name) for line in doc["card"].get("lines", ()))
            words_limit = int(doc["card"].get("words_limit", words_limit))
            last_words = tuple(str(k) for k in doc["card"].get("last_words", ()))
            last_words_limit = int(doc["card"].get("last_words_limit", last_words_limit))
        if "plan_card" in doc:
            plan_card = tuple(_card_line(line, name) for line in doc["plan_card"].get("lines", ()))
        if "care" in doc:
            care_hold_hours = int(doc["care"].get("hold_hours", care_hold_hours))
            since_after_hours = int(doc["care"].get("since_after_hours", since_after_hours))
        held.extend(str(line) for line in doc.get("held_after_disclosure", ()))
        for command, typed in doc.get("words", {}).items():
            if command not in WORD_COMMANDS:
                raise ScriptError(f"{name}: [words] {command!r} is not a command typed bare")
            words.update({str(w).casefold(): str(command) for w in typed})
        if "popular_zones" in doc:
            popular = tuple(str(z) for z in doc["popular_zones"])
    script = Script(
        flows=flows,
        nodes=nodes,
        messages=messages,
        menu=menu,
        mantras=mantras,
        time_zones=frozenset(time_zones),
        tz_aliases=tz_aliases,
        safety=safety,
        listening=listening,
        snooze_days=snooze_days,
        stop_words=stop_words,
        snooze_words=snooze_words,
        card=card,
        words_limit=words_limit,
        last_words=last_words,
        last_words_limit=last_words_limit,
        plan_card=plan_card,
        care_hold_hours=care_hold_hours,
        since_after_hours=since_after_hours,
        held_mantras=_held(held, mantras),
        words=words,
        popular_zones=popular,
        zone_rules=dict(zone_rules or {}),
    )
    validate(script)
    return script


@cache
def load_script() -> Script:
    """Load the packaged content once per process; raises :class:`ScriptError` if it is broken."""
    documents: dict[str, Mapping[str, Any]] = {}
    for entry in resources.files("dialogs.content").iterdir():
        if entry.name.endswith(".toml"):
            try:
                documents[entry.name] = tomllib.loads(entry.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise ScriptError(f"{entry.name}: {exc}") from exc
    names = zoneinfo.available_timezones()
    return build_script(documents, names, {z: zoneinfo.ZoneInfo(z) for z in offerable(names)})


OFFERED_AREAS = frozenset(
    {"Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian",
     "Pacific"}
)  # fmt: skip


def offerable(names: Iterable[str]) -> list[str]:
    """The zones worth offering to a person: ``Area/City`` names (no ``Etc/GMT+5``, no
    ``US/Eastern``)."""
    return sorted(z for z in names if z.split("/", 1)[0] in OFFERED_AREAS and "/" in z)


# ---------------------------------------------------------------------------------------------
# Validation


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
    if not NODE_ID.match(node.id):
        raise ScriptError(f"node id {node.id!r} must look like 'flow.step'")
    if node.flow not in script.flows:
        raise ScriptError(f"node {node.id}: no flow {node.flow!r}")
    if node.type not in QUESTION_TYPES | AUTO_TYPES:
        raise ScriptError(f"node {node.id}: unknown type {node.type!r}")
    if node.type in QUESTION_TYPES and not node.store:
        raise ScriptError(f"node {node.id}: a question needs 'store'")
    if node.type == "finish" and node.record not in RECORDS:
        raise ScriptError(f"node {node.id}: record must be one of {sorted(RECORDS)}")
    if node.low_say is not None and (node.type != "rating" or node.low_say not in script.messages):
        raise ScriptError(f"node {node.id}: low_say names no message, or is not on a rating")
    if node.type == "effect" and node.effect not in EFFECTS:
        raise ScriptError(f"node {node.id}: effect must be one of {sorted(EFFECTS)}")
    if node.type == "person" and not node.next_new:
        raise ScriptError(f"node {node.id}: a person question needs 'next_new'")
    if node.listen and node.type != "text":
        raise ScriptError(f"node {node.id}: only a text question can 'listen'")
    if node.unless is not None and node.unless not in OPTION_REQUIRES:
        raise ScriptError(f"node {node.id}: unless names unknown {node.unless!r}")
    _check_target(script, node, node.next, "next")
    _check_target(script, node, node.next_new, "next_new")
    for variant in node.variants():
        _check_asked(script, variant)


def _check_asked(script: Script, node: Node) -> None:
    """What a node (or one of its kind variants) shows: prompt, options, scale."""
    _check_text(f"node {node.id} prompt", node.prompt)
    if node.type in ("choice", "multi") and len(node.options) < 2:
        raise ScriptError(f"node {node.id}: needs at least two options")
    if node.scale and (node.type != "rating" or len(node.scale) != 5):
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
        if option.then and node.type != "multi":
            raise ScriptError(f"node {node.id}: 'then' only works on a multi question")
        if option.requires is not None and option.requires not in OPTION_REQUIRES:
            raise ScriptError(f"node {node.id}: option requires unknown {option.requires!r}")
        if option.say:
            _check_text(f"node {node.id} option {option.id}", option.say)
        if node.type == "days" and not isinstance(option.value, int):
            raise ScriptError(f"node {node.id}: option {option.id!r} needs a number 'value'")
        if node.type in ("time", "timezone") and not isinstance(option.value, str):
            raise ScriptError(f"node {node.id}: option {option.id!r} needs a text 'value'")
        if node.type == "timezone" and option.value not in script.time_zones:
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
        "welcome_back", "switch", "safety", "too_long", "empty_text", "unsupported",
        "mantra_stop_label", "mantra_snooze_label", "mantra_stopped", "mantra_already_off",
        "mantra_snoozed", "mantra_snooze_over", "checkin_reminder", "checkin_now",
        "tz_by_clock", "hint_tz_clock", "unknown_command_near", "did_you_mean", "or_word",
        "cancel_confirm", "cancel_yes", "cancel_no", "cancel_kept_going", "opening_kept",
        "idle_menu", "previous_answer", "keep_label", "clear_label", "answered_kept",
        "answered_cleared", "last_time", "reminders_still_come", "nothing_running",
        "work_help", "rating_value", "rating_echo", "safety_question", "safety_safe_label",
        "safety_stop_label", "safety_unsafe_label", "safety_safe_now_label", "safety_plan_label",
        "safety_safe", "safety_safe_idle", "safety_unsafe", "safety_unsafe_question",
        "safety_stopped", "safety_stopped_idle", "safety_hint", "gentle_skipped", "gentle_close",
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
    for answer in script.last_words:
        if answer not in stores:
            raise ScriptError(f"card: last_words names {answer!r}, which no question stores")
