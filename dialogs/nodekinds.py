"""What each node type does, said once: the table :data:`KINDS`, one :class:`NodeKind` a type.

A node's ``type`` in the content (``type = "multi"``) names its kind. The engine never compares
type names: it asks the node's kind — which options it shows now (:attr:`NodeKind.options`),
whether a button could ever have been shown on it (:attr:`NodeKind.known`), how typed text is
read (:attr:`NodeKind.reads` and :attr:`NodeKind.typed`), how a choice applies
(:attr:`NodeKind.applies`), what the loader checks (the fields below ``# checks``), and, for
a node that is no question, what happens on reaching it (:attr:`NodeKind.passes`).

=========  ==============================================================================
text       free words stored under ``store`` (``max_chars``, default 10,000); ``short`` for
           a name; ``listen`` for a note that is acknowledged.
choice     one option; an option may override ``next`` and carry a ``say`` line.
multi      several options toggled, then Done; an option may have ``then`` (a node visited
           after Done when it is chosen) or be ``exclusive`` (clears the others).
rating     1 to 5 (``scale``: what each means; ``low_at``/``low_say``: care at the lowest).
days       options with a ``value`` in days, or a typed number from ``min`` to ``max``.
time       options with a ``value`` ``HH:MM``, or a typed time.
timezone   options with a ``value``, or a typed IANA name, city or clock time.
person     the relationships reflected on so far, plus ``new_label`` (to ``next_new``).
finish     not a question: stores the reflection/check-in (``record``), shows ``prompt``.
effect     not a question: performs ``effect`` (mantras on/off, forget, the safety plan).
care       not a question: the safety message led by ``prompt``, and "are you safe?".
=========  ==============================================================================

Pure: the standard library, the script's shapes and :mod:`dialogs.answers`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from dialogs import answers
from dialogs.model import State
from dialogs.script import Node, NodeType, Option, Script

NEW = "new"
"""The option of a person question that adds someone new."""
Reads = Literal["words", "zone", "options"]
Applies = Literal["set", "value", "toggle", "person"]
Passes = Literal["record", "effect", "care"]


def _no_options(state: State, node: Node, script: Script) -> tuple[Option, ...]:
    return ()


def _own_options(state: State, node: Node, script: Script) -> tuple[Option, ...]:
    enabled = bool(state.mantras.get("enabled"))
    return tuple(o for o in node.options if o.requires != "mantras_enabled" or enabled)


def _ratings(state: State, node: Node, script: Script) -> tuple[Option, ...]:
    scale = node.scale or ("",) * 5
    return tuple(
        Option(id=str(n), label=str(n), value=n, aliases=(word,) if word else ())
        for n, word in zip(range(1, 6), scale, strict=True)
    )


def _zones(state: State, node: Node, script: Script) -> tuple[Option, ...]:
    if state.zones_offered:
        return tuple(Option(id=z, label=z, value=z) for z in state.zones_offered)
    current = state.mantras.get("tz")
    if isinstance(current, str) and all(o.value != current for o in node.options):
        return (Option(id=current, label=current, value=current), *node.options)
    return node.options


def _people(state: State, node: Node, script: Script) -> tuple[Option, ...]:
    people = answers.people_options(state.people, script)
    return (*people, Option(id=NEW, label=node.new_label))


def _is_option(node: Node, option_id: str, script: Script) -> bool:
    return any(v.option(option_id) is not None for v in node.variants())


def _is_rating(node: Node, option_id: str, script: Script) -> bool:
    return option_id in {"1", "2", "3", "4", "5"}


def _is_zone(node: Node, option_id: str, script: Script) -> bool:
    return option_id in script.time_zones or _is_option(node, option_id, script)


def _is_person(node: Node, option_id: str, script: Script) -> bool:
    return option_id == NEW or (option_id[:1] == "p" and option_id[1:].isdecimal())


def _never(node: Node, option_id: str, script: Script) -> bool:
    return False


def _typed_rating(node: Node, text: str, script: Script) -> Option | None:
    rating = answers.parse_rating(text)
    return Option(id=str(rating), label=str(rating), value=rating) if rating else None


def _typed_days(node: Node, text: str, script: Script) -> Option | None:
    days = answers.parse_days(text, node)
    if not days:
        return None
    same = next((o for o in node.options if o.value == days), None)
    return same or Option(id=f"d{days}", label=script.say("days_typed", days=days), value=days)


def _typed_time(node: Node, text: str, script: Script) -> Option | None:
    time = answers.parse_time(text)
    return Option(id=time.replace(":", ""), label=time, value=time) if time else None


@dataclass(frozen=True)
class NodeKind:
    name: NodeType
    asks: bool = True
    """A question: shown, answered. Otherwise the flow passes through it (:attr:`passes`)."""
    options: Callable[[State, Node, Script], tuple[Option, ...]] = _own_options
    """The options it shows now, in order (without Skip, Done, Keep)."""
    known: Callable[[Node, str, Script], bool] = _is_option
    """Whether a button with this option id could ever have been shown on it."""
    reads: Reads = "options"
    """How typed text is read: as the person's own words, as a place or zone, or as options."""
    typed: Callable[[Node, str, Script], Option | None] | None = None
    """A typed answer that is no option (a rating, a number of days, a time), if it takes one."""
    typed_first: bool = False
    """The typed value is read before the options (a number of days is days, not a choice)."""
    applies: Applies = "set"
    """How a choice applies: its id is stored, its value is, it is toggled, a person is chosen."""
    passes: Passes | None = None
    free_text: bool = False
    """Adapters may offer typing (Discord's "Write answer")."""
    numbers_are_values: bool = False
    marks_chosen: bool = False
    """Asked again (after /back), the choice made is marked ✓."""
    keeps_written: bool = False
    """Asked again, what was written is shown, to keep or clear."""
    hint: str = "hint_choice"
    """The message for typed text it cannot read (filled with ``min``/``max``)."""
    # checks
    stores: bool = True
    min_options: int = 0
    value_type: type | None = None
    """Every option's ``value`` is of this type (days: int; a time or zone: str)."""
    zones: bool = False
    """Every option's ``value`` is a known time zone."""
    may_then: bool = False
    may_scale: bool = False
    may_listen: bool = False


