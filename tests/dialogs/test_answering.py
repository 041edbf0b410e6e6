"""Applying an answer (:mod:`dialogs.answering`) directly: a toggle and its exclusive option,
several options named at once, Done with a follow-up, a skip, a choice that overrides where
the flow goes, a person chosen or added, a low rating, a typed zone or clock time. The machine
tests walk through these in conversations; here each rule of applying is tried on its own,
with the ``Out`` of one step, on the packaged script's nodes."""

from __future__ import annotations

from datetime import UTC, datetime

from dialogs import Reply, load_script
from dialogs.answering import (
    choose,
    multi_done,
    select,
    skip,
    toggle,
    typed_zone,
    zones_by_clock,
)
from dialogs.flow import Out
from dialogs.script import Option
from tests.support.machine import at_node

SCRIPT = load_script()
AT = datetime(2025, 3, 1, 9, 5, tzinfo=UTC)  # 10:05 in Berlin, 14:35 in Kolkata
SELF = SCRIPT.node("reflect.self")
SIGNALS = SCRIPT.node("reflect.signals")


def option(node_id: str, option_id: str) -> Option:
    found = SCRIPT.node(node_id).option(option_id)
    assert found is not None
    return found


def out() -> Out:
    return Out(at=AT)


# --------------------------------------------------------------------------------------------
# Toggles and Done


def test_an_exclusive_option_ticked_clears_every_other() -> None:
    state = at_node("reflect.self", data={"self": ["draining", "one_sided"]})
    after = toggle(state, SELF, option("reflect.self", "none"), SCRIPT, out())
    assert after.data["self"] == ["none"]


def test_another_option_ticked_clears_the_exclusive_one() -> None:
    state = at_node("reflect.self", data={"self": ["none"]})
    after = toggle(state, SELF, option("reflect.self", "draining"), SCRIPT, out())
    assert after.data["self"] == ["draining"]


def test_a_ticked_option_ticked_again_is_unticked_and_the_question_is_updated() -> None:
    state = at_node("reflect.signals", data={"signals": ["tone", "distance"]})
    said = out()
    after = toggle(state, SIGNALS, option("reflect.signals", "tone"), SCRIPT, said)
    assert after.data["signals"] == ["distance"]
    assert after.node == "reflect.signals"
    assert said.replies[-1].kind == "ask" and said.replies[-1].updates_prompt


def test_only_the_exclusive_option_named_among_several_is_that_option_alone() -> None:
    state = at_node("reflect.self", data={"self": ["draining"]})
    after = select(state, SELF, [option("reflect.self", "none")], SCRIPT, out())
    assert after.data["self"] == ["none"]


def test_options_named_add_to_those_ticked_and_drop_the_exclusive_one() -> None:
    state = at_node("reflect.self", data={"self": ["none"]})
    named = [option("reflect.self", "draining"), option("reflect.self", "one_sided")]
    after = select(state, SELF, named, SCRIPT, out())
    assert after.data["self"] == ["draining", "one_sided"]
    assert after.node == SELF.next


def test_done_with_nothing_ticked_on_a_required_question_asks_again() -> None:
    state = at_node("reflect.signals")
    said = out()
    after = multi_done(state, SIGNALS, SCRIPT, said)
    assert after == state
    assert said.replies[0] == Reply(SCRIPT.say("hint_multi_empty"), kind="notice")


def test_done_with_a_follow_up_option_ticked_goes_to_the_follow_up() -> None:
    state = at_node("reflect.signals", data={"signals": ["tone", "other"]})
    after = multi_done(state, SIGNALS, SCRIPT, out())
    assert after.node == "reflect.signals_other"


def test_done_after_unticking_the_follow_up_option_drops_what_was_written_for_it() -> None:
    """After /back, "Something else" unticked: the words written for it no longer apply."""
    state = at_node("reflect.signals", data={"signals": ["tone"], "signals_other": "He moved."})
    after = multi_done(state, SIGNALS, SCRIPT, out())
    assert "signals_other" not in after.data
    assert after.node == SIGNALS.next


def test_done_echoes_the_ticked_labels_in_the_questions_order() -> None:
    state = at_node("reflect.signals", data={"signals": ["distance", "tone"]})
    said = out()
    multi_done(state, SIGNALS, SCRIPT, said)
    labels = [option("reflect.signals", i).label for i in ("tone", "distance")]
    assert said.replies[0] == Reply(", ".join(labels), kind="answer")


# --------------------------------------------------------------------------------------------
# Skips


def test_skipping_a_required_question_is_refused_and_nothing_changes() -> None:
    state = at_node("reflect.kind")
    said = out()
    assert skip(state, SCRIPT.node("reflect.kind"), SCRIPT, said) == state
    assert said.replies[0] == Reply(SCRIPT.say("not_skippable"), kind="notice")


