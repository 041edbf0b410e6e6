"""Realistic turns: answer whatever the real machine asked, the way a person might.

Presses one of the offered buttons (a random one, seeded), ticks one option of a multi-choice
question and then Done, types a few words where text is expected, and starts a new reflection
when a flow is over. Every turn therefore runs the real ``dialogs.step`` on a real question.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dialogs.model import Command, Event, Pick, Reply, Text

WORDS = ("It has been quiet for weeks.", "Sam", "I keep reaching out first.", "I'm tired.")


def _option(data: str) -> str:
    return data.split(":")[2]


@dataclass
class Walker:
    """One simulated person: feed it the replies of a turn, ask it for the next event."""

    rng: random.Random
    at: datetime = field(default_factory=lambda: datetime(2025, 3, 1, 8, tzinfo=UTC))
    last: list[Reply] = field(default_factory=list)

    def next_event(self) -> Event:
        self.at += timedelta(seconds=30)
        asks = [r for r in self.last if r.kind == "ask"]
        if not asks:
            return Command("reflect", self.at)
        ask = asks[-1]
        options = [b for b in ask.buttons if _option(b.data) not in ("skip", "done")]
        done = [b for b in ask.buttons if _option(b.data) == "done"]
        if done and ask.updates_prompt:
            return Pick(done[0].data, self.at)
        if options:
            return Pick(self.rng.choice(options).data, self.at)
        return Text(self.rng.choice(WORDS), self.at)
