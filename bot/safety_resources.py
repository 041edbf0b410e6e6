"""``SAFETY_RESOURCES_FILE``: the help resources shown when words suggest harm, from a file.

The default, in ``dialogs/content/messages.toml`` (``safety``), names international directories
of helplines. Whoever runs the bot for one country or community can point this setting at a
UTF-8 file with the resources that fit, in one of two shapes:

* **Plain text**: it replaces the default everywhere the resources are shown.
* **TOML**, with resources per country and per language, each chosen for the person it fits:
  their country, from the time zone they chose (``/mantras``), first; then their language, as
  their platform says it (Telegram's ``language_code``, Discord's ``locale``); then
  ``default`` (or the packaged default)::

      default = "…"
      [country]
      DE = "Telefonseelsorge: 0800 111 0 111 (free, day and night) …"
      GB = "Samaritans: 116 123 …"
      [language]
      es = "…"
      pt-br = "CVV: 188 …"

The file is read once at start; a file that cannot be used stops the start with a
:class:`ConfigError`. Countries are ISO 3166 codes; a time zone's country comes from the time
zone database's ``zone.tab`` (the system's, or the ``tzdata`` package's).
"""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from importlib import resources as package_files
from pathlib import Path

from bot.errors import ConfigError
from dialogs.care import with_resources
from dialogs.script import Script

MAX_CHARS = 1000
"""Room enough for a few helplines, and short enough to go with a question on any platform."""
COUNTRY = re.compile(r"^[A-Z]{2}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")


def read_resources(path: Path) -> str:
    """The text in ``path``; :class:`ConfigError` if it is missing, unreadable or empty."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ConfigError(f"SAFETY_RESOURCES_FILE {path} does not exist.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"SAFETY_RESOURCES_FILE {path} is not UTF-8 text.") from None
    except OSError as exc:
        raise ConfigError(
            f"SAFETY_RESOURCES_FILE {path} cannot be read ({exc.strerror or exc})."
        ) from None
    if not text:
        raise ConfigError(f"SAFETY_RESOURCES_FILE {path} is empty.")
    return text


def _checked(path: Path, where: str, text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"SAFETY_RESOURCES_FILE {path}: {where} must be some text.")
    if len(text.strip()) > MAX_CHARS:
        raise ConfigError(
            f"SAFETY_RESOURCES_FILE {path}: {where} has {len(text.strip()):,} characters; keep "
            f"it under {MAX_CHARS:,} so it fits in one message."
        )
    return text.strip()


def parse_resources(path: Path, text: str) -> tuple[str | None, dict[str, str]]:
    """The default text (``None``: the packaged one) and the resources by ``country:XX`` and
    ``language:xx``; plain text is the default alone."""
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return _checked(path, "the text", text), {}
    if not table:  # TOML with nothing in it is no list of resources
        raise ConfigError(f"SAFETY_RESOURCES_FILE {path} holds no resources.")
    unknown = sorted(set(table) - {"default", "country", "language"})
    if unknown:
        raise ConfigError(
            f"SAFETY_RESOURCES_FILE {path}: unknown {unknown}; use default, [country] and "
            "[language] (or write plain text)."
        )
    default = table.get("default")
    found: dict[str, str] = {}
    for section, pattern, fold in (
        ("country", COUNTRY, str.upper),
        ("language", LANGUAGE, str.casefold),
    ):
        entries = table.get(section, {})
        if not isinstance(entries, dict):
            raise ConfigError(f"SAFETY_RESOURCES_FILE {path}: [{section}] must be a table.")
        for code, value in entries.items():
            key = fold(str(code)).replace("_", "-")
            if not pattern.match(key):
                raise ConfigError(
                    f"SAFETY_RESOURCES_FILE {path}: {code!r} is not a {section} code."
                )
            found[f"{section}:{key}"] = _escaped(_checked(path, f"[{section}] {code}", value))
    return (None if default is None else _checked(path, "default", default)), found


def _escaped(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


@cache
def zone_countries() -> Mapping[str, str]:
    """Time zone → ISO country code, from ``zone.tab`` (empty if no copy can be found)."""
    for folder in zoneinfo.TZPATH:
        table = Path(folder) / "zone.tab"
        if table.is_file():
            return _zone_tab(table.read_text(encoding="utf-8"))
    try:
        return _zone_tab(package_files.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text())
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return {}


def _zone_tab(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) >= 3:
                found[parts[2]] = parts[0]
    return found


def script_for(script: Script, path: Path | None) -> Script:
    """``script`` with the resources from ``path`` when it is set."""
    if path is None:
        return script
    default, by_place = parse_resources(path, read_resources(path))
    if default is not None:
        script = with_resources(script, default)
    if by_place:
        script = replace(script, resources=by_place, zone_countries=zone_countries())
    return script
