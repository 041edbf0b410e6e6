"""Translation only: real ``telegram.Update`` objects built from raw Bot API payloads in, core
events out; core replies in, PTB keyword arguments out."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from telegram import InlineKeyboardMarkup, InputFile, Update

from adapters.telegram.translate import (
    EDITED,
    MAX_TEXT,
    TOO_LONG,
    answered_text,
    blocked_the_bot,
    group_reply,
    keyboard,
    split_text,
    to_event,
    to_send_kwargs,
    utf16_len,
)
from dialogs.model import Attachment, Button, Command, Pick, Reply, Text, Unsupported
from tests.support.words import SCRIPT

AT = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
BOT = "threshold_test_bot"
USER = {"id": 42, "is_bot": False, "first_name": "Sam"}
PRIVATE = {"id": 42, "type": "private", "first_name": "Sam"}
GROUP = {"id": -100123, "type": "supergroup", "title": "Friends"}


def message(chat: dict[str, Any] = PRIVATE, **fields: Any) -> dict[str, Any]:
    return {"message_id": 7, "date": 1740820000, "chat": chat, "from": USER, **fields}


def text_update(text: str, chat: dict[str, Any] = PRIVATE) -> Update:
    fields: dict[str, Any] = {"text": text}
    command = re.match(r"/\w+(@\w+)?", text)  # what Telegram marks as a command
    if command:
        fields["entities"] = [{"type": "bot_command", "offset": 0, "length": command.end()}]
    return update(message=message(chat, **fields))


def update(**payload: Any) -> Update:
    built = Update.de_json({"update_id": 1, **payload}, None)
    assert built is not None
    return built


# --------------------------------------------------------------------------------------------
# to_event


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", Command("start", AT)),
        ("/start checkin", Command("start", AT, arg="checkin")),
        ("/Reflect", Command("reflect", AT)),
        (f"/checkin@{BOT}", Command("checkin", AT)),
        ("/mantras 07:30 Europe/Berlin", Command("mantras", AT, arg="07:30 Europe/Berlin")),
        ("/back", Command("back", AT)),
        ("/skip", Command("skip", AT)),
        ("/history 2", Command("history", AT, arg="2")),
        ("/nosuchthing", Command("nosuchthing", AT)),
    ],
)
def test_a_bot_command_is_a_command_without_slash_or_bot_name(text: str, expected: Command) -> None:
    assert to_event(text_update(text), AT) == expected


@pytest.mark.parametrize("text", ["Sam", "  spaced  ", "🙂", "a/b", "x" * MAX_TEXT])
def test_typed_text_is_text_exactly_as_typed(text: str) -> None:
    assert to_event(text_update(text), AT) == Text(text, AT)


def test_a_slash_without_a_command_entity_is_text() -> None:
    plain = update(message=message(text="/ not a command"))
    assert to_event(plain, AT) == Text("/ not a command", AT)


@pytest.mark.parametrize("text", ["x" * 5000, "🙂" * 2049])
def test_a_message_over_4096_characters_is_unsupported(text: str) -> None:
    assert to_event(text_update(text), AT) == Unsupported(TOO_LONG, AT)


def test_a_pressed_button_is_a_pick_with_its_data_exactly() -> None:
    query = {
        "id": "q1",
        "from": USER,
        "chat_instance": "c",
        "data": "thr:reflect.kind:romantic:3",
        "message": message(text="What kind of connection is it?"),
    }
    assert to_event(update(callback_query=query), AT) == Pick("thr:reflect.kind:romantic:3", AT)


def test_a_forged_callback_data_is_still_a_pick_for_the_core_to_refuse() -> None:
    query = {"id": "q1", "from": USER, "chat_instance": "c", "data": "../../etc"}
    assert to_event(update(callback_query=query), AT) == Pick("../../etc", AT)


def test_a_callback_without_data_is_nothing() -> None:
    query = {"id": "q1", "from": USER, "chat_instance": "c", "game_short_name": "g"}
    assert to_event(update(callback_query=query), AT) is None


FILE = {"file_id": "f", "file_unique_id": "u"}


@pytest.mark.parametrize(
    ("fields", "what"),
    [
        (
            {
                "sticker": {
                    **FILE,
                    "type": "regular",
                    "width": 1,
                    "height": 1,
                    "is_animated": False,
                    "is_video": False,
                }
            },
            "sticker",
        ),
        ({"photo": [{**FILE, "width": 1, "height": 1}], "caption": "them"}, "photo"),
        ({"voice": {**FILE, "duration": 3}}, "voice"),
        ({"video_note": {**FILE, "length": 1, "duration": 1}}, "video_note"),
        ({"document": {**FILE, "file_name": "x.pdf"}}, "document"),
        (
            {
                "animation": {**FILE, "width": 1, "height": 1, "duration": 1},
                "document": {**FILE},
            },
            "animation",
        ),
        ({"location": {"latitude": 1.0, "longitude": 2.0}}, "location"),
        ({"contact": {"phone_number": "1", "first_name": "A"}}, "contact"),
    ],
)
def test_what_is_not_text_is_unsupported_and_named(fields: dict[str, Any], what: str) -> None:
    assert to_event(update(message=message(**fields)), AT) == Unsupported(what, AT)
    assert f"thing.{what}" in SCRIPT.messages  # the content names it to the person


def test_an_edited_message_is_unsupported() -> None:
    edited = update(edited_message=message(text="Alex", edit_date=1740820100))
    assert to_event(edited, AT) == Unsupported(EDITED, AT)


@pytest.mark.parametrize(
    "payload",
    [
        {"message": message(new_chat_title="New")},
        {"message": message(pinned_message=message(text="x"))},
        {"channel_post": message(GROUP, text="hello")},
    ],
)
def test_service_messages_and_channel_posts_are_nothing(payload: dict[str, Any]) -> None:
    assert to_event(update(**payload), AT) is None


def member_update(status: str, chat: dict[str, Any] = PRIVATE) -> Update:
    bot = {"id": 1, "is_bot": True, "first_name": "T", "username": BOT}
    new: dict[str, Any] = {"user": bot, "status": status}
    if status == "kicked":
        new["until_date"] = 0
    return update(
        my_chat_member={
            "chat": chat,
            "from": USER,
            "date": 1740820000,
            "old_chat_member": {"user": bot, "status": "member"},
            "new_chat_member": new,
        }
    )


def test_blocking_the_bot_is_recognised_and_is_no_event() -> None:
    assert blocked_the_bot(member_update("kicked"))
    assert not blocked_the_bot(member_update("member"))
    assert not blocked_the_bot(member_update("kicked", GROUP))
    assert to_event(member_update("kicked"), AT) is None


# --------------------------------------------------------------------------------------------
# group_reply

WORDS = {"text": SCRIPT.say("private_only"), "button_label": SCRIPT.say("private_button")}


def test_a_group_command_to_the_bot_gets_a_deep_link_to_a_private_chat() -> None:
    kwargs = group_reply(text_update("/checkin", GROUP), BOT, **WORDS)
    assert kwargs is not None
    markup = kwargs["reply_markup"]
    assert isinstance(markup, InlineKeyboardMarkup)
    (button,) = [b for row in markup.inline_keyboard for b in row]
    assert button.url == f"https://t.me/{BOT}?start=checkin"
    assert button.callback_data is None


@pytest.mark.parametrize("command", ["/help", "/forget", "/export"])
def test_other_group_commands_link_without_a_payload(command: str) -> None:
    kwargs = group_reply(text_update(command, GROUP), BOT, **WORDS)
    assert kwargs is not None
    assert kwargs["reply_markup"].inline_keyboard[0][0].url == f"https://t.me/{BOT}"


@pytest.mark.parametrize(
    "text", ["my partner ignores me", "/checkin@some_other_bot", "/ checkin", "Sam"]
)
def test_the_bot_stays_quiet_in_a_group_otherwise(text: str) -> None:
    assert group_reply(text_update(text, GROUP), BOT, **WORDS) is None


def test_group_reply_is_nothing_in_a_private_chat() -> None:
    assert group_reply(text_update("/checkin"), BOT, **WORDS) is None


def test_a_mention_of_this_bot_in_any_case_counts() -> None:
    assert group_reply(text_update(f"/checkin@{BOT.upper()}", GROUP), BOT, **WORDS) is not None


# --------------------------------------------------------------------------------------------
# to_send_kwargs and keyboards


def labels(markup: InlineKeyboardMarkup | None) -> list[list[str]]:
    assert markup is not None
    return [[button.text for button in row] for row in markup.inline_keyboard]


def test_a_plain_message_has_text_and_no_keyboard() -> None:
    assert to_send_kwargs(Reply("Hello.")) == {"text": "Hello.", "reply_markup": None}


def test_a_question_with_choices_becomes_an_inline_keyboard() -> None:
    reply = Reply(
        "What kind of connection is it?",
        kind="ask",
        buttons=(Button("thr:k:romantic:2", "Romantic"), Button("thr:k:work:2", "Work")),
    )
    kwargs = to_send_kwargs(reply)
    assert kwargs["text"] == reply.text
    assert labels(kwargs["reply_markup"]) == [["Romantic"], ["Work"]]
    data = [b.callback_data for row in kwargs["reply_markup"].inline_keyboard for b in row]
    assert data == ["thr:k:romantic:2", "thr:k:work:2"]


def test_short_labels_share_rows_of_five() -> None:
    ratings = tuple(Button(f"thr:r:{n}:1", str(n)) for n in range(1, 7))
    skip = Button("thr:r:skip:1", "Skip")
    assert labels(keyboard((*ratings, skip))) == [["1", "2", "3", "4", "5"], ["6", "Skip"]]
    assert labels(keyboard((Button("a", "Yes"), Button("b", "Partly"), Button("c", "No")))) == [
        ["Yes"],
        ["Partly"],
        ["No"],
    ]


def test_a_button_whose_data_exceeds_64_bytes_is_left_out() -> None:
    fits = Button("thr:" + "é" * 30, "Fits")  # 64 bytes
    too_long = Button("thr:" + "é" * 31, "Too long")
    assert labels(keyboard((fits, too_long))) == [["Fits"]]
    assert keyboard((too_long,)) is None


def test_an_export_is_a_document_with_its_name_and_a_caption() -> None:
    reply = Reply("Here it is.", attachment=Attachment("export.json", "application/json", b"{}"))
    kwargs = to_send_kwargs(reply)
    document = kwargs["document"]
    assert isinstance(document, InputFile)
    assert (document.filename, document.input_file_content) == ("export.json", b"{}")
    assert kwargs["caption"] == "Here it is."


def test_an_image_is_a_photo() -> None:
    reply = Reply("Your chart.", attachment=Attachment("chart.png", "image/png", b"\x89PNG"))
    assert set(to_send_kwargs(reply)) == {"photo", "caption", "reply_markup"}


def test_a_text_too_long_for_a_caption_is_left_for_a_message() -> None:
    reply = Reply("x" * 1025, attachment=Attachment("a.json", "application/json", b"{}"))
    assert "caption" not in to_send_kwargs(reply)


# --------------------------------------------------------------------------------------------
# split_text and answered_text


def test_a_short_text_is_one_piece() -> None:
    assert split_text("Hello.") == ["Hello."]


def test_a_long_text_is_cut_at_paragraphs_within_the_limit() -> None:
    paragraphs = [f"Paragraph {n}. " + "word " * 150 for n in range(12)]
    text = "\n\n".join(paragraphs)
    pieces = split_text(text)
    assert len(pieces) > 1
    assert all(utf16_len(piece) <= MAX_TEXT for piece in pieces)
    assert all(piece.startswith("Paragraph") for piece in pieces)
    assert " ".join(pieces).split() == text.split()


def test_a_text_without_spaces_is_cut_hard() -> None:
    assert [len(p) for p in split_text("x" * 9000)] == [4096, 4096, 808]


def test_emoji_count_twice_as_telegram_counts_them() -> None:
    pieces = split_text("🙂" * 3000)
    assert [len(p) for p in pieces] == [2048, 952]
    assert all(utf16_len(p) <= MAX_TEXT for p in pieces)


def test_the_answer_is_shown_under_its_question_on_one_line() -> None:
    assert (
        answered_text("What kind?", "Their tone\nchanged") == "What kind?\n\n→ Their tone changed"
    )


def test_an_answered_question_never_exceeds_the_limit() -> None:
    shown = answered_text("q" * 4095, "Romantic")
    assert utf16_len(shown) <= MAX_TEXT
    assert shown.endswith("…\n\n→ Romantic")
