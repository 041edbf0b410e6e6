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

import base64
import binascii
import os
import re
import socket
import sqlite3
import stat
import sys
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from pydantic import SecretStr, ValidationError

from adapters.cli import PLATFORMS
from bot import crypto
from bot.errors import ConfigError, MigrationError
from bot.migrate import shipped
from bot.settings import Settings, load_settings
from bot.sqlite.seals import KeyCheck, key_matches, stored_check
from bot.sqlite.support import describe

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

Status = Literal["ok", "note", "problem"]
MARKS = {"ok": "ok", "note": "note", "problem": "PROBLEM"}
TELEGRAM_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")
BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
SAMPLE_ZONES = ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe")


@dataclass(frozen=True)
class Finding:
    status: Status
    topic: str
    text: str


Check = Callable[[Settings], list[Finding]]


def ok(topic: str, text: str) -> Finding:
    return Finding("ok", topic, text)


def note(topic: str, text: str) -> Finding:
    return Finding("note", topic, text)


def problem(topic: str, text: str) -> Finding:
    return Finding("problem", topic, text)


# --------------------------------------------------------------------------------------------
# Tokens


def telegram_token_problem(token: str) -> str | None:
    """What is wrong with a Telegram bot token's shape, or ``None`` if it looks right."""
    if TELEGRAM_TOKEN.fullmatch(token):
        return None
    if any(c.isspace() for c in token):
        return "contains spaces or line breaks; paste it again as one word"
    if token[:1] in "\"'" or token[-1:] in "\"'":
        return "has quotes around it; remove them"
    if ":" not in token:
        return "has no ':' in it; a token is the bot's number, a colon, then a long secret"
    return (
        "does not look like a Telegram token: the bot's number, a colon, then at least 30 "
        "letters, digits, '_' or '-', exactly as @BotFather shows it"
    )


def discord_token_problem(token: str) -> str | None:
    """What is wrong with a Discord bot token's shape, or ``None`` if it looks right: three
    base64url parts joined by dots, the first one the bot's numeric id."""
    if token.lower().startswith("bot "):
        return "starts with 'Bot '; put only the token itself in DISCORD_TOKEN"
    if any(c.isspace() for c in token):
        return "contains spaces or line breaks; paste it again as one word"
    parts = token.split(".")
    if len(parts) != 3 or not all(BASE64URL.fullmatch(part) for part in parts):
        return (
            "does not look like a Discord bot token: three parts of letters, digits, '-' and "
            "'_' joined by dots, as the developer portal's Bot page shows it (the client secret "
            "and the application id are not the token)"
        )
    try:
        bot_id = base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4))
    except (binascii.Error, ValueError):
        bot_id = b""
    if not bot_id.isdigit():
        return "does not start with the bot's id, as a Discord bot token does; copy it again"
    return None


TOKEN_SHAPES: dict[str, Callable[[str], str | None]] = {
    "telegram_token": telegram_token_problem,
    "discord_token": discord_token_problem,
}
"""Token setting → the function that checks its shape."""


def check_platforms(settings: Settings) -> list[Finding]:
    """Every platform's token: set or not, well formed, and served by this build."""
    found: list[Finding] = []
    served = []
    for platform in PLATFORMS:
        token = _secret(getattr(settings, platform.token_field, None))
        if token is None:
            found.append(
                note(
                    platform.name,
                    f"{platform.env_var} is not set, so {platform.name} is not served.",
                )
            )
            continue
        shape = TOKEN_SHAPES.get(platform.token_field)
        wrong = shape(token) if shape else None
        if wrong:
            found.append(problem(platform.name, f"{platform.env_var} {wrong}."))
        elif platform.start is None:
            found.append(
                problem(
                    platform.name,
                    f"{platform.env_var} is set, but this build has no "
                    f"{platform.name} adapter; remove it from .env.",
                )
            )
        else:
            found.append(ok(platform.name, f"{platform.env_var} is present and well formed."))
            served.append(platform.name)
    if "Telegram" in served:
        found.extend(_telegram_webhook(settings))
    if not any(_secret(getattr(settings, p.token_field, None)) for p in PLATFORMS):
        found.append(
            note(
                "platforms",
                "No token is set: `threshold run` starts the terminal chat, which "
                "needs a terminal (in a container without one it ends at once).",
            )
        )
    return found


def _telegram_webhook(settings: Settings) -> list[Finding]:
    if not settings.telegram_webhook_url:
        return [
            note("Telegram", "Updates arrive by long polling (TELEGRAM_WEBHOOK_URL is not set).")
        ]
    from adapters.telegram.runner import webhook_config  # loads the Telegram library

    try:
        hook = webhook_config(settings)
    except ConfigError as exc:
        return [problem("Telegram", str(exc))]
    assert hook is not None
    return [
        ok(
            "Telegram",
            f"Updates arrive by webhook; the server listens on {hook.listen}:{hook.port}.",
        )
    ]


# --------------------------------------------------------------------------------------------
# Database


def check_database(settings: Settings) -> list[Finding]:
    """The SQLite file: reachable, writable and migrated (or creatable, if it is not there)."""
    path = settings.sqlite_path
    topic = "database"
    if path.is_dir():
        return [problem(topic, f"{path} is a folder, not a database file; fix DATABASE_URL.")]
    if not path.exists():
        return [_creatable(path)]
    try:
        db = sqlite3.connect(path.resolve().as_uri() + "?mode=rw", uri=True, timeout=2.0)
    except sqlite3.Error as exc:
        return [problem(topic, f"{path} cannot be opened: {describe(exc)}.")]
    try:
        return _inspect(db, path)
    except sqlite3.Error as exc:
        return [problem(topic, f"{path} cannot be used: {describe(exc)}.")]
    finally:
        db.close()


