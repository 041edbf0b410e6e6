"""Next mantra time: local time of day, chosen days, across daylight-saving changes.

The zones are the issue's: Europe/Berlin and America/New_York (one-hour shifts on different
dates) and Australia/Lord_Howe (a 30-minute shift, in the southern hemisphere). Every expected
instant is written out in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.schedule.recurrence import (
    first_at_or_after,
    local_to_utc,
    next_occurrence,
    parse_hhmm,
    runs_on,
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_daily_later_today_or_tomorrow() -> None:
    assert next_occurrence("09:00", "UTC", "daily", utc(2025, 3, 1, 8)) == utc(2025, 3, 1, 9)
    assert next_occurrence("09:00", "UTC", "daily", utc(2025, 3, 1, 9)) == utc(2025, 3, 2, 9)


def test_local_time_in_another_zone() -> None:
    # 07:30 in Tokyo (UTC+9) is 22:30 UTC the day before
    got = next_occurrence("07:30", "Asia/Tokyo", "daily", utc(2025, 3, 1, 12))
    assert got == utc(2025, 3, 1, 22, 30)


def test_weekdays_skip_the_weekend() -> None:
    saturday = utc(2025, 3, 1, 10)
    assert next_occurrence("09:00", "UTC", "weekdays", saturday) == utc(2025, 3, 3, 9)


def test_one_day_a_week() -> None:
    wednesday_after = utc(2025, 3, 5, 10)
    assert next_occurrence("09:00", "UTC", "wed", wednesday_after) == utc(2025, 3, 12, 9)
    assert next_occurrence("09:00", "UTC", "sun", wednesday_after) == utc(2025, 3, 9, 9)


def test_unknown_zone_falls_back_to_utc() -> None:
    assert next_occurrence("09:00", "Mars/Olympus", "daily", utc(2025, 3, 1)) == utc(2025, 3, 1, 9)


def test_naive_start_is_a_programmer_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_occurrence("09:00", "UTC", "daily", datetime(2025, 3, 1))


def test_days_rules() -> None:
    saturday = datetime(2025, 3, 1).date()
    assert runs_on("daily", saturday) and runs_on("sat", saturday)
    assert not runs_on("weekdays", saturday) and not runs_on("mon", saturday)


def test_snooze_end_counts_a_delivery_at_that_very_instant() -> None:
    start = utc(2025, 3, 8, 9)
    assert first_at_or_after("09:00", "UTC", "daily", start) == start
    assert next_occurrence("09:00", "UTC", "daily", start) == utc(2025, 3, 9, 9)


# --------------------------------------------------------------------------------------------
# Daylight saving: (zone, time, days, after, expected UTC instant)

SAME_WALL_TIME = [
    # Berlin: CET (+1) until 30 March 2025 01:00 UTC, then CEST (+2); back on 26 October.
    ("Europe/Berlin", "09:00", "daily", utc(2025, 3, 29, 9), utc(2025, 3, 30, 7)),
    ("Europe/Berlin", "09:00", "daily", utc(2025, 3, 28, 9), utc(2025, 3, 29, 8)),
    ("Europe/Berlin", "09:00", "weekdays", utc(2025, 3, 28, 9), utc(2025, 3, 31, 7)),
    ("Europe/Berlin", "09:00", "sun", utc(2025, 10, 20), utc(2025, 10, 26, 8)),
    # New York: EST (-5) until 9 March 2025 07:00 UTC, then EDT (-4); back on 2 November.
    ("America/New_York", "08:00", "daily", utc(2025, 3, 8, 14), utc(2025, 3, 9, 12)),
    ("America/New_York", "08:00", "weekdays", utc(2025, 10, 31, 13), utc(2025, 11, 3, 13)),
    ("America/New_York", "08:00", "mon", utc(2025, 3, 4), utc(2025, 3, 10, 12)),
    # Lord Howe: +11 in summer, +10:30 in winter; the shift is 30 minutes.
    ("Australia/Lord_Howe", "09:00", "daily", utc(2025, 4, 5, 12), utc(2025, 4, 5, 22, 30)),
    ("Australia/Lord_Howe", "09:00", "daily", utc(2025, 4, 4, 12), utc(2025, 4, 4, 22)),
    ("Australia/Lord_Howe", "09:00", "weekdays", utc(2025, 10, 3, 12), utc(2025, 10, 5, 22)),
    ("Australia/Lord_Howe", "09:00", "wed", utc(2025, 10, 1), utc(2025, 10, 7, 22)),
]


@pytest.mark.parametrize(("tz", "at", "days", "after", "expected"), SAME_WALL_TIME)
def test_the_same_local_time_on_either_side_of_a_change(
    tz: str, at: str, days: str, after: datetime, expected: datetime
) -> None:
    got = next_occurrence(at, tz, days, after)
    assert got == expected
    assert got.astimezone(ZoneInfo(tz)).strftime("%H:%M") == at


SPRING_FORWARD = [
    # 02:30 does not exist in Berlin on 30 March 2025: the first valid minute is 03:00 CEST.
    ("Europe/Berlin", "02:30", "daily", utc(2025, 3, 29, 12), utc(2025, 3, 30, 1), "03:00"),
    ("Europe/Berlin", "02:00", "sun", utc(2025, 3, 24), utc(2025, 3, 30, 1), "03:00"),
    ("Europe/Berlin", "02:59", "daily", utc(2025, 3, 29, 12), utc(2025, 3, 30, 1), "03:00"),
    # 02:30 does not exist in New York on 9 March 2025: 03:00 EDT.
    ("America/New_York", "02:30", "daily", utc(2025, 3, 8, 12), utc(2025, 3, 9, 7), "03:00"),
    ("America/New_York", "02:30", "sun", utc(2025, 3, 3), utc(2025, 3, 9, 7), "03:00"),
    # Lord Howe skips 02:00–02:29 on 5 October 2025: 02:15 moves to 02:30 (+11).
    ("Australia/Lord_Howe", "02:15", "daily", utc(2025, 10, 4), utc(2025, 10, 4, 15, 30), "02:30"),
    ("Australia/Lord_Howe", "02:15", "sun", utc(2025, 9, 29), utc(2025, 10, 4, 15, 30), "02:30"),
]


@pytest.mark.parametrize(("tz", "at", "days", "after", "expected", "local"), SPRING_FORWARD)
def test_a_time_skipped_by_spring_forward_moves_to_the_first_valid_minute(
    tz: str, at: str, days: str, after: datetime, expected: datetime, local: str
) -> None:
    got = next_occurrence(at, tz, days, after)
    assert got == expected
    assert got.astimezone(ZoneInfo(tz)).strftime("%H:%M") == local
    # and the day after, the wall time is back to what was chosen
    following = next_occurrence(at, tz, "daily", got)
    assert following.astimezone(ZoneInfo(tz)).strftime("%H:%M") == at


FALL_BACK = [
    # 02:30 happens twice in Berlin on 26 October 2025: 00:30 UTC (CEST) and 01:30 UTC (CET).
    ("Europe/Berlin", "02:30", "daily", utc(2025, 10, 26, 0, 30), utc(2025, 10, 27, 1, 30)),
    ("Europe/Berlin", "02:30", "sun", utc(2025, 10, 26, 0, 30), utc(2025, 11, 2, 1, 30)),
    # 01:30 happens twice in New York on 2 November 2025: 05:30 UTC (EDT) and 06:30 UTC (EST).
    ("America/New_York", "01:30", "daily", utc(2025, 11, 2, 5, 30), utc(2025, 11, 3, 6, 30)),
    ("America/New_York", "01:30", "sun", utc(2025, 11, 2, 5, 30), utc(2025, 11, 9, 6, 30)),
    # 01:45 happens twice on Lord Howe on 6 April 2025: 14:45 UTC (+11) and 15:15 UTC (+10:30).
    ("Australia/Lord_Howe", "01:45", "daily", utc(2025, 4, 5, 14, 45), utc(2025, 4, 6, 15, 15)),
    ("Australia/Lord_Howe", "01:45", "sun", utc(2025, 4, 5, 14, 45), utc(2025, 4, 12, 15, 15)),
]


@pytest.mark.parametrize(("tz", "at", "days", "delivered", "expected"), FALL_BACK)
def test_a_time_repeated_by_fall_back_is_delivered_once_at_its_first_occurrence(
    tz: str, at: str, days: str, delivered: datetime, expected: datetime
) -> None:
    # the first occurrence is the one chosen…
    assert next_occurrence(at, tz, days, delivered - timedelta(hours=3)) == delivered
    # …and after it, the repeat of the same wall time (an hour or 30 minutes later) is skipped
    assert next_occurrence(at, tz, days, delivered) == expected
    for later in (delivered + timedelta(minutes=1), delivered + timedelta(minutes=59)):
        assert next_occurrence(at, tz, days, later) == expected


ZONES = ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe")
TIMES = ("00:00", "01:30", "01:45", "02:00", "02:15", "02:30", "03:00", "09:00", "23:59")


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize("days", ["daily", "weekdays", "sun"])
def test_a_year_of_deliveries_has_one_per_scheduled_day_at_the_chosen_or_first_valid_time(
    tz: str, days: str
) -> None:
    local_zone = ZoneInfo(tz)
    for at in TIMES:
        wanted = parse_hhmm(at)
        moment = utc(2024, 12, 31)
        seen_days: list[date] = []
        while moment < utc(2026, 1, 1):
            following = next_occurrence(at, tz, days, moment)
            assert following > moment
            local = following.astimezone(local_zone)
            assert runs_on(days, local.date())
            if local.time() != wanted:  # only on a spring-forward day, and only later by the gap
                assert local.time() > wanted
                assert (
                    local.utcoffset()
                    != (following - timedelta(hours=1)).astimezone(local_zone).utcoffset()
                )
            seen_days.append(local.date())
            moment = following
        assert len(seen_days) == len(set(seen_days))  # never twice on one local day
        expected = [d for d in _days(date(2025, 1, 1), date(2025, 12, 31)) if runs_on(days, d)]
        assert [d for d in seen_days if d.year == 2025] == expected


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_local_to_utc_agrees_with_zoneinfo_whenever_the_time_exists() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    moment = local_to_utc(date(2025, 7, 1), parse_hhmm("21:15"), berlin)
    assert moment == utc(2025, 7, 1, 19, 15)
