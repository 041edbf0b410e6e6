"""The safety detector on a labelled set of short messages, and how its content is checked.

Crisis and abuse messages must all be noticed (recall 100%); negated and unrelated ones that
are noticed anyway are false positives, counted and reported (``pytest -s`` prints the table)
and held under a ceiling so a change to the phrases cannot quietly make the bot cry wolf.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from dialogs.loading import build_script
from dialogs.safety import SafetyRules, concern, normalize, rules_from
from dialogs.script import Script, ScriptError

LABELLED = tomllib.loads((Path(__file__).parent / "safety_messages.toml").read_text("utf-8"))
NEEDS_HELP = ("crisis", "abuse")
NO_HELP = ("negated", "unrelated")
FALSE_POSITIVE_CEILING = 0.10


def test_the_labelled_set_is_big_enough_and_covers_every_label() -> None:
    assert sum(len(LABELLED[label]) for label in (*NEEDS_HELP, *NO_HELP)) >= 60
    assert all(len(LABELLED[label]) >= 15 for label in (*NEEDS_HELP, *NO_HELP))


@pytest.mark.parametrize("label", NEEDS_HELP)
def test_every_crisis_and_abuse_message_is_noticed_as_what_it_is(
    script: Script, label: str
) -> None:
    missed = [m for m in LABELLED[label] if concern(m, script.safety) is None]
    assert missed == [], f"recall on {label} must be 100%"
    wrong = [(m, concern(m, script.safety)) for m in LABELLED[label]]
    assert [w for w in wrong if w[1] != label] == []


def test_false_positives_are_reported_and_stay_rare(script: Script) -> None:
    noticed = script.safety
    flagged = {label: [m for m in LABELLED[label] if concern(m, noticed)] for label in NO_HELP}
    total = sum(len(LABELLED[label]) for label in NO_HELP)
    rate = sum(len(found) for found in flagged.values()) / total
    print(f"\nsafety detector on {sum(len(v) for v in LABELLED.values())} labelled messages:")
    for label in NEEDS_HELP:
        print(f"  {label:<9} recall 100% ({len(LABELLED[label])} messages)")
    for label in NO_HELP:
        print(f"  {label:<9} false positives {len(flagged[label])}/{len(LABELLED[label])}")
        for message in flagged[label]:
            print(f"      {message!r}")
    print(f"  false-positive rate {rate:.1%} (ceiling {FALSE_POSITIVE_CEILING:.0%})")
    assert rate <= FALSE_POSITIVE_CEILING


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He never hit me", None),
        ("He never hit me. He hits me now", "abuse"),  # a new sentence is a new clause
        ("I'm not sure, but I want to die", "crisis"),
        ("I don't know, I want to die", "crisis"),  # "don't know" negates nothing after it
        ("I don't care I want to die", "crisis"),
        ("he doesn't hit me anymore", "abuse"),
        ("I want to kill myself and he hits me", "crisis"),  # crisis first when both
        ("I WANT TO KILL MYSELF", "crisis"),
        ("I don’t want to live", "crisis"),  # a typographic apostrophe
        ("the film 'Kill Me Softly' was on", None),
        ("she texted “I’ll kill myself if you go”", "abuse"),  # her threat to the person
        ("", None),
    ],
)
def test_negation_clauses_and_quotes(script: Script, text: str, expected: str | None) -> None:
    assert concern(text, script.safety) == expected


def test_normalize_folds_case_apostrophes_and_spaces() -> None:
    assert normalize("  I DON\u2019T\n  know ") == "i don't know"


def test_empty_rules_notice_nothing() -> None:
    assert concern("I want to kill myself", SafetyRules()) is None


@pytest.mark.parametrize(
    ("safety", "problem"),
    [
        ({"rule": [{"kind": "danger", "patterns": ["x"]}]}, "rule kind"),
        ({"rule": [{"kind": "crisis", "patterns": []}]}, "no patterns"),
        ({"rule": [{"kind": "crisis", "patterns": ["(unclosed"]}]}, "bad pattern"),
        ({"rule": [{"kind": "crisis", "patterns": ["{nobody} hurts"]}]}, "unknown macro"),
    ],
)
def test_broken_safety_content_is_refused_when_the_script_loads(
    script: Script, safety: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ScriptError, match=problem):
        build_script({"safety.toml": {"safety": safety}}, script.time_zones)


def test_macros_expand_inside_patterns() -> None:
    rules = rules_from(
        {"macros": {"who": "he|she"}, "rule": [{"kind": "abuse", "patterns": ["{who} bites me"]}]}
    )
    assert concern("she bites me", rules) == "abuse"
    assert concern("it bites me", rules) is None