def _creatable(path: Path) -> Finding:
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return problem("database", f"{path} cannot be created: {folder} is a file, not a folder.")
    if not os.access(folder, os.W_OK | os.X_OK):
        return problem("database", f"{path} cannot be created: {folder} is not writable.")
    return note(
        "database",
        f"{path} does not exist yet; it is created, with its schema, at the first start.",
    )


def _inspect(db: sqlite3.Connection, path: Path) -> list[Finding]:
    topic = "database"
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    done: list[int] = []
    if "schema_migrations" in tables:
        done = [row[0] for row in db.execute("SELECT version FROM schema_migrations ORDER BY 1")]
    elif tables:
        return [
            problem(
                topic,
                f"{path} holds tables but no schema_migrations: it was not made "
                f"by Threshold; point DATABASE_URL at Threshold's own file.",
            )
        ]
    try:
        migrations = shipped()
    except MigrationError as exc:
        return [problem(topic, str(exc))]
    known = {m.version for m in migrations}
    newer = [v for v in done if v not in known]
    if newer:
        return [
            problem(
                topic,
                f"{path} has schema version {max(newer)}, newer than this "
                f"Threshold knows ({max(known)}); upgrade Threshold.",
            )
        ]
    db.execute("BEGIN IMMEDIATE")  # can it be written? (takes the write lock, changes nothing)
    db.execute("ROLLBACK")
    exposed = _exposed(path)
    if exposed:
        return [problem(topic, exposed)]
    pending = [f"{m.version:04d}_{m.name}" for m in migrations if m.version not in done]
    if pending:
        return [
            note(
                topic,
                f"{path} answers and is writable; {len(pending)} schema migration(s) "
                f"to apply ({', '.join(pending)}): `threshold run` applies them at "
                f"start, each in one transaction.",
            )
        ]
    return [
        ok(
            topic,
            f"{path} answers, is writable, and its schema is up to date (version {max(known)}).",
        )
    ]


def _exposed(path: Path) -> str | None:
    """What is wrong with who may read the database file, or ``None``."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & 0o077:
        return None
    return (
        f"{path} can be read by other accounts on this machine (mode {mode:04o}); "
        f"make it private with `chmod 600 {path}` (Threshold creates it 0600)."
    )


# --------------------------------------------------------------------------------------------
# Time zones, encryption, health endpoint


def check_time_zones(settings: Settings) -> list[Finding]:
    """The IANA time zone database that mantra times are computed in."""
    names = zoneinfo.available_timezones()
    missing = [name for name in SAMPLE_ZONES if not _zone_loads(name)]
    if not names or missing:
        return [
            problem(
                "time zones",
                "No time zone data found: install the system's tzdata "
                "package (apt-get install tzdata) or `pip install tzdata`; "
                "mantras are timed in each person's own zone.",
            )
        ]
    return [ok("time zones", f"{len(names)} time zones available.")]


def _zone_loads(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def check_encryption(settings: Settings) -> list[Finding]:
    """``ENCRYPTION_KEY``: absent (answers stored as typed), or a well-formed key; whether it is
    the key the database was sealed with is checked when ``threshold run`` opens it."""
    topic = "encryption"
    key = _secret(settings.encryption_key)
    check = _key_check(settings.sqlite_path)
    if key is None:
        if check is not None:
            return [
                problem(
                    topic,
                    "The database is encrypted, but ENCRYPTION_KEY is not set: Threshold "
                    "would refuse to start. Set it to the key the data was encrypted with.",
                )
            ]
        return [
            note(
                topic,
                "ENCRYPTION_KEY is not set: what people write is stored as typed "
                "(the database file is as private as its folder).",
            )
        ]
    try:
        cipher = crypto.cipher_for(key)
    except ConfigError as exc:
        return [problem(topic, str(exc))]
    if check is not None and not key_matches(check, cipher):
        return [
            problem(
                topic,
                "ENCRYPTION_KEY is not the key this database was encrypted with: Threshold "
                "would refuse to start. Set the key it was encrypted with.",
            )
        ]
    if check is not None:
        return [ok(topic, "ENCRYPTION_KEY is well formed and opens the encrypted database.")]
    when = "at the next start" if settings.sqlite_path.is_file() else "as it is written"
    return [ok(topic, f"ENCRYPTION_KEY is well formed; what people write is encrypted {when}.")]


def _key_check(path: Path) -> KeyCheck | None:
    """The database's key check, read without changing anything (``None``: none, or no file)."""
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=2.0)
    except sqlite3.Error:
        return None
    try:
        return stored_check(db)
    except sqlite3.Error:
        return None
    finally:
        db.close()


def check_health_endpoint(settings: Settings) -> list[Finding]:
    """``HEALTH_PORT`` and ``HEALTH_HOST``: an address this machine has (the port itself is not
    tried: a running bot holds it)."""
    if settings.health_port is None:
        return [note("health", "HEALTH_PORT is not set: no /healthz or /metrics is served.")]
    host, port = settings.health_host, settings.health_port
    try:
        socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        return [problem("health", f"HEALTH_HOST {host!r} is not an address here ({exc}).")]
    return [ok("health", f"/healthz and /metrics are served on {host}:{port}.")]


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
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
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


def _secret(value: object) -> str | None:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None
