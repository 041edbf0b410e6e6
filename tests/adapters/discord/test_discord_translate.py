"""Translation between Discord and the core, on real discord.py objects built from raw payloads."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from adapters.discord.translate import (
    address_of,
    answered_text,
    command_events,
    is_unreachable,
    merge_turns,
    message_to_event,
    modal_event,
    pick_event,
    send_kwargs,
    split_text,
    timezone_choices,
    user_key,
)
from adapters.discord.views import WRITE_ID, ChoiceButton, WriteButton
from bot.ports.store import Address, UserKey
from dialogs.model import Attachment, Button, Command, Pick, Reply, Text, Unsupported
from tests.support.words import SAY

AT = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
ZONES = frozenset(zoneinfo.available_timezones())
PERSON = {"id": "42", "username": "alex", "discriminator": "0", "avatar": None}
KINDS = (
    Button("thr:reflect.kind:romantic:3", "Romantic"),
    Button("thr:reflect.kind:work:3", "Work"),
)


@pytest.fixture(scope="module")
def state() -> Any:
    return discord.Client(intents=discord.Intents.none())._connection


def message(state: Any, content: str = "", **fields: Any) -> discord.Message:
    data: dict[str, Any] = {
        "id": "1000",
        "channel_id": "2000",
        "type": 0,
        "content": content,
        "author": PERSON,
        "attachments": [],
        "embeds": [],
        "timestamp": AT.isoformat(),
        "flags": 0,
        **fields,
    }
    guild_id = data.get("guild_id")
    if guild_id is None:
        channel: Any = discord.DMChannel._from_message(state, 2000)
    else:
        channel = discord.PartialMessageable(state=state, id=2000, guild_id=int(guild_id))
    return discord.Message(state=state, channel=channel, data=data)  # type: ignore[arg-type]


def attachment(content_type: str | None) -> dict[str, Any]:
    found = {"id": "1", "filename": "x", "size": 1, "url": "", "proxy_url": ""}
    return found | ({"content_type": content_type} if content_type else {})


# --------------------------------------------------------------------------------------------
# Discord → core


@pytest.mark.parametrize(
    "text",
    ["Sam", "  spaces kept  ", "🙂🙂", "\u202eright-to-left \u05e9\u05dc\u05d5\u05dd", "x" * 3000],
)
def test_a_direct_message_is_text_exactly_as_typed(state: Any, text: str) -> None:
    assert message_to_event(message(state, text), AT) == Text(text, AT)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/cancel", Command("cancel", AT)),
        ("/Reflect", Command("reflect", AT)),
        (" /skip ", Command("skip", AT)),
        ("/history 2", Command("history", AT, arg="2")),
        ("/nosuchthing", Command("nosuchthing", AT)),
    ],
)
def test_a_typed_slash_command_in_a_dm_is_a_command(
    state: Any, text: str, expected: Command
) -> None:
    assert message_to_event(message(state, text), AT) == expected


@pytest.mark.parametrize("text", ["/", "/ not a command", "a/b", "//cancel"])
def test_a_slash_that_is_not_a_command_is_text(state: Any, text: str) -> None:
    assert message_to_event(message(state, text), AT) == Text(text, AT)


@pytest.mark.parametrize(
    ("fields", "what", "words"),
    [
        (
            {"sticker_items": [{"id": "1", "name": "wave", "format_type": 1}]},
            "sticker",
            "a sticker",
        ),
        ({"attachments": [attachment("image/png")]}, "photo", "a photo"),
        ({"attachments": [attachment("video/mp4")]}, "video", "a video"),
        ({"attachments": [attachment("application/pdf")]}, "document", "a file"),
        ({"attachments": [attachment(None)]}, "document", "a file"),
        ({"attachments": [attachment("audio/ogg")], "flags": 1 << 13}, "voice", "a voice message"),
        ({}, "empty", "an empty message"),
    ],
)
def test_what_is_not_text_gets_named_for_a_kind_answer(
    state: Any, fields: dict[str, Any], what: str, words: str
) -> None:
    assert message_to_event(message(state, **fields), AT) == Unsupported(what, AT)
    assert SAY(f"thing.{what}") == words  # how the content names it to the person


def test_a_photo_with_a_caption_is_its_caption(state: Any) -> None:
    found = message(state, "this is them", attachments=[attachment("image/png")])
    assert message_to_event(found, AT) == Text("this is them", AT)


def test_bots_servers_and_system_messages_are_not_answered(state: Any) -> None:
    assert message_to_event(message(state, "hi", author={**PERSON, "bot": True}), AT) is None
    assert message_to_event(message(state, "hi", guild_id="77"), AT) is None
    assert message_to_event(message(state, "hi", type=6), AT) is None  # a pin notice


@pytest.mark.parametrize(
    ("name", "options", "expected"),
    [
        ("checkin", {}, [Command("checkin", AT)]),
        ("history", {"page": None}, [Command("history", AT)]),
        ("history", {"page": 3}, [Command("history", AT, arg="3")]),
        ("mantras", {}, [Command("mantras", AT)]),
        ("mantras", {"turn": "off", "time": "7:00"}, [Command("mantras", AT, "off")]),
        ("mantras", {"turn": "on"}, [Command("mantras", AT, "on")]),
        (
            "mantras",
            {"turn": "on", "time": "7:30", "timezone": "Europe/Berlin", "frequency": "daily"},
            [Command("mantras", AT, "on 7:30 Europe/Berlin daily")],
        ),
        (
            "mantras",
            {"time": "9pm", "timezone": "New York", "frequency": "fri"},
            [Command("mantras", AT, "9pm New_York fri")],
        ),
    ],
)
def test_slash_commands_become_core_events(
    name: str, options: dict[str, object], expected: list[object]
) -> None:
    assert list(command_events(name, options, AT)) == expected


def test_merged_turns_show_only_what_was_not_answered_by_the_next_event() -> None:
    first = [Reply("Intro"), Reply("Menu?", "ask", KINDS)]
    second = [Reply("Choose a schedule", "answer"), Reply("Time?", "ask", KINDS)]
    last = [Reply("09:00", "answer"), Reply("Done.")]
    assert merge_turns([first, second, last]) == [Reply("Intro"), Reply("Done.")]
    assert merge_turns([last]) == last
    assert merge_turns([]) == []


def test_a_pressed_button_is_a_pick_of_its_id_unchanged() -> None:
    assert pick_event("thr:reflect.kind:work:3", AT) == Pick("thr:reflect.kind:work:3", AT)
    assert pick_event("forged", AT) == Pick("forged", AT)


@pytest.mark.parametrize(
    "components",
    [
        [{"type": 1, "components": [{"type": 4, "custom_id": "answer", "value": "Jordan"}]}],
        [{"type": 18, "component": {"type": 4, "custom_id": "answer", "value": "Jordan"}}],
    ],
)
def test_the_answer_modal_is_the_text_typed(components: list[dict[str, Any]]) -> None:
    data = {"custom_id": "thr-answer", "components": components}
    assert modal_event(data, AT) == Text("Jordan", AT)


def test_a_modal_without_the_answer_input_is_no_event() -> None:
    assert modal_event({"custom_id": "thr-answer", "components": []}, AT) is None
    other = [{"type": 1, "components": [{"type": 4, "custom_id": "x", "value": "y"}]}]
    assert modal_event({"components": other}, AT) is None


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("berl", "Europe/Berlin"),
        ("Europe/Lisbon", "Europe/Lisbon"),
        ("new york", "America/New_York"),
        ("TOKYO", "Asia/Tokyo"),
        ("mumbai", "Asia/Kolkata"),
    ],
)
def test_time_zone_choices_put_the_likeliest_first(typed: str, first: str) -> None:
    choices = timezone_choices(typed, ZONES, {"mumbai": "Asia/Kolkata"})
    assert choices[0][1] == first
    assert all(zone in ZONES for _, zone in choices)


def test_time_zone_choices_are_at_most_25_and_common_ones_come_first() -> None:
    assert len(timezone_choices("a", ZONES)) == 25
    assert timezone_choices("", ZONES)[0] == ("UTC", "UTC")
    assert timezone_choices("zzzz", ZONES) == []


def test_keys_and_addresses_are_the_discord_ids() -> None:
    assert user_key(42) == UserKey("discord", "42")
    assert address_of(2000) == Address("discord", "2000")


# --------------------------------------------------------------------------------------------
# core → Discord


def test_a_question_sends_its_buttons_as_persistent_items() -> None:
    (kwargs,) = send_kwargs(Reply("What kind?", "ask", KINDS))
    view = kwargs["view"]
    assert kwargs["content"] == "What kind?"
    assert all(isinstance(item, ChoiceButton) for item in view.children)
    assert [item.custom_id for item in view.children] == [b.data for b in KINDS]
    assert view.timeout is None


def test_the_write_button_is_added_only_where_asked_and_typing_is_accepted() -> None:
    typed = Reply("Who?", "ask", free_text=True)
    (plain,) = send_kwargs(typed)
    assert "view" not in plain
    (ephemeral,) = send_kwargs(typed, write_label="Write answer")
    (item,) = ephemeral["view"].children
    assert isinstance(item, WriteButton) and item.custom_id == WRITE_ID
    (choices_only,) = send_kwargs(Reply("Kind?", "ask", KINDS), write_label="Write answer")
    assert len(choices_only["view"].children) == 2


def test_buttons_that_could_not_come_back_or_do_not_fit_are_left_out() -> None:
    many = tuple(Button(f"thr:n.x:o{i}:1", "label " * 30) for i in range(30))
    too_long = Button("thr:" + "x" * 100, "Too long")
    (kwargs,) = send_kwargs(Reply("?", "ask", (too_long, *many)))
    children = kwargs["view"].children
    assert len(children) == 25
    assert all(len(item.item.label) <= 80 for item in children)
    assert too_long.data not in [item.custom_id for item in children]


def test_a_long_text_is_split_and_the_buttons_and_file_go_last() -> None:
    text = ("A paragraph that goes on. " * 40 + "\n\n") * 3
    file = Attachment("threshold-export.json", "application/json", b"{}")
    calls = send_kwargs(Reply(text, "ask", KINDS, attachment=file))
    assert len(calls) == 3  # one paragraph each: two would not fit in one message
    assert all(len(c["content"]) <= 2000 for c in calls)
    assert "view" not in calls[0] and "file" not in calls[0]
    assert calls[-1]["file"].filename == "threshold-export.json"
    assert calls[-1]["view"] is not None


def test_a_file_without_text_sends_no_empty_content() -> None:
    (kwargs,) = send_kwargs(Reply("", attachment=Attachment("a.png", "image/png", b"x")))
    assert "content" not in kwargs


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("short", ["short"]),
        ("", [""]),
        ("a" * 2000, ["a" * 2000]),
        ("a" * 3000, ["a" * 2000, "a" * 1000]),
        ("x " * 1500, None),
        ("para one\n\n" + "b" * 1995, ["para one", "b" * 1995]),
    ],
)
def test_split_text_cuts_at_2000_characters(text: str, pieces: list[str] | None) -> None:
    found = split_text(text)
    assert all(len(p) <= 2000 for p in found)
    if pieces is not None:
        assert found == pieces
    assert "".join("".join(found).split()) == "".join(text.split())  # only spaces dropped


def test_an_answered_question_shows_the_answer_under_it() -> None:
    assert answered_text("What kind?", "Work") == "What kind?\n\n→ Work"
    long = answered_text("q" * 2000, "Work")
    assert len(long) <= 2000
    assert long.endswith("→ Work")


@pytest.mark.parametrize(
    ("status", "code", "unreachable"),
    [
        (403, 50007, True),
        (403, 50001, True),
        (400, 50007, True),
        (500, 0, False),
        (404, 10003, False),
    ],
)
def test_unreachable_means_dms_closed_or_forbidden(
    status: int, code: int, unreachable: bool
) -> None:
    response = SimpleNamespace(status=status, reason="x")
    error = discord.HTTPException(response, {"code": code, "message": "x"})  # type: ignore[arg-type]
    assert is_unreachable(error) is unreachable
