"""Privacy and care over Telegram, end to end against the Bot API stand-in: the history chart
arrives as a photo, words that suggest harm get help first, and a whole session logged at
DEBUG carries neither the token nor anything the person wrote."""

from __future__ import annotations

import asyncio
import logging
import struct
from datetime import UTC, datetime, timedelta

import pytest

from bot.core import Core
from bot.logs import HumanFormatter
from bot.ports.store import AnswerRow, FinishedRecord, TurnWrite
from dialogs.model import State
from tests.adapters.telegram.test_telegram_flow import KEY, whole_reflection
from tests.standins.telegram_api import TOKEN, USER_ID, TelegramAPI
from tests.support.telegram_bot import Person

CANARY_NAME = "Zorblatt"
CANARY_NOTE = "canary-4d1e the quiet after dinner"


async def two_ratings(core: Core) -> None:
    """Two finished records about one person, stored as the service would."""
    at = datetime(2025, 3, 1, 8, tzinfo=UTC)
    finished = tuple(
        FinishedRecord(
            kind,
            "p1",
            at + timedelta(days=n * 7),
            at + timedelta(days=n * 7),
            (AnswerRow("name", value_text="Sam"), AnswerRow("reciprocity", value_int=n + 2)),
        )
        for n, kind in enumerate(("reflection", "checkin"))
    )
    await core.store.save(
        KEY, TurnWrite(State(intro_seen=True), finished=finished), expected_version=0
    )


async def test_the_history_chart_arrives_as_a_photo(
    bot: Core, person: Person, api: TelegramAPI
) -> None:
    await two_ratings(bot)
    api.send("/history")
    listing = await api.next_message()
    assert listing.kind == "text" and "page 1 of 1" in (listing.text or "")
    photo = await api.next_message()
    assert photo.kind == "photo" and photo.file is not None
    filename, data = photo.file
    assert filename == "threshold-history.png"
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1200, 740)
    assert "How it has felt over time" in (photo.caption or "")


async def test_words_that_suggest_harm_get_help_then_are_you_safe_right_now(
    bot: Core, person: Person, api: TelegramAPI
) -> None:
    await person.type("/start", "Who is this about?")
    await person.type("he hits me", "are you safe right now?")
    assert any("findahelpline.com" in (s.text or "") for s in person.seen)
    assert person.question is not None
    assert person.question.labels == [
        "I'm safe — let's go on gently",
        "I'm safe, but I'd like to stop",
        "No, I'm not safe right now",
    ]
    await person.tap("No, I'm not safe right now", "When you've reached someone")
    assert any("Please reach out now" in (s.text or "") for s in person.seen)
    await person.tap("I'm safe now", "Who is this about?")
    saved = await bot.store.load(KEY)
    assert saved is not None and saved.state.node == "reflect.name"
    assert "he hits me" in str(saved.state.data.get("opening"))  # kept, not taken as a name


async def test_a_whole_session_logged_at_debug_holds_no_token_and_nothing_typed(
    bot: Core, person: Person, api: TelegramAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await whole_reflection(person)
    await person.tap("No, thanks")
    await person.type("/reflect", "Who is this about?")
    await person.type(CANARY_NAME, "What kind of connection is it?")
    await person.type("/cancel", "Stop this reflection here?")
    await person.tap("Yes, stop", "Stopped.")
    await person.type("/checkin", "Which connection")
    await person.tap("Sam (romantic)", "Anything new with Sam")
    await person.type(CANARY_NOTE, "Is this connection still serving me?")
    api.send("/history")
    await api.next_message()
    api.send("/export")
    await api.next_message()
    await person.type("/forget", "Go on with it, or leave it")
    await person.tap("Start the deletion", "Delete everything?")
    await person.tap("Yes, delete everything", "Everything is deleted.")

    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records
    )
    assert len(caplog.records) > 20, "the session should have been logged"
    for secret in (TOKEN, TOKEN.split(":", 1)[1], CANARY_NAME, CANARY_NOTE, "Some days are fine."):
        assert secret not in logged, f"{secret!r} reached the logs"


async def test_logs_name_the_person_by_pseudonym_never_their_telegram_id(
    bot: Core, person: Person, api: TelegramAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await person.type("/start", "Who is this about?")
    await person.type("he hits me", "are you safe right now?")
    await person.tap("I'm safe, but I'd like to stop", "We'll stop here")
    api.blocks_the_bot()  # logged at INFO, with who it was
    for _ in range(200):
        if any("blocked the bot" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.02)
    lines = [HumanFormatter().format(r) for r in caplog.records]
    assert any("blocked the bot" in line for line in lines)
    assert any(str(KEY) in line for line in lines) and str(KEY).startswith("telegram~")
    for line in lines:
        assert str(USER_ID) not in line, line
    above_debug = [f for r, f in zip(caplog.records, lines, strict=True) if r.levelno > 10]
    assert not any("safety" in line.split(": ", 1)[-1] for line in above_debug)
