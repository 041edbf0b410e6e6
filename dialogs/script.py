"""The dialog's content as data: the shapes a flow is made of (:class:`Script`, :class:`Flow`,
:class:`Node`, :class:`Option`), and filling a text's ``{fields}``.

The content lives in ``dialogs/content/*.toml``; :mod:`dialogs.loading` reads it into these
shapes and :mod:`dialogs.checks` checks everything a typo could break. What each node type
does (``type = "text"``, ``"choice"`` …) is said once, in the table of :mod:`dialogs.nodekinds`.

Any node may be ``optional`` (``/skip`` and a Skip button), may name a ``requires`` field that
must be present in the answers for the node to be asked at all, or a condition it is asked
``only_if`` or passed over ``unless`` (``mantras_enabled``, ``has_plan``). Targets are node ids,
``@end`` (the flow is over) or ``@stop`` (the person chose to stop).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Literal

from dialogs.listening import Listening
from dialogs.safety import SafetyRules

NodeType = Literal[
    "text", "choice", "multi", "rating", "days", "time", "timezone", "person", "finish",
    "effect", "care",
]  # fmt: skip
"""Every node type; what each does is the table in :mod:`dialogs.nodekinds`."""
CONNECTIONS = ("romantic", "friendship", "family", "work")
"""The kinds of connection a node may have a variant for (``by_kind``)."""
EFFECTS = frozenset({"mantras_on", "mantras_off", "forget", "plan_load", "plan_save"})
RECORDS = frozenset({"reflection", "checkin"})
END_TARGETS = frozenset({"@end", "@stop"})
RESERVED_OPTIONS = frozenset({"skip", "done", "new", "same", "clear"})
CONDITIONS = frozenset({"mantras_enabled", "has_plan"})
"""What an option ``requires``, or a node is asked ``only_if`` or passed over ``unless``."""
TEMPLATE_FIELDS = frozenset(
    {
        "name", "card", "mantra", "safety", "prev_decision", "mantra_status", "days_label",
        "time", "tz", "flow", "new_flow", "command", "what", "limit", "min", "max", "value",
        "serving", "reciprocal", "love_or_fear", "page", "pages", "date", "kind", "details",
        "next", "days", "reminders", "last_time", "work_help", "suggestion", "options",
        "scale", "words", "hours", "plan_card", "essay", "choices", "path", "link", "weekday",
        "day", "month",
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
    type: NodeType
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
    """A condition (``mantras_enabled``, ``has_plan``) under which the node is passed over."""
    only_if: str | None = None
    """A condition without which the node is passed over."""
    scale: tuple[str, ...] = ()
    """For a rating: what 1 … 5 mean, shown beside the number when it is echoed."""
    lead: str = ""
    """A line before the question the first time it is asked ("Now three questions."), left
    out when the same question is asked again after an aside."""
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
class CommandSpec:
    """A command as the content names it: ``menu`` lists it on the platforms, ``help`` in
    ``/help`` (either may be empty: the command works, unlisted)."""

    name: str
    menu: str = ""
    help: str = ""


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
    history_name: str = "name"
    """The answer that names the other person in a record (``[history]`` in the content)."""
    history_ratings: tuple[str, ...] = ()
    """The ratings /history lists and charts: effort shared, then feeling."""
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
    commands: tuple[CommandSpec, ...] = ()
    """Every command, in the order the platforms list them (``content/commands.toml``)."""

    def menu_commands(self) -> tuple[CommandSpec, ...]:
        """The commands the platforms' menus list, with their descriptions."""
        return tuple(c for c in self.commands if c.menu)

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
