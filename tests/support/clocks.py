"""Clocks tests move by hand: nothing sleeps, and every time is a real, zone-aware moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@dataclass
class Clock:
    """A settable clock: tests move time (``now``, :meth:`advance`), nothing sleeps."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Ticking(Clock):
    """A clock a minute further on each time it is read: one typed line a minute."""

    def __call__(self) -> datetime:
        return self.advance(minutes=1)
