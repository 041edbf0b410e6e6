"""When the next scheduled mantra is due: a local time of day, on some days, in a time zone.

Pure functions on timezone-aware datetimes, shared by the conversation service (the first
``next_due`` of a new schedule) and the scheduler (every advance). Daylight-saving changes are
handled by building the *local* time for each candidate day and converting it to UTC; instants
are only ever compared in UTC:

* a time that does not exist that day (skipped by a spring-forward change, e.g. 02:30 in Berlin
  on the last Sunday of March) is delivered at the **first valid minute** after the gap (03:00);
* a time that happens twice (repeated by a fall-back change, e.g. 02:30 on the last Sunday of
  October) is delivered **once, at its first occurrence** (``fold=0``), and the next delivery is
  the following day's: the second pass through 02:30 never counts.

APScheduler's ``CronTrigger`` fires twice on fall-back nights (measured in issue 4), which is
why the scheduler computes next-due here instead.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SECOND = timedelta(seconds=1)


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; UTC if it is unknown (the dialog validates names already) or
    not a zone at all: a stored name that is a folder of the zone database (``Europe``) or
    otherwise unreadable raises ``OSError``, and one tampered row must not stop every claim.
    Kept here: ``ZoneInfo``'s own cache holds only a few zones strongly, and a scheduler tick
    converts times in hundreds."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


def runs_on(days: str, day: date) -> bool:
    """``daily``, ``weekdays``, or one weekday ``mon`` … ``sun``; anything else means daily."""
    if days == "weekdays":
        return day.weekday() < 5
    if days in WEEKDAYS:
        return day.weekday() == WEEKDAYS.index(days)
    return True


@lru_cache(maxsize=2048)
def parse_hhmm(text: str) -> time:
    try:
        hour, minute = (int(part) for part in text.split(":", 1))
        return time(hour, minute)
    except ValueError:
        return time(9, 0)


def local_to_utc(day: date, wanted: time, tz: tzinfo) -> datetime:
    """The instant (aware UTC) at which the wall clock in ``tz`` shows ``wanted`` on ``day``:
    the first occurrence of a repeated time, the first valid minute after a skipped one."""
    local = datetime.combine(day, wanted, tzinfo=tz)  # fold=0: the first of a repeated time
    first, second = tz.utcoffset(local), tz.utcoffset(local.replace(fold=1))
    if first is None or second is None:
        raise ValueError("a time zone without a UTC offset")
    naive = local.replace(tzinfo=None)
    if first >= second:  # the same: the time exists once; larger: repeated, take the first
        return (naive - first).replace(tzinfo=UTC)
    # In a gap (PEP 495): fold=0 converts with the offset before the change (an instant after
    # the gap), fold=1 with the offset after it (an instant before the gap). The change lies
    # between; the first valid minute is the instant of the change itself.
    low, high = (naive - second).replace(tzinfo=UTC), (naive - first).replace(tzinfo=UTC)
    offset_before = low.astimezone(tz).utcoffset()
    while high - low > _SECOND:
        middle = low + timedelta(seconds=max(1, int((high - low).total_seconds()) // 2))
        if middle.astimezone(tz).utcoffset() == offset_before:
            low = middle
        else:
            high = middle
    return high


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
        moment = local_to_utc(candidate_day, wanted, local_zone)
        if moment > after:
            return moment
    raise AssertionError("unreachable: some day within 9 always matches")


def first_at_or_after(at_time: str, tz: str, days: str, start: datetime) -> datetime:
    """The first scheduled moment at ``start`` or later (a snooze ends *at* its instant)."""
    return next_occurrence(at_time, tz, days, start - timedelta(microseconds=1))
