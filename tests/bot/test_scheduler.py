"""The scheduler with a clock the test moves, a real SQLite file, and a recording deliverer.

Due rows are delivered once; long downtime is skipped without a flood; two ticks at once on one
file; DST nights; housekeeping and the configured limits; the APScheduler job itself.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import RecipientUnreachable
from bot.metrics import Metrics
from bot.ports.schedule import Graces, ScheduleStore
from bot.ports.store import Store
from bot.schedule.fanout import Limit
from bot.schedule.scheduler import SENDING_LEASE, Scheduler
from dialogs.deliveries import minute
from dialogs.script import Script
from tests.support.chats import Clock
from tests.support.schedules import (
    NINE,
    RecordingDeliverer,
    Where,
    data,
    next_due,
    open_data,
    open_schedule,
    outcomes,
    recorder,
    rows,
    run,
    schedule,
    scheduler,
    subscribe,
    where,
)

# the shared fixtures, for pytest to find
__all__ = ["data", "recorder", "schedule", "scheduler", "where"]


# --------------------------------------------------------------------------------------------
# Delivered once


async def test_due_mantras_are_delivered_once_with_stop_and_snooze(
    scheduler: Scheduler,
    data: Store,
    clock: Clock,
    recorder: RecordingDeliverer,
    where: Where,
    script: Script,
) -> None:
    for user in ("a", "b", "c"):
        await subscribe(data, user, clock.now)
    clock.now = NINE - timedelta(seconds=1)
    await run(scheduler)
    assert recorder.delivered == []

    clock.now = NINE
    await run(scheduler)
    assert sorted(recorder.chats) == ["chat-a", "chat-b", "chat-c"]
    for _, (reply,) in recorder.delivered:
        assert reply.text in script.mantras
        assert [b.data for b in reply.buttons] == [
            f"thr:core.mantra:stop:{minute(NINE)}",
            f"thr:core.mantra:snooze:{minute(NINE)}",
        ]
    for later in (NINE + timedelta(seconds=30), NINE + timedelta(minutes=59)):
        clock.now = later
        await run(scheduler)
    assert len(recorder.delivered) == 3
    assert outcomes(where) == {"sent": 3}
    assert next_due(where, "a") == "2025-03-02T09:00:00.000000+00:00"


async def test_mantras_rotate_without_a_repeat_until_all_were_seen(
    scheduler: Scheduler,
    data: Store,
    clock: Clock,
    recorder: RecordingDeliverer,
    script: Script,
) -> None:
    await subscribe(data, "a", clock.now)
    lines = len(script.mantras)
    for day in range(lines + 1):
        clock.now = NINE + timedelta(days=day)
        await run(scheduler)
    first_round = recorder.texts[:lines]
    assert sorted(first_round) == sorted(script.mantras)
    assert recorder.texts[lines] != first_round[-1]  # a new round never starts with the last


async def test_a_mantra_missed_by_a_little_is_still_sent(
    scheduler: Scheduler, data: Store, clock: Clock, recorder: RecordingDeliverer
) -> None:
    await subscribe(data, "a", clock.now)
    clock.now = NINE + timedelta(minutes=40)  # down from 08:50 to 09:40: within the hour
    await run(scheduler)
    assert recorder.chats == ["chat-a"]


# --------------------------------------------------------------------------------------------
# Downtime


async def test_a_mantra_missed_by_more_than_the_grace_is_skipped_not_sent_late(
    scheduler: Scheduler,
    data: Store,
    clock: Clock,
    recorder: RecordingDeliverer,
    where: Where,
) -> None:
    await subscribe(data, "a", clock.now)
    clock.now = NINE + timedelta(hours=1, minutes=1)
    await run(scheduler)
    assert recorder.delivered == []
    assert outcomes(where) == {"skipped": 1}
    assert next_due(where, "a") == "2025-03-02T09:00:00.000000+00:00"
    clock.now = NINE + timedelta(days=1)
    await run(scheduler)
    assert recorder.chats == ["chat-a"]


async def test_after_days_of_downtime_nothing_floods(
    scheduler: Scheduler,
    data: Store,
    clock: Clock,
    recorder: RecordingDeliverer,
    where: Where,
) -> None:
    for n in range(50):
        await subscribe(data, f"u{n}", clock.now, time=f"{9 + n % 12:02d}:{n % 60:02d}")
    clock.now = NINE + timedelta(days=3, hours=3, minutes=30)  # Tuesday 12:30
    await run(scheduler)
    assert recorder.delivered == []
    assert outcomes(where) == {"skipped": 50}  # one row each, not one per missed day
    for n in range(50):  # each moved to its next time after now
        due = next_due(where, f"u{n}")
        assert due is not None and due > "2025-03-04T12:30"


async def test_a_late_claimed_delivery_is_skipped_at_send_time(
    data: Store, schedule: ScheduleStore, script: Script, clock: Clock, where: Where
) -> None:
    # Claimed while no platform was running, then the platform came back too late.
    deliverers: dict[str, RecordingDeliverer] = {}
    scheduler = Scheduler(data, schedule, script, deliverers, clock=clock)
    try:
        await subscribe(data, "a", clock.now)
        clock.now = NINE
        await run(scheduler)
        assert outcomes(where) == {"claimed": 1}
        clock.now = NINE + timedelta(hours=2)
        deliverers["telegram"] = recorder = RecordingDeliverer()
        await scheduler.feed()
        await scheduler.settle()
        assert recorder.delivered == []
        assert outcomes(where) == {"skipped": 1}
    finally:
        await scheduler.stop()


# --------------------------------------------------------------------------------------------
# Two ticks at once, on one file


async def test_two_schedulers_ticking_at_once_deliver_each_due_row_once(
    where: Where, data: Store, script: Script, clock: Clock
) -> None:
    for n in range(300):
        await subscribe(data, f"u{n}", clock.now, time="09:00" if n % 2 else "08:59")
    clock.now = NINE
    first, second = RecordingDeliverer(), RecordingDeliverer()
    async with (
        open_data(where, clock=clock) as other_store,
        open_schedule(where, clock=clock) as one,
        open_schedule(where, clock=clock) as two,
    ):
        a = Scheduler(data, one, script, {"telegram": first}, clock=clock, claim_batch=40)
        b = Scheduler(other_store, two, script, {"telegram": second}, clock=clock, claim_batch=40)
        try:
            await asyncio.gather(a.tick(), b.tick(), a.tick(), b.tick())
            await asyncio.gather(a.settle(), b.settle())
        finally:
            await asyncio.gather(a.stop(), b.stop())
    everyone = first.chats + second.chats
    assert sorted(everyone) == sorted(f"chat-u{n}" for n in range(300))
    assert outcomes(where) == {"sent": 300}


# --------------------------------------------------------------------------------------------
# Daylight saving, through the scheduler


@pytest.mark.parametrize(
    ("night", "expected"),
    [
        # 02:30 in Berlin is repeated on 26 October 2025: once, at 00:30 UTC
        (datetime(2025, 10, 25, 22, tzinfo=UTC), [datetime(2025, 10, 26, 0, 30, tzinfo=UTC)]),
        # and skipped on 30 March 2025: at the first valid minute, 03:00 CEST
        (datetime(2025, 3, 29, 22, tzinfo=UTC), [datetime(2025, 3, 30, 1, 0, tzinfo=UTC)]),
    ],
)
async def test_a_dst_night_delivers_once_at_the_right_instant(
    scheduler: Scheduler,
    data: Store,
    clock: Clock,
    recorder: RecordingDeliverer,
    night: datetime,
    expected: list[datetime],
) -> None:
    await subscribe(data, "a", night, time="02:30", tz="Europe/Berlin")
    delivered_at = []
    for step in range(0, 6 * 60, 5):  # every five minutes from midnight to 04:00 local
        clock.now = night + timedelta(minutes=step)
        before = len(recorder.delivered)
        await run(scheduler)
        if len(recorder.delivered) > before:
            delivered_at.append(clock.now)
    assert delivered_at == expected


# --------------------------------------------------------------------------------------------
# Housekeeping, limits


async def test_a_send_left_unconfirmed_by_a_dead_process_is_never_sent_again(
    data: Store, schedule: ScheduleStore, script: Script, clock: Clock, where: Where
) -> None:
    await subscribe(data, "a", clock.now)
    clock.now = NINE
    deliverers: dict[str, RecordingDeliverer] = {}
    scheduler = Scheduler(data, schedule, script, deliverers, clock=clock)
    try:
        await run(scheduler)
        [(delivery_id,)] = rows(where, "SELECT id FROM delivery_log")
        begun = await schedule.begin(int(str(delivery_id)), mantras=21)
        assert begun.outcome == "sending"  # and then the process died
        deliverers["telegram"] = recorder = RecordingDeliverer()
        clock.now = NINE + SENDING_LEASE + timedelta(minutes=1)
        await run(scheduler)
        assert recorder.delivered == []
        assert outcomes(where) == {"unconfirmed": 1}
    finally:
        await scheduler.stop()


async def test_old_finished_log_rows_are_pruned(
    data: Store,
    schedule: ScheduleStore,
    script: Script,
    clock: Clock,
    recorder: RecordingDeliverer,
    where: Where,
) -> None:
    scheduler = Scheduler(
        data,
        schedule,
        script,
        {"telegram": recorder},
        clock=clock,
        keep_log=timedelta(days=2),
    )
    try:
        await subscribe(data, "a", clock.now)
        for day in range(5):
            clock.now = NINE + timedelta(days=day)
            await run(scheduler)
        kept = rows(where, "SELECT at FROM delivery_log ORDER BY at")
        assert len(recorder.delivered) == 5
        # at 5 March 09:00, rows of 3 March 09:00 and later are within two days
        assert [str(at)[:10] for (at,) in kept] == ["2025-03-03", "2025-03-04", "2025-03-05"]
    finally:
        await scheduler.stop()


async def test_graces_and_limits_are_honoured_as_configured(
    data: Store, schedule: ScheduleStore, script: Script, clock: Clock
) -> None:
    recorder = RecordingDeliverer()
    scheduler = Scheduler(
        data,
        schedule,
        script,
        {"telegram": recorder},
        clock=clock,
        graces=Graces(mantra=timedelta(minutes=5)),
        limits={"telegram": Limit(per_second=200, per_chat_per_second=100)},
    )
    try:
        await subscribe(data, "a", clock.now)
        await subscribe(data, "b", clock.now, time="09:10")
        clock.now = NINE + timedelta(minutes=10)  # a's is 10 minutes late: past 5 minutes
        await run(scheduler)
        assert recorder.chats == ["chat-b"]
    finally:
        await scheduler.stop()


async def test_the_apscheduler_job_ticks_by_itself(
    data: Store, schedule: ScheduleStore, script: Script, clock: Clock
) -> None:
    recorder = RecordingDeliverer()
    await subscribe(data, "a", clock.now)
    clock.now = NINE
    async with Scheduler(
        data, schedule, script, {"telegram": recorder}, clock=clock, tick_seconds=0.05
    ):
        async with asyncio.timeout(10):
            await recorder.arrived.wait()
    assert recorder.chats == ["chat-a"]


async def test_deliveries_and_lateness_are_counted_for_metrics(
    data: Store, schedule: ScheduleStore, script: Script, clock: Clock
) -> None:
    metrics = Metrics()
    recorder = RecordingDeliverer(refuse={"chat-b": RecipientUnreachable("blocked")})
    scheduler = Scheduler(
        data, schedule, script, {"telegram": recorder}, clock=clock, metrics=metrics
    )
    try:
        await subscribe(data, "a", clock.now)
        await subscribe(data, "b", clock.now)
        clock.now = NINE + timedelta(seconds=90)
        await run(scheduler)
        value = metrics.registry.get_sample_value
        assert value("threshold_mantras_sent_total", {"platform": "telegram"}) == 1
        failed = {"platform": "telegram", "reason": "unreachable"}
        assert value("threshold_mantras_failed_total", failed) == 1
        assert value("threshold_send_seconds_count", {"platform": "telegram"}) == 2
        assert value("threshold_scheduler_lag_seconds") == 90
        clock.now += timedelta(seconds=1)
        await run(scheduler)
        assert value("threshold_scheduler_lag_seconds") == 0  # nothing was due
    finally:
        await scheduler.stop()
