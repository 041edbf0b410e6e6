"""Long polling is one process's: a second process polling with the same token is said plainly
in the log (Telegram answers the older poll 409 Conflict), and a person is still answered."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from telegram.error import BadRequest, Conflict

from adapters.telegram.logs import CONFLICT_EVERY, polling_errors
from tests.standins.telegram_api import TelegramAPI
from tests.support.telegram_bot import Person, make_settings, running_bot

SAID = "another process is polling with this bot token"


async def test_a_second_process_polling_with_the_same_token_is_said_plainly(
    api: TelegramAPI, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="adapters.telegram.logs")
    first = make_settings(api, tmp_path / "one.db")
    second = make_settings(api, tmp_path / "two.db")
    async with running_bot(first, api), running_bot(second, api):
        for _ in range(100):
            if any(SAID in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.05)
        person = Person(api)
        await person.type("/start", "Who is this about?")  # whichever process takes it answers
    said = [r.getMessage() for r in caplog.records if SAID in r.getMessage()]
    assert said, "the conflict went unsaid"
    assert "TELEGRAM_WEBHOOK_URL" in said[0] and "docs/hosting.md" in said[0]
    assert all("Traceback" not in r.getMessage() for r in caplog.records)


def test_the_conflict_is_said_once_a_minute_at_most_and_other_errors_each_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="adapters.telegram.logs")
    now = [1000.0]
    report = polling_errors(lambda: now[0])
    for _ in range(5):
        report(Conflict("Conflict: terminated by other getUpdates request"))
    now[0] += CONFLICT_EVERY
    report(Conflict("Conflict: terminated by other getUpdates request"))
    report(BadRequest("Bad Gateway"))
    messages = [r.getMessage() for r in caplog.records]
    assert sum(SAID in m for m in messages) == 2
    assert sum("getting updates failed" in m for m in messages) == 1
