"""The whole product in a Discord DM, through the real discord.py client and the real core."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.settings import Settings
from tests.standins.discord_api import DiscordAPI
from tests.support.discord_bot import Person, buttons, running_bot


def _records(db_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db_path) as db:
        return list(db.execute("SELECT kind, person_id FROM records"))


def _answer(db_path: Path, question: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db_path) as db:
        query = "SELECT value_text, value_choice, value_int FROM answers WHERE question = ?"
        return list(db.execute(query, (question,)))


async def test_a_whole_reflection_in_dms_with_buttons_and_typed_answers(
    bot: object, alex: Person, db_path: Path
) -> None:
    await alex.say("hi")
    assert "not a therapist" in alex.dm_messages()[0]["content"]
    await alex.say("Jordan")
    await alex.press("Friendship")
    asked = alex.question()
    await alex.press("Their tone changed")
    await alex.press("Growing distance")
    toggled = alex.api.messages[int(asked["id"])]
    assert sum(label.startswith("✓") for label, _ in buttons(toggled)) == 2
    await alex.press("Done", toggled)
    await alex.say("a pattern")
    await alex.press("Partly")
    await alex.say("It used to, a long time ago.")
    await alex.press("No")
    await alex.press("2")
    await alex.press("Skip")
    await alex.press("Some of both")
    await alex.say("/skip")
    await alex.press("Draining")
    await alex.press("Done")
    await alex.press("No")
    await alex.say("I see value in myself.")
    await alex.press("Set a boundary")
    await alex.press("In a week")
    texts = [m["content"] for m in alex.dm_messages()]
    assert any("Here is what you wrote today." in t for t in texts)
    await alex.press("No, thanks")
    assert _records(db_path) == [("reflection", "p1")]
    assert _answer(db_path, "name") == [("Jordan", None, None)]
    assert _answer(db_path, "pattern") == [(None, "pattern", None)]
    assert _answer(db_path, "reciprocity") == [(None, None, 2)]
    shown = alex.dm_messages()
    assert [m for m in shown if buttons(m)] == [], "every answered question lost its buttons"

    await alex.say("/history")  # each record with a few own words, and a button to read it
    listing = alex.question()
    assert "— “I see value in myself.”" in listing["content"]
    ((label, _),) = buttons(listing)
    await alex.press(label, listing)
    record = alex.dm_messages()[-1]["content"]
    assert "   your note: “It used to, a long time ago.”" in record
    assert "Your line: “I see value in myself.”" in record
    assert all(len(m["content"]) <= 2000 for m in shown)


async def test_a_button_pressed_after_a_restart_still_answers(
    api: DiscordAPI, settings: Settings, alex: Person, db_path: Path
) -> None:
    async with running_bot(settings, api):
        await alex.say("hi")
        await alex.say("Jordan")
        question = alex.question()
    async with running_bot(settings, api):
        await alex.press("Friendship", question)
    edited = api.messages[int(question["id"])]
    assert edited["content"].endswith("→ Friendship")
    assert buttons(edited) == []
    assert alex.dm_messages()[-1]["content"].startswith("What has shifted with Jordan?")


async def test_a_stale_button_is_answered_and_changes_nothing(
    bot: object, alex: Person, api: DiscordAPI
) -> None:
    await alex.say("hi")
    await alex.say("Jordan")
    old = alex.question()
    await alex.press("Family", old)
    count = len(alex.dm_messages())
    custom_id = dict(buttons(old))["Friendship"]
    interaction = await api.press(alex.user, old, custom_id)
    await api.settle()
    notice = [m for m in alex.dm_messages()[count:] if m["flags"] & 64]
    assert len(notice) == 1
    assert "earlier question" in notice[0]["content"]
    assert api.messages[int(old["id"])]["content"].endswith("→ Family")
    assert interaction.acked is not None
    assert alex.dm_messages()[-1]["content"].startswith("What has shifted with Jordan?")


async def test_a_double_click_is_applied_once(
    bot: object, alex: Person, api: DiscordAPI, db_path: Path
) -> None:
    await alex.say("hi")
    await alex.say("/skip")
    question = alex.question()
    custom_id = dict(buttons(question))["Romantic"]
    first, second = await asyncio.gather(
        api.press(alex.user, question, custom_id),
        api.press(alex.user, question, custom_id),
    )
    await api.settle()
    assert first.acked is not None and second.acked is not None
    answered = [m for m in alex.dm_messages() if m["content"].endswith("→ Romantic")]
    assert len(answered) == 1
    notices = [m for m in alex.dm_messages() if m["flags"] & 64]
    assert len(notices) == 1
    signals = [m for m in alex.dm_messages() if m["content"].startswith("What has shifted")]
    assert 1 <= len(signals) <= 2  # the question, and perhaps asked again after the notice
    await alex.press("Slow or no replies")
    await alex.press("Done")
    await alex.press("A one-off")
    with sqlite3.connect(db_path) as db:
        (state,) = db.execute("SELECT state FROM conversations").fetchone()
    assert state.count('"reflect.kind"') == 1  # answered once in the trail


async def test_an_attachment_gets_a_short_kind_answer(bot: object, alex: Person) -> None:
    await alex.say("hi")
    await alex.say(attachments=1)
    texts = [m["content"] for m in alex.dm_messages()]
    assert any("can't take in a photo" in t for t in texts)
    await alex.say(sticker=True)
    assert any("can't take in a sticker" in m["content"] for m in alex.dm_messages())
    assert alex.dm_messages()[-1]["content"].startswith("Who is this about?")


async def test_a_3000_character_message_is_taken_whole_and_nothing_sent_is_over_2000(
    bot: object, alex: Person, api: DiscordAPI, db_path: Path
) -> None:
    await alex.say("hi")
    await alex.say("Jordan")
    await alex.press("Friendship")
    await alex.press("Growing distance")
    await alex.press("Done")
    await alex.press("A pattern")
    await alex.press("Yes")
    note = ("It used to feel easy. " * 150)[:3000]
    await alex.say(note)
    heard, asked = alex.question()["content"].split("\n\n")  # the line heard, then the question
    assert asked == "Is it reciprocal?" and heard
    assert all(len(m["content"]) <= 2000 for m in api.messages.values())
    await alex.say("/cancel")  # answers given: asked once, and a second /cancel is the answer
    await alex.say("/cancel")
    with sqlite3.connect(db_path) as db:
        (state,) = db.execute("SELECT state FROM conversations").fetchone()
    assert '"serving_note"' not in state  # cancelled: nothing kept of the flow


async def test_a_typed_slash_command_in_a_dm_is_a_command(bot: object, alex: Person) -> None:
    await alex.say("hi")
    await alex.say("/cancel")
    assert alex.dm_messages()[-1]["content"].startswith("Stopped. Nothing from this reflection")
    await alex.say("/help")
    assert "/reflect" in alex.dm_messages()[-1]["content"]


async def test_the_bots_own_messages_and_other_bots_are_ignored(
    bot: object, alex: Person, api: DiscordAPI
) -> None:
    await alex.say("hi")
    sent = len(api.messages)
    await api.settle(quiet=0.3)
    assert len(api.messages) == sent  # its own MESSAGE_CREATEs came back and were not answered
