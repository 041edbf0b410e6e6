"""Snoozing mantras through a turn, against MemoryStore and SqliteStore alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.ports.store import Address, MantraSettings, Store, TurnWrite, UserKey
from dialogs.model import State
from tests.support.chats import START

ANN = UserKey("telegram", "100")
HOME = Address("telegram", "chat-100")
NEXT = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)  # a Saturday; START is 08:00 that day


async def subscribed(store: Store, days: str = "daily") -> int:
    on = MantraSettings(True, "09:00", "Europe/Berlin", days, NEXT - timedelta(hours=1))
    return await store.save(ANN, TurnWrite(State(), address=HOME, mantras=on), expected_version=0)


async def next_due(store: Store) -> datetime | None:
    sub = await store.mantras(ANN)
    assert sub is not None
    return sub.next_due


async def test_snooze_moves_the_next_mantra_to_the_first_one_at_or_after_its_end(
    store: Store,
) -> None:
    version = await subscribed(store)
    until = START + timedelta(days=7)  # Saturday 8 March, 08:00 UTC = 09:00 in Berlin
    version = await store.save(
        ANN, TurnWrite(State(), snooze_until=until), expected_version=version
    )
    assert await next_due(store) == until
    # the same snooze again (a second press) changes nothing
    await store.save(ANN, TurnWrite(State(), snooze_until=until), expected_version=version)
    assert await next_due(store) == until


async def test_snooze_never_brings_the_next_mantra_earlier(store: Store) -> None:
    weekly = MantraSettings(True, "09:00", "Europe/Berlin", "fri", START + timedelta(days=13))
    version = await store.save(ANN, TurnWrite(State(), mantras=weekly), expected_version=0)
    await store.save(
        ANN, TurnWrite(State(), snooze_until=START + timedelta(days=2)), expected_version=version
    )
    assert await next_due(store) == START + timedelta(days=13)


async def test_snooze_when_mantras_are_off_does_nothing(store: Store) -> None:
    off = MantraSettings(False, "09:00", "UTC", "daily", None)
    version = await store.save(ANN, TurnWrite(State(), mantras=off), expected_version=0)
    await store.save(
        ANN, TurnWrite(State(), snooze_until=START + timedelta(days=7)), expected_version=version
    )
    sub = await store.mantras(ANN)
    assert sub is not None and not sub.enabled and sub.next_due is None


async def test_a_naive_snooze_is_refused_and_nothing_of_the_turn_is_written(store: Store) -> None:
    version = await subscribed(store)
    with pytest.raises(ValueError, match="naive"):
        await store.save(
            ANN,
            TurnWrite(State(node="x"), snooze_until=datetime(2025, 3, 8)),
            expected_version=version,
        )
    saved = await store.load(ANN)
    assert saved is not None and saved.version == version
