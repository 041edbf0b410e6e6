"""``/mantras`` with arguments: the schedule set in one command, asking only what is missing.

``/mantras off``, ``/mantras on``, ``/mantras 07:30 Europe/Berlin weekdays``: the words may come
in any order. A platform with command options (Discord's ``/mantras time:… timezone:…``) sends
the same arguments, so no adapter needs to know the questions of the flow.
"""

from __future__ import annotations

import re

from dialogs import answers, flow
from dialogs.frozen import replace
from dialogs.model import State
from dialogs.script import Script

FLOW = "mantras"
STEPS = (("time", "mantras.time"), ("tz", "mantras.tz"), ("days", "mantras.days"))
SAVE = "mantras.save"
OFF = "mantras.off"
DAY_NODES = ("mantras.days", "mantras.weekday")


def read(arg: str, script: Script) -> tuple[str | None, dict[str, str], list[str]]:
    """``on``/``off`` (or ``None``), the schedule words understood, and the words that were not."""
    mode: str | None = None
    found: dict[str, str] = {}
    unknown: list[str] = []
    zones = {z.casefold(): z for z in script.time_zones}
    cities: dict[str, list[str]] = {}
    for zone in sorted(script.time_zones):
        if "/" in zone:
            cities.setdefault(zone.rsplit("/", 1)[1].casefold(), []).append(zone)
    days = [o for node in DAY_NODES for o in script.node(node).options if o.id != "weekly"]
    text = answers.clean_text(arg)
    phrases = sorted(
        ((alias, o.id) for o in days for alias in o.aliases if " " in alias),
        key=lambda pair: len(pair[0]),
        reverse=True,
    )
    for phrase, day_id in phrases:  # a choice in several words ("every day") comes first
        match = re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.IGNORECASE)
        if match is not None:
            found["days"] = day_id
            text = f"{text[: match.start()]} {text[match.end() :]}"
            break
    for word in text.split():
        key = word.casefold()
        time = answers.parse_time(word)
        day = answers.match_option(word, days) if not key.isdecimal() else None
        if key in ("on", "off"):
            mode = key
        elif time is not None:
            found["time"] = time
        elif day is not None:
            found["days"] = day.id
        elif key in zones or key in script.tz_aliases:
            found["tz"] = zones.get(key) or script.tz_aliases[key]
        elif len(cities.get(key, ())) == 1:
            found["tz"] = cities[key][0]
        else:
            unknown.append(word)
    return mode, found, unknown


def mantras_command(state: State, arg: str, script: Script, out: flow.Out) -> State:
    """Apply ``/mantras <arg>``; plain ``/mantras`` (nothing understood) opens the menu."""
    mode, found, unknown = read(arg, script)
    if unknown:
        out.say(script.say("mantras_arg_unknown", value=" ".join(unknown)[:60]), "notice")
    if (mode is None and not found) or (state.flow is not None and state.flow != FLOW):
        return flow.begin(state, FLOW, script, out)
    if not state.intro_seen and mode != "off":
        out.say(script.say("intro"))
        state = replace(state, intro_seen=True)
    state = replace(state, flow=FLOW, data=dict(found), trail=(), started_at=out.at.isoformat())
    if mode == "off":
        return flow.goto(state, OFF, script, out)
    missing = next((node for store, node in STEPS if store not in found), SAVE)
    return flow.goto(state, missing, script, out)
