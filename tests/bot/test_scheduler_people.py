"""What people do with delivered messages, and what happens to people who cannot be reached.

Stop and snooze pressed on a delivered mantra (through the real service), reminders and their
check-in button, a block, a refusal, /forget between the claim and the send.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.conversations import Conversations
from bot.crypto import cipher_for, new_key
from bot.errors import DeliveryFailed, RecipientUnreachable
from bot.schedule.scheduler import Scheduler
from bot.sqlite.schedule import SqliteSchedule
from bot.sqlite.store import SqliteStore
from dialogs.model import Pick
from dialogs.script import Script
from tests.support.chats import REFLECTION, Chat, Clock, chat_for, play
from tests.support.schedules import (
    NINE,
    RecordingDeliverer,
    next_due,
    outcomes,
    recorder,
    rows,
    run,
    schedule,
    scheduler,
    subscribe,
)

__all__ = ["recorder", "schedule", "scheduler"]  # the shared fixtures, for pytest to find


# --------------------------------------------------------------------------------------------
# Stop and snooze, pressed on the delivered message


async def mantras_on(chat: Chat) -> None:
    await chat.command("mantras")
    await chat.press("setup")
    await chat.send("09:00")
    await chat.send("UTC")
    await chat.press("daily")


async def test_stop_on_a_delivered_mantra_ends_them_and_pressing_again_changes_nothing(
    scheduler: Scheduler,
    service: Conversations,
    clock: Clock,
    recorder: RecordingDeliverer,
    db_path: Path,
    script: Script,
) -> None:
    chat = chat_for(service, clock, user="a")
    await mantras_on(chat)
    clock.now = NINE
    await run(scheduler)
    (_, (mantra,)) = recorder.delivered[0]
    stop = mantra.buttons[0].data

    clock.now = NINE + timedelta(hours=3)
    await chat.event(Pick(stop, clock.now))
    assert chat.said(script.say("mantra_stopped"))
    assert next_due(db_path, "a") is None
    await chat.event(Pick(stop, clock.advance(minutes=1)))
    assert chat.said(script.say("mantra_already_off"))

    for day in range(1, 4):
        clock.now = NINE + timedelta(days=day)
        await run(scheduler)
    assert len(recorder.delivered) == 1


async def test_snooze_skips_a_week_and_pressing_twice_skips_it_once(
    scheduler: Scheduler,
    service: Conversations,
    clock: Clock,
    recorder: RecordingDeliverer,
    db_path: Path,
    script: Script,
) -> None:
    chat = chat_for(service, clock, user="a")
    await mantras_on(chat)
    clock.now = NINE
    await run(scheduler)
    (_, (mantra,)) = recorder.delivered[0]
    snooze = mantra.buttons[1].data

    clock.now = NINE + timedelta(minutes=5)
    await chat.event(Pick(snooze, clock.now))
    assert chat.said(script.say("mantra_snoozed", days=7))
    assert chat.said("The next one comes on Saturday 8 March at 09:00")
    clock.now = NINE + timedelta(days=2)
    await chat.event(Pick(snooze, clock.now))  # the same pause, not a longer one
    assert next_due(db_path, "a") == "2025-03-08T09:00:00.000000+00:00"

    for day in range(1, 9):
        clock.now = NINE + timedelta(days=day)
        await run(scheduler)
    assert len(recorder.delivered) == 3  # the first, then 8 and 9 March


async def test_stop_pressed_between_claim_and_send_cancels_that_delivery(
    sqlite_store: SqliteStore,
    schedule: SqliteSchedule,
    service: Conversations,
    script: Script,
    clock: Clock,
    db_path: Path,
) -> None:
    deliverers: dict[str, RecordingDeliverer] = {}
    scheduler = Scheduler(sqlite_store, schedule, script, deliverers, clock=clock)
    try:
        chat = chat_for(service, clock, user="a")
        await mantras_on(chat)
        clock.now = NINE
        await run(scheduler)  # claimed; Telegram is not connected yet
        await chat.command("mantras")
        await chat.press("off")
        deliverers["telegram"] = recorder = RecordingDeliverer()
        await run(scheduler)
        assert recorder.delivered == []
        assert outcomes(db_path) == {"cancelled": 1}
    finally:
        await scheduler.stop()


# --------------------------------------------------------------------------------------------
# Check-in reminders


async def test_a_check_in_reminder_arrives_and_its_button_starts_the_check_in(
    scheduler: Scheduler,
    service: Conversations,
    clock: Clock,
    recorder: RecordingDeliverer,
    db_path: Path,
) -> None:
    chat = chat_for(service, clock, user="a")
    await chat.command("reflect")
    await play(chat, REFLECTION)  # ends with "check in with me in 7 days"
    asked_at = clock.now
    await chat.press("no")  # no mantras, thanks: the reflection is over
    clock.now = asked_at + timedelta(days=7) - timedelta(seconds=1)
    await run(scheduler)
    assert recorder.delivered == []
    clock.now = asked_at + timedelta(days=7)
    await run(scheduler)
    ((address, (reminder,)),) = recorder.delivered
    assert address == chat.address
    assert reminder.text.startswith("You asked me to check in about Sam.")

    await chat.event(Pick(reminder.buttons[0].data, clock.advance(minutes=1)))
    assert "Which connection is this check-in about?" in chat.question.text
    assert any(b.label.startswith("Sam") for b in chat.question.buttons)
    assert outcomes(db_path) == {"sent": 1}


async def test_a_reminder_is_still_sent_a_few_hours_late(
    scheduler: Scheduler, service: Conversations, clock: Clock, recorder: RecordingDeliverer
) -> None:
    chat = chat_for(service, clock, user="a")
    await chat.command("reflect")
    await play(chat, REFLECTION)
    clock.now += timedelta(days=7, hours=5)  # longer than a mantra's grace, within a day
    await run(scheduler)
    assert len(recorder.delivered) == 1


# --------------------------------------------------------------------------------------------
# People who cannot be reached, refusals, forgetting


async def test_a_person_who_blocked_the_bot_is_unsubscribed_and_not_retried(
    scheduler: Scheduler,
    sqlite_store: SqliteStore,
    clock: Clock,
    recorder: RecordingDeliverer,
    db_path: Path,
) -> None:
    await subscribe(sqlite_store, "a", clock.now)
    blocked = await subscribe(sqlite_store, "b", clock.now)
    recorder.refuse["chat-b"] = RecipientUnreachable("blocked")
    clock.now = NINE
    await run(scheduler)
    assert recorder.chats == ["chat-a"]
    assert outcomes(db_path) == {"sent": 1, "unreachable": 2}  # the delivery, and the person
    sub = await sqlite_store.mantras(blocked)
    assert sub is not None and not sub.enabled
    assert rows(db_path, "SELECT unreachable FROM users WHERE platform_user_id = 'b'") == [(1,)]
    del recorder.refuse["chat-b"]
    clock.now = NINE + timedelta(days=1)
    await run(scheduler)
    assert recorder.chats == ["chat-a", "chat-a"]


async def test_a_refused_delivery_is_logged_and_not_retried(
    scheduler: Scheduler,
    sqlite_store: SqliteStore,
    clock: Clock,
    recorder: RecordingDeliverer,
    db_path: Path,
) -> None:
    await subscribe(sqlite_store, "a", clock.now)
    recorder.refuse["chat-a"] = DeliveryFailed("Bad Request: chat not found")
    clock.now = NINE
    await run(scheduler)
    clock.now = NINE + timedelta(minutes=1)
    await run(scheduler)
    assert outcomes(db_path) == {"failed": 1}


async def test_a_person_forgotten_after_the_claim_gets_nothing(
    sqlite_store: SqliteStore,
    schedule: SqliteSchedule,
    service: Conversations,
    script: Script,
    clock: Clock,
    db_path: Path,
) -> None:
    deliverers: dict[str, RecordingDeliverer] = {}
    scheduler = Scheduler(sqlite_store, schedule, script, deliverers, clock=clock)
    try:
        chat = chat_for(service, clock, user="a")
        await mantras_on(chat)
        clock.now = NINE
        await run(scheduler)
        await chat.command("forget")
        await chat.press("yes")
        deliverers["telegram"] = recorder = RecordingDeliverer()
        await run(scheduler)
        assert recorder.delivered == []
        assert rows(db_path, "SELECT count(*) FROM delivery_log") == [(0,)]
    finally:
        await scheduler.stop()


async def test_the_next_one_is_announced_in_local_time_even_on_a_dst_night(
    service: Conversations, clock: Clock
) -> None:
    clock.now = datetime(2025, 3, 29, 12, tzinfo=UTC)  # Berlin skips 02:00–03:00 tomorrow
    chat = chat_for(service, clock, user="a")
    await chat.command("mantras")
    await chat.press("setup")
    await chat.send("2:30")
    await chat.send("Berlin")
    await chat.press("daily")
    assert chat.said("The next one comes tomorrow at 03:00.")


async def test_a_reminder_reads_its_sealed_payload_when_encryption_is_on(
    db_path: Path, script: Script, clock: Clock
) -> None:
    cipher = cipher_for(new_key())
    recorder = RecordingDeliverer()
    async with (
        SqliteStore(db_path, clock=clock, cipher=cipher) as store,
        SqliteSchedule(db_path, clock=clock, cipher=cipher) as sealed,
    ):
        scheduler = Scheduler(store, sealed, script, {"telegram": recorder}, clock=clock)
        try:
            chat = chat_for(Conversations(store, script, clock=clock), clock, user="a")
            await chat.command("reflect")
            await play(chat, REFLECTION)
            assert [type(p) for (p,) in rows(db_path, "SELECT payload FROM due")] == [bytes]
            clock.now += timedelta(days=7)
            await run(scheduler)
        finally:
            await scheduler.stop()
    ((_, (reminder,)),) = recorder.delivered
    assert reminder.text.startswith("You asked me to check in about Sam.")
