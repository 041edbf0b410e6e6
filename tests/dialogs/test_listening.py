"""Acknowledging what is written: the rules on literal texts, their loading, and properties of
every acknowledgement the machine says in random conversations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs import Command, Pick, Script, State, Text, load_script, step
from dialogs.listening import (
    Listening,
    ListeningError,
    acknowledge,
    is_quiet,
    listening_from,
    remember,
    shorten,
)
from dialogs.loading import build_script
from dialogs.safety import concern
from dialogs.script import ScriptError

if TYPE_CHECKING:
    from collections.abc import Callable

SCRIPT = load_script()
RULES = SCRIPT.listening
AT = datetime(2025, 3, 1, 9, 5, tzinfo=UTC)
ALL_LINES = {
    *RULES.fallback,
    *(line for theme in RULES.themes for line in theme.lines),
    *(line for node in RULES.nodes.values() for line in node.lines),
}


def heard(text: str, **kw: Any) -> str | None:
    found = acknowledge(text, RULES, node=kw.pop("node", "reflect.serving_note"), **kw)
    return found.id.rsplit(".", 1)[0] if found else None


# --------------------------------------------------------------------------------------------
# Themes on literal texts


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("She read it two days ago. Nothing.", "silence"),
        ("he left me on read again and I'm still waiting", "silence"),
        (
            "I keep texting first and she never asks how I am. I was the only one who ever "
            "cared. 😔💔",
            "effort",
        ),
        ("It's always me making the plans, every single time", "effort"),
        ("We were together for six years and I miss us", "history"),
        ("Honestly I'm furious with him", "anger"),
        ("Maybe it's my fault, I was too needy", "self_blame"),
        ("I feel lighter since we stopped talking", "relief"),
        ("I honestly don't know what changed", "uncertainty"),
        ("I'm scared that if I say something it's over", "fear"),
        ("I cried the whole way home", "hurt"),
        ("I still love him and I want this to work", "hope"),
    ],
)
def test_a_theme_is_chosen_by_what_the_text_says(text: str, theme: str) -> None:
    assert heard(text) == theme


def test_work_themes_are_only_for_work() -> None:
    text = "She took the credit for my project in front of the whole team"
    assert heard(text, kind="work") == "work_treatment"
    assert heard(text, kind="romantic") != "work_treatment"


def test_something_without_a_theme_gets_a_plain_warm_line() -> None:
    assert heard("I need the paycheck, that is the truth of it") == "fallback"


@pytest.mark.parametrize("short", ["no", "not really", "Nope.", "idk", "nothing new", "ok", "Sam"])
def test_a_short_answer_needs_no_acknowledgement(short: str) -> None:
    assert is_quiet(short, RULES)
    assert acknowledge(short, RULES, node="reflect.serving_note") is None


def test_the_closing_line_is_answered_as_what_it_is_never_by_theme() -> None:
    found = acknowledge("I deserve someone who answers.", RULES, node="reflect.closure")
    assert found is not None
    assert found.id.startswith("reflect.closure.")


def test_a_line_that_needs_a_name_is_only_said_when_there_is_one() -> None:
    everything_else = [f"silence.{i}" for i in range(3)]
    nameless = acknowledge("She hasn't replied in weeks", RULES, node="x.y", heard=everything_else)
    assert nameless is not None and nameless.id.startswith("fallback.")  # silence.3 needs one
    with_name = acknowledge(
        "She hasn't replied in weeks", RULES, node="x.y", name="Maya", heard=everything_else
    )
    assert with_name is not None and "Maya" in with_name.text


def test_an_echo_is_a_few_of_the_persons_own_words() -> None:
    said = acknowledge("honestly I'm livid", RULES, node="x.y", heard=["anger.0"])
    assert said is not None
    assert said.text == "“livid” — that's allowed here, all of it."


def test_no_line_repeats_while_another_fits() -> None:
    said: list[str] = []
    memory: tuple[str, ...] = ()
    for _ in range(4):
        found = acknowledge("She read it two days ago. Nothing.", RULES, node="x.y", heard=memory)
        assert found is not None
        said.append(found.text)
        memory = remember(memory, found.id)
    assert len(set(said)) == len(said)


def test_when_every_line_was_said_the_one_said_longest_ago_comes_back() -> None:
    candidates = [f"silence.{i}" for i in range(3)] + [f"fallback.{i}" for i in range(5)]
    found = acknowledge("She read it. Nothing.", RULES, node="x.y", heard=candidates)
    assert found is not None and found.id == "silence.0"


def test_remember_keeps_only_the_recent_lines() -> None:
    memory: tuple[str, ...] = ()
    for n in range(40):
        memory = remember(memory, f"fallback.{n % 7}")
    assert len(memory) <= 24
    assert memory[-1] == "fallback.4"
    assert len(set(memory)) == len(memory)


@pytest.mark.parametrize(
    ("text", "limit", "shown"),
    [
        ("short", 20, "short"),
        ("one two three four five six", 14, "one two three…"),
        ("line one\nline two", 40, "line one line two"),
        ("x" * 50, 10, "x" * 9 + "…"),
    ],
)
def test_long_words_are_shortened_at_a_word_boundary(text: str, limit: int, shown: str) -> None:
    assert shorten(text, limit) == shown
    assert len(shorten(text, limit)) <= limit


# --------------------------------------------------------------------------------------------
# Loading: what a writer could get wrong


def _raw(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "fallback": ["One.", "Two.", "Three."],
        "theme": [{"id": "silence", "patterns": ["silence"], "lines": ["Quiet.", "Hush."]}],
    }
    raw.update(changes)
    return raw


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (_raw(fallback=["One.", "Two."]), "fallback needs three"),
        (_raw(fallback=None), "needs a list of lines"),
        (_raw(theme=[{"id": "x", "patterns": ["a"], "lines": ["Only one."]}]), "two lines"),
        (_raw(theme=[{"id": "x", "patterns": [], "lines": ["A.", "B."]}]), "no patterns"),
        (_raw(theme=[{"id": "x", "patterns": ["("], "lines": ["A.", "B."]}]), "bad pattern"),
        (_raw(theme=[{"id": "x", "patterns": ["a"], "lines": ["A\nB", "C."]}]), "one line"),
        (_raw(theme=[{"id": "x", "patterns": ["a"], "lines": ["{who}", "C."]}]), "unknown field"),
        (_raw(theme=[{"id": "x", "patterns": ["a"], "lines": ["{echo}!", "C."]}]), "captures"),
        (_raw(theme=[{"id": "x", "patterns": ["a"], "lines": ["{name}", "{name}."]}]), "no {"),
        (
            _raw(theme=[{"id": "x", "patterns": ["a"], "lines": ["A.", "B."], "examples": ["b"]}]),
            "is answered by no theme",
        ),
        (_raw(theme=[{"id": "X", "patterns": ["a"], "lines": ["A.", "B."]}]), "lower-case"),
        (
            _raw(theme=[{"id": "x", "patterns": ["a"], "lines": ["A.", "B."], "colour": 1}]),
            "unknown",
        ),
    ],
)
def test_malformed_listening_content_is_refused_on_load(raw: dict[str, Any], says: str) -> None:
    with pytest.raises(ListeningError, match=says):
        listening_from(raw)


def test_well_formed_listening_content_loads() -> None:
    rules = listening_from(_raw())
    assert isinstance(rules, Listening)
    assert acknowledge("so much silence lately", rules, node="x.y") is not None


def test_a_theme_example_that_the_safety_rules_notice_is_refused(script: Script) -> None:
    documents = _documents()
    themes = documents["listening.toml"]["listening"]["theme"]
    silence = next(t for t in themes if t["id"] == "silence")
    silence["examples"].append("he stopped answering and I want to die")
    with pytest.raises(ScriptError, match="is a concern"):
        build_script(documents, script.time_zones)


def test_lines_for_a_question_that_does_not_listen_are_refused(script: Script) -> None:
    documents = _documents()
    documents["listening.toml"]["listening"]["node"]["reflect.kind"] = {"lines": ["Hm."]}
    with pytest.raises(ScriptError, match="not a question that listens"):
        build_script(documents, script.time_zones)


def _documents() -> dict[str, Any]:
    import tomllib
    from importlib import resources

    return {
        entry.name: tomllib.loads(entry.read_text(encoding="utf-8"))
        for entry in resources.files("dialogs.content").iterdir()
        if entry.name.endswith(".toml")
    }


# --------------------------------------------------------------------------------------------
# Through the machine


def test_a_note_of_substance_is_acknowledged_before_the_next_question(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.serving_note", data={"name": "Maya", "kind": "romantic"})
    result = step(state, Text("She read it two days ago. Nothing.", AT), script)
    said, question = result.replies
    assert said.kind == "say" and said.text in ALL_LINES
    assert question.text == "Is it reciprocal?"
    assert result.state.heard == ("silence.0",)


def test_a_short_note_goes_straight_on(script: Script, at_node: Callable[..., State]) -> None:
    state = at_node("reflect.serving_note")
    (question,) = step(state, Text("not really", AT), script).replies
    assert question.text == "Is it reciprocal?"


def test_a_name_is_never_acknowledged(script: Script, at_node: Callable[..., State]) -> None:
    (question,) = step(at_node("reflect.name"), Text("Maya Lopez", AT), script).replies
    assert question.text == "What kind of connection is it?"


def test_a_crisis_text_gets_the_safety_reply_and_no_acknowledgement(
    script: Script, at_node: Callable[..., State]
) -> None:
    state = at_node("reflect.serving_note")
    text = "Nobody answers and honestly I just want to die"
    result = step(state, Text(text, AT), script)
    assert concern(text, script.safety)
    assert result.replies[0].text.startswith(script.say("safety_crisis"))
    assert not any(r.text in ALL_LINES for r in result.replies)
    assert result.state.heard == ()


# --------------------------------------------------------------------------------------------
# Properties over random conversations

SENTENCES = [
    "She read it two days ago. Nothing.",
    "I keep texting first and he never asks how I am",
    "We were best friends since school and I miss her",
    "Honestly I'm furious with him",
    "Maybe it's my fault, I was too much",
    "I feel lighter since we stopped talking",
    "I don't know what changed",
    "It hurts so much 💔",
    "I still love her and I want this to work",
    "no",
    "not really",
    "Some days are fine, some days are not",
    "I want to die",
    "he hits me when he is angry",
    "Sam",
]


def _acknowledgements(result_replies: tuple[Any, ...]) -> list[str]:
    return [r.text for r in result_replies if r.kind == "say" and r.text in ALL_LINES]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SENTENCES), st.booleans()), min_size=5, max_size=30))
def test_acknowledgements_never_repeat_while_another_fits_and_never_follow_safety(
    moves: list[tuple[str, bool]],
) -> None:
    state = State(intro_seen=True)
    at = AT
    result = step(state, _command("reflect", at), SCRIPT)
    state = result.state
    said: list[str] = []
    for text, press in moves:
        at += timedelta(minutes=1)
        if press and state.node is not None:
            buttons = [b for r in result.replies for b in r.buttons]
            event: Any = _pick(buttons[0].data, at) if buttons else Text(text, at)
        else:
            event = Text(text, at)
        result = step(state, event, SCRIPT)
        lines = _acknowledgements(result.replies)
        assert len(lines) <= 1
        safety = any(SCRIPT.say("safety") in r.text for r in result.replies)
        if safety:
            assert lines == []
        for line in lines:
            assert "\n" not in line
            if isinstance(event, Text):
                typed = set(event.text.casefold().split())
                assert len(typed & set(line.casefold().split())) <= 4
            fitting = _fitting(event, state)
            if any(c not in said for c in fitting):
                assert line not in said, (line, said)
            said.append(line)
        state = result.state
        if state.flow is None:
            result = step(state, _command("reflect", at), SCRIPT)
            state = result.state


def _fitting(event: Any, state: State) -> set[str]:
    """Every line that could have answered ``event`` at the question ``state`` had open."""
    if not isinstance(event, Text) or state.node is None:
        return set()
    name = state.data.get("name")
    fitting: set[str] = set()
    memory: tuple[str, ...] = ()
    for _ in range(20):
        found = acknowledge(
            event.text,
            RULES,
            node=state.node,
            kind=str(state.data.get("kind") or "") or None,
            name=name if isinstance(name, str) else None,
            heard=memory,
        )
        if found is None:
            break
        fitting.add(found.text)
        memory = remember(memory, found.id)
    return fitting


def _command(name: str, at: datetime) -> Command:
    return Command(name, at)


def _pick(data: str, at: datetime) -> Pick:
    return Pick(data, at)
