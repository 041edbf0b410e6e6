"""Reading an answer for one node: typed text or a pressed option, per node type.

Pure helpers for :mod:`dialogs.machine`. Each returns what the answer means, or ``None`` when
the input does not fit the node (the machine then re-asks with a hint).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from dialogs.model import JSON
from dialogs.script import Node, Option, Script

_TIME = re.compile(r"^(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")
_RATING = re.compile(r"^([1-5])(?:\s*(?:/|of|out of)\s*5)?$")
_NUMBER = re.compile(r"^(\d{1,4})(?:\s*days?)?$")
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
