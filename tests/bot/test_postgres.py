"""Several processes on one PostgreSQL database: each store and schedule below has its own pool
of connections, as a separate ``threshold run`` process would (the crash tests run real child
processes). One turn per person at a time, each due row claimed once, leases taken over,
notifications that wake a scheduler, migrations applied once by processes starting together,
one send budget for all of them.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta

import pytest

from bot.errors import StaleWrite
from bot.ports.schedule import Graces
from bot.ports.store import Due, TurnWrite, UserKey, utc_now
from bot.postgres.schedule import PostgresSchedule
from bot.postgres.store import PostgresStore
from bot.schedule.scheduler import Scheduler
from dialogs.model import State
from dialogs.script import Script
from tests.support.chats import Clock
from tests.support.schedules import NINE, RecordingDeliverer, outcomes, rows, subscribe

ANN = UserKey("telegram", "100")


async def test_processes_starting_together_apply_each_migration_once(pg_url: str) -> None:
    stores = [PostgresStore(pg_url) for _ in range(3)]
    await asyncio.gather(*(store.open() for store in stores))
    try:
        applied = rows(pg_url, "SELECT version, count(*) FROM schema_migrations GROUP BY 1")
        assert sorted(applied) == [(1, 1), (2, 1), (3, 1), (4, 1)]
        assert rows(pg_url, "SELECT count(*) FROM install") == [(1,)]
    finally:
        await asyncio.gather(*(store.close() for store in stores))


async def test_turns_of_one_person_from_two_processes_wait_for_each_other_and_none_is_stale(
    pg_url: str,
) -> None:
    async with PostgresStore(pg_url) as one, PostgresStore(pg_url) as two:

        async def turns(store: PostgresStore, count: int) -> None:
            for _ in range(count):
                async with store.turn(ANN):
                    saved = await store.load(ANN)
                    version = saved.version if saved else 0
                    await asyncio.sleep(0.001)  # the other process would step in here
                    state = State(data={"seen": version})
                    await store.save(ANN, TurnWrite(state), expected_version=version)

        await asyncio.gather(*(turns(store, 10) for store in (one, two, one, two, one, two)))
        saved = await two.load(ANN)
        assert saved is not None and saved.version == 60
        assert saved.state.data == {"seen": 59}


async def test_a_save_outside_a_turn_still_waits_for_the_turn_holding_the_person(
    pg_url: str,
) -> None:
    async with PostgresStore(pg_url) as one, PostgresStore(pg_url) as two:
        await one.save(ANN, TurnWrite(State()), expected_version=0)
        async with one.turn(ANN):
            await one.load(ANN)
            other = asyncio.create_task(
                two.save(ANN, TurnWrite(State(data={"by": "two"})), expected_version=1)
            )
            await asyncio.sleep(0.2)
            assert not other.done()  # blocked on the lock, not failed
            await one.save(ANN, TurnWrite(State(data={"by": "one"})), expected_version=1)
        with pytest.raises(StaleWrite):  # the version check is still the guard
            await other
        saved = await two.load(ANN)
        assert saved is not None and saved.state.data == {"by": "one"} and saved.version == 2


async def test_two_processes_claiming_the_same_due_rows_at_once_claim_each_once(
    pg_url: str, clock: Clock
) -> None:
    async with PostgresStore(pg_url, clock=clock) as store:
        for n in range(400):
            await subscribe(store, f"u{n}", clock.now)
        reminder = Due("checkin:p1", "checkin_reminder", NINE)
        for n in range(100):
            await store.save(
                UserKey("discord", f"d{n}"), TurnWrite(State(), schedule=(reminder,)),
                expected_version=0,
            )  # fmt: skip
    async with (
        PostgresSchedule(pg_url, clock=clock) as one,
        PostgresSchedule(pg_url, clock=clock) as two,
    ):

        async def claim_all(schedule: PostgresSchedule) -> int:
            total = 0
            while True:
                result = await schedule.claim(NINE, Graces(), limit=25)
                total += result.claimed
                if not result.more:
                    return total

        counts = await asyncio.gather(claim_all(one), claim_all(two), claim_all(one))
    assert sum(counts) == 500
    per_user = rows(pg_url, "SELECT user_id, kind, count(*) FROM delivery_log GROUP BY 1, 2")
    assert len(per_user) == 500 and {int(str(n)) for _, _, n in per_user} == {1}
    assert outcomes(pg_url) == {"claimed": 500}


async def test_a_lease_that_ran_out_is_taken_over_and_its_old_holder_cannot_send_it(
    pg_url: str, clock: Clock
) -> None:
    async with PostgresStore(pg_url, clock=clock) as store:
        for n in range(5):
            await subscribe(store, f"u{n}", clock.now)
    clock.now = NINE
    lease = timedelta(seconds=30)
    async with (
        PostgresSchedule(pg_url, clock=clock, lease=lease, owner="one") as one,
        PostgresSchedule(pg_url, clock=clock, lease=lease, owner="two") as two,
    ):
        await one.claim(NINE, Graces(), limit=100)
        taken = await one.pending("telegram", 100)
        assert len(taken) == 5
        assert await two.pending("telegram", 100) == []  # one holds them (it may be sending)
        clock.now = NINE + lease - timedelta(seconds=1)
        assert await one.pending("telegram", 100) == taken  # still one's: the lease renewed
        clock.now += lease + timedelta(seconds=1)  # one died: it looked at them no more
        again = await two.pending("telegram", 100)
        assert [d.id for d in again] == [d.id for d in taken]
        assert (await one.begin(taken[0].id, mantras=21)).outcome == "gone"
        begun = [await two.begin(d.id, mantras=21) for d in again]
        assert {b.outcome for b in begun} == {"sending"}
    assert rows(pg_url, "SELECT DISTINCT owner FROM delivery_log") == [("two",)]


async def test_a_turn_that_schedules_something_wakes_a_scheduler_in_another_process(
    pg_url: str, script: Script
) -> None:
    recorder = RecordingDeliverer(platform="telegram")
    async with (
        PostgresStore(pg_url) as theirs,
        PostgresStore(pg_url) as mine,
        PostgresSchedule(pg_url) as schedule,
    ):
        scheduler = Scheduler(mine, schedule, script, {"telegram": recorder}, tick_seconds=3600)
        async with scheduler:
            await asyncio.sleep(0.5)  # the first tick (at start) found nothing
            assert recorder.delivered == []
            due = Due("checkin:p1", "checkin_reminder", utc_now(), {"person_id": "p1"})
            await theirs.save(ANN, TurnWrite(State(), schedule=(due,)), expected_version=0)
            async with asyncio.timeout(5):  # an hour before the next tick
                await recorder.arrived.wait()
    assert recorder.chats == ["100"]


async def test_an_update_one_webhook_worker_took_is_not_applied_by_another_until_it_dies(
    pg_url: str, clock: Clock
) -> None:
    async with (
        PostgresStore(pg_url, clock=clock) as one,
        PostgresStore(pg_url, clock=clock) as two,
    ):
        assert await one.inbox_put("telegram", 1, b'{"update_id": 1}')
        assert not await two.inbox_put("telegram", 1, b'{"update_id": 1}')  # sent to both
        assert await two.inbox_put("telegram", 2, b'{"update_id": 2}')
        assert [i.update_id for i in await one.inbox_pending("telegram", 1)] == [1]
        assert [i.update_id for i in await two.inbox_pending("telegram", 10)] == [2]
        assert await one.inbox_pending("telegram", 10) == (await one.inbox_pending("telegram", 1))
        clock.advance(seconds=30)
        assert [i.update_id for i in await one.inbox_pending("telegram", 10)] == [1]  # renewed
        clock.advance(seconds=61)  # one died with update 1 unapplied (two is alive, asking)
        await two.inbox_done("telegram", 2)
        assert [i.update_id for i in await two.inbox_pending("telegram", 10)] == [1]
        assert await one.inbox_pending("telegram", 10) == []  # two has it now


async def test_two_processes_sending_as_fast_as_they_can_share_one_budget(pg_url: str) -> None:
    rate = 100.0  # messages per second, for both processes together
    async with (
        PostgresSchedule(pg_url) as one,
        PostgresSchedule(pg_url) as two,
    ):
        budgets = [one.shared_budget("telegram", rate), two.shared_budget("telegram", rate)]
        sent: list[float] = []

        async def sender(n: int) -> None:
            budget = budgets[n % 2]
            for _ in range(25):
                await budget.acquire()
                sent.append(time.monotonic())

        started = time.monotonic()
        await asyncio.gather(*(sender(n) for n in range(8)))  # 200 sends, 4 workers each
        took = time.monotonic() - started
        other = one.shared_budget("discord", rate)  # another platform has its own budget
        t0 = time.monotonic()
        await other.acquire()
        assert time.monotonic() - t0 < 0.5
    assert len(sent) == 200
    assert took >= (200 - budgets[0].burst) / rate * 0.95  # together, never faster than the rate
    per_second = Counter(int((t - started) * 2) for t in sent)  # half-second windows
    assert max(per_second.values()) <= rate / 2 + budgets[0].burst + 1
