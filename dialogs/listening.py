"""Showing that something written was heard: one short line, chosen by content rules.

After a free-text answer of some substance the machine says one line that reflects it back,
before the next question. :func:`acknowledge` chooses it from ``dialogs/content/listening.toml``:

* **Themes.** Each theme (silence and waiting, effort not returned, history and loss, anger,
  self-blame, relief, uncertainty …) has regular expressions over the text and a few lines.
  The theme whose patterns match the most wins; ties go to the one written first. A theme may
  be limited to some kinds of connection (``kinds = ["work"]``).
* **Fallbacks.** A question may have lines of its own (the closing line a person writes to
  themselves is answered as what it is, not by theme), and every text falls back to the plain
  warm lines of ``[listening] fallback``.
* **No repeats.** ``heard`` is the state's memory of the lines said lately; a line said before
  is passed over while another one fits.
* **Their words, briefly.** A line may name the other person (``{name}``) or echo a few of the
  person's own words that a pattern captured (``{echo}``, at most ``echo_words`` words); a line
  is only used when what it needs is there.
* **Quiet.** Short answers ("no", "not really", fewer than ``min_words`` words) get no line.

This never decides anything about safety: the machine reads a text for words that suggest harm
(:mod:`dialogs.safety`) before it asks for an acknowledgement, and a text that is a concern is
answered with the safety message instead. Pure: no I/O, the standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dialogs.safety import normalize

LINE_FIELDS = frozenset({"name", "echo"})
MAX_LINE = 160
HEARD_KEPT = 24
"""How many recently said lines a state remembers (enough for any one conversation)."""
_FIELD = re.compile(r"\{([a-z_]*)\}")
_WORD = re.compile(r"\w+(?:'\w+)?")


class ListeningError(ValueError):
    """The listening content is malformed (a bad pattern, a line that is not one line …)."""


@dataclass(frozen=True)
class Theme:
    id: str
    pattern: re.Pattern[str]
    lines: tuple[str, ...]
    kinds: frozenset[str] = frozenset()
    """Kinds of connection the theme is for; empty: every kind."""


@dataclass(frozen=True)
class NodeLines:
    """Lines for one question. ``themes = false``: only these lines, never a theme's."""

    lines: tuple[str, ...]
    themes: bool = True


