"""Write ``docs/conversation.md``: one whole reflection and one check-in, as the terminal shows
them, made by the real terminal chat from the content as it is now (``make docs``).

Everything the bot says in it comes from ``dialogs/content/``; the person's lines are below. A
test makes the page again and compares, so the page cannot drift from the content.
"""

from __future__ import annotations

import asyncio
import io
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.console import run_console
from bot.core import open_core
from bot.settings import Settings

PAGE = Path(__file__).resolve().parent.parent / "docs" / "conversation.md"
START = datetime(2025, 3, 1, 21, 40, tzinfo=UTC)
WIDTH = 96

REFLECTION = [
    "I don't even know where to start. She just stopped.",
    "Maya",
    "my girlfriend",
    "2 4 5",
    "it's definitely a pattern",
    "partly",
    "She read my message two days ago. Nothing.",
    "sometimes",
    "almost all me",
    "I keep texting first and she never asks how I am. I was the only one who ever cared. 😔💔",
    "some of both",
    "We were together for four years. I miss how we used to talk every night.",
    "draining, one-sided",
    "sometimes",
    "I deserve someone who answers me.",
    "set a boundary",
    "7",
    "no",
]
CHECKIN = [
    "/checkin",
    "1",
    "We talked on Sunday. She said she's been overwhelmed, and I believe her, mostly.",
    "partly",
    "sometimes",
    "2",
    "love",
    "3",
    "keep it",
    "no",
]
HEADER = """# A conversation, as the terminal shows it

One whole reflection and one check-in, written by the terminal chat itself from the content in
`dialogs/content/` (`make docs` writes this page again; a test fails when it is out of date). The
person's lines are marked `>`; everything else is what Threshold says. Read it as the person
would, late at night, after something hurt.

"""


class _Clock:
    """Two minutes between the person's lines, from a fixed evening: the page is the same every
    time. Only a line typed moves it (:meth:`tick`, the terminal's clock); the scheduler only
    reads it, so how often its one-second tick comes (slower on a busy machine) changes nothing."""

    def __init__(self) -> None:
        self._now = START - timedelta(minutes=2)

    def __call__(self) -> datetime:
        return self._now

    def tick(self) -> datetime:
        self._now += timedelta(minutes=2)
        return self._now


async def transcript() -> str:
    """The two conversations, as printed."""
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "threshold.db"
        settings = Settings(_env_file=None, database_url=f"sqlite:///{database}")
        clock = _Clock()
        parts = []
        async with open_core(settings, clock=clock) as core:
            for lines in (REFLECTION, CHECKIN):
                out = io.StringIO()
                typed = io.StringIO("".join(f"{line}\n" for line in lines))
                await run_console(
                    core,
                    stdin=typed,
                    stdout=out,
                    user_id="reader",
                    exports_dir=Path(folder) / "exports",
                    clock=clock.tick,
                    echo=True,
                    width=WIDTH,
                )
                parts.append(out.getvalue().strip("\n"))
    reflection, checkin = parts
    return (
        f"{HEADER}## A first reflection\n\n```text\n{reflection}\n```\n\n"
        f"## A check-in, later\n\n```text\n{checkin}\n```\n"
    )


def main() -> int:
    page = asyncio.run(transcript())
    if "--check" in sys.argv[1:]:
        if not PAGE.exists() or PAGE.read_text(encoding="utf-8") != page:
            print(f"{PAGE} is out of date: run make docs", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(page, encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
