"""What the read effects show that is not a record: the mantra status, and when the next one
comes, in the person's own time zone and the content's words.

The service (:mod:`bot.conversations`) reads the subscription from the store and hands the
plain values here; nothing in this module reads a clock or a file.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from dialogs.model import Reply
from dialogs.script import Script

__all__ = ["mantra_status", "mantras_saved", "when"]

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def when(moment: datetime, zone: tzinfo, now: datetime, script: Script) -> str:
    """``today at 09:00``, ``tomorrow at 09:00`` or ``on Monday 3 March at 09:00``, local."""
    local = moment.astimezone(zone)
    today = now.astimezone(zone).date()
    time = f"{local:%H:%M}"
    if local.date() == today:
        return script.say("when.today", time=time)
    if (local.date() - today).days == 1:
        return script.say("when.tomorrow", time=time)
    return script.say(
        "when.later",
        weekday=script.say(f"days_{_WEEKDAYS[local.weekday()]}"),
        day=local.day,
        month=script.say(f"month.{local.month}"),
        time=time,
    )


def mantra_status(
    script: Script,
    *,
    time: str,
    tz: str,
    days: str,
    next_due: datetime | None,
    zone: tzinfo,
    now: datetime,
) -> Reply:
    """``/mantras`` when they are on (``next_due`` set) or off (``None``)."""
    if next_due is None:
        return Reply(script.say("mantras.status_off"))
    label = script.say(f"days_{days}") if f"days_{days}" in script.messages else days
    return Reply(
        script.say(
            "mantras.status_on",
            time=time,
            tz=tz,
            days=label,
            next=when(next_due, zone, now, script),
        )
    )


def mantras_saved(
    script: Script, *, next_due: datetime | None, zone: tzinfo, now: datetime
) -> Reply:
    """Mantras just turned on or snoozed: when the next one comes."""
    if next_due is None:
        return Reply(script.say("mantras.status_off"))
    return Reply(script.say("mantras.saved", next=when(next_due, zone, now, script)))
