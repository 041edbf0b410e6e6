"""The terminal chat on a PostgreSQL database: its files go under ``data/``, not beside a file
that does not exist."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from adapters.console import run_console
from bot.core import open_core
from bot.settings import Settings


async def test_an_export_in_the_terminal_on_postgresql_is_saved_under_data(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(_env_file=None, database_url=pg_url)
    out = io.StringIO()
    async with open_core(settings) as core:
        await run_console(core, stdin=io.StringIO("/export\n"), stdout=out, user_id="pg-person")
    shown = out.getvalue()
    assert "[file] saved to data/exports/" in shown
    saved = [p for p in (tmp_path / "data" / "exports").rglob("*") if p.is_file()]
    assert len(saved) == 1 and saved[0].read_bytes().startswith(b"{")
