"""When the next scheduled mantra is due: a local time of day, on some days, in a time zone.

Pure functions on timezone-aware datetimes (the scheduler will reuse them). Daylight-saving
changes are handled by building the *local* time for each candidate day and converting it:
a time that does not exist that day (the spring-forward gap) moves forward by the gap, and a
time that happens twice (the autumn fall-back) is taken the first time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; UTC if it is unknown (the dialog validates names already)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def runs_on(days: str, day: date) -> bool:
    """``daily``, ``weekdays``, or one weekday ``mon`` … ``sun``; anything else means daily."""
    if days == "weekdays":
        return day.weekday() < 5
    if days in WEEKDAYS:
        return day.weekday() == WEEKDAYS.index(days)
    return True


def parse_hhmm(text: str) -> time:
    try:
        hour, minute = (int(part) for part in text.split(":", 1))
        return time(hour, minute)
    except ValueError:
        return time(9, 0)


def next_occurrence(at_time: str, tz: str, days: str, after: datetime) -> datetime:
    """The first moment strictly after ``after`` that is ``at_time`` local time on a day that
    ``days`` allows, as aware UTC."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    local_zone = zone(tz)
    wanted = parse_hhmm(at_time)
    day = after.astimezone(local_zone).date()
    for offset in range(9):  # a weekly schedule always fits in 8 candidate days
        candidate_day = day + timedelta(days=offset)
        if not runs_on(days, candidate_day):
            continue
        local = datetime.combine(candidate_day, wanted, tzinfo=local_zone)
        moment = local.astimezone(UTC)
        if moment > after:
            return moment
    raise AssertionError("unreachable: some day within 9 always matches")
