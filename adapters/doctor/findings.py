"""What a check of ``threshold doctor`` finds: ``ok``, a ``note`` (worth knowing, nothing to fix)
or a ``problem`` (``threshold run`` would fail or misbehave)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

from bot.settings import Settings

Status = Literal["ok", "note", "problem"]
MARKS = {"ok": "ok", "note": "note", "problem": "PROBLEM"}


@dataclass(frozen=True)
class Finding:
    status: Status
    topic: str
    text: str


Check = Callable[[Settings], list[Finding]]


def ok(topic: str, text: str) -> Finding:
    return Finding("ok", topic, text)


def note(topic: str, text: str) -> Finding:
    return Finding("note", topic, text)


def problem(topic: str, text: str) -> Finding:
    return Finding("problem", topic, text)


def secret(value: object) -> str | None:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None
