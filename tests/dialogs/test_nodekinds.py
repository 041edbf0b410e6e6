"""The table of node kinds (:mod:`dialogs.nodekinds`), asked directly: which options a kind
shows for a given state, which button ids it could ever have shown, and how it reads a typed
value — on the packaged script's own nodes. The machine's walk-throughs exercise these only
along the paths a person takes; here each answer of the table is pinned on its own."""

from __future__ import annotations

from datetime import time
from typing import get_args

from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs import State, load_script
from dialogs.nodekinds import KINDS, NEW, QUESTIONS, kind_of
from dialogs.script import NodeType

SCRIPT = load_script()
PEOPLE = (
    {"id": "p1", "name": "Sam", "kind": "romantic", "last_at": "2025-01-01T09:00:00+00:00"},
    {"id": "p2", "name": "Alex", "kind": "work", "last_at": "2025-02-01T09:00:00+00:00"},
)
TYPED_NODES = ("reflect.reciprocity", "checkin.feeling", "reflect.followup", "mantras.time")


def test_every_node_type_the_content_may_name_has_exactly_one_kind() -> None:
    """The loader accepts the types of :data:`NodeType`; an unlisted one would crash the engine
    at ``kind_of`` instead of being refused when the content loads."""
    assert set(KINDS) == set(get_args(NodeType))
    assert all(name == kind.name for name, kind in KINDS.items())
    assert set(KINDS) - {"finish", "effect", "care"} == QUESTIONS
    for node in SCRIPT.nodes.values():
        assert kind_of(node) is KINDS[node.type]


def test_a_node_that_is_no_question_knows_no_button_and_stores_nothing() -> None:
    """A forged button naming a finish, effect or care node must never be taken as an answer."""
    for node in SCRIPT.nodes.values():
        kind = kind_of(node)
        if not kind.asks:
            assert kind.passes is not None
            assert not kind.stores
            assert not kind.known(node, "yes", SCRIPT)
            assert not kind.known(node, "1", SCRIPT)


def test_a_text_question_shows_no_options_and_knows_no_option_id() -> None:
    node = SCRIPT.node("reflect.closure")
    assert kind_of(node).options(State(), node, SCRIPT) == ()
    assert not kind_of(node).known(node, "yes", SCRIPT)
    assert kind_of(node).reads == "words"


def test_turn_them_off_is_hidden_until_mantras_are_on() -> None:
    """An option that ``requires = "mantras_enabled"`` is not offered to someone without them."""
    node = SCRIPT.node("mantras.menu")
    kind = kind_of(node)
    off = [o.id for o in kind.options(State(), node, SCRIPT)]
    on = [o.id for o in kind.options(State(mantras={"enabled": True}), node, SCRIPT)]
    assert "off" not in off
    assert "off" in on
    assert kind.known(node, "off", SCRIPT)  # hidden now, but a button for it could exist


def test_a_rating_shows_one_to_five_with_the_scale_words_as_aliases() -> None:
    node = SCRIPT.node("reflect.reciprocity")
    options = kind_of(node).options(State(), node, SCRIPT)
    assert [(o.id, o.value) for o in options] == [(str(n), n) for n in range(1, 6)]
    assert [o.aliases for o in options] == [(word,) for word in node.scale]


def test_a_rating_knows_only_one_to_five_not_zero_six_or_a_padded_number() -> None:
    node = SCRIPT.node("reflect.reciprocity")
    known = kind_of(node).known
    assert all(known(node, str(n), SCRIPT) for n in range(1, 6))
    for forged in ("0", "6", "05", "1.0", "", "one", "١"):
        assert not known(node, forged, SCRIPT), forged


def test_a_choice_knows_the_options_of_every_kinds_variant() -> None:
    """A button shown on the work variant ("need") is known on the node as a whole, so an old
    one is answered as stale, not as forged; an id of no variant is unknown."""
    node = SCRIPT.node("reflect.love_or_fear")
    assert node.option("need") is None
    assert kind_of(node).known(node, "need", SCRIPT)
    assert not kind_of(node).known(node, "paycheck", SCRIPT)


def test_the_person_question_lists_people_newest_first_then_someone_new() -> None:
    node = SCRIPT.node("checkin.person")
    options = kind_of(node).options(State(people=PEOPLE), node, SCRIPT)
    assert [o.id for o in options] == ["p2", "p1", NEW]
    assert options[-1].label == node.new_label
    assert options[0].label == "Alex (work)"


