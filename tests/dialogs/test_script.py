"""The content as data: the packaged script loads, says what the essay says, typos are caught."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dialogs import Script, ScriptError
from dialogs.loading import build_script

QUESTIONS = (
    "Is this connection still serving me?",
    "Is it reciprocal?",
    "Am I staying because of love — or out of fear of being alone?",
)
ESSAY = Path(__file__).with_name("essay_excerpt.txt")
"""The paragraph of the essay that asks the three questions, quoted exactly."""
ZONES = frozenset({"UTC", "Europe/Berlin"})


# --------------------------------------------------------------------------------------------
# The packaged content


def test_the_packaged_content_loads_with_every_flow(script: Script) -> None:
    assert set(script.flows) == {"reflect", "checkin", "mantras", "forget", "safety"}
    assert script.flows["reflect"].start == "reflect.name"
    assert script.flows["checkin"].start == "checkin.person"
    assert {o.id for o in script.menu} == {"reflect", "checkin", "history", "mantras"}


@pytest.mark.parametrize(
    ("node", "question"),
    [
        ("reflect.serving", QUESTIONS[0]),
        ("reflect.reciprocal", QUESTIONS[1]),
        ("reflect.love_or_fear", QUESTIONS[2]),
        ("checkin.serving", QUESTIONS[0]),
        ("checkin.reciprocal", QUESTIONS[1]),
        ("checkin.love_or_fear", QUESTIONS[2]),
    ],
)
def test_the_three_questions_are_asked_in_the_essays_words(
    script: Script, node: str, question: str
) -> None:
    assert question in script.node(node).prompt


def test_the_three_questions_are_quoted_exactly_from_the_essay() -> None:
    essay = ESSAY.read_text(encoding="utf-8")
    for question in QUESTIONS:
        assert question in essay


def test_every_mantra_line_is_at_most_200_characters(script: Script) -> None:
    assert len(script.mantras) >= 10
    for line in script.mantras:
        assert 0 < len(line.strip()) <= 200, line


def test_the_essays_title_line_is_a_mantra(script: Script) -> None:
    assert "If someone is trying to lose you, help them." in script.mantras


def test_the_safety_message_points_to_help(script: Script) -> None:
    assert "https://findahelpline.com" in script.say("safety")
    assert "not a therapist" in script.say("intro")


# --------------------------------------------------------------------------------------------
# build_script on small documents


@pytest.fixture
def documents(script: Script) -> dict[str, dict[str, Any]]:
    """A small, valid script: one flow of a choice, a multi, a time zone and a note."""
    return {
        "messages.toml": {"messages": dict(script.messages)},
        "lines.toml": {"lines": ["Rather than chasing, reflect."]},
        "demo.toml": {
            "flow": {"id": "demo", "title": "demo", "start": "demo.pick"},
            "node": [
                {
                    "id": "demo.pick",
                    "type": "choice",
                    "store": "pick",
                    "prompt": "Which one, {name}?",
                    "next": "demo.many",
                    "options": [
                        {"id": "a", "label": "A"},
                        {"id": "b", "label": "B", "next": "demo.zone"},
                    ],
                },
                {
                    "id": "demo.many",
                    "type": "multi",
                    "store": "many",
                    "prompt": "Which ones?",
                    "next": "demo.zone",
                    "options": [
                        {"id": "x", "label": "X", "then": "demo.note"},
                        {"id": "y", "label": "Y"},
                    ],
                },
                {
                    "id": "demo.note",
                    "type": "text",
                    "store": "note",
                    "optional": True,
                    "prompt": "A note?",
                    "next": "demo.zone",
                },
                {
                    "id": "demo.zone",
                    "type": "timezone",
                    "store": "tz",
                    "prompt": "Where?",
                    "next": "@end",
                    "options": [{"id": "berlin", "label": "Berlin", "value": "Europe/Berlin"}],
                },
            ],
        },
    }


def _node(docs: dict[str, dict[str, Any]], node_id: str) -> dict[str, Any]:
    return next(n for n in docs["demo.toml"]["node"] if n["id"] == node_id)


def test_a_small_valid_document_builds(documents: dict[str, dict[str, Any]]) -> None:
    built = build_script(documents, ZONES)
    assert list(built.nodes) == ["demo.pick", "demo.many", "demo.note", "demo.zone"]
    assert built.node("demo.pick").option("b") is not None
    assert built.mantras == ("Rather than chasing, reflect.",)


def _unknown_target(docs: dict[str, dict[str, Any]]) -> None:
    _node(docs, "demo.pick")["options"][0]["next"] = "demo.nowhere"


def _unreachable(docs: dict[str, dict[str, Any]]) -> None:
    docs["demo.toml"]["node"].append(
        {"id": "demo.orphan", "type": "text", "store": "o", "prompt": "?", "next": "@end"}
    )


def _duplicate_option(docs: dict[str, dict[str, Any]]) -> None:
    _node(docs, "demo.pick")["options"].append({"id": "a", "label": "A again"})


def _unknown_field_in_prompt(docs: dict[str, dict[str, Any]]) -> None:
    _node(docs, "demo.pick")["prompt"] = "Which one, {nmae}?"


def _unknown_field_in_message(docs: dict[str, dict[str, Any]]) -> None:
    docs["messages.toml"]["messages"]["stale_button"] = "Old button from {yesterday}."


def _long_button(docs: dict[str, dict[str, Any]]) -> None:
    _node(docs, "demo.pick")["options"][0]["id"] = "a" * 50


def _unknown_type(docs: dict[str, dict[str, Any]]) -> None:
    _node(docs, "demo.pick")["type"] = "slider"


def _then_on_a_choice(docs: dict[str, dict[str, Any]]) -> None:
    _node(docs, "demo.pick")["options"][0]["then"] = "demo.note"


def _bad_time_zone(docs: dict[str, dict[str, Any]]) -> None:
    _node(docs, "demo.zone")["options"][0]["value"] = "Mars/Olympus_Mons"


def _bad_tz_alias(docs: dict[str, dict[str, Any]]) -> None:
    docs["lines.toml"]["tz_aliases"] = {"gotham": "America/Gotham"}


def _long_mantra(docs: dict[str, dict[str, Any]]) -> None:
    docs["lines.toml"]["lines"].append("x" * 201)


def _missing_message(docs: dict[str, dict[str, Any]]) -> None:
    del docs["messages.toml"]["messages"]["stale_button"]


def _node_twice(docs: dict[str, dict[str, Any]]) -> None:
    docs["demo.toml"]["node"].append(copy.deepcopy(_node(docs, "demo.note")))


def _unknown_node_field(docs: dict[str, dict[str, Any]]) -> None:
    _node(docs, "demo.pick")["colour"] = "blue"


def _question_without_store(docs: dict[str, dict[str, Any]]) -> None:
    del _node(docs, "demo.pick")["store"]


def _reserved_option_id(docs: dict[str, dict[str, Any]]) -> None:
    _node(docs, "demo.many")["options"][1]["id"] = "done"


def _missing_start(docs: dict[str, dict[str, Any]]) -> None:
    docs["demo.toml"]["flow"]["start"] = "demo.begin"


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (_unknown_target, "node demo.pick: next 'demo.nowhere' does not exist"),
        (_unreachable, "never reached from a flow's start: ['demo.orphan']"),
        (_duplicate_option, "node demo.pick: option 'a' appears twice"),
        (_unknown_field_in_prompt, "node demo.pick prompt: unknown field(s) ['nmae']"),
        (_unknown_field_in_message, "message stale_button: unknown field(s) ['yesterday']"),
        (_long_button, "exceeds 64 bytes"),
        (_unknown_type, "demo.toml: unknown node type 'slider'"),
        (_then_on_a_choice, "node demo.pick: 'then' only works on a multi question"),
        (_bad_time_zone, "node demo.zone: 'Mars/Olympus_Mons' is not a known time zone"),
        (_bad_tz_alias, "'gotham' points to unknown zone 'America/Gotham'"),
        (_long_mantra, "each 1 to 200 characters"),
        (_missing_message, "messages: missing ['stale_button']"),
        (_node_twice, "node 'demo.note' is defined twice"),
        (_unknown_node_field, "unknown field(s) ['colour']"),
        (_question_without_store, "node demo.pick: a question needs 'store'"),
        (_reserved_option_id, "node demo.many: bad option id 'done'"),
        (_missing_start, "flow demo: start 'demo.begin' does not exist"),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else "",
)
def test_broken_content_is_rejected_with_a_clear_message(
    documents: dict[str, dict[str, Any]],
    breakage: Callable[[dict[str, dict[str, Any]]], None],
    message: str,
) -> None:
    breakage(documents)
    with pytest.raises(ScriptError, match=re.escape(message)):
        build_script(documents, ZONES)
