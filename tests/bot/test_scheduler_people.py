"""What people do with delivered messages, and what happens to people who cannot be reached.

Stop and snooze pressed on a delivered mantra (through the real service), reminders and their
check-in button, a block, a refusal, /forget between the claim and the send.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.conversations import Conversations
from bot.crypto import cipher_for, new_key
from bot.errors import DeliveryFailed, RecipientUnreachable
from bot.ports.schedule import ScheduleStore
from bot.ports.store import Store
from bot.schedule.scheduler import Scheduler
from dialogs.model import Pick
from dialogs.script import Script
from tests.support.chats import REFLECTION, Chat, Clock, chat_for, play
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
    service,
    subscribe,
    where,
)

# the shared fixtures, for pytest to find
__all__ = ["data", "recorder", "schedule", "scheduler", "service", "where"]


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
    where: Where,
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
    assert next_due(where, "a") is None
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
    where: Where,
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
    assert next_due(where, "a") == "2025-03-08T09:00:00.000000+00:00"

    for day in range(1, 9):
        clock.now = NINE + timedelta(days=day)
        await run(scheduler)
    assert len(recorder.delivered) == 3  # the first, then 8 and 9 March


async def test_stop_pressed_between_claim_and_send_cancels_that_delivery(
    data: Store,
    schedule: ScheduleStore,
    service: Conversations,
    script: Script,
    clock: Clock,
    where: Where,
) -> None:
    deliverers: dict[str, RecordingDeliverer] = {}
    scheduler = Scheduler(data, schedule, script, deliverers, clock=clock)
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
        assert outcomes(where) == {"cancelled": 1}
    finally:
        await scheduler.stop()


# --------------------------------------------------------------------------------------------
# Check-in reminders


async def test_a_check_in_reminder_arrives_and_its_button_starts_the_check_in(
    scheduler: Scheduler,
    service: Conversations,
    clock: Clock,
    recorder: RecordingDeliverer,
    where: Where,
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
    assert outcomes(where) == {"sent": 1}


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
    data: Store,
    clock: Clock,
    recorder: RecordingDeliverer,
    where: Where,
) -> None:
    await subscribe(data, "a", clock.now)
    blocked = await subscribe(data, "b", clock.now)
    recorder.refuse["chat-b"] = RecipientUnreachable("blocked")
    clock.now = NINE
    await run(scheduler)
    assert recorder.chats == ["chat-a"]
    assert outcomes(where) == {"sent": 1, "unreachable": 2}  # the delivery, and the person
    sub = await data.mantras(blocked)
    assert sub is not None and not sub.enabled
    assert rows(where, "SELECT unreachable FROM users WHERE platform_user_id = 'b'") == [(1,)]
    del recorder.refuse["chat-b"]
    clock.now = NINE + timedelta(days=1)
    await run(scheduler)
    assert recorder.chats == ["chat-a", "chat-a"]


async def test_a_refused_delivery_is_logged_and_not_retried(
    scheduler: Scheduler,
    data: Store,
    clock: Clock,
    recorder: RecordingDeliverer,
    where: Where,
) -> None:
    await subscribe(data, "a", clock.now)
    recorder.refuse["chat-a"] = DeliveryFailed("Bad Request: chat not found")
    clock.now = NINE
    await run(scheduler)
    clock.now = NINE + timedelta(minutes=1)
    await run(scheduler)
    assert outcomes(where) == {"failed": 1}


async def test_a_person_forgotten_after_the_claim_gets_nothing(
    data: Store,
    schedule: ScheduleStore,
    service: Conversations,
    script: Script,
    clock: Clock,
    where: Where,
) -> None:
    deliverers: dict[str, RecordingDeliverer] = {}
    scheduler = Scheduler(data, schedule, script, deliverers, clock=clock)
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
        assert rows(where, "SELECT count(*) FROM delivery_log") == [(0,)]
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
    where: Where, script: Script, clock: Clock
) -> None:
    cipher = cipher_for(new_key())
    recorder = RecordingDeliverer()
    async with (
        open_data(where, clock=clock, cipher=cipher) as store,
        open_schedule(where, clock=clock, cipher=cipher) as sealed,
    ):
        scheduler = Scheduler(store, sealed, script, {"telegram": recorder}, clock=clock)
        try:
            chat = chat_for(Conversations(store, script, clock=clock), clock, user="a")
            await chat.command("reflect")
            await play(chat, REFLECTION)
            sealed_column = "payload_sealed" if isinstance(where, str) else "payload"
            assert [type(p) for (p,) in rows(where, f"SELECT {sealed_column} FROM due")] == [bytes]
            clock.now += timedelta(days=7)
            await run(scheduler)
        finally:
            await scheduler.stop()
    ((_, (reminder,)),) = recorder.delivered
    assert reminder.text.startswith("You asked me to check in about Sam.")
