"""open_core wires settings, store and service, and closes them again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core import REPLY_ROOM, limits, open_core
from bot.errors import StoreUnavailable
from bot.ports.store import TurnWrite, UserKey
from bot.settings import Settings
from dialogs.model import Command, State


async def test_default_database_is_created_under_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    async with open_core(Settings()) as core:
        replies = await core.conversations.handle(
            UserKey("console", "me"), Command("help", datetime(2025, 3, 1, tzinfo=UTC))
        )
        assert replies and core.script.flows
    assert (tmp_path / "data" / "threshold.db").is_file()


async def test_store_is_closed_on_exit(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/t.db")
    async with open_core(settings) as core:
        store = core.store
    with pytest.raises(StoreUnavailable):
        await store.save(UserKey("console", "me"), TurnWrite(State()), expected_version=0)


async def test_unopenable_database_is_a_plain_error(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    with pytest.raises(StoreUnavailable, match="is a folder"):
        async with open_core(Settings(database_url=f"sqlite:///{tmp_path}/db")):
            pass


def test_scheduled_messages_leave_a_fifth_of_each_send_rate_to_replies() -> None:
    settings = Settings(_env_file=None, telegram_send_rate=25, discord_send_rate=40)
    chosen = limits(settings)
    assert chosen["telegram"].per_second == pytest.approx(25 * (1 - REPLY_ROOM)) == 20
    assert chosen["discord"].per_second == pytest.approx(32)
    assert chosen["telegram"].per_chat_per_second == settings.telegram_chat_send_rate