KINDS: Mapping[str, NodeKind] = {
    kind.name: kind
    for kind in (
        NodeKind(
            "text",
            options=_no_options,
            known=_never,
            reads="words",
            free_text=True,
            keeps_written=True,
            may_listen=True,
        ),
        NodeKind("choice", marks_chosen=True, min_options=2),
        NodeKind(
            "multi",
            applies="toggle",
            marks_chosen=True,
            hint="hint_multi",
            min_options=2,
            may_then=True,
        ),
        NodeKind(
            "rating",
            options=_ratings,
            known=_is_rating,
            typed=_typed_rating,
            applies="value",
            hint="hint_rating",
            may_scale=True,
        ),
        NodeKind(
            "days",
            typed=_typed_days,
            typed_first=True,
            applies="value",
            free_text=True,
            numbers_are_values=True,
            hint="hint_days",
            value_type=int,
        ),
        NodeKind(
            "time",
            typed=_typed_time,
            typed_first=True,
            applies="value",
            free_text=True,
            hint="hint_time",
            value_type=str,
        ),
        NodeKind(
            "timezone",
            options=_zones,
            known=_is_zone,
            reads="zone",
            applies="value",
            free_text=True,
            hint="hint_timezone",
            value_type=str,
            zones=True,
        ),
        NodeKind("person", options=_people, known=_is_person, applies="person"),
        NodeKind("finish", asks=False, passes="record", stores=False, known=_never),
        NodeKind("effect", asks=False, passes="effect", stores=False, known=_never),
        NodeKind("care", asks=False, passes="care", stores=False, known=_never),
    )
}
QUESTIONS = frozenset(name for name, kind in KINDS.items() if kind.asks)


def kind_of(node: Node) -> NodeKind:
    """The kind of ``node`` (the loader has checked that its type is one of :data:`KINDS`)."""
    return KINDS[node.type]


__all__ = ["KINDS", "NEW", "QUESTIONS", "NodeKind", "kind_of"]
