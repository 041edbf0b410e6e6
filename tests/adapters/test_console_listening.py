"""The terminal as a person in a painful moment meets it: real sentences, plain answers, and how
the text is laid out. The real console runner, core and SQLite file; input from a pipe."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.console import render, run_console
from bot.core import Core, open_core
from bot.settings import Settings
from dialogs.model import Button, Reply
from tests.support.words import CONSOLE as WORDS

SENTENCES = {
    "reflect.serving_note": "She read it two days ago. Nothing.",
    "reflect.reciprocal_note": (
        "I keep texting first and she never asks how I am. I was the only one who ever cared. 😔💔"
    ),
    "reflect.love_note": "We were together for four years and I miss how we used to talk.",
    "reflect.closure": "I deserve someone who answers me.",
}
ANSWERS = [
    "Maya",
    "my girlfriend",
    "2 5",
    "it's definitely a pattern",
    "partly",
    SENTENCES["reflect.serving_note"],
    "sometimes",
    "almost all me",
    SENTENCES["reflect.reciprocal_note"],
    "some of both",
    SENTENCES["reflect.love_note"],
    "draining",
    "done",
    "yes",
    SENTENCES["reflect.closure"],
    "set a boundary",
    "3",
    "no",
]


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    database = tmp_path / "data" / "threshold.db"
    settings = Settings(_env_file=None, database_url=f"sqlite:///{database}")
    async with open_core(settings) as opened:
        yield opened


async def chat(core: Core, lines: list[str]) -> str:
    out = io.StringIO()
    typed = "".join(f"{line}\n" for line in lines)
    await run_console(core, stdin=io.StringIO(typed), stdout=out, user_id="tester")
    return out.getvalue()


def acknowledgements(core: Core) -> set[str]:
    rules = core.script.listening
    return {
        *rules.fallback,
        *(line for theme in rules.themes for line in theme.lines),
        *(line for node in rules.nodes.values() for line in node.lines),
    }


async def test_a_whole_reflection_in_real_sentences_is_heard_and_given_back(core: Core) -> None:
    shown = await chat(core, ANSWERS)
    said = [line for line in shown.splitlines() if line in acknowledgements(core)]
    assert len(said) == len(SENTENCES), shown  # every sentence heard, nothing else
    assert len(set(said)) == len(said)  # and never the same line twice
    summary = shown[shown.index("Here is what you wrote today.") :]
    for sentence in SENTENCES.values():
        assert sentence in summary
    assert "Your line: “I deserve someone who answers me.”" in summary
    assert summary.index("Your line:") < summary.index("From the essay:")
    assert "About Maya · Romantic" in summary
    assert "What shifted: Slow or no replies, Stopped checking in" in summary
    assert "One-off or pattern: A pattern" in summary
    assert "Who carries the effort: 1 of 5 · almost all me" in summary
    assert "I'll check in with you in 3 days." in summary
    assert "  → 1 · almost all me" in shown


async def test_a_mistyped_command_in_the_terminal_is_answered_with_did_you_mean(
    core: Core,
) -> None:
    shown = await chat(core, ["/cancel", "/histroy"])
    assert "I don't know /histroy. Did you mean /history?" in shown


async def test_help_typed_without_a_slash_in_the_terminal_shows_the_help(core: Core) -> None:
    shown = await chat(core, ["help"])
    assert "/reflect — a full reflection on one relationship" in shown


async def test_a_sentence_where_the_name_is_asked_in_the_terminal_is_not_taken_as_a_name(
    core: Core,
) -> None:
    shown = await chat(core, ["I feel awful today, can we just talk?", "Maya"])
    assert core.script.say("opening_kept") in shown
    assert "What has shifted with I feel" not in shown
    assert "What kind of connection is it?" in shown


# --------------------------------------------------------------------------------------------
# Layout


DAYS = Reply(
    "Shall I check in with you about this later?",
    kind="ask",
    buttons=(Button("thr:reflect.followup:d3:4", "In 3 days"), Button("thr:x:none:4", "No")),
    free_text=True,
    numbers_are_values=True,
)


def test_choices_where_a_number_is_a_value_are_listed_without_numbers() -> None:
    assert render(DAYS, WORDS).splitlines()[1:] == [
        "  · In 3 days",
        "  · No",
        "  (Type a number of days, or a choice's words · /back /skip /cancel · /help)",
    ]


def test_long_lines_wrap_between_words_never_inside_one() -> None:
    """Long lines wrap between words in the terminal, never inside one."""
    text = "Closure often doesn't come from the other person — it comes from within. " * 3
    reply = Reply(text.strip(), kind="ask", buttons=(Button("thr:a:b:1", "Skip"),))
    lines = render(reply, WORDS, width=40).splitlines()
    assert all(len(line) <= 40 for line in lines)
    assert " ".join(lines).split() == render(reply, WORDS).split()  # the same words, none cut
    assert "  1) Skip" in lines


def test_a_wrapped_choice_continues_under_its_label() -> None:
    label = "Hostile or demeaning (bullying, harassment) and more words after that"
    reply = Reply("Which?", kind="ask", buttons=(Button("thr:a:b:1", label),))
    lines = render(reply, WORDS, width=40).splitlines()
    assert lines[1].startswith("  1) Hostile")
    assert lines[2].startswith("     ") and not lines[2].startswith("      ")


def test_without_a_width_nothing_is_wrapped() -> None:
    text = "word " * 60
    assert render(Reply(text.strip()), WORDS) == text.strip()
