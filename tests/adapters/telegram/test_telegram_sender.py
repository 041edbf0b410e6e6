"""The outbox: how a turn's replies land on screen, through a real PTB ``Bot`` and its HTTP
client against the stand-in (no ``Application``, no core: replies are written out here)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from adapters.telegram.sender import Outbox, Shown, TelegramDeliverer
from bot.ports.store import Address
from dialogs.model import Attachment, Button, Reply
from tests.standins.telegram_api import TOKEN, USER_ID, Sent, TelegramAPI

KIND = Reply(
    "What kind of connection is it?",
    kind="ask",
    buttons=(Button("thr:k:romantic:2", "Romantic"), Button("thr:k:work:2", "Work")),
)
SIGNALS = Reply(
    "What has shifted?",
    kind="ask",
    buttons=(Button("thr:s:tone:3", "Their tone changed"), Button("thr:s:done:3", "Done")),
)


@pytest.fixture
async def outbox(api: TelegramAPI) -> AsyncIterator[Outbox]:
    async with Bot(TOKEN, base_url=f"{api.url}/bot") as bot:
        yield Outbox(bot)


def shown(sent: Sent) -> Shown:
    return Shown(sent.message_id, sent.text or "")


async def test_a_reply_longer_than_4096_is_split_with_the_keyboard_on_the_last_piece(
    outbox: Outbox, api: TelegramAPI
) -> None:
    text = "\n\n".join(f"Item {n}: " + "so much to say " * 40 for n in range(10))
    await outbox.send(USER_ID, [Reply(text, kind="ask", buttons=KIND.buttons)])
    first, second = await api.next_message(), await api.next_message()
    assert (first.buttons, second.labels) == ([], ["Romantic", "Work"])
    assert first.text is not None and first.text.endswith("say")  # cut between paragraphs
    assert f"{first.text} {second.text}".split() == text.split()


async def test_a_pressed_answer_edits_its_question_and_drops_the_keyboard(
    outbox: Outbox, api: TelegramAPI
) -> None:
    await outbox.send(USER_ID, [KIND])
    kind = await api.next_message()
    toast = await outbox.send(
        USER_ID, [Reply("Romantic", kind="answer"), SIGNALS], pressed=shown(kind)
    )
    assert toast is None
    now = api.message(USER_ID, kind.message_id)
    assert (now.text, now.buttons) == (f"{KIND.text}\n\n→ Romantic", [])
    assert (await api.next_message()).text == SIGNALS.text
    assert await api.quiet(seconds=0.05) == [], "the answer is not a message of its own"


async def test_a_typed_answer_marks_the_last_question_answered(
    outbox: Outbox, api: TelegramAPI
) -> None:
    await outbox.send(USER_ID, [KIND])
    kind = await api.next_message()
    await outbox.send(USER_ID, [Reply("Work", kind="answer"), SIGNALS])
    now = api.message(USER_ID, kind.message_id)
    assert (now.text, now.buttons) == (f"{KIND.text}\n\n→ Work", [])


async def test_a_new_question_retires_the_keyboard_of_the_previous_one(
    outbox: Outbox, api: TelegramAPI
) -> None:
    await outbox.send(USER_ID, [KIND])
    kind = await api.next_message()
    await outbox.send(USER_ID, [Reply("I didn't catch that.", kind="notice"), SIGNALS])
    assert api.message(USER_ID, kind.message_id).buttons == []
    assert api.message(USER_ID, kind.message_id).text == KIND.text


async def test_a_toggled_question_is_updated_in_place(outbox: Outbox, api: TelegramAPI) -> None:
    await outbox.send(USER_ID, [SIGNALS])
    signals = await api.next_message()
    toggled = Reply(
        SIGNALS.text,
        kind="ask",
        buttons=(Button("thr:s:tone:4", "✓ Their tone changed"), Button("thr:s:done:4", "Done")),
        updates_prompt=True,
    )
    await outbox.send(USER_ID, [toggled], pressed=shown(signals))
    assert api.message(USER_ID, signals.message_id).labels == ["✓ Their tone changed", "Done"]
    await outbox.send(USER_ID, [toggled], pressed=shown(signals))  # "message is not modified"
    assert await api.quiet(seconds=0.05) == []


async def test_a_notice_after_a_press_is_the_toast_and_the_question_is_asked_again(
    outbox: Outbox, api: TelegramAPI
) -> None:
    await outbox.send(USER_ID, [KIND])
    kind = await api.next_message()
    notice = Reply("That button belongs to an earlier question.", kind="notice")
    toast = await outbox.send(USER_ID, [notice, KIND], pressed=shown(kind))
    assert toast == notice.text
    again = await api.next_message()
    assert (again.text, again.labels) == (KIND.text, ["Romantic", "Work"])


async def test_a_notice_too_long_for_a_toast_is_a_message(outbox: Outbox, api: TelegramAPI) -> None:
    await outbox.send(USER_ID, [KIND])
    kind = await api.next_message()
    notice = Reply("n" * 201, kind="notice")
    assert await outbox.send(USER_ID, [notice], pressed=shown(kind)) is None
    assert (await api.next_message()).text == notice.text


async def test_a_file_with_a_long_text_gets_the_text_first(
    outbox: Outbox, api: TelegramAPI
) -> None:
    data = json.dumps({"format": "x"}).encode()
    reply = Reply("t" * 2000, attachment=Attachment("export.json", "application/json", data))
    await outbox.send(USER_ID, [reply])
    text, document = await api.next_message(), await api.next_message()
    assert (text.text, document.kind, document.file) == (
        reply.text,
        "document",
        ("export.json", data),
    )


async def test_an_image_is_sent_as_a_photo(outbox: Outbox, api: TelegramAPI) -> None:
    chart = Attachment("chart.png", "image/png", b"\x89PNG\r\n\x1a\n")
    await outbox.send(USER_ID, [Reply("Over time:", attachment=chart)])
    photo = await api.next_message()
    assert (photo.kind, photo.caption) == ("photo", "Over time:")


async def test_a_delivery_leaves_the_question_in_progress_alone(
    outbox: Outbox, api: TelegramAPI
) -> None:
    await outbox.send(USER_ID, [KIND])
    kind = await api.next_message()
    mantra = Reply("If someone is trying to lose you, help them.", kind="ask", buttons=KIND.buttons)
    await TelegramDeliverer(outbox).deliver(Address("telegram", str(USER_ID)), [mantra])
    assert (await api.next_message()).text == mantra.text
    assert api.message(USER_ID, kind.message_id).labels == ["Romantic", "Work"]
