"""Reading an answer for one node: typed text or a pressed option, per node type.

Pure helpers for :mod:`dialogs.machine`. Each returns what the answer means, or ``None`` when
the input does not fit the node (the machine then re-asks with a hint).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime

from dialogs.model import JSON
from dialogs.script import Node, Option, Script

_TIME = re.compile(r"^(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")
_RATING = re.compile(r"^([1-5])(?:\s*(?:/|of|out of)\s*5)?$")
_NUMBER = re.compile(r"^(\d{1,4})(?:\s*days?)?$")
_CLOCK = re.compile(r"^\d{1,2}(?:[:.h](\d{2}))?(am|pm|a\.m\.?|p\.m\.?)?$")
_DONE_WORDS = frozenset({"done", "ok", "okay", "finished", "that's all", "thats all", "next"})


def clean_text(text: str) -> str:
    """Drop control characters (keeping newlines and tabs) and surrounding white space."""
    kept = "".join(
        ch for ch in text if ch in "\n\t" or not unicodedata.category(ch).startswith(("Cc", "Cs"))
    )
    return kept.strip()


def _key(text: str) -> str:
    return " ".join(clean_text(text).casefold().split()).strip(" .!")


def people_options(people: Sequence[Mapping[str, JSON]], script: Script) -> tuple[Option, ...]:
    """The most recently reflected-on relationships, newest first (at most eight)."""
    ordered = sorted(people, key=lambda p: str(p.get("last_at") or ""), reverse=True)[:8]
    options = []
    for person in ordered:
        kind = str(person.get("kind") or "")
        label = str(person.get("name") or "") or f"{script.say('someone').capitalize()}"
        if kind:
            label = f"{label} ({kind})"
        name = str(person.get("name") or "").casefold()
        options.append(Option(id=str(person["id"]), label=label, aliases=(name,) if name else ()))
    return tuple(options)


def match_option(text: str, options: Sequence[Option]) -> Option | None:
    """An option named by typed text: its number, its label, or one of its aliases."""
    key = _key(text)
    if not key:
        return None
    if key.isdecimal():
        index = int(key) - 1
        return options[index] if 0 <= index < len(options) else None
    for option in options:
        if key == _key(option.label) or key == option.id.casefold():
            return option
    for option in options:
        if key in option.aliases:
            return option
    return None


def is_done_word(text: str) -> bool:
    return _key(text) in _DONE_WORDS


def parse_rating(text: str) -> int | None:
    found = _RATING.match(_key(text))
    return int(found.group(1)) if found else None


def parse_days(text: str, node: Node) -> int | None:
    found = _NUMBER.match(_key(text))
    if not found:
        return None
    days = int(found.group(1))
    return days if node.min <= days <= node.max else None


def parse_time(text: str) -> str | None:
    """``"9pm"`` → ``"21:00"``, ``"07:45"`` → ``"07:45"``; ``None`` if it is not a time."""
    key = _key(text).replace(" ", "")
    if key in ("noon", "midday"):
        return "12:00"
    found = _TIME.match(key)
    if not found:
        return None
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    suffix = (found.group(3) or "").replace(".", "")
    if suffix:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def find_time_zones(text: str, script: Script) -> list[str]:
    """Zones matching a typed zone name, city or alias: one exact match, or candidates."""
    key = _key(text)
    if not key:
        return []
    by_lower = {z.casefold(): z for z in script.time_zones}
    if key in by_lower:
        return [by_lower[key]]
    if key in script.tz_aliases:
        return [script.tz_aliases[key]]
    city = key.replace(" ", "_")
    exact = sorted(
        z for z in script.time_zones if "/" in z and z.rsplit("/", 1)[1].casefold() == city
    )
    if exact:
        return exact[:8]
    if len(city) < 3:
        return []
    partial = sorted(
        z
        for z in script.time_zones
        if "/" in z and not z.startswith(("Etc/", "SystemV/")) and city in z.casefold()
    )
    aliased = sorted({zone for alias, zone in script.tz_aliases.items() if key in alias})
    return list(dict.fromkeys(aliased + partial))[:8]


MAX_ZONES = 8
_DAY_MINUTES = 24 * 60


def clock_time(text: str) -> tuple[str, int] | None:
    """A time read off a clock, ``"14:05"`` or ``"2pm"``, as ``("14:05", tolerance)``: how many
    minutes a zone's local time may differ from it (a clock read to the minute may be slightly
    off; "2pm" means roughly). A bare number is not a clock time: it may name an option."""
    key = _key(text).replace(" ", "")
    found = _CLOCK.match(key)
    if found is None or (found.group(1) is None and found.group(2) is None):
        return None
    shown = parse_time(key)
    if shown is None:
        return None
    return shown, 2 if found.group(1) is not None else 30


def zones_at_local_time(shown: str, tolerance: int, at: datetime, script: Script) -> list[str]:
    """Zones whose local time at ``at`` is within ``tolerance`` minutes of ``shown`` (``HH:MM``):
    the script's popular zones first, in their order, then the others by name."""
    hour, minute = (int(part) for part in shown.split(":"))
    wanted = hour * 60 + minute
    found = set()
    for name, rules in script.zone_rules.items():
        local = at.astimezone(rules)
        apart = abs(local.hour * 60 + local.minute - wanted) % _DAY_MINUTES
        if min(apart, _DAY_MINUTES - apart) <= tolerance:
            found.add(name)
    popular = [z for z in script.popular_zones if z in found]
    return [*popular, *sorted(found - set(popular))][:MAX_ZONES]
