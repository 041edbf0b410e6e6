"""Reading the content into a script (:mod:`dialogs.loading`): how each table of a file
becomes part of the :class:`~dialogs.script.Script` (variants by kind, aliases, commands and
the help made from them, card lines, words typed bare, mantras held back), and which shapes
of a table it refuses before any check runs. Every test starts from the real, packaged content
(``tests/support/content.py``) and changes one table."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dialogs import load_script
from dialogs.loading import build_script, offerable
from dialogs.script import ScriptError
from tests.support.content import ZONES, content_documents, node_of

Docs = dict[str, dict[str, Any]]


def build(docs: Docs) -> Any:
    return build_script(docs, ZONES)


def refused(docs: Docs, message: str) -> None:
    with pytest.raises(ScriptError, match=re.escape(message)):
        build(docs)


# --------------------------------------------------------------------------------------------
# What a table becomes


def test_a_variant_by_kind_replaces_only_what_it_names() -> None:
    docs = content_documents()
    node_of(docs, "reflect.pattern")["by_kind"] = {"work": {"prompt": "At work: a pattern?"}}
    node = build(docs).node("reflect.pattern")
    work = node.for_kind("work")
    assert work.prompt == "At work: a pattern?"
    assert work.options == node.options and work.store == node.store and work.next == node.next
    assert node.for_kind("romantic") is node


def test_aliases_are_kept_in_lower_case_so_typed_text_matches_them() -> None:
    docs = content_documents()
    node_of(docs, "reflect.pattern")["options"][0]["aliases"] = ["Just Once", "ONE-OFF"]
    option = build(docs).node("reflect.pattern").options[0]
    assert option.aliases == ("just once", "one-off")


def test_time_zone_aliases_and_words_typed_bare_are_kept_in_lower_case() -> None:
    docs = content_documents()
    docs["mantras.toml"]["tz_aliases"]["Gotham City"] = "America/New_York"
    docs["messages.toml"]["words"]["help"].append("HELP ME")
    built = build(docs)
    assert built.tz_aliases["gotham city"] == "America/New_York"
    assert built.words["help me"] == "help"


def test_help_lists_every_command_that_has_a_help_line_and_no_other() -> None:
    docs = content_documents()
    docs["commands.toml"]["command"].append({"name": "hidden", "menu": ""})
    docs["commands.toml"]["command"].append({"name": "newone", "help": "something new"})
    built = build(docs)
    lines = built.messages["help"].splitlines()
    assert lines[0] == docs["commands.toml"]["help"]["intro"]
    assert "/newone — something new" in lines
    assert not any("/hidden" in line for line in lines)
    assert [c.name for c in built.commands][-2:] == ["hidden", "newone"]
    assert "hidden" not in [c.name for c in built.menu_commands()]


def test_a_gap_in_the_card_is_a_blank_line_and_service_messages_are_messages() -> None:
    docs = content_documents()
    docs["summary.toml"]["card"]["lines"].append({"gap": True})
    docs["messages.toml"]["messages"]["service"] = {"card_extra": "Extra: {value}"}
    built = build(docs)
    assert built.card[-1].answer is None and built.card[-1].say is None
    assert built.messages["card_extra"] == "Extra: {value}"


def test_lines_held_back_after_a_disclosure_are_known_by_their_place_among_the_lines() -> None:
    docs = content_documents()
    lines = docs["mantras.toml"]["lines"]
    docs["mantras.toml"]["held_after_disclosure"] = [lines[2], lines[0]]
    assert build(docs).held_mantras == frozenset({0, 2})


def test_a_node_leaves_out_what_it_does_not_say_and_gets_the_defaults() -> None:
    node = build(content_documents()).node("reflect.closure")
    assert (node.max_chars, node.min, node.max, node.done_label) == (10_000, 1, 90, "Done")
    assert not node.short and node.by_kind == {}


# --------------------------------------------------------------------------------------------
# Shapes refused


def test_an_option_with_a_field_no_option_has_is_refused() -> None:
    docs = content_documents()
    node_of(docs, "reflect.pattern")["options"][0]["colour"] = "blue"
    refused(docs, "unknown option field(s) ['colour']")


def test_an_option_without_a_label_is_refused_naming_its_place() -> None:
    docs = content_documents()
    del node_of(docs, "reflect.pattern")["options"][1]["label"]
    refused(docs, "reflect.pattern option #2: option is missing 'label'")


def test_a_node_without_a_prompt_is_refused() -> None:
    docs = content_documents()
    del node_of(docs, "reflect.pattern")["prompt"]
    refused(docs, "a node is missing 'prompt'")


def test_a_variant_for_a_kind_of_connection_that_does_not_exist_is_refused() -> None:
    docs = content_documents()
    node_of(docs, "reflect.pattern")["by_kind"] = {"neighbour": {"prompt": "?"}}
    refused(docs, "unknown kind 'neighbour'")


def test_a_variant_that_changes_where_the_flow_goes_is_refused() -> None:
    """A variant may reword a question, never reroute it (the checks follow one graph)."""
    docs = content_documents()
    node_of(docs, "reflect.pattern")["by_kind"] = {"work": {"next": "reflect.closure"}}
    refused(docs, "unknown field(s) ['next'] for kind 'work'")


def test_a_flow_defined_in_two_files_is_refused() -> None:
    docs = content_documents()
    docs["extra.toml"] = {"flow": dict(docs["forget.toml"]["flow"])}
    refused(docs, "flow 'forget' is defined twice")


def test_a_held_back_line_that_is_not_a_mantra_is_refused() -> None:
    docs = content_documents()
    docs["mantras.toml"]["held_after_disclosure"].append("Disappear.")
    refused(docs, "held_after_disclosure names lines not in lines: ['Disappear.']")


def test_holding_back_every_line_is_refused() -> None:
    """After a disclosure some line must still be sendable, or the schedule sends nothing."""
    docs = content_documents()
    docs["mantras.toml"]["held_after_disclosure"] = list(docs["mantras.toml"]["lines"])
    refused(docs, "held_after_disclosure must leave some lines to send")


@pytest.mark.parametrize(
    "command",
    [
        {"name": "Reflect"},
        {"name": "two words"},
        {"name": "x" * 33},
        {"name": ""},
        {"name": "ok", "hidden": True},
    ],
    ids=["upper-case", "a-space", "33-characters", "no-name", "unknown-field"],
)
def test_a_command_no_platform_could_register_is_refused(command: dict[str, Any]) -> None:
    docs = content_documents()
    docs["commands.toml"]["command"].append(command)
    refused(docs, "a command is {name, menu, help}, name in lower case")


def test_a_command_menu_line_over_100_characters_is_refused() -> None:
    docs = content_documents()
    docs["commands.toml"]["command"].append({"name": "long", "menu": "x" * 101})
    refused(docs, "/long's menu line is over 100 characters")


def test_help_without_its_line_template_is_refused() -> None:
    docs = content_documents()
    del docs["commands.toml"]["help"]["line"]
    refused(docs, "[help] needs intro and line")


@pytest.mark.parametrize(
    "line",
    [{"gap": True, "answer": "closure"}, {"answer": "closure"}, {"say": "card_note"}, {"x": 1}],
    ids=["gap-with-answer", "no-say", "no-answer", "unknown-field"],
)
def test_a_card_line_that_is_neither_an_answer_nor_a_gap_is_refused(line: dict[str, Any]) -> None:
    docs = content_documents()
    docs["summary.toml"]["card"]["lines"].append(line)
    refused(docs, "a card line")


def test_a_word_for_a_command_that_cannot_be_typed_bare_is_refused() -> None:
    docs = content_documents()
    docs["messages.toml"]["words"]["forget"] = ["forget me"]
    refused(docs, "[words] 'forget' is not a command typed bare")


# --------------------------------------------------------------------------------------------
# The packaged content, once


def test_the_packaged_script_is_loaded_once_per_process() -> None:
    assert load_script() is load_script()


def test_only_area_and_city_zones_are_offered_and_the_packaged_script_has_their_rules() -> None:
    assert offerable(
        ["Europe/Berlin", "Etc/GMT+5", "US/Eastern", "UTC", "America/Indiana/Knox"]
    ) == [
        "America/Indiana/Knox",
        "Europe/Berlin",
    ]
    rules = load_script().zone_rules
    assert "Europe/Berlin" in rules and "Etc/GMT+5" not in rules and "US/Eastern" not in rules
