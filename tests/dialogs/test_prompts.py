"""Rendering questions and cards (:mod:`dialogs.prompts`) on its own: the button data every
platform sends back, the question a node shows for a given state, an answer as the card shows
it, and which help resources a person is shown. The machine tests see these only as the
replies of a conversation; here each rendering rule is pinned against the packaged script."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs import State, load_script
from dialogs.prompts import (
    CHECK,
    answer_text,
    ask,
    button_data,
    card,
    label_of,
    last_words,
    parse_button,
    plan_card,
    rating_text,
    reminders_note,
    resources,
)

SCRIPT = load_script()
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
IDS = st.text(alphabet=st.characters(codec="utf-8", exclude_characters=":"), min_size=1)


# --------------------------------------------------------------------------------------------
# Button data


@settings(max_examples=300, deadline=None)
@given(IDS, IDS, st.integers(min_value=0, max_value=999_999_999))
def test_button_data_reads_back_as_the_node_option_and_ask_it_was_made_of(
    node: str, option: str, ask_number: int
) -> None:
    assert parse_button(button_data(node, option, ask_number)) == (node, option, ask_number)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_parsing_any_forged_button_data_never_raises(data: str) -> None:
    parsed = parse_button(data)
    if parsed is not None:
        node, option, ask_number = parsed
        assert data == button_data(node, option, ask_number)


@pytest.mark.parametrize(
    "forged",
    [
        "thr:reflect.kind:romantic",  # no ask
        "thr:reflect.kind:romantic:1:2",  # a colon too many
        "thx:reflect.kind:romantic:1",  # not ours
        "thr::romantic:1",  # no node
        "thr:reflect.kind::1",  # no option
        "thr:reflect.kind:romantic:-1",  # a negative ask
        "thr:reflect.kind:romantic:\u00b2",  # a superscript two
        "thr:reflect.kind:romantic:1234567890",  # ten digits: no ask is that large
        "thr:reflect.kind:romantic: 1",
    ],
)
def test_malformed_button_data_is_refused(forged: str) -> None:
    assert parse_button(forged) is None


# --------------------------------------------------------------------------------------------
# A question


def test_a_question_s_buttons_carry_its_node_and_the_current_ask() -> None:
    node = SCRIPT.node("reflect.pattern")
    reply = ask(State(ask=17), node, SCRIPT)
    assert reply.kind == "ask"
    assert [b.data for b in reply.buttons] == [
        f"thr:reflect.pattern:{o.id}:17" for o in node.options
    ]
    assert not reply.free_text


def test_the_choice_made_before_is_marked_on_a_choice_but_not_on_a_zone_question() -> None:
    pattern = ask(State(data={"pattern": "pattern"}), SCRIPT.node("reflect.pattern"), SCRIPT)
    assert [b.label.startswith(CHECK) for b in pattern.buttons] == [False, True, False]
    zone = ask(State(data={"tz": "UTC"}), SCRIPT.node("mantras.tz"), SCRIPT)
    assert "UTC" in [b.label for b in zone.buttons]
    assert not any(b.label.startswith(CHECK) for b in zone.buttons)


def test_a_several_choice_question_marks_each_ticked_option_and_ends_with_done() -> None:
    node = SCRIPT.node("reflect.signals")
    reply = ask(State(data={"signals": ["tone", "distance"]}), node, SCRIPT, updates=True)
    ticked = {b.data.split(":")[2] for b in reply.buttons if b.label.startswith(CHECK)}
    assert ticked == {"tone", "distance"}
    assert reply.buttons[-1].label == node.done_label
    assert reply.buttons[-1].data.split(":")[2] == "done"
    assert reply.updates_prompt


def test_an_optional_question_offers_skip_last_and_a_required_one_does_not() -> None:
    name = ask(State(), SCRIPT.node("reflect.name"), SCRIPT)
    assert [b.label for b in name.buttons] == [SCRIPT.say("skip_label")]
    kind = ask(State(), SCRIPT.node("reflect.kind"), SCRIPT)
    assert SCRIPT.say("skip_label") not in [b.label for b in kind.buttons]


def test_a_note_written_before_is_shown_with_keep_and_clear_instead_of_skip() -> None:
    """Back on a note (after /back), what was written is shown, shortened, to keep or clear."""
    written = "It still matters to me. " * 20
    reply = ask(State(data={"closure": written}), SCRIPT.node("reflect.closure"), SCRIPT)
    assert SCRIPT.say("previous_answer", value=written.strip()[:50]).split("“")[0] in reply.text
    assert "…" in reply.text and written not in reply.text
    labels = [b.label for b in reply.buttons]
    assert labels == [SCRIPT.say("keep_label"), SCRIPT.say("clear_label")]
    assert [b.data.split(":")[2] for b in reply.buttons] == ["same", "clear"]


def test_a_required_note_written_before_can_be_kept_but_not_cleared() -> None:
    node = replace(SCRIPT.node("reflect.closure"), optional=False)
    reply = ask(State(data={"closure": "Enough."}), node, SCRIPT)
    assert [b.data.split(":")[2] for b in reply.buttons] == ["same"]


def test_a_days_question_says_its_typed_numbers_are_values_not_button_positions() -> None:
    reply = ask(State(), SCRIPT.node("reflect.followup"), SCRIPT)
    assert reply.numbers_are_values and reply.free_text
    assert not ask(State(), SCRIPT.node("reflect.kind"), SCRIPT).numbers_are_values


def test_zones_offered_are_asked_about_with_the_candidates_message() -> None:
    offered = ("America/Indiana/Knox", "America/Indiana/Marengo")
    reply = ask(State(zones_offered=offered), SCRIPT.node("mantras.tz"), SCRIPT)
    assert reply.text == SCRIPT.say("tz_candidates")
    assert [b.label for b in reply.buttons] == list(offered)


def test_the_name_given_fills_the_prompt_and_no_name_reads_as_someone() -> None:
    node = SCRIPT.node("reflect.signals")
    assert "{name}" in node.prompt
    assert "Maya" in ask(State(data={"name": "Maya"}), node, SCRIPT).text
    assert SCRIPT.say("someone") in ask(State(data={"name": ""}), node, SCRIPT).text


# --------------------------------------------------------------------------------------------
# Answers as the card shows them


def test_a_stored_choice_reads_as_its_label_worded_for_the_kind_of_connection() -> None:
    work = SCRIPT.node("reflect.love_or_fear").for_kind("work")
    need = work.option("need")
    assert need is not None
    assert label_of(SCRIPT, "love_or_fear", "need", "work") == need.label
    assert label_of(SCRIPT, "kind", "romantic") == "Romantic"


def test_a_stored_value_no_option_has_reads_as_itself() -> None:
    assert label_of(SCRIPT, "kind", "pen pal") == "pen pal"


def test_a_rating_outside_one_to_five_is_shown_bare_and_inside_with_its_meaning() -> None:
    node = SCRIPT.node("reflect.reciprocity")
    assert rating_text(node, 1, SCRIPT) == SCRIPT.say("rating_value", value=1, scale=node.scale[0])
    assert rating_text(node, 0, SCRIPT) == "0"
    assert rating_text(node, 6, SCRIPT) == "6"


@pytest.mark.parametrize("empty", [None, "", []])
def test_an_empty_answer_has_no_line_on_the_card(empty: object) -> None:
    assert answer_text({"signals": empty}, "signals", SCRIPT) is None  # type: ignore[dict-item]


def test_no_reminder_asked_for_has_no_card_line_and_a_typed_number_of_days_has_one() -> None:
    assert answer_text({"followup_days": 0}, "followup_days", SCRIPT) is None
    assert answer_text({"followup_days": 10}, "followup_days", SCRIPT) == "10"


def test_several_choices_read_as_their_labels_in_the_order_stored() -> None:
    shown = answer_text({"signals": ["distance", "tone"]}, "signals", SCRIPT)
    labels = {o.id: o.label for o in SCRIPT.node("reflect.signals").options}
    assert shown == f"{labels['distance']}, {labels['tone']}"


def test_own_words_on_the_card_are_flattened_and_shortened_to_the_limit() -> None:
    words = "line one\n\nline two " + "and more " * 60
    shown = answer_text({"closure": words}, "closure", SCRIPT)
    assert shown is not None
    assert "\n" not in shown and len(shown) <= SCRIPT.words_limit and shown.endswith("…")
    short = answer_text({"closure": words}, "closure", SCRIPT, limit=30)
    assert short is not None and len(short) <= 30 and short.startswith("line one line two")


def test_the_card_has_no_blank_line_at_either_end_nor_two_in_a_row() -> None:
    """A section whose answers were all skipped leaves no empty gap behind."""
    for data in (
        {"closure": "I deserve better."},
        {"kind": "romantic", "closure": "I deserve better."},
        {"kind": "romantic", "decision": "talk"},
        {"kind": "romantic"},
    ):
        shown = card(data, SCRIPT)
        assert shown and shown == shown.strip("\n")
        assert "\n\n\n" not in shown


def test_a_card_of_nothing_answered_is_empty_and_an_empty_plan_says_so() -> None:
    assert card({}, SCRIPT) == ""
    assert plan_card({}, SCRIPT) == SCRIPT.say("plan_empty")


def test_a_safety_plan_step_is_shown_whole_however_long() -> None:
    """A phone number at the end of a long step must not be cut off."""
    step = "Call my sister, and if she does not answer " * 8 + "ring 0800 123 456"
    assert "0800 123 456" in plan_card({"help_people": step}, SCRIPT)


def test_the_words_a_check_in_recalls_are_the_first_answer_in_the_contents_order() -> None:
    first, second = SCRIPT.last_words[:2]
    assert last_words({second: "later", first: "first"}, SCRIPT) == "first"
    assert last_words({first: "   ", second: "later"}, SCRIPT) == "later"
    assert last_words({}, SCRIPT) is None


# --------------------------------------------------------------------------------------------
# Reminders and resources


def test_reminders_are_mentioned_only_while_one_is_still_due() -> None:
    due = {"id": "p1", "remind_at": (NOW + timedelta(days=1)).isoformat()}
    past = {"id": "p2", "remind_at": (NOW - timedelta(days=1)).isoformat()}
    assert reminders_note(State(people=(due,)), SCRIPT, NOW) == SCRIPT.say("reminders_still_come")
    assert reminders_note(State(people=(past,)), SCRIPT, NOW) == ""
    assert reminders_note(State(people=(due,)), SCRIPT, None) == ""


HOSTED = replace(
    SCRIPT,
    resources={"country:DE": "Telefonseelsorge", "language:pt": "CVV", "language:pt-br": "CVV BR"},
    zone_countries={"Europe/Berlin": "DE", "America/Sao_Paulo": "BR"},
)


def test_help_resources_follow_the_country_of_the_chosen_zone_before_the_language() -> None:
    state = State(mantras={"tz": "Europe/Berlin"}, locale="pt-br")
    assert resources(state, HOSTED) == "Telefonseelsorge"


@pytest.mark.parametrize(
    ("locale", "shown"), [("pt-br", "CVV BR"), ("pt_br", "CVV BR"), ("pt-pt", "CVV")]
)
def test_help_resources_fall_back_from_a_regional_language_to_the_language(
    locale: str, shown: str
) -> None:
    assert resources(State(locale=locale), HOSTED) == shown


def test_help_resources_of_no_matching_place_or_language_are_the_default() -> None:
    assert resources(State(locale="fr", mantras={"tz": "Asia/Tokyo"}), HOSTED) == SCRIPT.say(
        "safety"
    )
    assert resources(State(), SCRIPT) == SCRIPT.say("safety")
