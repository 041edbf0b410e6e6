"""End to end: the real bot (PTB ``Application``, PTB's HTTP client, the real core on an SQLite
file) against the Bot API stand-in, which plays the person."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from bot.core import Core
from bot.ports.store import UserKey
from bot.sqlite.export import NOT_PERSONAL
from tests.standins.telegram_api import USER_ID, USERNAME, TelegramAPI
from tests.support.telegram_bot import Person, make_settings, running_bot

KEY = UserKey("telegram", str(USER_ID))
NAME_Q = "Who is this about?"
KIND_Q = "What kind of connection is it?"
SIGNALS_Q = "What has shifted with Sam?"
PATTERN_Q = "a one-off, or a pattern?"


async def begin(person: Person) -> None:
    """``/start`` → the intro and the first question; a name; the kind of connection."""
    await person.type("/start", NAME_Q)
    await person.type("Sam", KIND_Q)
    await person.tap("Romantic", SIGNALS_Q)


async def whole_reflection(person: Person) -> None:
    await begin(person)
    signals = person.question
    assert signals is not None
    asked = signals.text
    assert await person.tap("Their tone changed") == ""
    assert await person.tap("Growing distance") == ""
    await person.tap("Done", PATTERN_Q)
    assert person.now(signals).text == f"{asked}\n\n→ Their tone changed, Growing distance"
    pattern = person.question
    assert pattern is not None
    assert pattern.text == "Does this feel like a one-off, or a pattern?"
    await person.type("a pattern", "Is this connection still serving me?")
    assert person.now(pattern).text == f"{pattern.text}\n\n→ A pattern"
    assert person.now(pattern).buttons == []
    await person.tap("Partly", "Anything you'd like to note about that?")
    await person.type("Some days are fine.", "Is it reciprocal?")
    await person.tap("Sometimes", "Who carries the effort")
    await person.tap("2", "give and take")
    await person.tap("Skip", "Am I staying because of love")
    await person.tap("Fear of being alone", "Anything you'd like to note")
    await person.tap("Skip", "Is this relationship any of these")
    await person.tap("Draining")
    await person.tap("Done", "Am I begging for love")
    await person.tap("Sometimes", "Closure often doesn't come")
    await person.type("I see value in myself.", "what feels right for now?")
    await person.tap("Set a boundary", "Shall I check in with you")
    await person.tap("In a week", "Here is what you wrote today.")
    await person.until("Would you like a short line from the essay")


async def test_a_whole_reflection_through_buttons_and_typed_answers(
    bot: Core, person: Person, api: TelegramAPI
) -> None:
    await whole_reflection(person)

    card = next(s for s in person.seen if "Here is what you wrote today." in (s.text or ""))
    assert "Set a boundary" in (card.text or "")
    history = await bot.store.history(KEY)
    assert [item.kind for item in history.items] == ["reflection"]
    assert history.items[0].answers["decision"] == "boundary"
    assert history.items[0].answers["reciprocity"] == 2
    assert [c["command"] for c in api.commands] == [
        "reflect", "checkin", "history", "mantras", "safety", "export", "forget", "help", "cancel"
    ]  # fmt: skip
    live = [s for s in person.seen if person.now(s).buttons]
    assert [s.message_id for s in live] == [person.seen[-1].message_id], "one live keyboard"


async def test_back_and_cancel(bot: Core, person: Person) -> None:
    await person.type("/reflect", NAME_Q)
    await person.type("Sam", KIND_Q)
    await person.type("/back", NAME_Q)
    await person.type("/cancel", "Stop this reflection here?")  # a name was given: asked once
    await person.tap("Yes, stop", "Stopped. Nothing from this reflection was kept.")

    saved = await bot.store.load(KEY)
    assert saved is not None
    assert (saved.state.flow, saved.state.data) == (None, {})


async def test_a_restart_mid_reflection_resumes_at_the_same_question(
    api: TelegramAPI, db_path: Path, person: Person
) -> None:
    settings = make_settings(api, db_path)
    async with running_bot(settings, api):
        await begin(person)
    signals = person.question
    assert signals is not None

    async with running_bot(make_settings(api, db_path), api) as core:
        await person.tap("Their tone changed")  # a button from before the restart still works
        assert "✓" in str(person.now(signals).labels)
        welcome = await person.type("/start", "Welcome back")
        assert SIGNALS_Q in (welcome.text or "")  # the greeting and the question, one message
        saved = await core.store.load(KEY)
        assert saved is not None
        assert saved.state.node == "reflect.signals"
        assert saved.state.data["signals"] == ["tone"]


async def test_a_stale_button_is_answered_and_never_applied(
    bot: Core, person: Person, api: TelegramAPI
) -> None:
    await person.type("/start", NAME_Q)
    await person.type("Sam", KIND_Q)
    kind = person.question
    assert kind is not None
    old_family = kind.button("Family")["callback_data"]
    await person.tap("Romantic", SIGNALS_Q)

    query = api.press_data(kind, old_family)
    answered = await api.next_call("answerCallbackQuery", callback_query_id=query)
    assert "earlier question" in answered.params["text"]
    await person.until(SIGNALS_Q)  # asked again
    saved = await bot.store.load(KEY)
    assert saved is not None
    assert (saved.state.node, saved.state.data["kind"]) == ("reflect.signals", "romantic")


async def test_a_double_tapped_button_is_applied_once(
    bot: Core, person: Person, api: TelegramAPI
) -> None:
    await person.type("/start", NAME_Q)
    await person.type("Sam", KIND_Q)
    kind = person.question
    assert kind is not None
    first = api.press(kind, "Romantic")
    second = api.press(kind, "Romantic")

    toasts = [
        (await api.next_call("answerCallbackQuery", callback_query_id=q)).params.get("text")
        for q in (first, second)
    ]
    assert toasts[0] is None
    assert "earlier question" in str(toasts[1])
    await person.until(SIGNALS_Q)
    assert person.now(kind).text == f"{KIND_Q}\n\n→ Romantic"
    saved = await bot.store.load(KEY)
    assert saved is not None
    assert saved.state.trail.count("reflect.kind") == 1


async def test_a_sticker_gets_a_kind_answer_and_the_question_again(
    bot: Core, person: Person, api: TelegramAPI
) -> None:
    await person.type("/start", NAME_Q)
    api.send_message(
        sticker={
            "file_id": "s1",
            "file_unique_id": "s1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
    )
    await person.until("can't take in a sticker")
    await person.until(NAME_Q)


async def test_a_photo_gets_a_kind_answer(bot: Core, person: Person, api: TelegramAPI) -> None:
    await person.type("/start", NAME_Q)
    photo = [{"file_id": "p1", "file_unique_id": "p1", "width": 90, "height": 90}]
    api.send_message(photo=photo, caption="this is them")
    await person.until("can't take in a photo")
    await person.until(NAME_Q)


async def test_a_5000_character_message_gets_a_kind_answer_and_is_not_kept(
    bot: Core, person: Person, api: TelegramAPI
) -> None:
    await person.type("/start", NAME_Q)
    await person.type("x" * 5000, "longer than I can take in one go")
    saved = await bot.store.load(KEY)
    assert saved is not None
    assert "name" not in saved.state.data
    assert saved.state.node == "reflect.name"


async def test_an_edited_message_gets_a_kind_answer_and_changes_nothing(
    bot: Core, person: Person, api: TelegramAPI
) -> None:
    await person.type("/start", NAME_Q)
    typed = api.send("Sam")
    await person.until(KIND_Q)
    api.edited(typed, "Alex")
    await person.until("I saw you edited a message")
    saved = await bot.store.load(KEY)
    assert saved is not None
    assert saved.state.data["name"] == "Sam"


async def test_a_group_checkin_leaks_nothing_and_offers_the_private_link(
    bot: Core, person: Person, api: TelegramAPI
) -> None:
    group = api.group()
    api.send("/checkin", chat_id=group, user_id=USER_ID)
    pointer = await api.next_message(group)
    assert pointer.buttons == [
        {"text": "Continue privately", "url": f"https://t.me/{USERNAME}?start=checkin"}
    ]
    api.send("my partner ignores me", chat_id=group, user_id=USER_ID)
    api.send("/checkin@some_other_bot", chat_id=group, user_id=USER_ID)
    api.send("/reflect", chat_id=group, user_id=USER_ID)  # a group hears once every few minutes
    assert await api.quiet(group, seconds=0.3) == []
    assert await api.quiet(USER_ID, seconds=0.1) == []
    assert await bot.store.load(KEY) is None, "nothing about the person was stored"

    await person.type("/start checkin", "Who is this about? A first name")  # the deep link
    saved = await bot.store.load(KEY)
    assert saved is not None
    assert saved.state.flow == "checkin"


async def test_export_arrives_as_a_document(bot: Core, person: Person, api: TelegramAPI) -> None:
    await begin(person)
    api.send("/export")
    sent = await api.next_message()
    assert sent.kind == "document"
    assert sent.file is not None
    filename, data = sent.file
    document = json.loads(data)
    assert filename == "threshold-export.json"
    assert document["format"] == "threshold.export/1"
    assert "Here is everything" in (sent.caption or "")


async def test_forget_after_confirmation_leaves_nothing_of_the_person(
    bot: Core, person: Person, db_path: Path
) -> None:
    await whole_reflection(person)
    await person.tap("No, thanks")
    assert _rows(db_path)["records"] == 1
    await person.type("/forget", "Delete everything?")
    await person.tap("Yes, delete everything", "Everything is deleted.")

    assert await bot.store.load(KEY) is None
    assert {table: n for table, n in _rows(db_path).items() if n} == {}


def _rows(db_path: Path) -> dict[str, int]:
    """Rows in every table but the migration log."""
    with sqlite3.connect(db_path) as conn:
        tables = [
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if name not in NOT_PERSONAL and not name.startswith("sqlite_")
        ]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


async def test_each_typed_note_is_heard_and_history_gives_the_words_back(
    bot: Core, person: Person
) -> None:
    await whole_reflection(person)
    heard = bot.script.listening
    lines = {*heard.fallback, *(line for t in heard.themes for line in t.lines)}
    lines |= {line for node in heard.nodes.values() for line in node.lines}
    # two notes, each heard once: the line leads the message of the question that follows it
    opened = [(s.text or "").split("\n\n")[0] for s in person.seen]
    assert sum(first in lines for first in opened) == 2
    await person.tap("No, thanks", "here whenever you want them")
    listing = await person.type("/history", "Your reflections and check-ins")
    (label,) = listing.labels
    assert label.startswith("Read ") and label.endswith(" · Sam")
    await person.tap(label, "Your line: “I see value in myself.”")
    record = person.question
    assert record is not None and "your note: “Some days are fine.”" in (record.text or "")
