"""``threshold doctor``: check the configuration without starting anything, in plain words.

Each check is a function ``(settings) -> list[Finding]`` in :data:`CHECKS`, run in order; a
finding is ``ok``, a ``note`` (worth knowing, nothing to fix) or a ``problem`` (``threshold run``
would fail or misbehave). The exit status is 1 if there is any problem, else 0. Another part
plugs in by adding its own check to :data:`CHECKS` (or replacing one): a check never raises for
what it finds, and never prints a token or anything a person wrote.

The doctor changes nothing, the database included. Decision: schema migrations still to apply
are a *note*, not a problem — ``threshold run`` applies them at start, each in its own
transaction, so a database one release behind is the normal state just before an upgrade
starts. A database *newer* than this Threshold is a problem.

A setting that cannot be read is one problem each, and the other checks still run (with that
setting at its default). The encryption check reads the database's key check (read-only) and
says when the data is encrypted and the key is missing or is not the one it was sealed with;
the database check says when the file can be read by other accounts.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from adapters.doctor.data import check_database, check_encryption, check_time_zones
from adapters.doctor.findings import MARKS, Check, Finding, note, ok, problem
from adapters.doctor.platforms import (
    check_health_endpoint,
    check_platforms,
    discord_token_problem,
    telegram_token_problem,
)
from bot.errors import ConfigError
from bot.settings import Settings, load_settings

__all__ = [
    "CHECKS",
    "Finding",
    "check_database",
    "check_encryption",
    "check_health_endpoint",
    "check_platforms",
    "check_time_zones",
    "discord_token_problem",
    "doctor",
    "telegram_token_problem",
]


CHECKS: list[Check] = [
    check_platforms,
    check_database,
    check_time_zones,
    check_encryption,
    check_health_endpoint,
]


# --------------------------------------------------------------------------------------------
# Running


def doctor(*, out: TextIO | None = None, checks: list[Check] | None = None) -> int:
    """Run every check, print the findings, return the exit status (1 if any problem)."""
    out = out or sys.stdout
    env_file = Path(".env").resolve()
    source = f"{env_file}" if env_file.is_file() else f"the environment (no {env_file})"
    print(f"Threshold doctor: checking the settings from {source}.\n", file=out)
    settings, findings = _settings()
    for check in CHECKS if checks is None else checks:
        findings.extend(_run(check, settings))
    width = max(len(f.topic) for f in findings)
    for finding in findings:
        print(f"  {MARKS[finding.status]:<8} {finding.topic:<{width}}  {finding.text}", file=out)
    problems = sum(1 for f in findings if f.status == "problem")
    if problems:
        print(
            f"\n{problems} problem(s) found: fix them, then run `threshold doctor` again.", file=out
        )
        return 1
    print("\nNothing is wrong: `threshold run` can start.", file=out)
    return 0


def _settings() -> tuple[Settings, list[Finding]]:
    """The settings, with each one that cannot be read reported (a problem each) and left at
    its default, so every other check still runs."""
    try:
        return load_settings(), [ok("settings", "Every setting can be read.")]
    except ConfigError:
        pass
    try:
        Settings()
    except ValidationError as exc:
        errors = exc.errors()
    else:  # pragma: no cover - load_settings failed for another reason
        errors = []
    found: list[Finding] = []
    defaults: dict[str, object] = {}
    for error in errors:
        name = str(error["loc"][0]) if error["loc"] else ""
        message = error["msg"].removeprefix("Value error, ")
        found.append(problem("settings", f"{name.upper() or 'settings'}: {message}."))
        if name in Settings.model_fields:
            defaults[name] = Settings.model_fields[name].default
    try:
        settings = Settings(**defaults)  # type: ignore[arg-type]
    except ValidationError:
        settings = Settings(_env_file=None)
    if defaults:
        skipped = ", ".join(n.upper() for n in defaults)
        found.append(note("settings", f"The other checks use the default for {skipped}."))
    return settings, found


def _run(check: Check, settings: Settings) -> list[Finding]:
    try:
        return check(settings)
    except Exception as exc:  # a check that breaks is itself a finding, not a crash
        name = getattr(check, "__name__", "a check")
        return [problem("doctor", f"{name} could not finish ({type(exc).__name__}: {exc}).")]
