"""``SAFETY_RESOURCES_FILE``: the help resources come from a file when it is set."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core import open_core
from bot.errors import ConfigError
from bot.ports.store import UserKey
from bot.safety_resources import MAX_CHARS, parse_resources, read_resources, zone_countries
from bot.settings import Settings
from dialogs.model import Command, Event, Reply, Text

LOCAL = "Samaritans (UK and Ireland): call 116 123, free, any time. {Not a field}"


def settings(tmp_path: Path, resources: Path | None) -> Settings:
    return Settings(
        _env_file=None,
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
        parse_resources(path, read_resources(path))
    with pytest.raises(ConfigError, match="SAFETY_RESOURCES_FILE"):
        async with open_core(settings(tmp_path, path)):
            pass


def test_a_file_that_is_not_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "help.bin"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_resources(path)


BY_PLACE = """
default = "Anywhere: https://findahelpline.com"
[country]
DE = "Telefonseelsorge: 0800 111 0 111, free, day and night."
GB = "Samaritans: call 116 123, free, any time."
[language]
pt-br = "CVV: ligue 188."
es = "Línea de la vida: 800 911 2000."
"""


async def resources_shown(tmp_path: Path, *events: Event) -> str:
    path = tmp_path / "help.toml"
    await asyncio.to_thread(_write, path)
    async with open_core(settings(tmp_path, path)) as core:
        replies: list[Reply] = []
        for event in events:
            replies = await core.conversations.handle(UserKey("telegram", "7"), event)
    return "\n".join(r.text for r in replies)


AT = datetime(2025, 3, 1, tzinfo=UTC)


def _write(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BY_PLACE, encoding="utf-8")


async def test_resources_by_country_follow_the_time_zone_the_person_chose(
    tmp_path: Path,
) -> None:
    shown = await resources_shown(
        tmp_path, Command("mantras", AT, "09:00 Europe/Berlin daily"), Text("I want to die", AT)
    )
    assert "Telefonseelsorge" in shown and "Samaritans" not in shown


async def test_resources_by_language_follow_the_platforms_locale(tmp_path: Path) -> None:
    shown = await resources_shown(tmp_path, Text("I want to die", AT, locale="pt-BR"))
    assert "CVV: ligue 188." in shown
    shown = await resources_shown(tmp_path / "b", Text("he hits me", AT, locale="es-MX"))
    assert "Línea de la vida" in shown


async def test_the_country_comes_before_the_language(tmp_path: Path) -> None:
    shown = await resources_shown(
        tmp_path,
        Command("mantras", AT, "09:00 Europe/London daily", locale="es"),
        Text("I want to die", AT, locale="es"),
    )
    assert "Samaritans" in shown and "Línea" not in shown


async def test_someone_neither_place_nor_language_fits_gets_the_default(tmp_path: Path) -> None:
    shown = await resources_shown(tmp_path, Text("I want to die", AT, locale="ja"))
    assert "Anywhere: https://findahelpline.com" in shown


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[country]\nGermany = 'x'", "is not a country code"),
        ("[language]\nDEUTSCH = 'x'", "is not a language code"),
        ("[region]\nEU = 'x'", "unknown"),
        (f"[country]\nDE = '{'x' * (MAX_CHARS + 1)}'", "characters"),
        ("[country]\nDE = ''", "must be some text"),
    ],
)
def test_a_resources_table_with_a_mistake_is_refused_with_what_it_is(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "help.toml"
    with pytest.raises(ConfigError, match=problem):
        parse_resources(path, content)


def test_time_zones_know_their_country() -> None:
    countries = zone_countries()
    assert countries["Europe/Berlin"] == "DE"
    assert countries["America/Sao_Paulo"] == "BR"