def test_a_person_button_id_is_known_only_as_p_and_digits_or_new() -> None:
    node = SCRIPT.node("checkin.person")
    known = kind_of(node).known
    assert known(node, "p1", SCRIPT) and known(node, "p12345", SCRIPT) and known(node, NEW, SCRIPT)
    for forged in ("p", "px", "p1a", "q1", "1", "P1", "p²", "p-1"):
        assert not known(node, forged, SCRIPT), forged


def test_the_zone_question_puts_the_persons_current_zone_first_and_only_once() -> None:
    node = SCRIPT.node("mantras.tz")
    kind = kind_of(node)
    berlin = kind.options(State(mantras={"tz": "Europe/Berlin"}), node, SCRIPT)
    assert [o.value for o in berlin] == ["Europe/Berlin", *(o.value for o in node.options)]
    utc = kind.options(State(mantras={"tz": "UTC"}), node, SCRIPT)
    assert utc == node.options


def test_zones_offered_replace_the_zone_questions_own_options() -> None:
    node = SCRIPT.node("mantras.tz")
    offered = ("America/Indiana/Knox", "America/Indiana/Marengo")
    shown = kind_of(node).options(State(zones_offered=offered), node, SCRIPT)
    assert [o.id for o in shown] == list(offered)


def test_a_zone_button_is_known_for_any_real_zone_but_not_a_made_up_one() -> None:
    node = SCRIPT.node("mantras.tz")
    known = kind_of(node).known
    assert known(node, "Asia/Kolkata", SCRIPT)  # offered for a typed city, not in the options
    assert not known(node, "Mars/Olympus_Mons", SCRIPT)


def test_a_typed_number_of_days_is_the_button_of_that_many_days_when_there_is_one() -> None:
    """ "7" typed must store exactly what the "7 days" button stores (and carry its id), and
    "10" a value of its own, worded by the content."""
    node = SCRIPT.node("reflect.followup")
    typed = kind_of(node).typed
    assert typed is not None
    seven = typed(node, "7", SCRIPT)
    assert seven is not None and seven == next(o for o in node.options if o.value == 7)
    ten = typed(node, "10 days", SCRIPT)
    assert ten is not None
    assert (ten.id, ten.value, ten.label) == ("d10", 10, SCRIPT.say("days_typed", days=10))


def test_a_number_of_days_out_of_range_or_zero_is_not_read() -> None:
    node = SCRIPT.node("reflect.followup")
    typed = kind_of(node).typed
    assert typed is not None
    for bad in ("0", str(node.max + 1), "-3", "9999", "seven"):
        assert typed(node, bad, SCRIPT) is None, bad


def test_a_typed_time_carries_the_id_of_the_matching_button() -> None:
    node = SCRIPT.node("mantras.time")
    typed = kind_of(node).typed
    assert typed is not None
    half_seven = typed(node, "7:30am", SCRIPT)
    assert half_seven is not None
    assert half_seven.id == "0730" and node.option("0730") is not None
    assert half_seven.value == "07:30"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=40))
def test_reading_any_typed_text_never_raises_and_only_yields_values_in_range(text: str) -> None:
    """Whatever is typed at a rating, days or time question, the reading is ``None`` or a value
    the question accepts: a rating 1 to 5, days within the node's min and max, a real clock time."""
    for node_id in TYPED_NODES:
        node = SCRIPT.node(node_id)
        typed = kind_of(node).typed
        assert typed is not None
        option = typed(node, text, SCRIPT)
        if option is None:
            continue
        if node.type == "rating":
            assert isinstance(option.value, int) and 1 <= option.value <= 5
        elif node.type == "days":
            assert isinstance(option.value, int) and node.min <= option.value <= node.max
        else:
            assert isinstance(option.value, str)
            time.fromisoformat(option.value)
            assert option.id == option.value.replace(":", "")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20))
def test_deciding_whether_any_button_id_is_known_never_raises(option_id: str) -> None:
    """A forged id of any shape reaches ``known`` before anything else reads it."""
    for node in SCRIPT.nodes.values():
        assert kind_of(node).known(node, option_id, SCRIPT) in (True, False)
