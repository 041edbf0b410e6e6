"""Persistent buttons and the "Write answer" modal.

Every button the bot shows is a :class:`discord.ui.DynamicItem`: its ``custom_id`` is the core's
button data (``thr:<node>:<option>:<ask>``), matched by a template that the client registers in
``setup_hook()`` (``Client.add_dynamic_items``). So a button works however old its message is,
across restarts, and nothing is kept per message. The buttons hold no logic: pressing one hands
the interaction to the client (:class:`Handler`), which asks the core what it means.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import discord

from dialogs.model import Button

__all__ = [
    "ANSWER_MODAL_ID",
    "WRITE_ID",
    "AnswerModal",
    "ChoiceButton",
    "Handler",
    "WriteButton",
    "answer_view",
    "question_of",
]

WRITE_ID = "thr-write"
"""The ``custom_id`` of the "Write answer" button (it opens :class:`AnswerModal`)."""
ANSWER_MODAL_ID = "thr-answer"
MAX_BUTTONS = 25
MAX_LABEL = 80
MAX_CUSTOM_ID = 100
MAX_PLACEHOLDER = 100
MAX_ANSWER = 4000


@runtime_checkable
class Handler(Protocol):
    """What a client must offer for the buttons to work (``interaction.client``)."""

    async def on_threshold_pick(self, interaction: discord.Interaction, custom_id: str) -> None:
        """A choice button was pressed."""
        ...

    async def on_threshold_write(
        self, interaction: discord.Interaction, question: str | None
    ) -> None:
        """The "Write answer" button of ``question`` (a button id of it) was pressed."""
        ...


class ChoiceButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"thr:.+"):
    """One choice of a question; ``custom_id`` is the core's button data, unchanged."""

    def __init__(self, data: str, label: str = "…") -> None:
        super().__init__(
            discord.ui.Button(
                label=_label(label), custom_id=data, style=discord.ButtonStyle.secondary
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ChoiceButton:
        label = getattr(item, "label", None) or "…"
        return cls(match.string, label)

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        if isinstance(client, Handler):
            await client.on_threshold_pick(interaction, self.custom_id)


class WriteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.escape(WRITE_ID) + r"(?::(?P<question>thr:.+))?",
):
    """Opens a modal to type an answer where typing to the bot is not possible. Its id carries
    the question it belongs to (``thr-write:<one of the question's button ids>``, so node and ask
    counter), and so does the modal it opens: an answer typed into it is treated as stale when
    the person has moved on, as a button from an earlier question is."""

    def __init__(self, question: str | None = None, label: str = "…") -> None:
        custom_id = WRITE_ID if question is None else f"{WRITE_ID}:{question}"
        super().__init__(
            discord.ui.Button(
                label=_label(label),
                custom_id=custom_id,
                style=discord.ButtonStyle.primary,
                emoji="✏️",
            )
        )
        self.question = question

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> WriteButton:
        return cls(match["question"])

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        if isinstance(client, Handler):
            await client.on_threshold_write(interaction, self.question)


def question_of(modal_id: str) -> str | None:
    """The question (a button id of it) a submitted modal was opened for; ``None`` for a modal
    opened before questions were tied to it."""
    _, _, question = modal_id.partition(":")
    return question or None


class AnswerModal(discord.ui.Modal):
    """A single paragraph input, its id tied to its question (``thr-answer:<button id>``). Its
    submission is read from the raw interaction by the client (``on_interaction``), so a modal
    opened before a restart is still answered."""

    def __init__(self, question: str, tie: str | None = None, *, title: str, label: str) -> None:
        custom_id = ANSWER_MODAL_ID if tie is None else f"{ANSWER_MODAL_ID}:{tie}"
        super().__init__(title=title[:45], custom_id=custom_id[:MAX_CUSTOM_ID], timeout=None)
        placeholder = " ".join(question.split())
        if len(placeholder) > MAX_PLACEHOLDER:
            placeholder = placeholder[: MAX_PLACEHOLDER - 1] + "…"
        self.add_item(
            discord.ui.TextInput(
                label=label[:45],
                custom_id="answer",
                style=discord.TextStyle.paragraph,
                placeholder=placeholder or None,
                max_length=MAX_ANSWER,
            )
        )


def answer_view(buttons: Sequence[Button], *, write: str | None = None) -> discord.ui.View | None:
    """A persistent view holding ``buttons`` (and a "Write answer" button labelled ``write``), or
    ``None`` when there is nothing to press. A button whose data could never come back (over
    100 characters) is left out; beyond Discord's 25 buttons the rest are left out too."""
    items: list[discord.ui.Item[Any]] = [
        ChoiceButton(b.data, b.label) for b in buttons if 0 < len(b.data) <= MAX_CUSTOM_ID
    ]
    if write:
        tie = next((b.data for b in buttons if len(WRITE_ID) + 1 + len(b.data) <= 100), None)
        items = [*items[: MAX_BUTTONS - 1], WriteButton(tie, write)]
    if not items:
        return None
    view = discord.ui.View(timeout=None)
    for item in items[:MAX_BUTTONS]:
        view.add_item(item)
    return view


def _label(text: str) -> str:
    label = " ".join(text.split()) or "…"
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"
