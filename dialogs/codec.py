"""State to and from JSON-able dicts, validated on the way in."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import cast

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
    }


def dumps(state: State) -> str:
    return json.dumps(state_to_json(state), ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> State:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidState("state is not JSON") from exc
    return state_from_json(raw)


def _opt_str(raw: Mapping[str, object], name: str) -> str | None:
    value = raw.get(name)
    if value is None or isinstance(value, str):
        return value
    raise InvalidState(f"{name} must be a string or null")


def state_from_json(raw: object) -> State:
    if not isinstance(raw, dict):
        raise InvalidState("state must be an object")
    version = raw.get("version")
    if version != STATE_VERSION:
        raise InvalidState(f"unknown state version {version!r}")
    data = raw.get("data", {})
    if not isinstance(data, dict):
        raise InvalidState("data must be an object")
    trail = raw.get("trail", [])
    if not isinstance(trail, list) or not all(isinstance(t, str) for t in trail):
        raise InvalidState("trail must be a list of node ids")
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
    mantras = raw.get("mantras", {})
    if not isinstance(mantras, dict):
        raise InvalidState("mantras must be an object")
    heard = raw.get("heard", [])
    if not isinstance(heard, list) or not all(isinstance(h, str) for h in heard):
        raise InvalidState("heard must be a list of line ids")
    disclosed = raw.get("disclosed", [])
    if not isinstance(disclosed, list) or not all(isinstance(d, str) for d in disclosed):
        raise InvalidState("disclosed must be a list of times")
    ask_since = raw.get("ask_since", False)
    plan = raw.get("plan", {})
    paused = raw.get("paused", {})
    if not isinstance(ask_since, bool) or not isinstance(plan, dict):
        raise InvalidState("ask_since must be a boolean and plan an object")
    if not isinstance(paused, dict):
        raise InvalidState("paused must be an object")
    intro = raw.get("intro_seen", False)
    if not isinstance(intro, bool):
        raise InvalidState("intro_seen must be a boolean")
    return State(
        flow=_opt_str(raw, "flow"),
        node=_opt_str(raw, "node"),
        data=cast(dict[str, JSON], data),
        trail=tuple(cast(list[str], trail)),
        ask=ask,
        started_at=_opt_str(raw, "started_at"),
        last_at=_opt_str(raw, "last_at"),
        intro_seen=intro,
        people=tuple(cast(list[dict[str, JSON]], people)),
        mantra_seen=tuple(cast(list[int], seen)),
        mantras=cast(dict[str, JSON], mantras),
        heard=tuple(cast(list[str], heard)),
        disclosed=tuple(cast(list[str], disclosed)),
        ask_since=ask_since,
        plan=cast(dict[str, JSON], plan),
        paused=cast(dict[str, JSON], paused),
        locale=_opt_str(raw, "locale"),
    )
