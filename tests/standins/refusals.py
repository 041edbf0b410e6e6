"""Calls the stand-ins refused because the platform's published API does not allow them.

Both stand-ins check every call against the spec they were built from (``specs/``): Telegram's
Bot API (:mod:`tests.standins.telegram_spec`) and Discord's OpenAPI description
(:mod:`tests.standins.discord_api.spec`). A call the spec does not allow is answered the way the
platform answers it (400 ``Bad Request: …`` or 50035 ``Invalid Form Body``) and recorded here.

``STANDIN_SPEC`` in the environment switches the checking:

* ``strict`` (the default): refuse, record, and fail the test that made the call unless it
  expected the refusal (the ``spec_refusals`` marker, or :meth:`RefusalLog.take`);
* ``check``: refuse and record, but let the test decide;
* ``off``: no checking at all (the stand-ins answer as they would without a spec).

``tests/conftest.py`` holds the fixture that makes a strict run fail.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

__all__ = ["MODES", "REFUSALS", "Refusal", "RefusalLog"]

Mode = Literal["strict", "check", "off"]
MODES: tuple[Mode, ...] = ("strict", "check", "off")


@dataclass(frozen=True)
class Refusal:
    """One refused call: which platform, what was called (``sendMessage``, or a method and a
    path template such as ``POST /channels/{channel_id}/messages``) and why."""

    platform: str
    call: str
    reason: str

    def __str__(self) -> str:
        return f"{self.platform} {self.call}: {self.reason}"


class RefusalLog:
    """Every refused call since the last :meth:`clear`, in order."""

    def __init__(self, mode: str | None = None) -> None:
        wanted = mode or os.environ.get("STANDIN_SPEC", "strict")
        if wanted not in MODES:
            raise ValueError(f"STANDIN_SPEC must be one of {', '.join(MODES)}, not {wanted!r}")
        self.mode: Mode = wanted
        self.refused: list[Refusal] = []

    @property
    def checking(self) -> bool:
        return self.mode != "off"

    @property
    def strict(self) -> bool:
        return self.mode == "strict"

    def record(self, refusal: Refusal) -> None:
        self.refused.append(refusal)

    def take(self) -> list[Refusal]:
        """The refusals so far, which the caller expected: they no longer fail the test."""
        taken, self.refused = self.refused, []
        return taken

    def clear(self) -> None:
        self.refused = []


REFUSALS = RefusalLog()
"""The log both stand-ins write to."""
