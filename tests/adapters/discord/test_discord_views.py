"""Persistent buttons and the "Write answer" modal (:mod:`adapters.discord.views`), on real
discord.py objects: the items a question becomes, the ids they carry and read back, the modal's
shape within Discord's limits, and the dispatch of a pressed button by discord.py's own view
store (the path a gateway ``INTERACTION_CREATE`` takes) to the client's handler — for a button
of any age, as nothing is kept per message. ``test_discord_translate.py`` covers which replies
get a view at all; here the view's own rules are pinned."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.views import (
    ANSWER_MODAL_ID,
    MAX_ANSWER,
    WRITE_ID,
    AnswerModal,
    ChoiceButton,
    Handler,
    WriteButton,
    answer_view,
    question_of,
)
from dialogs.model import Button
from tests.standins.discord_api import payloads

KINDS = (
    Button("thr:reflect.kind:romantic:3", "Romantic"),
    Button("thr:reflect.kind:work:3", "Work"),
)


def choices(view: discord.ui.View) -> list[ChoiceButton]:
    return [item for item in view.children if isinstance(item, ChoiceButton)]


# --------------------------------------------------------------------------------------------
# The items of a question


def test_a_question_with_nothing_to_press_has_no_view() -> None:
    assert answer_view(()) is None
    assert answer_view((Button("", "Empty"),)) is None


def test_a_view_of_buttons_is_persistent_so_it_outlives_a_restart() -> None:
    view = answer_view(KINDS)
    assert view is not None
    assert view.timeout is None and view.is_persistent()


def test_the_write_button_comes_last_tied_to_the_questions_first_button() -> None:
    view = answer_view(KINDS, write="Write answer")
    assert view is not None
    *_, last = view.children
    assert isinstance(last, WriteButton)
    assert last.question == KINDS[0].data
    assert last.custom_id == f"{WRITE_ID}:{KINDS[0].data}"
    assert last.item.style is discord.ButtonStyle.primary


def test_with_a_write_button_at_most_24_choices_are_kept_beside_it() -> None:
    many = tuple(Button(f"thr:reflect.x:o{i}:1", f"O{i}") for i in range(30))
    view = answer_view(many, write="Write answer")
    assert view is not None
    assert len(view.children) == 25
    assert [c.custom_id for c in choices(view)] == [b.data for b in many[:24]]
    assert isinstance(view.children[-1], WriteButton)


def test_a_write_button_whose_tie_would_not_fit_is_tied_to_no_question() -> None:
    """A question whose button ids are all too long to be prefixed still gets a write button,
    without a tie (an answer typed into it is then read against whatever is open)."""
    long = Button("thr:" + "x" * 92, "Long")  # 96 characters: fits alone, not after thr-write:
    view = answer_view((long,), write="Write answer")
    assert view is not None
    write = view.children[-1]
    assert isinstance(write, WriteButton) and write.question is None
    assert write.custom_id == WRITE_ID
    assert [c.custom_id for c in choices(view)] == [long.data]


def test_a_question_with_only_typing_gets_a_write_button_alone() -> None:
    view = answer_view((), write="Write answer")
    assert view is not None
    (only,) = view.children
    assert isinstance(only, WriteButton) and only.question is None


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        ("  Slow   or no\nreplies ", "Slow or no replies"),
        ("", "…"),
        ("\n\t ", "…"),
        ("x" * 80, "x" * 80),
        ("x" * 81, "x" * 79 + "…"),
    ],
    ids=["spaces-and-newline", "empty", "only-space", "80", "81"],
)
def test_a_label_is_one_line_never_empty_and_at_most_80_characters(label: str, shown: str) -> None:
    assert ChoiceButton("thr:a.b:c:1", label).item.label == shown


# --------------------------------------------------------------------------------------------
# Ids read back


def test_a_choice_id_and_a_write_id_are_never_claimed_by_each_others_template() -> None:
    """discord.py routes a pressed button to the first template that matches its id: a write
    button taken for a choice would send ``thr-write:…`` to the core as a pick."""
    choice = ChoiceButton.__discord_ui_compiled_template__
    write = WriteButton.__discord_ui_compiled_template__
    write_id = f"{WRITE_ID}:{KINDS[0].data}"
    assert choice.fullmatch(KINDS[0].data) and not write.fullmatch(KINDS[0].data)
    assert write.fullmatch(write_id) and not choice.fullmatch(write_id)
    assert write.fullmatch(WRITE_ID) and not choice.fullmatch(WRITE_ID)
    for other in ("thr:", "xthr:a.b:c:1", f"{ANSWER_MODAL_ID}:{KINDS[0].data}", "thr-writer"):
        assert not choice.fullmatch(other) and not write.fullmatch(other), other


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=86))
def test_any_write_id_made_for_a_question_reads_back_that_question(tail: str) -> None:
    data = f"thr:{tail}"
    if "\n" in data:  # '.' in the template does not span lines: such data is never sent
        return
    made = WriteButton(data, "Write")
    found = WriteButton.__discord_ui_compiled_template__.fullmatch(made.custom_id)
    assert found is not None and found["question"] == data


@pytest.mark.parametrize(
    ("modal_id", "question"),
    [
        (f"{ANSWER_MODAL_ID}:{KINDS[0].data}", KINDS[0].data),
        (ANSWER_MODAL_ID, None),
        (f"{ANSWER_MODAL_ID}:", None),
    ],
    ids=["tied", "untied", "empty-tie"],
)
def test_a_submitted_modal_names_the_question_it_was_opened_for(
    modal_id: str, question: str | None
) -> None:
    assert question_of(modal_id) == question


# --------------------------------------------------------------------------------------------
# The modal


def test_the_modal_is_one_paragraph_input_tied_to_its_question() -> None:
    modal = AnswerModal("Who is this about?", KINDS[0].data, title="Your answer", label="Answer")
    assert modal.custom_id == f"{ANSWER_MODAL_ID}:{KINDS[0].data}"
    assert question_of(modal.custom_id) == KINDS[0].data
    assert modal.timeout is None
    (field,) = modal.children
    assert isinstance(field, discord.ui.TextInput)
    assert field.style is discord.TextStyle.paragraph
    assert field.max_length == MAX_ANSWER and field.custom_id == "answer"
    assert field.placeholder == "Who is this about?"


def test_a_long_question_title_and_label_are_cut_to_discords_limits() -> None:
    question = "What has shifted?\n" + "Choose everything that fits. " * 10
    modal = AnswerModal(question, "thr:" + "x" * 120, title="T" * 60, label="L" * 60)
    (field,) = modal.children
    assert isinstance(field, discord.ui.TextInput)
    assert len(modal.title) == 45
    assert len(modal.custom_id) <= 100
    assert field.placeholder is not None
    assert len(field.placeholder) == 100 and field.placeholder.endswith("…")
    assert "\n" not in field.placeholder


def test_a_question_of_only_spaces_shows_no_placeholder() -> None:
    (field,) = AnswerModal("  \n ", None, title="T", label="L").children
    assert isinstance(field, discord.ui.TextInput) and field.placeholder is None


# --------------------------------------------------------------------------------------------
# A press dispatched by discord.py's view store


class Recorder(discord.Client):
    """A real client offering the two handlers the buttons call; it records each call."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.none())
        self.picks: list[str] = []
        self.writes: list[str | None] = []
        self.called = asyncio.Event()

    async def on_threshold_pick(self, interaction: discord.Interaction, custom_id: str) -> None:
        self.picks.append(custom_id)
        self.called.set()

    async def on_threshold_write(
        self, interaction: discord.Interaction, question: str | None
    ) -> None:
        self.writes.append(question)
        self.called.set()


