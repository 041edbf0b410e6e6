"""Checking a script (:mod:`dialogs.checks`): each thing a typo in the content could break is
refused when the content loads, with a message that names where. Every test breaks one part of
the real, packaged content (``tests/support/content.py``) and builds it; ``test_script.py``
tries the same on a small made-up script for the breakages it lists (unknown targets,
unreachable nodes, duplicate options …), so those are not repeated here."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from dialogs.loading import build_script
from dialogs.script import ScriptError
from tests.support.content import ZONES, content_documents, node_of

Docs = dict[str, dict[str, Any]]


def test_the_packaged_content_passes_every_check() -> None:
    """The starting point of every breakage below: unbroken, the real content builds."""
    built = build_script(content_documents(), ZONES)
    assert "reflect.name" in built.nodes


def _bad_node_id(docs: Docs) -> None:
    node_of(docs, "forget.done")["id"] = "forget.Done"
    node_of(docs, "forget.confirm")["options"][0]["next"] = "forget.Done"


def _node_of_no_flow(docs: Docs) -> None:
    node_of(docs, "forget.done")["id"] = "elsewhere.done"
    node_of(docs, "forget.confirm")["options"][0]["next"] = "elsewhere.done"


def _unknown_record(docs: Docs) -> None:
    node_of(docs, "reflect.finish")["record"] = "diary"


def _unknown_effect(docs: Docs) -> None:
    node_of(docs, "forget.done")["effect"] = "forget_everything"


def _low_say_on_a_choice(docs: Docs) -> None:
    node_of(docs, "reflect.pattern")["low_say"] = "low_feeling"


def _low_say_of_no_message(docs: Docs) -> None:
    node_of(docs, "checkin.feeling")["low_say"] = "low_fealing"


def _person_without_next_new(docs: Docs) -> None:
    del node_of(docs, "checkin.person")["next_new"]
    node_of(docs, "checkin.person")["next"] = "checkin.name"  # keep the rest reachable


def _listen_on_a_choice(docs: Docs) -> None:
    node_of(docs, "reflect.pattern")["listen"] = True


def _unknown_condition(docs: Docs) -> None:
    node_of(docs, "reflect.offer")["unless"] = "mantras_on"


def _unknown_only_if(docs: Docs) -> None:
    node_of(docs, "safety.shown")["only_if"] = "plan"


def _option_requires_unknown(docs: Docs) -> None:
    node_of(docs, "mantras.menu")["options"][1]["requires"] = "mantras"


def _scale_of_four(docs: Docs) -> None:
    node_of(docs, "reflect.reciprocity")["scale"] = ["a", "b", "c", "d"]


def _scale_on_a_choice(docs: Docs) -> None:
    node_of(docs, "reflect.pattern")["scale"] = ["a", "b", "c", "d", "e"]


def _two_follow_ups(docs: Docs) -> None:
    node_of(docs, "reflect.signals")["options"][0]["then"] = "reflect.signals_other"


def _days_as_text(docs: Docs) -> None:
    node_of(docs, "reflect.followup")["options"][0]["value"] = "3"


def _time_as_a_number(docs: Docs) -> None:
    node_of(docs, "mantras.time")["options"][0]["value"] = 730


def _option_say_with_unknown_field(docs: Docs) -> None:
    node_of(docs, "reflect.offer")["options"][1]["say"] = "Alright, {nmae}."


def _too_few_options(docs: Docs) -> None:
    node_of(docs, "reflect.pattern")["options"] = node_of(docs, "reflect.pattern")["options"][:1]


def _variant_with_unknown_field(docs: Docs) -> None:
    node_of(docs, "reflect.signals")["by_kind"]["work"]["prompt"] = "At work with {boss}?"


def _snooze_days_zero(docs: Docs) -> None:
    docs["mantras.toml"]["delivery"]["snooze_days"] = 0


def _snooze_days_as_text(docs: Docs) -> None:
    docs["mantras.toml"]["delivery"]["snooze_days"] = "7"


def _popular_zone_unknown(docs: Docs) -> None:
    docs["mantras.toml"]["popular_zones"].append("Europe/Atlantis")


def _no_mantras(docs: Docs) -> None:
    docs["mantras.toml"]["lines"] = []
    docs["mantras.toml"]["held_after_disclosure"] = []


def _blank_mantra(docs: Docs) -> None:
    docs["mantras.toml"]["lines"].append("   ")


def _card_of_no_store(docs: Docs) -> None:
    docs["summary.toml"]["card"]["lines"].append({"answer": "mood", "say": "card_note"})


def _card_of_no_message(docs: Docs) -> None:
    docs["summary.toml"]["card"]["lines"].append({"answer": "closure", "say": "card_mood"})


def _last_words_of_no_store(docs: Docs) -> None:
    docs["summary.toml"]["card"]["last_words"].append("diary")


def _one_history_rating(docs: Docs) -> None:
    docs["summary.toml"]["history"]["ratings"] = ["reciprocity"]


def _history_rating_not_a_rating(docs: Docs) -> None:
    docs["summary.toml"]["history"]["ratings"] = ["reciprocity", "pattern"]


def _history_name_of_no_store(docs: Docs) -> None:
    docs["summary.toml"]["history"]["name"] = "who"


def _listening_lines_for_a_choice(docs: Docs) -> None:
    docs["listening.toml"]["listening"]["node"]["reflect.pattern"] = {"lines": ["Thanks."]}


def _required_message_missing(docs: Docs) -> None:
    for doc in docs.values():
        doc.get("messages", {}).pop("safety_hint", None)


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (_bad_node_id, "node id 'forget.Done' must look like 'flow.step'"),
        (_node_of_no_flow, "node elsewhere.done: no flow 'elsewhere'"),
        (_unknown_record, "node reflect.finish: record must be one of ['checkin', 'reflection']"),
        (_unknown_effect, "node forget.done: effect must be one of"),
        (_low_say_on_a_choice, "node reflect.pattern: low_say names no message, or is not on"),
        (_low_say_of_no_message, "node checkin.feeling: low_say names no message"),
        (_person_without_next_new, "node checkin.person: a person question needs 'next_new'"),
        (_listen_on_a_choice, "node reflect.pattern: only a text question can 'listen'"),
        (_unknown_condition, "node reflect.offer: unless names unknown 'mantras_on'"),
        (_unknown_only_if, "node safety.shown: only_if names unknown 'plan'"),
        (_option_requires_unknown, "node mantras.menu: option requires unknown 'mantras'"),
        (_scale_of_four, "node reflect.reciprocity: a scale is five words, on a rating"),
        (_scale_on_a_choice, "node reflect.pattern: a scale is five words, on a rating"),
        (_two_follow_ups, "node reflect.signals: at most one option may have 'then'"),
        (_days_as_text, "node reflect.followup: option 'd3' needs a number 'value'"),
        (_time_as_a_number, "node mantras.time: option '0730' needs a text 'value'"),
        (_option_say_with_unknown_field, "node reflect.offer option no: unknown field(s) ['nmae']"),
        (_too_few_options, "node reflect.pattern: needs at least 2 options"),
        (_variant_with_unknown_field, "node reflect.signals prompt: unknown field(s) ['boss']"),
        (_snooze_days_zero, "snooze_days must be a whole number of days from 1 to 90"),
        (_snooze_days_as_text, "snooze_days must be a whole number of days from 1 to 90"),
        (_popular_zone_unknown, "popular_zones: unknown zone(s) ['Europe/Atlantis']"),
        (_no_mantras, "mantras: need at least one line"),
        (_blank_mantra, "mantras: need at least one line, each 1 to 200 characters"),
        (_card_of_no_store, "card: no question stores 'mood'"),
        (_card_of_no_message, "card: message 'card_mood' does not exist"),
        (_last_words_of_no_store, "card: last_words names 'diary', which no question stores"),
        (_one_history_rating, "history: ratings names two answers"),
        (_history_rating_not_a_rating, "history: 'pattern' is not a rating"),
        (_history_name_of_no_store, "history: no question stores 'who'"),
        (_listening_lines_for_a_choice, "listening: 'reflect.pattern' is not a question that"),
        (_required_message_missing, "messages: missing ['safety_hint']"),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else "",
)
def test_broken_real_content_is_refused_naming_what_is_wrong(
    breakage: Callable[[Docs], None], message: str
) -> None:
    docs = content_documents()
    breakage(docs)
    with pytest.raises(ScriptError, match=re.escape(message)):
        build_script(docs, ZONES)


def test_an_example_of_a_listening_theme_that_the_safety_rules_notice_is_refused() -> None:
    """Such an example would be answered with the safety message, never with the theme's line:
    a content author must hear about it when the content loads."""
    docs = content_documents(safety=True)
    theme = docs["listening.toml"]["listening"]["theme"][0]
    worrying = f"{theme['examples'][0]} and I want to die"  # the theme's words, and a worry
    theme["examples"] = [*theme["examples"], worrying]
    with pytest.raises(ScriptError, match=re.escape(f"of {theme['id']!r} is a concern")):
        build_script(docs, ZONES)