@dataclass(frozen=True)
class Listening:
    themes: tuple[Theme, ...] = ()
    fallback: tuple[str, ...] = ()
    nodes: Mapping[str, NodeLines] = field(default_factory=dict)
    min_words: int = 3
    quiet: frozenset[str] = frozenset()
    echo_words: int = 4
    greetings: frozenset[str] = frozenset()
    """Hellos ("hi", "hey there", "good evening"): typed where a name is asked, a greeting, not
    the name."""
    examples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Each theme's example texts (checked on load to be answered by that theme, and by the
    script loader never to be read as a safety concern)."""


@dataclass(frozen=True)
class Heard:
    """The line to say and its id (``<theme>.<n>``, ``<node>.<n>`` or ``fallback.<n>``)."""

    text: str
    id: str


def _key(text: str) -> str:
    return " ".join(normalize(text).strip(" .!?,;:…").split())


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def is_quiet(text: str, rules: Listening) -> bool:
    """Whether ``text`` is too short or too plain to need an acknowledgement."""
    return _key(text) in rules.quiet or len(words(text)) < rules.min_words


def is_greeting(text: str, rules: Listening) -> bool:
    """Whether ``text`` is only a hello ("hi", "Hey there!", "good evening")."""
    return _key(text) in rules.greetings


def acknowledge(
    text: str,
    rules: Listening,
    *,
    node: str,
    kind: str | None = None,
    name: str | None = None,
    heard: Sequence[str] = (),
) -> Heard | None:
    """One line that shows ``text`` (typed at ``node``) was heard, or ``None`` when it needs
    none. ``kind`` is the kind of connection, ``name`` the other person's name if known,
    ``heard`` the ids of lines said lately (oldest first)."""
    if not rules.fallback or is_quiet(text, rules):
        return None
    candidates: list[tuple[str, str, Mapping[str, str]]] = []
    own = rules.nodes.get(node)
    fields: Mapping[str, str] = {"name": name} if name else {}
    if own is None or own.themes:
        clean = normalize(text)
        for theme, echo in _matching(clean, rules, kind):
            found = {**fields, "echo": echo} if echo else fields
            candidates.extend(
                (f"{theme.id}.{i}", line, found) for i, line in enumerate(theme.lines)
            )
    if own is not None:
        candidates.extend((f"{node}.{i}", line, fields) for i, line in enumerate(own.lines))
    if own is None or own.themes:
        candidates.extend((f"fallback.{i}", line, fields) for i, line in enumerate(rules.fallback))
    usable = [c for c in candidates if needs(c[1]) <= set(c[2])]
    if not usable:
        return None
    recent = {line_id: n for n, line_id in enumerate(heard)}
    fresh = [c for c in usable if c[0] not in recent]
    line_id, line, found = fresh[0] if fresh else min(usable, key=lambda c: recent[c[0]])
    return Heard(_fill(line, found), line_id)


def remember(heard: Sequence[str], line_id: str) -> tuple[str, ...]:
    """``heard`` with ``line_id`` said just now (the oldest are forgotten)."""
    kept = [h for h in heard if h != line_id]
    return (*kept[-(HEARD_KEPT - 1) :], line_id)


def _matching(text: str, rules: Listening, kind: str | None) -> list[tuple[Theme, str]]:
    """The themes whose patterns match, best first, each with the words it may echo."""
    scored: list[tuple[int, int, Theme, str]] = []
    for order, theme in enumerate(rules.themes):
        if theme.kinds and kind not in theme.kinds:
            continue
        matches = list(theme.pattern.finditer(text))
        if not matches:
            continue
        echo = ""
        for match in matches:
            captured = match.groupdict().get("echo")
            if captured and len(words(captured)) <= rules.echo_words:
                echo = captured.strip()
                break
        scored.append((len({m.group(0) for m in matches}), -order, theme, echo))
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    return [(theme, echo) for _, _, theme, echo in scored]


def needs(line: str) -> set[str]:
    return set(_FIELD.findall(line))


def _fill(line: str, fields: Mapping[str, str]) -> str:
    return _FIELD.sub(lambda m: fields.get(m.group(1), ""), line)


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters (with …)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if flat[limit - 1] != " " and space >= limit // 2:  # the cut fell inside a word
        cut = cut[:space]
    return cut.rstrip(" ,;:.-—") + "…"


# ---------------------------------------------------------------------------------------------
# Loading


def _lines(raw: object, where: str, *, echo: bool) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise ListeningError(f"{where}: needs a list of lines")
    lines = tuple(str(line) for line in raw)
    for line in lines:
        if "\n" in line or not line.strip() or len(line) > MAX_LINE:
            raise ListeningError(f"{where}: {line!r} must be one line of 1 to {MAX_LINE} chars")
        unknown = needs(line) - LINE_FIELDS
        if unknown:
            raise ListeningError(f"{where}: unknown field(s) {sorted(unknown)} in {line!r}")
        if "echo" in needs(line) and not echo:
            raise ListeningError(f"{where}: {line!r} uses {{echo}}, but nothing captures one")
    if all(needs(line) for line in lines):
        raise ListeningError(f"{where}: at least one line must need no {{field}}")
    return lines


def _theme(raw: Mapping[str, Any], where: str) -> Theme:
    extra = set(raw) - {"id", "patterns", "lines", "kinds", "examples"}
    if extra:
        raise ListeningError(f"{where}: unknown field(s) {sorted(extra)}")
    theme_id = str(raw.get("id", ""))
    if not re.fullmatch(r"[a-z_]+", theme_id):
        raise ListeningError(f"{where}: a theme needs an id of lower-case letters")
    patterns = [str(p) for p in raw.get("patterns", ())]
    if not patterns:
        raise ListeningError(f"{where}: theme {theme_id!r} has no patterns")
    try:
        pattern = re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)")
    except re.error as exc:
        raise ListeningError(f"{where}: theme {theme_id!r}: bad pattern: {exc}") from exc
    lines = _lines(raw.get("lines"), f"{where} theme {theme_id}", echo="echo" in pattern.groupindex)
    if len(lines) < 2:
        raise ListeningError(f"{where}: theme {theme_id!r} needs two lines or more")
    kinds = frozenset(str(k) for k in raw.get("kinds", ()))
    return Theme(theme_id, pattern, lines, kinds)


def listening_from(raw: Mapping[str, Any], where: str = "listening") -> Listening:
    """Compile the ``[listening]`` table; raises :class:`ListeningError`. Each theme's
    ``examples`` must be answered by that theme (a writer's check that the patterns work)."""
    themes = tuple(_theme(t, f"{where} theme #{i + 1}") for i, t in enumerate(raw.get("theme", ())))
    ids = [t.id for t in themes]
    if len(ids) != len(set(ids)):
        raise ListeningError(f"{where}: two themes share an id")
    fallback = _lines(raw.get("fallback"), f"{where} fallback", echo=False)
    if len(fallback) < 3:
        raise ListeningError(f"{where}: fallback needs three lines or more")
    nodes = {
        str(node_id): NodeLines(
            _lines(spec.get("lines"), f"{where} node {node_id}", echo=False),
            bool(spec.get("themes", True)),
        )
        for node_id, spec in dict(raw.get("node", {})).items()
    }
    rules = Listening(
        themes=themes,
        fallback=fallback,
        nodes=nodes,
        min_words=int(raw.get("min_words", 3)),
        quiet=frozenset(_key(str(q)) for q in raw.get("quiet", ())),
        echo_words=int(raw.get("echo_words", 4)),
        greetings=frozenset(_key(str(g)) for g in raw.get("greetings", ())),
        examples={
            t.id: tuple(str(e) for e in spec.get("examples", ()))
            for t, spec in zip(themes, raw.get("theme", ()), strict=True)
        },
    )
    for i, spec in enumerate(raw.get("theme", ())):
        _check_examples(rules, themes[i], spec.get("examples", ()), where)
    return rules


def _check_examples(rules: Listening, theme: Theme, examples: Iterable[str], where: str) -> None:
    kind = next(iter(sorted(theme.kinds)), None)
    for example in examples:
        best = _matching(normalize(str(example)), rules, kind)
        if not best or best[0][0] is not theme:
            chosen = best[0][0].id if best else "no theme"
            raise ListeningError(
                f"{where}: example {example!r} of theme {theme.id!r} is answered by {chosen}"
            )


__all__ = [
    "Heard",
    "Listening",
    "ListeningError",
    "NodeLines",
    "Theme",
    "acknowledge",
    "is_greeting",
    "is_quiet",
    "listening_from",
    "remember",
    "shorten",
]
