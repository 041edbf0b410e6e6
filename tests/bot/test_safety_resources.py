"""``SAFETY_RESOURCES_FILE``: the help resources come from a file when it is set."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core import open_core
from bot.errors import ConfigError
from bot.safety_resources import MAX_CHARS, read_resources
from bot.settings import Settings
from bot.store import UserKey
from dialogs.model import Text

LOCAL = "Samaritans (UK and Ireland): call 116 123, free, any time. {Not a field}"


def settings(tmp_path: Path, resources: Path | None) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path}/t.db",
        safety_resources_file=resources,
    )


async def test_the_file_replaces_the_default_resources_where_help_is_offered(
    tmp_path: Path,
) -> None:
    path = tmp_path / "help.txt"
    path.write_text(LOCAL + "\n", encoding="utf-8")
    async with open_core(settings(tmp_path, path)) as core:
        replies = await core.conversations.handle(
            UserKey("console", "me"), Text("I want to die", datetime(2025, 3, 1, tzinfo=UTC))
        )
    assert LOCAL in replies[0].text
    assert "findahelpline" not in replies[0].text


async def test_without_the_setting_the_international_directories_are_shown(
    tmp_path: Path,
) -> None:
    async with open_core(settings(tmp_path, None)) as core:
        replies = await core.conversations.handle(
            UserKey("console", "me"), Text("he hits me", datetime(2025, 3, 1, tzinfo=UTC))
        )
    assert "https://findahelpline.com" in replies[0].text


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "does not exist"), ("  \n", "is empty"), ("x" * (MAX_CHARS + 1), "characters")],
)
async def test_a_file_that_cannot_be_used_stops_the_start(
    tmp_path: Path, content: str | None, problem: str
) -> None:
    path = tmp_path / "help.txt"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=problem):
        read_resources(path)
    with pytest.raises(ConfigError, match="SAFETY_RESOURCES_FILE"):
        async with open_core(settings(tmp_path, path)):
            pass


def test_a_file_that_is_not_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "help.bin"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_resources(path)
