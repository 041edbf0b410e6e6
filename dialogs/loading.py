"""Reading the content (``dialogs/content/*.toml``) into a :class:`~dialogs.script.Script`:
each file's flows, nodes, messages and tables, assembled and then checked
(:mod:`dialogs.checks`). Reading files happens here, once per process (:func:`load_script`);
stepping the machine never reads anything.
"""

from __future__ import annotations

import tomllib
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import tzinfo
from functools import cache
from importlib import resources
from typing import Any, cast

from dialogs.checks import validate
from dialogs.listening import Listening, ListeningError, listening_from
from dialogs.nodekinds import KINDS
from dialogs.safety import SafetyRules
from dialogs.safety_loading import SafetyRulesError, rules_from
from dialogs.script import (
    CONNECTIONS,
    WORD_COMMANDS,
    CardLine,
    CommandSpec,
    Flow,
    Node,
    NodeType,
    Option,
    Script,
    ScriptError,
)

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


def _variant(node: Node, kind: str, raw: Mapping[str, Any], where: str) -> Node:
    extra = set(raw) - VARIANT_FIELDS
    if extra:
        raise ScriptError(f"{where}: unknown field(s) {sorted(extra)} for kind {kind!r}")
    if kind not in CONNECTIONS:
        raise ScriptError(f"{where}: unknown kind {kind!r} (one of {', '.join(CONNECTIONS)})")
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
        "listen", "unless", "scale", "by_kind", "short", "judging", "low_at", "low_say", "lead",
        "only_if",
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


def _node_type(raw: object, where: str) -> NodeType:
    if raw not in KINDS:
        raise ScriptError(f"{where}: unknown node type {raw!r} (one of {', '.join(KINDS)})")
    return cast(NodeType, raw)


def _base_node(raw: Mapping[str, Any], where: str) -> Node:
    try:
        node_id = str(raw["id"])
        options = tuple(
            _option(o, f"{where} {node_id} option #{i + 1}")
            for i, o in enumerate(raw.get("options", ()))
        )
        return Node(
            id=node_id,
            type=_node_type(raw["type"], where),
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
            only_if=raw.get("only_if"),
            scale=tuple(str(s) for s in raw.get("scale", ())),
            lead=str(raw.get("lead", "")),
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


def _command(raw: Mapping[str, Any], where: str) -> CommandSpec:
    extra = set(raw) - {"name", "menu", "help"}
    name = str(raw.get("name", ""))
    if extra or not name.isidentifier() or name != name.lower() or len(name) > 32:
        raise ScriptError(f"{where}: a command is {{name, menu, help}}, name in lower case")
    menu = str(raw.get("menu", ""))
    if len(menu) > 100:
        raise ScriptError(f"{where}: /{name}'s menu line is over 100 characters")
    return CommandSpec(name=name, menu=menu, help=str(raw.get("help", "")))


def _help_text(raw: Mapping[str, Any], commands: list[CommandSpec], where: str) -> str:
    """``/help``, made from the commands' own lines: it cannot miss one."""
    try:
        lines = [str(raw["intro"])]
        lines += [str(raw["line"]).format(name=c.name, help=c.help) for c in commands if c.help]
    except (KeyError, IndexError, ValueError) as exc:
        raise ScriptError(f"{where}: [help] needs intro and line ({exc})") from exc
    return "\n".join(lines)


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
    history_name = "name"
    history_ratings: tuple[str, ...] = ()
    plan_card: tuple[CardLine, ...] = ()
    care_hold_hours, since_after_hours = 48, 2
    held: list[str] = []
    words: dict[str, str] = {}
    commands: list[CommandSpec] = []
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
        if "history" in doc:
            history_name = str(doc["history"].get("name", history_name))
            history_ratings = tuple(str(k) for k in doc["history"].get("ratings", ()))
        if "plan_card" in doc:
            plan_card = tuple(_card_line(line, name) for line in doc["plan_card"].get("lines", ()))
        if "care" in doc:
            care_hold_hours = int(doc["care"].get("hold_hours", care_hold_hours))
            since_after_hours = int(doc["care"].get("since_after_hours", since_after_hours))
        held.extend(str(line) for line in doc.get("held_after_disclosure", ()))
        commands.extend(_command(c, name) for c in doc.get("command", ()))
        if "help" in doc and "command" in doc:
            messages["help"] = _help_text(doc["help"], commands, name)
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
        history_name=history_name,
        history_ratings=history_ratings,
        plan_card=plan_card,
        care_hold_hours=care_hold_hours,
        since_after_hours=since_after_hours,
        held_mantras=_held(held, mantras),
        words=words,
        commands=tuple(commands),
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
