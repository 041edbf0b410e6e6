"""Noticing words that suggest self-harm, suicide or abuse: pure functions over content data.

:func:`concern` reads one message and says ``"crisis"`` (self-harm, suicide), ``"abuse"``
(violence, threats, coercion, sexual violence) or ``None``. The phrases are regular expressions
in ``dialogs/content/safety.toml``; this module only knows how to read a message carefully:

* **Clauses.** The text is split at sentence ends and at "but", "though", "however" …, so a
  denial in one clause never hides what the next one says ("he never hit me, but he threatens
  me" is a concern).
* **Negation.** A phrase is set aside when a negation ("not", "never", "no", "…n't") stands at
  most ``negation_window`` words before it in the same clause, with no comma between, unless
  the negation belongs to something else ("I don't know, …", "I don't care I want to die") or
  the clause goes on with "anymore" ("he doesn't hit me anymore" still gets help).
* **Quoted speech.** Words in quotation marks count: people quote their own thoughts and other
  people's threats. Only a quote named as a song, film, book and the like is set aside; and a
  first-person crisis phrase quoted from someone else ("he said 'I'll kill myself if you
  leave'") is read as a threat to the person, so as ``"abuse"``.

It is biased toward offering help: anything it is unsure about counts. The labelled messages in
``tests/dialogs/safety_messages.toml`` measure it (every crisis and abuse message must be found).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Concern = Literal["crisis", "abuse"]
KINDS: tuple[Concern, ...] = ("crisis", "abuse")

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_QUOTES = re.compile(
    r"\"[^\"]*\"|\u201c[^\u201d]*\u201d|\u00ab[^\u00bb]*\u00bb"
    r"|(?<![a-z0-9])'(?:[^']|(?<=[a-z])'(?=[a-z]))+'(?![a-z0-9])"
)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_MACRO = re.compile(r"\{([a-z_]+)\}")


class SafetyRulesError(ValueError):
    """The safety content is malformed (a bad pattern, an unknown macro)."""


@dataclass(frozen=True)
class SafetyRules:
    """The phrase lists, compiled. Empty rules notice nothing."""

    patterns: Mapping[Concern, re.Pattern[str]] = field(default_factory=dict)
    negations: frozenset[str] = frozenset()
    negation_window: int = 3
    scope_enders: frozenset[str] = frozenset()
    un_negators: tuple[str, ...] = ()
    media: frozenset[str] = frozenset()
    reporting: re.Pattern[str] | None = None
    clause_breaks: re.Pattern[str] = re.compile(r"[.!?;:\n]+")


def rules_from(raw: Mapping[str, Any], where: str = "safety") -> SafetyRules:
    """Compile the ``[safety]`` table of the content; raises :class:`SafetyRulesError`."""
    macros = {str(k): str(v) for k, v in raw.get("macros", {}).items()}

    def expand(pattern: str) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in macros:
                raise SafetyRulesError(f"{where}: unknown macro {{{name}}} in {pattern!r}")
            return f"(?:{macros[name]})"

        return _MACRO.sub(one, pattern)

    def compile_(pattern: str) -> re.Pattern[str]:
        try:
            return re.compile(pattern)
        except re.error as exc:
            raise SafetyRulesError(f"{where}: bad pattern {pattern!r}: {exc}") from exc

    patterns: dict[Concern, re.Pattern[str]] = {}
    for rule in raw.get("rule", ()):
        kind = rule.get("kind")
        if kind not in KINDS:
            raise SafetyRulesError(f"{where}: rule kind must be one of {KINDS}, not {kind!r}")
        phrases = [expand(str(p)) for p in rule.get("patterns", ())]
        if not phrases:
            raise SafetyRulesError(f"{where}: the {kind} rule has no patterns")
        for phrase in phrases:
            compile_(phrase)
        patterns[kind] = compile_(r"(?<![a-z0-9])(?:" + "|".join(phrases) + r")(?![a-z0-9])")
    breaks = [re.escape(str(w)) for w in raw.get("clause_words", ())]
    clause_breaks = r"[.!?;:\n]+" + (r"|\b(?:" + "|".join(breaks) + r")\b" if breaks else "")
    reporting = raw.get("reporting")
    return SafetyRules(
        patterns=patterns,
        negations=frozenset(str(w) for w in raw.get("negations", ())),
        negation_window=int(raw.get("negation_window", 3)),
        scope_enders=frozenset(str(w) for w in raw.get("scope_enders", ())),
        un_negators=tuple(str(w) for w in raw.get("un_negators", ())),
        media=frozenset(str(w) for w in raw.get("media", ())),
        reporting=compile_(expand(str(reporting)) + r"\W*$") if reporting else None,
        clause_breaks=compile_(clause_breaks),
    )


def normalize(text: str) -> str:
    """Lower case, straight apostrophes, single spaces."""
    return " ".join(text.casefold().translate(_APOSTROPHES).split())


def concern(text: str, rules: SafetyRules) -> Concern | None:
    """``"crisis"``, ``"abuse"`` or ``None`` for one message (crisis first when both)."""
    if not rules.patterns:
        return None
    clean = normalize(text)
    quotes = [(m.start(), m.end()) for m in _QUOTES.finditer(clean)]
    found: set[Concern] = set()
    for kind in KINDS:
        pattern = rules.patterns.get(kind)
        if pattern is None:
            continue
        for match in pattern.finditer(clean):
            counted = _counts(clean, match.start(), match.end(), quotes, rules)
            if counted is None:
                continue
            found.add("abuse" if counted == "reported" and kind == "crisis" else kind)
    for kind in KINDS:
        if kind in found:
            return kind
    return None


def _counts(
    text: str, start: int, end: int, quotes: Sequence[tuple[int, int]], rules: SafetyRules
) -> Literal["own", "reported"] | None:
    """Whether a match counts: ``"own"``, ``"reported"`` (inside someone else's quoted words),
    or ``None`` (negated, or quoted from a song, film or book)."""
    quote = next(((qs, qe) for qs, qe in quotes if qs <= start and end <= qe), None)
    if quote is not None:
        before = text[: quote[0]]
        if set(_WORD.findall(before)[-4:]) & rules.media:
            return None
        if rules.reporting is not None and rules.reporting.search(before):
            return "reported"
        return "own"
    clause_start = max((m.end() for m in rules.clause_breaks.finditer(text, 0, start)), default=0)
    prefix = text[clause_start:start]
    if "," in prefix:
        prefix = prefix.rsplit(",", 1)[1]
    tail = text[end:]
    tail = tail[: m.start()] if (m := rules.clause_breaks.search(tail)) else tail
    if any(word in tail for word in rules.un_negators):
        return "own"
    words = _WORD.findall(prefix)
    window = words[-rules.negation_window :] if rules.negation_window else []
    offset = len(words) - len(window)
    for index, word in enumerate(window):
        if word in rules.negations or word.endswith("n't"):
            following = words[offset + index + 1] if offset + index + 1 < len(words) else ""
            if following not in rules.scope_enders:
                return None
    return "own"


__all__ = [
    "KINDS",
    "Concern",
    "SafetyRules",
    "SafetyRulesError",
    "concern",
    "normalize",
    "rules_from",
]