def test_skipping_a_note_written_before_keeps_it() -> None:
    state = at_node("reflect.closure", data={"closure": "I am enough."})
    said = out()
    after = skip(state, SCRIPT.node("reflect.closure"), SCRIPT, said)
    assert after.data["closure"] == "I am enough."
    assert said.replies[0] == Reply(SCRIPT.say("answered_kept"), kind="answer")


# --------------------------------------------------------------------------------------------
# Choices


def test_an_option_with_its_own_next_and_say_goes_there_and_says_it() -> None:
    state = at_node("mantras.menu")
    said = out()
    after = choose(
        state, SCRIPT.node("mantras.menu"), option("mantras.menu", "setup"), SCRIPT, said
    )
    assert after.node == "mantras.time"
    keep = option("mantras.menu", "keep")
    said = out()
    choose(state, SCRIPT.node("mantras.menu"), keep, SCRIPT, said)
    assert keep.say is not None and any(r.text == keep.say for r in said.replies)


def test_someone_new_forgets_the_person_chosen_before() -> None:
    """Back on the person question after choosing Sam, "someone new" must not keep Sam's name,
    kind or decision for the new person's check-in."""
    data = {"person_id": "p1", "name": "Sam", "kind": "romantic", "prev_decision": "talk"}
    state = at_node("checkin.person", data=data)
    node = SCRIPT.node("checkin.person")
    after = choose(state, node, Option(id="new", label=node.new_label), SCRIPT, out())
    assert after.data == {"person_id": None}
    assert after.node == node.next_new


def test_a_person_chosen_with_no_decision_brings_no_previous_decision() -> None:
    alex = {"id": "p2", "name": "Alex", "kind": "work"}
    state = at_node("checkin.person", people=(alex,), data={"prev_decision": "talk"})
    node = SCRIPT.node("checkin.person")
    after = choose(state, node, Option(id="p2", label="Alex (work)"), SCRIPT, out())
    assert after.data == {"person_id": "p2", "name": "Alex", "kind": "work"}


def test_the_lowest_feeling_is_answered_with_care_and_the_resources() -> None:
    node = SCRIPT.node("checkin.feeling")
    said = out()
    after = choose(
        at_node("checkin.feeling"), node, Option(id="1", label="1", value=1), SCRIPT, said
    )
    assert after.low
    assert after.data["feeling"] == 1
    assert Reply(SCRIPT.say("low_feeling", safety=SCRIPT.say("safety"))) in said.replies


def test_a_feeling_above_the_lowest_is_not_low() -> None:
    node = SCRIPT.node("checkin.feeling")
    said = out()
    after = choose(
        at_node("checkin.feeling"), node, Option(id="2", label="2", value=2), SCRIPT, said
    )
    assert not after.low
    assert said.replies[0] == Reply(
        SCRIPT.say("rating_echo", value=2, scale=node.scale[1]), kind="answer"
    )


def test_a_time_choice_stores_its_value_not_its_button_id() -> None:
    node = SCRIPT.node("mantras.time")
    after = choose(at_node("mantras.time"), node, option("mantras.time", "0730"), SCRIPT, out())
    assert after.data["time"] == "07:30"
    assert after.node == node.next


# --------------------------------------------------------------------------------------------
# Typed zones and clock times

TZ = SCRIPT.node("mantras.tz")


def test_a_city_in_one_zone_is_that_zone() -> None:
    after = typed_zone(at_node("mantras.tz"), TZ, "Kolkata", SCRIPT, out())
    assert after.data["tz"] == "Asia/Kolkata"


def test_a_place_in_several_zones_offers_them_to_choose_from() -> None:
    said = out()
    after = typed_zone(at_node("mantras.tz"), TZ, "Indiana", SCRIPT, said)
    assert "tz" not in after.data
    assert len(after.zones_offered) > 1
    assert all("Indiana" in z for z in after.zones_offered)
    assert said.replies[-1].text == SCRIPT.say("tz_candidates")


def test_a_place_that_is_in_no_zone_gets_the_hint() -> None:
    said = out()
    state = at_node("mantras.tz")
    assert typed_zone(state, TZ, "Atlantis", SCRIPT, said) == state
    assert said.replies[0] == Reply(SCRIPT.say("hint_timezone"), kind="notice")


def test_the_time_on_the_persons_clock_offers_the_zones_that_show_it_now() -> None:
    said = out()
    after = typed_zone(at_node("mantras.tz"), TZ, "14:35", SCRIPT, said)
    assert "Asia/Kolkata" in after.zones_offered
    assert "Europe/Berlin" not in after.zones_offered
    assert said.replies[0] == Reply(SCRIPT.say("tz_by_clock", time="14:35"))


def test_a_clock_time_no_zone_shows_now_gets_its_own_hint() -> None:
    """At 09:05 UTC no zone shows 09:20 (none is 15 minutes off UTC)."""
    said = out()
    state = at_node("mantras.tz")
    assert zones_by_clock(state, TZ, ("09:20", 2), SCRIPT, said) == state
    assert said.replies[0] == Reply(SCRIPT.say("hint_tz_clock", time="09:20"), kind="notice")
