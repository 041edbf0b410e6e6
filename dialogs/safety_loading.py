"""Compiling the ``[safety]`` table of the content into :class:`~dialogs.safety.SafetyRules`.

Macros (``{them}``, ``{pills}`` …) are expanded, every rule's patterns are split into the
phrases the :class:`~dialogs.phrase_index.PhraseIndex` looks up by their first word, the typo
words are indexed by their one-letter deletions, and anything malformed (a bad pattern, an
unknown macro or category) is named in a :class:`SafetyRulesError`. Pure: the standard library
only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dialogs.phrase_index import PhraseIndex, bounded, branches
from dialogs.safety import KINDS, Category, Rule, SafetyRules, deletions

_MACRO = re.compile(r"\{([a-z_]+)\}")


class SafetyRulesError(ValueError):
    """The safety content is malformed (a bad pattern, an unknown macro or category)."""


def rules_from(raw: Mapping[str, Any], where: str = "safety") -> SafetyRules:
    """Compile the ``[safety]`` table of the content; raises :class:`SafetyRulesError`."""
    macros = {str(k): str(v) for k, v in raw.get("macros", {}).items()}

    def expand(pattern: str, depth: int = 0) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in macros:
                raise SafetyRulesError(f"{where}: unknown macro {{{name}}} in {pattern!r}")
            return f"(?:{expand(macros[name], depth + 1)})"

        if depth > 5:
            raise SafetyRulesError(f"{where}: macros nest too deep in {pattern!r}")
        return _MACRO.sub(one, pattern)

    def compile_(pattern: str) -> re.Pattern[str]:
        try:
            return re.compile(pattern)
        except re.error as exc:
            raise SafetyRulesError(f"{where}: bad pattern {pattern!r}: {exc}") from exc

    categories: dict[str, Category] = {}
    for item in raw.get("category", ()):
        kind, cid = item.get("kind"), str(item.get("id", ""))
        if kind not in KINDS:
            raise SafetyRulesError(f"{where}: category kind must be one of {KINDS}, not {kind!r}")
        if not cid or cid in categories:
            raise SafetyRulesError(f"{where}: category id {cid!r} is missing or repeated")
        categories[cid] = Category(cid, kind, str(item.get("about", "")))
    rules: list[Rule] = []
    alternatives: list[str] = []
    phrase_rule: list[int] = []
    for item in raw.get("rule", ()):
        kind, cid = item.get("kind"), str(item.get("category", ""))
        if kind not in KINDS:
            raise SafetyRulesError(f"{where}: rule kind must be one of {KINDS}, not {kind!r}")
        if cid not in categories or categories[cid].kind != kind:
            raise SafetyRulesError(f"{where}: the {kind} rule names unknown category {cid!r}")
        phrases = [expand(str(p)) for p in item.get("patterns", ())]
        if not phrases:
            raise SafetyRulesError(f"{where}: the {kind} rule {cid!r} has no patterns")
        unless = [expand(str(p)) for p in item.get("unless", ())]
        rules.append(Rule(categories[cid], compile_(bounded("|".join(unless))) if unless else None))
        for phrase in (part for whole in phrases for part in branches(whole)):
            alternatives.append(phrase)
            phrase_rule.append(len(rules) - 1)
    spellings = {str(k): str(v) for k, v in raw.get("spellings", {}).items()}
    spellings.update({str(w): "" for w in raw.get("fillers", ())})
    typo_words: dict[str, set[str]] = {}
    for word in (str(w) for w in raw.get("typo_words", ())):
        for variant in {word, *deletions(word)}:
            typo_words.setdefault(variant, set()).add(word)
    breaks = [re.escape(str(w)) for w in raw.get("clause_words", ())]
    clause_breaks = r"[.!?;:\n]+" + (r"|\b(?:" + "|".join(breaks) + r")\b" if breaks else "")
    frames = [expand(str(p)) for p in raw.get("frames", ())]
    earnest = [expand(str(p)) for p in raw.get("earnest", ())]
    reporting = raw.get("reporting")
    threat = raw.get("threat_category")
    if threat is not None and (threat not in categories or categories[threat].kind != "abuse"):
        raise SafetyRulesError(f"{where}: threat_category {threat!r} is not an abuse category")
    ordered = sorted(spellings, key=len, reverse=True)
    return SafetyRules(
        categories=tuple(categories.values()),
        rules=tuple(rules),
        phrases=_index(alternatives, compile_),
        phrase_rule=tuple(phrase_rule),
        spellings=spellings,
        spelling_pattern=(
            compile_(bounded("|".join(re.escape(s) for s in ordered))) if ordered else None
        ),
        typo_words={k: tuple(sorted(v)) for k, v in typo_words.items()},
        typo_min=int(raw.get("typo_min", 6)),
        typo_keep=frozenset(str(w) for w in raw.get("typo_keep", ())),
        negations=frozenset(str(w) for w in raw.get("negations", ())),
        negation_window=int(raw.get("negation_window", 4)),
        scope_enders=frozenset(str(w) for w in raw.get("scope_enders", ())),
        negation_breaks=frozenset(str(w) for w in raw.get("negation_breaks", ())),
        un_negators=tuple(str(w) for w in raw.get("un_negators", ())),
        unless_window=int(raw.get("unless_window", 6)),
        media=frozenset(str(w) for w in raw.get("media", ())),
        reporting=compile_(expand(str(reporting)) + r"\W*$") if reporting else None,
        threat_category=categories[threat] if threat is not None else None,
        clause_breaks=compile_(clause_breaks),
        frames=compile_(bounded("|".join(frames))) if frames else None,
        earnest=compile_(bounded("|".join(earnest))) if earnest else None,
    )


def _index(phrases: Sequence[str], compile_: Callable[[str], re.Pattern[str]]) -> PhraseIndex:
    try:
        return PhraseIndex.build(phrases)
    except re.error:
        for phrase in phrases:  # name the broken one
            compile_(phrase)
        raise


__all__ = ["SafetyRulesError", "rules_from"]
