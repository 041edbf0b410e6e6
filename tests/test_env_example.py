"""``.env.example`` documents every setting the code reads, and nothing else.

The settings are read from :class:`bot.settings.Settings` itself (its fields, by the names the
environment uses), never from a list kept here; the keys of ``.env.example`` are read from the
file. A field without a line, or a line without a field, fails. So does a key without its
one-line comment, and a value in the example that is not the field's default: copying the
example to ``.env`` changes nothing until someone fills it in.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / ".env.example"
LINE = re.compile(r"([A-Z][A-Z0-9_]*)=(.*)")


def setting_names() -> set[str]:
    """The environment variable of every field of ``Settings``."""
    prefix = Settings.model_config.get("env_prefix") or ""
    names = set()
    for name, info in Settings.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else None
        names.add((alias or f"{prefix}{name}").upper())
    return names


def example_entries() -> list[tuple[int, str, str]]:
    """``(line number, key, value)`` for each ``KEY=value`` line of ``.env.example``."""
    entries = []
    for number, line in enumerate(EXAMPLE.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = LINE.fullmatch(line.strip())
        assert match, f".env.example:{number} is neither a comment nor KEY=value: {line!r}"
        entries.append((number, match[1], match[2]))
    return entries


def test_every_setting_is_in_env_example() -> None:
    missing = setting_names() - {key for _, key, _ in example_entries()}
    assert not missing, f"settings the code reads but .env.example does not list: {missing}"


def test_env_example_lists_only_real_settings() -> None:
    unknown = {key for _, key, _ in example_entries()} - setting_names()
    assert not unknown, f".env.example lists settings the code does not read: {unknown}"


def test_each_setting_appears_once_under_its_own_comment() -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    keys = [key for _, key, _ in example_entries()]
    assert len(keys) == len(set(keys)), f"listed twice: {[k for k in keys if keys.count(k) > 1]}"
    for number, key, _ in example_entries():
        above = lines[number - 2] if number >= 2 else ""
        assert above.startswith("# ") and len(above) > 10, f"{key} has no comment line above it"
        assert "default" in above.lower(), f"the comment above {key} does not name its default"


def test_the_example_as_it_stands_is_the_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in setting_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    from_example = Settings(_env_file=EXAMPLE)
    defaults = Settings(_env_file=None)
    assert from_example.model_dump() == defaults.model_dump()


def test_the_matcher_sees_every_kind_of_field() -> None:
    # The names come from the model itself, so a field added tomorrow is covered by the tests
    # above without touching this file.
    assert {"DATABASE_URL", "TELEGRAM_TOKEN", "LOG_FORMAT", "HEALTH_PORT"} <= setting_names()


def environment_reads(source: str) -> list[str]:
    """Direct environment reads (``os.environ``, ``os.getenv``) in a module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "environb"}:
            found.append(node.attr)
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found.extend(a.name for a in node.names if a.name in {"environ", "getenv"})
    return found


# Reads of the environment outside Settings, each with its reason.
ALLOWED_ENVIRONMENT_READS = {
    "adapters/doctor/data.py": "tells an ENCRYPTION_KEY this build cannot use from an absent one",
}


def test_no_module_reads_the_environment_behind_settings_back() -> None:
    offenders = []
    for package in ("bot", "adapters", "dialogs"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in ALLOWED_ENVIRONMENT_READS:
                continue
            if environment_reads(path.read_text(encoding="utf-8")):
                offenders.append(relative)
    assert offenders == [], (
        "read settings through bot.settings.Settings, so .env.example lists them"
    )
