"""Plain answers understood: several numbers at once, an option's words in a sentence, words
instead of commands, a mistyped command, a sentence where a name was asked, feelings typed with
nothing open. Each test names the form it tries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from dialogs import Command, Reply, SetMantras, State, Text, step
from dialogs.understanding import looks_like_sentence, named_options, several_numbers
from tests.support.documents import strings

if TYPE_CHECKING:
    from collections.abc import Callable

    from dialogs import Script
    from tests.support.machine import Chat

AT = datetime(2025, 3, 1, 9, 5, tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# Several choices at once


@pytest.mark.parametrize("typed", ["2 5 4", "2, 5 and 4", "2,5,4", "2 & 5 & 4", "4 2 5"])
def test_several_numbers_on_a_several_choice_question_choose_them_all(
    script: Script, at_node: Callable[..., State], typed: str
) -> None:
    state = at_node("reflect.signals", data={"name": "Sam", "kind": "romantic"})
    result = step(state, Text(typed, AT), script)
    assert result.replies[0] == Reply(
        "Slow or no replies, Growing distance, Stopped checking in", kind="answer"
    )
    assert sorted(strings(result.state.data["signals"])) == [
        "distance",
        "no_checkins",
        "slow_replies",
    ]
    assert result.state.node == "reflect.pattern"


def test_a_number_past_the_choices_among_several_gets_a_hint_and_changes_nothing(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.signals")
    result = step(state, Text("2 15", AT), script)
    assert result.replies[0] == Reply(script.say("hint_multi"), kind="notice")
    assert "signals" not in result.state.data


def test_several_options_named_in_a_sentence_are_all_chosen(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.signals")
    result = step(state, Text("her tone changed and she stopped checking in", AT), script)
    assert sorted(strings(result.state.data["signals"])) == ["no_checkins", "tone"]
    assert result.state.node == "reflect.pattern"


def test_none_of_these_beside_other_choices_means_the_others(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.self")
    result = step(state, Text("1 4", AT), script)
    assert result.state.data["self"] == ["draining"]


# --------------------------------------------------------------------------------------------
# An option's own words in a sentence


@pytest.mark.parametrize(
    ("node", "typed", "stored"),
    [
        ("reflect.pattern", "it's definitely a pattern", ("pattern", "pattern")),
        ("reflect.pattern", "it is not a one-off, it keeps happening", ("pattern", "pattern")),
        ("reflect.serving", "no, not really", ("serving", "no")),
        ("reflect.serving", "yeah I think so", ("serving", "yes")),
        ("reflect.reciprocity", "almost all me", ("reciprocity", 1)),
        ("reflect.reciprocity", "honestly it's almost all me", ("reciprocity", 1)),
        ("reflect.reciprocity", "truly shared", ("reciprocity", 5)),
        ("reflect.kind", "she's my girlfriend", ("kind", "romantic")),
        ("reflect.kind", "my boss", ("kind", "work")),
    ],
)
def test_an_option_named_inside_a_sentence_is_chosen(
    script: Script, at_node: Callable[..., State], node: str, typed: str, stored: tuple[str, object]
) -> None:
    result = step(at_node(node), Text(typed, AT), script)
    key, value = stored
    assert result.state.data[key] == value


def test_it_is_going_on_to_describe_something_is_not_taken_as_yes(
    script: Script, at_node: Callable[..., State]
) -> None:
    text = "it is a pattern now, every weekend the same"
    result = step(at_node("reflect.serving"), Text(text, AT), script)
    assert "serving" not in result.state.data
    assert script.say("options_heard") in [r.text for r in result.replies]
    answered = step(at_node("reflect.serving"), Text("it is, mostly", AT), script)
    assert answered.state.data["serving"] == "yes"


def test_neither_i_need_the_paycheck_is_understood_on_a_work_reflection(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.love_or_fear", data={"kind": "work"})
    result = step(state, Text("neither, I need the paycheck", AT), script)
    assert result.replies[0] == Reply("Neither — I need the job", kind="answer")
    assert result.state.data["love_or_fear"] == "need"


def test_two_options_in_one_sentence_get_a_clear_question_back(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.pattern")
    result = step(state, Text("a pattern? maybe a one-off, I can't say", AT), script)
    notice, question = result.replies
    assert notice.kind == "notice"
    assert notice.text == script.say("did_you_mean", options="“A one-off” or “A pattern”")
    assert question.text == script.node("reflect.pattern").prompt
    assert "pattern" not in result.state.data


def test_a_sentence_that_names_no_option_gets_the_hint(
    script: Script, at_node: Callable[..., State]
) -> None:
    result = step(at_node("reflect.pattern"), Text("hard to put into words", AT), script)
    assert result.replies[0] == Reply(script.say("hint_choice"), kind="notice")


def test_feelings_typed_where_options_are_shown_are_heard_and_kept_not_hinted_at(
    script: Script, at_node: Callable[..., State]
) -> None:
    text = "She has stopped answering my messages and I keep rereading our old chats"
    result = step(at_node("reflect.pattern"), Text(text, AT), script)
    heard, kept, question = result.replies
    assert heard.kind == "say" and heard.text != script.say("hint_choice")
    assert kept.text == script.say("options_heard")
    assert question.text == script.node("reflect.pattern").prompt
    assert result.state.data["opening"] == text  # on the card later, in their words
    assert "pattern" not in result.state.data


def test_a_question_asked_again_after_feelings_leaves_out_its_lead_line(
    script: Script, at_node: Callable[..., State]
) -> None:
    node = script.node("reflect.serving")
    first = step(at_node("reflect.pattern"), Text("2", AT), script).replies[-1]
    assert first.text == f"{node.lead}\n\n{node.prompt}"
    again = step(at_node("reflect.serving"), Text("I keep wondering what I did wrong", AT), script)
    assert again.replies[-1].text == node.prompt


def test_understanding_helpers_on_literal_texts(script: Script) -> None:
    assert several_numbers("2 5 4") == [2, 5, 4]
    assert several_numbers("2") is None
    assert several_numbers("2 days") is None
    options = script.node("reflect.pattern").options
    assert [o.id for o in named_options("it's not a pattern", options)] == []
    assert [o.id for o in named_options("A PATTERN!!", options)] == ["pattern"]
    assert looks_like_sentence("I feel awful today, can we just talk?")
    assert looks_like_sentence("can we talk?")
    assert not looks_like_sentence("Maya")
    assert not looks_like_sentence("my mum")
    assert not looks_like_sentence("my best friend Sam")


# --------------------------------------------------------------------------------------------
# Words instead of commands


def test_help_without_a_slash_is_help_and_the_question_stays(
    script: Script, at_node: Callable[..., State]
) -> None:
    result = step(at_node("reflect.serving_note"), Text("help", AT), script)
    assert result.replies[0].text == script.say("help")
    assert result.state.node == "reflect.serving_note"
    assert "serving_note" not in result.state.data


def test_stop_without_a_slash_in_a_flow_asks_before_stopping(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.serving_note", data={"name": "Sam"})
    asked = step(state, Text("stop", AT), script)
    assert asked.replies[-1].text == script.say("cancel_confirm", flow="reflection")
    stopped = step(asked.state, Text("yes", AT), script)
    assert stopped.state.flow is None


def test_stop_without_a_slash_with_nothing_open_stops_the_mantras(script: Script) -> None:
    state = State(intro_seen=True, mantras={"enabled": True, "time": "09:00", "tz": "UTC"})
    result = step(state, Text("STOP", AT), script)
    assert any(isinstance(e, SetMantras) and not e.enabled for e in result.effects)
    assert result.replies[-1].text.startswith("Mantras are off")


def test_stop_without_a_slash_with_nothing_running_says_so(script: Script) -> None:
    result = step(State(intro_seen=True), Text("stop", AT), script)
    assert result.replies == (Reply(script.say("nothing_running")),)


def test_back_without_a_slash_goes_back(script: Script, at_node: Callable[..., State]) -> None:
    state = at_node("reflect.kind", data={"name": "Sam"}, trail=("reflect.name",))
    result = step(state, Text("back", AT), script)
    assert result.state.node == "reflect.name"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("histroy", "history"), ("reflcet", "reflect"), ("chekin", "checkin"), ("mantra", "mantras")],
)
def test_a_mistyped_command_is_answered_with_did_you_mean(
    script: Script, typed: str, meant: str
) -> None:
    result = step(State(intro_seen=True), Command(typed, AT), script)
    assert result.replies[0] == Reply(
        script.say("unknown_command_near", command=typed, suggestion=meant), kind="notice"
    )
    assert result.effects == ()


def test_an_unknown_command_far_from_any_gets_no_guess(script: Script) -> None:
    result = step(State(intro_seen=True), Command("teleport", AT), script)
    assert result.replies[0] == Reply(script.say("unknown_command", command="teleport"), "notice")


# --------------------------------------------------------------------------------------------
# A sentence where a name was asked, and feelings with nothing open


def test_a_sentence_typed_where_a_name_is_asked_is_kept_not_taken_as_the_name(
    script: Script, at_node: Callable[..., State]
) -> None:
    text = "I feel awful today, can we just talk?"
    result = step(at_node("reflect.name"), Text(text, AT), script)
    assert "name" not in result.state.data
    assert result.state.data["opening"] == text
    assert result.state.node == "reflect.name"
    heard, kept, question = result.replies
    assert heard.kind == "say" and "\n" not in heard.text
    assert kept.text == script.say("opening_kept")
    assert question.text == script.node("reflect.name").prompt


@pytest.mark.parametrize("hello", ["hi", "Hello!", "hey there", "Good evening.", "HIYA"])
def test_a_hello_typed_where_a_name_is_asked_is_greeted_not_kept_as_the_name(
    script: Script, at_node: Callable[..., State], hello: str
) -> None:
    state = at_node("reflect.name")
    result = step(state, Text(hello, AT), script)
    assert "name" not in result.state.data and "opening" not in result.state.data
    assert result.state.node == "reflect.name"
    greeted, question = result.replies
    assert greeted.text == script.say("name_greeted")
    assert question.text == script.node("reflect.name").prompt


def test_a_second_hello_where_a_name_is_asked_is_not_greeted_word_for_word_again(
    script: Script, at_node: Callable[..., State]
) -> None:
    first = step(at_node("reflect.name"), Text("hi", AT), script)
    second = step(first.state, Text("hello?", AT), script)
    assert second.replies[0].text == script.say("name_greeted_again")
    assert second.replies[0].text != first.replies[0].text
    assert second.state.node == "reflect.name" and "name" not in second.state.data


def test_a_name_that_is_not_a_hello_is_still_taken_as_the_name(
    script: Script, at_node: Callable[..., State]
) -> None:
    for name in ("Hiro", "Eve", "Heyden"):
        result = step(at_node("reflect.name"), Text(name, AT), script)
        assert result.state.data["name"] == name
        assert result.state.node != "reflect.name"


def test_what_was_kept_instead_of_a_name_is_on_the_card(chat: Chat) -> None:
    chat.command("start")
    chat.text("I feel awful today, can we just talk?")
    chat.reflect_on_sam_from_the_name()
    card = next(r.text for r in chat.last.replies if r.text.startswith("Here is what you wrote"))
    assert "What was on your mind: “I feel awful today, can we just talk?”" in card


def test_feelings_typed_with_nothing_open_get_a_kind_word_and_the_choices(
    script: Script,
) -> None:
    state = State(intro_seen=True, ask=3)
    text = "she hasn't answered in three days and I can't stop checking my phone"
    result = step(state, Text(text, AT), script)
    heard, menu = result.replies
    assert heard.kind == "say" and heard.text != script.say("menu")
    assert menu.text == script.say("idle_menu")
    assert [b.label for b in menu.buttons] == [o.label for o in script.menu]
    assert result.state.data == {"opening": text}


def test_a_reflection_begun_after_typed_feelings_keeps_them(script: Script) -> None:
    text = "she hasn't answered in three days"
    typed = step(State(intro_seen=True, ask=3), Text(text, AT), script).state
    begun = step(typed, Command("reflect", AT), script).state
    assert begun.data == {"opening": text}
    elsewhere = step(typed, Command("mantras", AT), script).state
    assert "opening" not in elsewhere.data


def test_a_quiet_hello_with_nothing_open_just_gets_the_choices(script: Script) -> None:
    (menu,) = step(State(intro_seen=True), Text("hi", AT), script).replies
    assert menu.text == script.say("menu")


# --------------------------------------------------------------------------------------------
# /mantras in words


@pytest.mark.parametrize(
    ("words", "schedule"),
    [
        ("9pm Lisbon every day", ("21:00", "Europe/Lisbon", "daily")),
        ("every day 07:30 berlin", ("07:30", "Europe/Berlin", "daily")),
        ("on weekdays 8am UTC", ("08:00", "UTC", "weekdays")),
    ],
)
def test_mantras_in_words_with_every_day_as_two_words(
    script: Script, words: str, schedule: tuple[str, str, str]
) -> None:
    result = step(State(intro_seen=True), Command("mantras", AT, words), script)
    (effect,) = result.effects
    assert isinstance(effect, SetMantras)
    assert (effect.time, effect.tz, effect.days) == schedule
    assert not any(r.kind == "notice" for r in result.replies)


@pytest.mark.parametrize(
    ("typed", "name", "kind"),
    [
        ("my manager, Dana", "Dana", "work"),
        ("Dana (my sister)", "Dana", "family"),
        ("my best friend Sam", "Sam", "friendship"),
        ("my ex - Jordan", "Jordan", "romantic"),
        ("Priya, my boss.", "Priya", "work"),
    ],
)
def test_a_name_typed_with_who_they_are_keeps_the_name_and_answers_the_kind_already_said(
    script: Script, at_node: Callable[..., State], typed: str, name: str, kind: str
) -> None:
    result = step(at_node("reflect.name"), Text(typed, AT), script)
    assert result.state.data["name"] == name and result.state.data["kind"] == kind
    assert result.state.node == "reflect.signals"
    shown = [r.text for r in result.replies]
    assert script.node("reflect.kind").prompt in shown  # the question, answered in view
    assert any(name in text for text in shown[-1:])  # the next one asks about them by name


@pytest.mark.parametrize(
    "typed", ["Mary Ann", "Sam, my flatmate", "my girlfriend", "my, oh my", "Jo-Ann", "J."]
)
def test_a_name_without_a_kind_we_know_is_kept_whole_and_the_kind_still_asked(
    script: Script, at_node: Callable[..., State], typed: str
) -> None:
    result = step(at_node("reflect.name"), Text(typed, AT), script)
    assert result.state.data["name"] == typed and "kind" not in result.state.data
    assert result.state.node == "reflect.kind"
