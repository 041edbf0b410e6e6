"""The terminal chat on the real core and a real SQLite file, for tests that type whole chats."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from adapters.console import run_console
from bot.core import Core, open_core
from bot.settings import Settings
from tests.support.clocks import Ticking


@asynccontextmanager
async def console_core(tmp_path: Path, **settings: Any) -> AsyncIterator[Core]:
    """A core on ``tmp_path/data/threshold.db``, with any other settings given."""
    database = tmp_path / "data" / "threshold.db"
    chosen = Settings(_env_file=None, database_url=f"sqlite:///{database}", **settings)
    async with open_core(chosen) as opened:
        yield opened


async def typed(
    core: Core, lines: list[str], clock: Ticking | None = None, user_id: str = "tester"
) -> str:
    """What the terminal shows when ``lines`` are typed, one after another, then input ends."""
    out = io.StringIO()
    stdin = io.StringIO("".join(f"{line}\n" for line in lines))
    timed: dict[str, Any] = {"clock": clock} if clock is not None else {}
    await run_console(core, stdin=stdin, stdout=out, user_id=user_id, **timed)
    return out.getvalue()
