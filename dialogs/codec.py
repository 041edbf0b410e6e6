"""State to and from JSON-able dicts: validated on the way in, and upgraded from every earlier
version, so a new version of the state never resets anyone's conversation.

Version 1 kept the side questions in the answers, under keys that began with ``_`` (``_switch``,
``_safety``, ``_tz_candidates`` …); version 2 has a typed field for each (:class:`State`).
A version newer than this code knows is refused (:class:`InvalidState`): the state stays as it
is stored, for the newer code it came from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, cast

from dialogs.model import JSON, STATE_VERSION, State


class InvalidState(ValueError):
    """A persisted state does not have the shape of :class:`State`."""


def state_to_json(state: State) -> dict[str, JSON]:
    return {
        "version": state.version,
        "flow": state.flow,
        "node": state.node,
        "data": dict(state.data),
        "trail": list(state.trail),
        "ask": state.ask,
        "started_at": state.started_at,
        "last_at": state.last_at,
        "intro_seen": state.intro_seen,
        "people": [dict(p) for p in state.people],
        "mantra_seen": list(state.mantra_seen),
        "mantras": dict(state.mantras),
        "heard": list(state.heard),
        "disclosed": list(state.disclosed),
        "ask_since": state.ask_since,
        "plan": dict(state.plan),
        "paused": dict(state.paused),
        "locale": state.locale,
        "switch_to": state.switch_to,
        "cancelling": state.cancelling,
        "safety_then": state.safety_then,
        "safety_step": state.safety_step,
        "since_then": state.since_then,
        "zones_offered": list(state.zones_offered),
        "gentle": state.gentle,
        "gentle_said": state.gentle_said,
        "low": state.low,
    }


def dumps(state: State) -> str:
    return json.dumps(state_to_json(state), ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> State:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidState("state is not JSON") from exc
    return state_from_json(raw)


# ---------------------------------------------------------------------------------------------
# Upgrades: one function per version, from that version to the next.

_V1_SIDE = {
    "_switch": "switch_to",
    "_cancel": "cancelling",
    "_safety": "safety_then",
    "_safety_step": "safety_step",
    "_since": "since_then",
    "_tz_candidates": "zones_offered",
    "_gentle": "gentle",
    "_gentle_said": "gentle_said",
    "_low": "low",
}


def _from_v1(raw: dict[str, Any]) -> dict[str, Any]:
    """Side questions and flags move out of the answers into fields of their own."""
    data = dict(raw.get("data") or {}) if isinstance(raw.get("data"), dict) else {}
    for old, new in _V1_SIDE.items():
        if old in data:
            raw[new] = data.pop(old)
    raw["data"] = {k: v for k, v in data.items() if not str(k).startswith("_")}
    paused = raw.get("paused")
    if isinstance(paused, dict) and isinstance(paused.get("data"), dict):
        kept = paused["data"]
        paused["gentle"] = bool(kept.get("_gentle"))
        paused["data"] = {k: v for k, v in kept.items() if not str(k).startswith("_")}
    raw["version"] = 2
    return raw


UPGRADES: Mapping[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _from_v1}


def upgrade(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` brought to :data:`STATE_VERSION`, one version at a time."""
    version = raw.get("version")
    while isinstance(version, int) and not isinstance(version, bool) and version in UPGRADES:
        raw = UPGRADES[version](dict(raw))
        version = raw.get("version")
    if version != STATE_VERSION:
        raise InvalidState(f"unknown state version {version!r}")
    return raw


# ---------------------------------------------------------------------------------------------
# Reading


def _opt_str(raw: Mapping[str, object], name: str) -> str | None:
    value = raw.get(name)
    if value is None or isinstance(value, str):
        return value
    raise InvalidState(f"{name} must be a string or null")


def _bool(raw: Mapping[str, object], name: str) -> bool:
    value = raw.get(name, False)
    if not isinstance(value, bool):
        raise InvalidState(f"{name} must be a boolean")
    return value


def _object(raw: Mapping[str, object], name: str) -> dict[str, JSON]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise InvalidState(f"{name} must be an object")
    return cast(dict[str, JSON], value)


def _strings(raw: Mapping[str, object], name: str) -> tuple[str, ...]:
    value = raw.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidState(f"{name} must be a list of strings")
    return tuple(cast(list[str], value))


def state_from_json(raw: object) -> State:
    if not isinstance(raw, dict):
        raise InvalidState("state must be an object")
    raw = upgrade(raw)
    ask = raw.get("ask", 0)
    if not isinstance(ask, int) or isinstance(ask, bool) or ask < 0:
        raise InvalidState("ask must be a non-negative integer")
    people = raw.get("people", [])
    if not isinstance(people, list) or not all(isinstance(p, dict) for p in people):
        raise InvalidState("people must be a list of objects")
    seen = raw.get("mantra_seen", [])
    if not isinstance(seen, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in seen
    ):
        raise InvalidState("mantra_seen must be a list of integers")
    return State(
        flow=_opt_str(raw, "flow"),
        node=_opt_str(raw, "node"),
        data=_object(raw, "data"),
        trail=_strings(raw, "trail"),
        ask=ask,
        started_at=_opt_str(raw, "started_at"),
        last_at=_opt_str(raw, "last_at"),
        intro_seen=_bool(raw, "intro_seen"),
        people=tuple(cast(list[dict[str, JSON]], people)),
        mantra_seen=tuple(cast(list[int], seen)),
        mantras=_object(raw, "mantras"),
        heard=_strings(raw, "heard"),
        disclosed=_strings(raw, "disclosed"),
        ask_since=_bool(raw, "ask_since"),
        plan=_object(raw, "plan"),
        paused=_object(raw, "paused"),
        locale=_opt_str(raw, "locale"),
        switch_to=_opt_str(raw, "switch_to"),
        cancelling=_bool(raw, "cancelling"),
        safety_then=_opt_str(raw, "safety_then"),
        safety_step=_opt_str(raw, "safety_step"),
        since_then=_opt_str(raw, "since_then"),
        zones_offered=_strings(raw, "zones_offered"),
        gentle=_bool(raw, "gentle"),
        gentle_said=_bool(raw, "gentle_said"),
        low=_bool(raw, "low"),
    )
