"""When the next mantra comes, said in the person's time zone and the content's words."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dialogs.readings import mantra_status, mantras_saved, when
from dialogs.script import Script

NOW = datetime(2025, 3, 29, 20, 0, tzinfo=UTC)  # a Saturday evening; Europe's clocks change tonight
LISBON = ZoneInfo("Europe/Lisbon")
SYDNEY = ZoneInfo("Australia/Sydney")


def test_later_today_and_tomorrow_are_said_so_in_local_time(script: Script) -> None:
    assert when(datetime(2025, 3, 29, 21, 30, tzinfo=UTC), LISBON, NOW, script) == "today at 21:30"
    # after the spring-forward night, 08:00 UTC is 09:00 in Lisbon
    tomorrow = datetime(2025, 3, 30, 8, 0, tzinfo=UTC)
    assert when(tomorrow, LISBON, NOW, script) == "tomorrow at 09:00"


def test_a_later_day_is_named_with_its_weekday_and_month(script: Script) -> None:
    later = datetime(2025, 4, 7, 6, 0, tzinfo=UTC)
    assert when(later, LISBON, NOW, script) == "on Monday 7 April at 07:00"


def test_the_day_is_the_persons_not_the_servers(script: Script) -> None:
    # 20:30 UTC on Saturday is already Sunday morning in Sydney, and so is "today" there
    assert when(datetime(2025, 3, 29, 20, 30, tzinfo=UTC), SYDNEY, NOW, script) == (
        "today at 07:30"
    )


def test_status_on_names_the_days_time_zone_and_next_one(script: Script) -> None:
    reply = mantra_status(
        script,
        time="09:00",
        tz="Europe/Lisbon",
        days="weekdays",
        next_due=datetime(2025, 3, 31, 8, 0, tzinfo=UTC),
        zone=LISBON,
        now=NOW,
    )
    assert reply.text == script.say("mantras.status_on", next="on Monday 31 March at 09:00")


def test_status_off_and_saved_without_a_next_one_say_they_are_off(script: Script) -> None:
    off = mantra_status(script, time="", tz="UTC", days="", next_due=None, zone=UTC, now=NOW)
    assert off.text == script.say("mantras.status_off")
    assert mantras_saved(script, next_due=None, zone=UTC, now=NOW).text == off.text
