"""``/history`` gives a person's own words back: each listed record has a few of them and a
button that opens the whole record as its card. Through the real service and store."""

from __future__ import annotations

from bot.conversations import Conversations
from bot.sqlite.store import SqliteStore
from dialogs.model import Pick
from tests.support.chats import REFLECTION, Chat, Clock, chat_for, play


async def reflected(chat: Chat) -> None:
    await chat.command("reflect")
    await play(chat, REFLECTION)
    await chat.press("no")


async def test_each_record_in_the_listing_has_a_few_of_the_persons_words(chat: Chat) -> None:
    await reflected(chat)
    (listing,) = await chat.command("history")
    line = listing.text.splitlines()[1]
    assert line.endswith("— “I see value in myself.”")
    assert [b.label for b in listing.buttons] == ["Read 1 Mar 2025 · Sam"]


async def test_reading_a_record_shows_its_card_with_every_note_and_the_closing_line(
    chat: Chat,
) -> None:
    await reflected(chat)
    await chat.command("history")
    (record,) = await chat.event(Pick(chat.last[0].buttons[0].data, chat.clock.advance(minutes=1)))
    lines = record.text.splitlines()
    assert lines[0] == "1 Mar 2025 · reflection"
    for shown in (
        "About Sam · Romantic",
        "   your note: “Some days are fine.”",
        "   your note: “I plan everything.”",
        "Your line: “I see value in myself.”",
        "Your decision: Set a boundary",
    ):
        assert shown in lines


async def test_reading_a_record_leaves_the_question_open_as_it_was(
    chat: Chat, sqlite_store: SqliteStore
) -> None:
    await reflected(chat)
    await chat.command("history")
    button = chat.last[0].buttons[0].data
    await chat.command("reflect")
    await chat.send("Robin")
    before = await sqlite_store.load(chat.key)
    await chat.event(Pick(button, chat.clock.advance(minutes=1)))
    after = await sqlite_store.load(chat.key)
    assert before is not None and after is not None
    assert (after.state.node, after.state.ask, after.state.data) == (
        before.state.node,
        before.state.ask,
        before.state.data,
    )


async def test_another_persons_record_id_on_a_forged_button_shows_nothing_of_theirs(
    service: Conversations, clock: Clock
) -> None:
    ann = chat_for(service, clock, "ann")
    await reflected(ann)
    await ann.command("history")
    anns_button = ann.last[0].buttons[0].data
    bob = chat_for(service, clock, "bob")
    (reply,) = await bob.event(Pick(anns_button, clock.advance(minutes=1)))
    assert reply.text == "I couldn't find that one. /history shows what there is."
    assert "I see value in myself." not in reply.text


async def test_a_forged_record_button_that_is_not_a_number_is_not_read(chat: Chat) -> None:
    replies = await chat.event(Pick("thr:core.record:1;drop:0", chat.clock.advance(minutes=1)))
    assert replies[0].text.startswith("I couldn't read that button")