async def pressed(client: Recorder, custom_id: str, label: str = "Romantic") -> None:
    person = payloads.User(42, "alex")
    message = {
        "id": "900",
        "channel_id": "901",
        "type": 0,
        "content": "What kind of connection is it?",
        "author": payloads.BOT.payload(bot=True),
        "attachments": [],
        "embeds": [],
        "mentions": [],
        "mention_roles": [],
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
        "timestamp": payloads.now(),
        "edited_timestamp": None,
        "flags": 0,
        "components": [
            {
                "type": 1,
                "components": [{"type": 2, "style": 2, "custom_id": custom_id, "label": label}],
            }
        ],
    }
    data: Any = {"custom_id": custom_id, "component_type": 2}
    payload: Any = payloads.interaction(1, "tok", 3, data, person, 901, in_server=False)
    payload["message"] = message
    client.called.clear()
    client._connection.parse_interaction_create(payload)
    await asyncio.wait_for(client.called.wait(), timeout=5)


@pytest.fixture
async def client() -> Any:
    recorder = Recorder()
    recorder.add_dynamic_items(ChoiceButton, WriteButton)
    yield recorder
    await recorder.close()


async def test_a_pressed_choice_of_any_age_reaches_the_client_with_its_id_unchanged(
    client: Recorder,
) -> None:
    assert isinstance(client, Handler)
    await pressed(client, "thr:reflect.kind:romantic:3")
    assert client.picks == ["thr:reflect.kind:romantic:3"]
    assert client.writes == []


async def test_a_pressed_write_button_reaches_the_client_with_its_question(
    client: Recorder,
) -> None:
    await pressed(client, f"{WRITE_ID}:{KINDS[1].data}", "Write answer")
    await pressed(client, WRITE_ID, "Write answer")
    assert client.writes == [KINDS[1].data, None]
    assert client.picks == []
