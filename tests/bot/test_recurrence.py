"""Next mantra time: local time of day, chosen days, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.recurrence import next_occurrence, runs_on


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


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


def test_same_local_time_before_and_after_a_dst_change() -> None:
    # Berlin moves to summer time on 30 March 2025: 09:00 local is 08:00 UTC before, 07:00 after
    before = next_occurrence("09:00", "Europe/Berlin", "daily", utc(2025, 3, 29, 9))
    assert before == utc(2025, 3, 30, 7)
    assert next_occurrence("09:00", "Europe/Berlin", "daily", utc(2025, 3, 28, 9)) == utc(
        2025, 3, 29, 8
    )


def test_time_skipped_by_spring_forward_moves_forward_by_the_gap() -> None:
    # 02:30 does not exist in Berlin on 30 March 2025; it is delivered at 03:30 CEST (01:30 UTC)
    got = next_occurrence("02:30", "Europe/Berlin", "daily", utc(2025, 3, 29, 12))
    assert got == utc(2025, 3, 30, 1, 30)


def test_time_repeated_by_fall_back_is_taken_the_first_time() -> None:
    # 02:30 happens twice in Berlin on 26 October 2025: first at 00:30 UTC (CEST)
    got = next_occurrence("02:30", "Europe/Berlin", "daily", utc(2025, 10, 25, 12))
    assert got == utc(2025, 10, 26, 0, 30)


def test_unknown_zone_falls_back_to_utc() -> None:
    assert next_occurrence("09:00", "Mars/Olympus", "daily", utc(2025, 3, 1)) == utc(2025, 3, 1, 9)


def test_naive_start_is_a_programmer_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_occurrence("09:00", "UTC", "daily", datetime(2025, 3, 1))


def test_days_rules() -> None:
    saturday = datetime(2025, 3, 1).date()
    assert runs_on("daily", saturday) and runs_on("sat", saturday)
    assert not runs_on("weekdays", saturday) and not runs_on("mon", saturday)
