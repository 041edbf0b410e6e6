"""``SAFETY_RESOURCES_FILE``: the help resources shown when words suggest harm, from a file.

The default, in ``dialogs/content/messages.toml`` (``safety``), names international directories
of helplines. Whoever runs the bot for one country or community can point this setting at a
UTF-8 text file with the resources that fit (a local crisis line, a domestic abuse hotline); it
replaces the default everywhere the resources are shown. The file is read once at start; a file
that cannot be used stops the start with a :class:`ConfigError`.
"""

from __future__ import annotations

from pathlib import Path

from bot.errors import ConfigError
from dialogs.care import with_resources
from dialogs.script import Script

MAX_CHARS = 1000
"""Room enough for a few helplines, and short enough to go with a question on any platform."""


def read_resources(path: Path) -> str:
    """The resources text in ``path``; :class:`ConfigError` if it is missing, empty or long."""
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
    if len(text) > MAX_CHARS:
        raise ConfigError(
            f"SAFETY_RESOURCES_FILE {path} has {len(text):,} characters; keep it under "
            f"{MAX_CHARS:,} so it fits in one message."
        )
    return text


def script_for(script: Script, path: Path | None) -> Script:
    """``script`` with the resources from ``path`` when it is set."""
    return script if path is None else with_resources(script, read_resources(path))
