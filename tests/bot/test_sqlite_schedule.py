"""The scheduler's storage port on a real SQLite file and on PostgreSQL: claims, outcomes,
housekeeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import StoreUnavailable
from bot.ports.schedule import Begun, Claimed, Graces, ScheduleStore
from bot.ports.store import Address, Due, MantraSettings, Store, TurnWrite, UserKey
from dialogs.model import State
from tests.support.chats import Clock
from tests.support.schedules import (
    Where,
    data,
    open_schedule,
    outcomes,
    rows,
    schedule,
    subscribe,
    where,
)

NINE = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
GRACES = Graces()


__all__ = ["data", "schedule", "where"]  # the shared fixtures, for pytest to find


async def test_nothing_due_is_found_without_claiming(
    schedule: ScheduleStore, data: Store, clock: Clock
) -> None:
    assert not await schedule.anything_due(NINE)
    await subscribe(data, "a", clock.now)
    assert not await schedule.anything_due(NINE - timedelta(microseconds=1))
    assert await schedule.anything_due(NINE)
    assert await schedule.claim(NINE - timedelta(minutes=1), GRACES, limit=10) == (Claimed())


async def test_a_reminder_alone_is_due_too(schedule: ScheduleStore, data: Store) -> None:
    due = Due("checkin:p1", "checkin_reminder", NINE)
    await data.save(
        UserKey("discord", "7"), TurnWrite(State(), schedule=(due,)), expected_version=0
    )
    assert await schedule.anything_due(NINE)
    assert await schedule.claim(NINE, GRACES, limit=10) == Claimed(1, 0, False, NINE)
    assert not await schedule.anything_due(NINE + timedelta(days=1))  # the due row is closed
    [delivery] = await schedule.pending("discord", 10)
    assert delivery.user == UserKey("discord", "7")
    assert delivery.address == Address("discord", "7")  # no known address: the private chat
    assert (delivery.kind, delivery.due_at) == ("checkin_reminder", NINE)


async def test_claims_come_in_batches_until_nothing_is_left(
    schedule: ScheduleStore, data: Store, clock: Clock, where: Where
) -> None:
    for n in range(7):
        await subscribe(data, f"u{n}", clock.now)
    batches = [await schedule.claim(NINE, GRACES, limit=3) for _ in range(4)]
    assert batches == [
        Claimed(3, 0, True, NINE),
        Claimed(3, 0, True, NINE),
        Claimed(1, 0, False, NINE),
        Claimed(),
    ]
    pending = await schedule.pending("telegram", 100)
    assert [d.id for d in pending] == sorted(d.id for d in pending)
    assert sorted(d.address.chat_id for d in pending) == sorted(f"chat-u{n}" for n in range(7))
    assert await schedule.pending("discord", 100) == []
    assert outcomes(where) == {"claimed": 7}


async def test_the_grace_is_the_last_moment_a_mantra_still_goes_out(
    schedule: ScheduleStore, data: Store, clock: Clock
) -> None:
    await subscribe(data, "on-time", clock.now)
    await subscribe(data, "late", clock.now, time="08:59")
    at = NINE + GRACES.mantra
    result = await schedule.claim(at, GRACES, limit=10)
    assert result == Claimed(1, 1, False, NINE - timedelta(minutes=1))  # the late one
    [delivery] = await schedule.pending("telegram", 10)
    assert delivery.address.chat_id == "chat-on-time"


async def test_begin_says_why_a_delivery_will_not_be_sent(
    schedule: ScheduleStore, data: Store, clock: Clock
) -> None:
    for user in ("a", "off", "blocked"):
        await subscribe(data, user, clock.now)
    await schedule.claim(NINE, GRACES, limit=10)
    by_chat = {d.address.chat_id: d.id for d in await schedule.pending("telegram", 10)}
    await data.mark_unreachable(UserKey("telegram", "blocked"))
    saved = await data.load(UserKey("telegram", "off"))
    assert saved is not None
    off = MantraSettings(False, "09:00", "UTC", "daily", None)
    await data.save(
        UserKey("telegram", "off"), TurnWrite(saved.state, mantras=off), expected_version=1
    )
    begun = await schedule.begin(by_chat["chat-a"], mantras=21)
    assert begun.outcome == "sending" and begun.mantra in range(21)
    assert await schedule.begin(by_chat["chat-a"], mantras=21) == Begun("gone")  # taken already
    assert await schedule.begin(by_chat["chat-off"], mantras=21) == Begun("cancelled")
    assert await schedule.begin(by_chat["chat-blocked"], mantras=21) == Begun("unreachable")
    assert not await schedule.settle(by_chat["chat-off"], "sent")  # it is not being sent
    assert await schedule.settle(by_chat["chat-a"], "sent")
    assert not await schedule.settle(by_chat["chat-a"], "failed")  # settled once


async def test_outcomes_written_at_once_share_transactions_and_all_land(
    schedule: ScheduleStore, data: Store, clock: Clock, where: Where
) -> None:
    for n in range(200):
        await subscribe(data, f"u{n}", clock.now)
    await schedule.claim(NINE, GRACES, limit=1000)
    ids = [d.id for d in await schedule.pending("telegram", 1000)]
    begun = await asyncio.gather(*(schedule.begin(i, mantras=21) for i in ids))
    assert {b.outcome for b in begun} == {"sending"}
    assert all(await asyncio.gather(*(schedule.settle(i, "sent") for i in ids)))
    assert outcomes(where) == {"sent": 200}


async def test_housekeeping_skips_what_waited_too_long_and_closes_dead_sends(
    schedule: ScheduleStore, data: Store, clock: Clock, where: Where
) -> None:
    for user in ("a", "b"):
        await subscribe(data, user, clock.now)
    saved = await data.load(UserKey("telegram", "a"))
    assert saved is not None
    due = (Due("k", "checkin_reminder", NINE),)
    await data.save(
        UserKey("telegram", "a"),
        TurnWrite(saved.state, schedule=due),
        expected_version=saved.version,
    )
    await schedule.claim(NINE, GRACES, limit=10)
    first = (await schedule.pending("telegram", 10))[0]
    clock.now = NINE
    await schedule.begin(first.id, mantras=21)
    later = NINE + timedelta(hours=2)
    done = await schedule.housekeep(
        later, GRACES, sending_lease=timedelta(minutes=5), keep=timedelta(days=90)
    )
    assert (done.skipped, done.unconfirmed, done.pruned) == (1, 1, 0)  # the reminder waits on
    assert outcomes(where) == {"unconfirmed": 1, "skipped": 1, "claimed": 1}
    assert rows(where, "SELECT kind FROM delivery_log WHERE outcome = 'claimed'") == [
        ("checkin_reminder",)
    ]


async def test_a_closed_schedule_is_unavailable(where: Where, data: Store) -> None:
    schedule = await open_schedule(where).open()
    await schedule.close()
    with pytest.raises(StoreUnavailable):
        await schedule.anything_due(NINE)
    with pytest.raises(StoreUnavailable):
        await schedule.begin(1, mantras=21)


@pytest.mark.parametrize("zone", ["Europe", "America", "../../../../etc/passwd", "\x00", ""])
async def test_a_tampered_time_zone_in_one_row_stops_no_claim(
    schedule: ScheduleStore, data: Store, clock: Clock, where: Where, zone: str
) -> None:
    if zone == "\x00" and isinstance(where, str):
        pytest.skip("PostgreSQL's text cannot hold a NUL: that tampering cannot happen there")
    for n in range(3):
        await subscribe(data, f"u{n}", clock.now)
    rows(  # someone with write access to the database
        where,
        "UPDATE mantra_subscriptions SET tz = ? WHERE user_id ="
        " (SELECT id FROM users WHERE platform_user_id = 'u1')",
        zone,
    )
    assert await schedule.claim(NINE, GRACES, limit=10) == Claimed(3, 0, False, NINE)
    assert len(await schedule.pending("telegram", 10)) == 3  # everyone's, the tampered one too
    assert not await schedule.anything_due(NINE + timedelta(hours=1))  # each advanced a day


async def test_after_a_disclosure_no_held_back_line_is_chosen_until_the_hold_ends(
    schedule: ScheduleStore, data: Store, clock: Clock, where: Where
) -> None:
    held = frozenset(range(20))  # every line but the last is held back
    chosen = []
    for n in range(6):
        key = await subscribe(data, f"g{n}", clock.now)
        saved = await data.load(key)
        assert saved is not None
        turn = TurnWrite(saved.state, snooze_until=NINE + timedelta(days=2), snooze_gentle=True)
        await data.save(key, turn, expected_version=saved.version)
        # resumed at once: due at nine, still held
        rows(where, "UPDATE mantra_subscriptions SET next_due_utc = ?", NINE.isoformat())
    await schedule.claim(NINE, GRACES, limit=10)
    for delivery in await schedule.pending("telegram", 10):
        begun = await schedule.begin(delivery.id, mantras=21, held=held)
        chosen.append(begun.mantra)
    assert chosen == [20] * 6
    others = [await subscribe(data, f"o{n}", clock.now) for n in range(6)]
    await schedule.claim(NINE + timedelta(minutes=1), GRACES, limit=10)
    later = [
        (await schedule.begin(d.id, mantras=21, held=held)).mantra
        for d in await schedule.pending("telegram", 10)
    ]
    assert len(later) == len(others)
    assert any(m != 20 for m in later)  # nobody else is held
