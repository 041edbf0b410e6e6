"""Care through the terminal chat, on the real core and SQLite file: a disclosure, the direct
question and each answer's path, mantras paused and resumed, a second disclosure, a very low
feeling, and a safety plan built, shown, exported and forgotten."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.console import run_console
from bot.core import Core, open_core
from bot.settings import Settings
from tests.support.clocks import Ticking

START = datetime(2025, 3, 1, 21, 0, tzinfo=UTC)
"""A Saturday evening."""


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    database = tmp_path / "data" / "threshold.db"
    settings = Settings(_env_file=None, database_url=f"sqlite:///{database}")
    async with open_core(settings) as opened:
        yield opened


async def chat(core: Core, lines: list[str], clock: Ticking | None = None) -> str:
    out = io.StringIO()
    typed = "".join(f"{line}\n" for line in lines)
    await run_console(
        core, stdin=io.StringIO(typed), stdout=out, user_id="tester", clock=clock or Ticking(START)
    )
    return out.getvalue()


def stored_state(core: Core) -> dict[str, object]:
    with sqlite3.connect(core.settings.sqlite_path) as db:
        (state,) = db.execute("SELECT state FROM conversations").fetchone()
    loaded: dict[str, object] = json.loads(state)
    return loaded


async def test_a_disclosure_asks_if_they_are_safe_and_safe_goes_on_gently(core: Core) -> None:
    shown = await chat(core, ["Sam", "1", "1 2", "2", "2", "I don't want to be here anymore", "1"])
    assert "Before anything else: are you safe right now?" in shown
    assert "  1) I'm safe — let's go on gently" in shown
    after = shown[shown.index("→ I'm safe — let's go on gently") :]
    assert "I'm glad you're safe right now." in after
    assert "Is it reciprocal?" in after
    assert "non-negotiable" not in shown


async def test_not_safe_puts_help_first_and_nothing_else_is_asked(core: Core) -> None:
    shown = await chat(core, ["Sam", "1", "1 2", "2", "2", "I want to kill myself", "3"])
    after = shown[shown.index("→ No, I'm not safe right now") :]
    assert after.index("Please reach out now") < after.index("findahelpline.com")
    assert "Is it reciprocal?" not in after
    assert "  1) I'm safe now" in after and "  2) Make a safety plan" in after


async def test_safe_but_stop_keeps_the_reflection_to_take_up(core: Core) -> None:
    shown = await chat(core, ["Sam", "1", "1 2", "2", "2", "he hits me", "2"])
    assert "What you've written is kept" in shown
    assert "nothing from this reflection was kept" not in shown.casefold()
    again = await chat(core, ["/reflect"])
    assert "Welcome back. We were in the middle of your reflection" in again
    assert "Is it reciprocal?" in again


async def test_a_disclosure_pauses_mantras_and_resume_brings_them_back(core: Core) -> None:
    await chat(core, ["/cancel", "/mantras 09:00 UTC daily"])
    shown = await chat(core, ["I don't want to be here anymore", "1"])
    assert "I've paused your scheduled mantras for the next 48 hours" in shown
    assert "  1) Resume mantras now" in shown
    with sqlite3.connect(core.settings.sqlite_path) as db:
        (next_due, gentle) = db.execute(
            "SELECT next_due_utc, gentle_until FROM mantra_subscriptions"
        ).fetchone()
    assert next_due >= (START + timedelta(hours=48)).isoformat()
    assert gentle >= (START + timedelta(hours=48)).isoformat()
    resumed = await chat(core, ["I don't want to be here anymore", "1", "1"])
    assert "Mantras are back on." in resumed
    with sqlite3.connect(core.settings.sqlite_path) as db:
        (next_due, gentle) = db.execute(
            "SELECT next_due_utc, gentle_until FROM mantra_subscriptions"
        ).fetchone()
    assert next_due < (START + timedelta(hours=48)).isoformat()  # on again
    assert gentle >= (START + timedelta(hours=48)).isoformat()  # the held lines still wait


async def test_a_second_disclosure_the_same_day_is_answered_as_a_second_one(core: Core) -> None:
    shown = await chat(core, ["I want to die", "1", "/cancel", "I want to die"])
    assert shown.count("Thank you for telling me. What you wrote sounds really heavy") == 1
    assert "You've told me something heavy again today" in shown


async def test_the_next_conversation_asks_how_they_are_since(core: Core) -> None:
    clock = Ticking(START)
    await chat(core, ["I want to die", "2"], clock)
    clock.now += timedelta(days=1)
    shown = await chat(core, ["1", "/reflect"], clock)
    assert "Last time we talked, things felt very heavy. How are you since then?" in shown
    assert "I'm glad to hear that." in shown
    assert shown.count("How are you since then?") == 1


async def test_a_feeling_of_one_gets_care_and_the_resources_not_a_mantra(core: Core) -> None:
    shown = await chat(
        core, ["/cancel", "/checkin", "Jo", "2", "skip", "1", "1", "3", "1", "1", "1"]
    )
    assert "I'm sorry it feels so low today." in shown
    assert "findahelpline.com" in shown[shown.index("I'm sorry it feels so low today.") :]
    card = shown[shown.index("Thank you for checking in about Jo.") :]
    assert "From the essay" not in card
    assert "Take gentle care of yourself." in card


async def test_a_safety_plan_is_built_shown_exported_and_forgotten(core: Core) -> None:
    steps = [
        "I go quiet",
        "a walk",
        "the park",
        "Ana: 0700 000 000",
        "my GP",
        "give Ana the pills",
        "my cat",
    ]
    shown = await chat(core, ["/cancel", "/safety", *steps])
    assert "Here is your safety plan." in shown
    assert "4. People I can ask for help: Ana: 0700 000 000" in shown
    shown = await chat(core, ["/safety", "2"])
    assert "7. My reasons for living: my cat" in shown
    plan = stored_state(core)["plan"]
    assert isinstance(plan, dict) and plan["reasons"] == "my cat"
    exported = await chat(core, ["/export"])
    where = next(
        line.split("saved to ", 1)[1] for line in exported.splitlines() if "saved to" in line
    )
    document = json.loads(await asyncio.to_thread(Path(where).read_text, encoding="utf-8"))
    assert document["conversation"]["state"]["plan"]["help_people"] == "Ana: 0700 000 000"
    await chat(core, ["/forget", "1"])
    with sqlite3.connect(core.settings.sqlite_path) as db:
        assert db.execute("SELECT count(*) FROM conversations").fetchone() == (0,)
    after = await chat(core, ["/cancel", "/safety"])
    assert "Here is your safety plan." not in after
