"""From Telegram updates to the core and back (:mod:`adapters.telegram.bridge`), with the
bridge built by hand: a real PTB ``Bot`` talking to the Bot API stand-in, a real ``Outbox`` and
the real core on an SQLite file, and updates parsed by PTB from raw JSON and handed to
:meth:`Bridge.receive` directly (no polling, no application). What is pinned here is the
bridge's own sorting: an update of no chat, a group, a blocked bot, a private turn — and that
the ``done`` callback of every update runs, after the turn's replies are out."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, Update

from adapters.telegram.bridge import Bridge
from adapters.telegram.sender import Outbox
from bot.core import Core, open_core
from bot.settings import Settings
from tests.standins.telegram_api import TOKEN, USER_ID, TelegramAPI
from tests.support.telegram_bot import make_settings

GROUP = -1001234567890


@pytest.fixture
async def api() -> AsyncIterator[TelegramAPI]:
    async with TelegramAPI() as server:
        yield server


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "t.db"


@pytest.fixture
def settings(api: TelegramAPI, db_path: Path) -> Settings:
    return make_settings(api, db_path)


@pytest.fixture
async def bridge(settings: Settings, api: TelegramAPI) -> AsyncIterator[Bridge]:
    async with open_core(settings) as core:
        bot = Bot(token=TOKEN, base_url=f"{api.url}/bot")
        await bot.initialize()
        try:
            yield Bridge(core, bot, Outbox(bot), lambda: datetime.now(UTC))
        finally:
            await bot.shutdown()


class Dones:
    """``done`` callbacks that record, in order, which update each was for."""

    def __init__(self) -> None:
        self.seen: list[int] = []
        self._changed = asyncio.Condition()

    def for_update(self, update_id: int) -> Any:
        async def done() -> None:
            async with self._changed:
                self.seen.append(update_id)
                self._changed.notify_all()

        return done

    async def wait_for(self, *update_ids: int) -> None:
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: all(u in self.seen for u in update_ids)), 5
            )


def update(bridge: Bridge, raw: dict[str, Any], update_id: int) -> Update:
    parsed = Update.de_json({"update_id": update_id, **raw}, bridge._bot)
    assert parsed is not None
    return parsed


def core_of(bridge: Bridge) -> Core:
    return bridge._core


async def test_a_private_message_is_answered_before_its_done_runs(
    bridge: Bridge, api: TelegramAPI
) -> None:
    """The webhook inbox marks an update applied when ``done`` runs: by then the reply must be
    out, or a crash in between would lose it without a retry."""
    dones = Dones()
    bridge.receive(update(bridge, api.text_update("/start"), 1), dones.for_update(1))
    await dones.wait_for(1)
    assert api.calls_to("sendMessage"), "done ran before any reply was sent"
    assert api.calls_to("sendMessage")[0].params["chat_id"] in (USER_ID, str(USER_ID))


async def test_an_update_of_no_chat_and_no_person_needs_nothing_but_is_done(
    bridge: Bridge, api: TelegramAPI
) -> None:
    dones = Dones()
    bridge.receive(update(bridge, {}, 7), dones.for_update(7))
    await dones.wait_for(7)
    assert api.calls_to("sendMessage") == []


async def test_every_group_update_is_done_whether_it_gets_the_pointer_or_nothing(
    bridge: Bridge, api: TelegramAPI
) -> None:
    """A group's command gets a pointer to a private chat (once in a while); its chatter gets
    nothing. Each of them is still done, so the webhook inbox never redelivers one."""
    api.group(GROUP)
    dones = Dones()
    texts = [f"/reflect@{bridge._bot.username}", "my partner ignores me", "/checkin"]
    for n, text in enumerate(texts, start=1):
        raw = api.text_update(text, chat_id=GROUP, user_id=50 + n)
        bridge.receive(update(bridge, raw, n), dones.for_update(n))
    await dones.wait_for(1, 2, 3)
    await api.next_call("sendMessage", chat_id=GROUP)
    await asyncio.sleep(0.2)
    to_group = [c for c in api.calls_to("sendMessage") if str(c.params["chat_id"]) == str(GROUP)]
    assert len(to_group) == 1
    assert str(to_group[0].params["text"]) == core_of(bridge).say("private_only")


async def test_someone_blocking_the_bot_is_marked_unreachable(
    bridge: Bridge, api: TelegramAPI, db_path: Path
) -> None:
    dones = Dones()
    bridge.receive(update(bridge, api.text_update("/start"), 1), dones.for_update(1))
    await dones.wait_for(1)
    blocked = api.blocks_the_bot()
    raw = next(u for u in api._pending if u["update_id"] == blocked)
    bridge.receive(update(bridge, {k: v for k, v in raw.items() if k != "update_id"}, 2),
                   dones.for_update(2))  # fmt: skip
    await dones.wait_for(2)
    with sqlite3.connect(db_path) as conn:
        (unreachable,) = conn.execute("SELECT unreachable FROM users").fetchone()
    assert unreachable == 1


async def test_something_that_is_not_an_update_is_ignored(bridge: Bridge, api: TelegramAPI) -> None:
    await bridge.on_update("not an update", None)
    await asyncio.sleep(0.1)
    assert api.calls_to("sendMessage") == []
