"""The safety detector on a labelled set of short messages, how it reads a message (clauses,
negation, quotes, one spelling), its public answers, and how its content is checked.

Crisis and abuse messages must all be noticed (recall 100%); negated and unrelated ones that
are noticed anyway are false positives, counted and reported (``pytest -s`` prints the table)
and held under a ceiling so a change to the phrases cannot quietly make the bot cry wolf. The
rule families are tested one by one in ``test_safety_rules.py``, the labelled corpus in
``test_safety_corpus.py``.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

import pytest

from dialogs import safety as safety_module
from dialogs.loading import build_script
from dialogs.phrase_index import PhraseIndex
from dialogs.safety import Finding, SafetyRules, assess, canonical, concern, normalize
from dialogs.safety_loading import rules_from
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
        ("been googling 'is it normal to want to die'", "crisis"),  # single quotes count too
        ("he screamed 'nobody else would want you'", "abuse"),
        ("she texted “I’ll kill myself if you go”", "abuse"),  # her threat to the person
        ("", None),
    ],
)
def test_negation_clauses_and_quotes(script: Script, text: str, expected: str | None) -> None:
    assert concern(text, script.safety) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("i dont wanna live", "i do not want to live"),
        ("i want to diiiie", "i want to die"),  # letters typed three times kept once
        ("kms", "kill myself"),
        ("I'm just really honestly tired", "i am tired"),  # fillers dropped
        ("i feel suicdal", "i feel suicidal"),  # one typo from a listed word
        ("he's giving away my ex's things", "he is giving away my exs things"),
        ("self-harm", "self harm"),
    ],
)
def test_one_spelling_is_what_the_rules_read(script: Script, text: str, expected: str) -> None:
    assert canonical(text, script.safety) == expected


def test_a_reason_after_a_comma_does_not_make_a_phrase_a_look_alike(script: Script) -> None:
    assert concern("I can't take this heat anymore", script.safety) is None
    assert concern("I can't take it anymore, I failed my exam", script.safety) == "crisis"


def test_a_phrase_inside_a_longer_one_of_another_category_belongs_to_the_longer(
    script: Script,
) -> None:
    finding = assess("she threatens suicide whenever I want to leave", script.safety)
    assert finding is not None and (finding.kind, finding.category) == ("abuse", "threats")


def test_assess_says_the_kind_and_the_category_and_lists_every_category(script: Script) -> None:
    finding = assess("he hits me and I want to kill myself", script.safety)
    assert finding == Finding("crisis", "wish_to_die", ("wish_to_die", "violence"))
    field = dataclasses.fields(Finding)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):  # a Finding is frozen
        setattr(finding, field, "abuse")
    assert concern("he hits me and I want to kill myself", script.safety) == "crisis"


def test_assess_and_concern_are_exported() -> None:
    assert {"assess", "concern", "Finding", "Category"} <= set(safety_module.__all__)


def test_every_category_in_the_content_is_one_of_the_two_kinds(script: Script) -> None:
    kinds = {c.id: c.kind for c in script.safety.categories}
    assert len(kinds) == 17
    assert set(kinds.values()) == {"crisis", "abuse"}


def test_normalize_folds_case_apostrophes_and_spaces() -> None:
    assert normalize("  I DON\u2019T\n  know ") == "i don't know"


def test_empty_rules_notice_nothing() -> None:
    assert concern("I want to kill myself", SafetyRules()) is None
    assert assess("I want to kill myself", SafetyRules()) is None


_CATEGORY = {"id": "harm", "kind": "crisis"}


@pytest.mark.parametrize(
    ("safety", "problem"),
    [
        ({"category": [_CATEGORY], "rule": [{"kind": "danger", "patterns": ["x"]}]}, "rule kind"),
        ({"category": [{"id": "harm", "kind": "danger"}]}, "category kind"),
        ({"category": [_CATEGORY, _CATEGORY]}, "missing or repeated"),
        ({"rule": [{"kind": "crisis", "category": "harm", "patterns": ["x"]}]}, "unknown category"),
        (
            {
                "category": [_CATEGORY],
                "rule": [{"kind": "abuse", "category": "harm", "patterns": ["x"]}],
            },
            "unknown category",
        ),
        (
            {"category": [_CATEGORY], "rule": [{"kind": "crisis", "category": "harm"}]},
            "no patterns",
        ),
        (
            {
                "category": [_CATEGORY],
                "rule": [{"kind": "crisis", "category": "harm", "patterns": ["(unclosed"]}],
            },
            "bad pattern",
        ),
        (
            {
                "category": [_CATEGORY],
                "rule": [{"kind": "crisis", "category": "harm", "patterns": ["{nobody} hurts"]}],
            },
            "unknown macro",
        ),
        ({"category": [_CATEGORY], "threat_category": "harm"}, "not an abuse category"),
    ],
)
def test_broken_safety_content_is_refused_when_the_script_loads(
    script: Script, safety: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ScriptError, match=problem):
        build_script({"safety.toml": {"safety": safety}}, script.time_zones)


def test_macros_expand_inside_patterns() -> None:
    rules = rules_from(
        {
            "macros": {"who": "he|she"},
            "category": [{"id": "violence", "kind": "abuse"}],
            "rule": [{"kind": "abuse", "category": "violence", "patterns": ["{who} bites me"]}],
        }
    )
    assert concern("she bites me", rules) == "abuse"
    assert concern("it bites me", rules) is None


def test_a_rules_unless_words_near_its_phrase_make_it_a_look_alike() -> None:
    rules = rules_from(
        {
            "category": [{"id": "self_harm", "kind": "crisis"}],
            "unless_window": 2,
            "rule": [
                {
                    "kind": "crisis",
                    "category": "self_harm",
                    "patterns": ["cut myself"],
                    "unless": ["shaving"],
                }
            ],
        }
    )
    assert concern("I cut myself shaving", rules) is None
    assert concern("I cut myself again and again when shaving", rules) == "crisis"  # too far
    assert concern("I cut myself, shaving is not the reason", rules) == "crisis"


def test_a_phrase_next_to_a_single_quote_is_found_but_not_inside_a_word() -> None:
    index = PhraseIndex.build(["want to die", "clock"])
    hit = index.search("googling 'is it normal to want to die' at 3am")
    assert hit is not None and hit[1].group() == "want to die"  # the quote closes after it
    hit = index.search("'want to die'")
    assert hit is not None and hit[1].group() == "want to die"  # and opens before it
    assert index.search("at five o'clock") is None  # an apostrophe inside a word is the word
