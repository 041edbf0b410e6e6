"""The ``threshold`` command: the one place where the platforms meet the core.

``threshold run`` starts every platform that has a token in the environment (or ``.env``), and
the terminal chat when none has; ``threshold chat`` always starts the terminal chat. Either way
the wiring is the same: build :class:`Settings`, configure logging, enter ``open_core(settings)``
(and the health endpoint, for ``run``, when ``HEALTH_PORT`` is set) and hand the core to the
adapters, until the input ends or SIGTERM/SIGINT stops it gracefully
(:mod:`adapters.lifecycle`). ``threshold doctor`` checks the configuration without starting
anything (:mod:`adapters.doctor`); ``threshold healthcheck`` asks a running bot's ``/healthz``
(:mod:`adapters.health`). Nothing is built at import time.

Two more commands look after encryption at rest: ``threshold new-key`` prints a fresh key, and
``threshold rotate-key`` re-encrypts the database under ``NEW_ENCRYPTION_KEY`` (or, with
``--decrypt``, stores it unencrypted again); see ``docs/encryption.md``. ``threshold migrate-db``
moves an SQLite file to PostgreSQL, checked row for row (:mod:`bot.postgres.moving`);
``threshold webhook set`` tells Telegram the webhook once, for several webhook workers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from adapters.console import run_console
from adapters.health import healthcheck, serving_health
from adapters.lifecycle import adapters_last, until_signalled
from bot import crypto
from bot.core import Core, open_core
from bot.errors import ConfigError, ThresholdError
from bot.logs import configure_logging
from bot.settings import Settings, load_settings
from bot.sqlite.seals import rotate_file

__all__ = ["PLATFORMS", "Platform", "main"]

logger = logging.getLogger(__name__)

Starter = Callable[[Core], Coroutine[Any, Any, None]]
"""Runs one platform's adapter over the core until it stops (or is cancelled)."""


@dataclass(frozen=True)
class Platform:
    """A chat platform the bot can serve, keyed by the setting that holds its token.

    ``start`` is ``None`` while this build has no adapter for the platform; an adapter plugs in
    by filling it.
    """

    name: str
    token_field: str
    env_var: str
    start: Starter | None = None

    @property
    def key(self) -> str:
        """The name it serves under (:meth:`bot.core.Core.serving`; ``telegram``)."""
        return self.name.lower()


async def _start_telegram(core: Core) -> None:
    from adapters.telegram import run_telegram  # only loaded when Telegram is configured

    await run_telegram(core.settings, core)


async def _start_discord(core: Core) -> None:
    from adapters.discord import run_discord  # only loaded when Discord is configured

    await run_discord(core.settings, core)


PLATFORMS: tuple[Platform, ...] = (
    Platform("Telegram", "telegram_token", "TELEGRAM_TOKEN", start=_start_telegram),
    Platform("Discord", "discord_token", "DISCORD_TOKEN", start=_start_discord),
)

NO_TOKENS_HINT = (
    "No TELEGRAM_TOKEN or DISCORD_TOKEN in .env — starting the terminal chat. "
    "Add a token to .env to go live."
)
NO_ENV_HINT = (
    "There is no .env here, and no TELEGRAM_TOKEN or DISCORD_TOKEN in the environment — "
    "starting the terminal chat. Copy .env.example to .env and add a token to go live."
)


def no_tokens_hint(env_file: Path = Path(".env")) -> str:
    """What to say when no platform is configured: it depends on whether there is a .env."""
    return NO_TOKENS_HINT if env_file.is_file() else NO_ENV_HINT


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``threshold`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "doctor":
        from adapters.doctor import doctor

        return doctor()
    if args.command == "new-key":
        print(crypto.new_key(), flush=True)
        return 0
    if args.command == "migrate-db":
        return _guarded(lambda: migrate_db(args.source, args.target))
    try:
        settings = load_settings()
        if args.command == "healthcheck":
            status, line = healthcheck(settings)
            print(line, file=sys.stdout if status == 0 else sys.stderr, flush=True)
            return status
        if args.command == "rotate-key":
            return rotate_key(settings, decrypt=args.decrypt)
        if args.command == "webhook":
            return webhook_set(settings)
        platforms = configured_platforms(settings) if args.command == "run" else []
        _configure_logging(settings, console=not platforms)
        hint = no_tokens_hint() if args.command == "run" and not platforms else None
        serve = _serve(settings, platforms, hint=hint, health=args.command == "run")
        return asyncio.run(until_signalled(serve))
    except ThresholdError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:  # Ctrl-C before the signal handlers were in place
        logger.info("stopped from the keyboard")
        return 0
    except BaseExceptionGroup as group:
        found = group.subgroup(ThresholdError)
        if found is None:
            raise
        return _fail(str(_first(found)))
    finally:
        _forget_closed_stdout()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="threshold",
        description="Threshold: reflect on a relationship in which someone is pulling away.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "run",
        help="start every platform configured in .env (the terminal chat if none is)",
        description="Start every platform that has a token in the environment or .env; "
        "with no token, start the terminal chat.",
    )
    commands.add_parser(
        "chat",
        help="chat in this terminal",
        description="Chat with Threshold in this terminal, on the configured database.",
    )
    commands.add_parser(
        "doctor",
        help="check the configuration without starting anything",
        description="Check tokens, database, time zone data and encryption key; print what is "
        "wrong in plain words and exit 1 if anything is. Changes nothing.",
    )
    commands.add_parser(
        "healthcheck",
        help="ask the running bot's /healthz (exit 0 when healthy)",
        description="Ask the health endpoint of the bot running on this machine (HEALTH_PORT); "
        "exit 0 when it answers healthy, 1 otherwise. The container's HEALTHCHECK runs this.",
    )
    commands.add_parser(
        "new-key",
        help="print a new random key for ENCRYPTION_KEY",
        description="Print a new random encryption key (32 bytes, base64). Keep a copy: "
        "data encrypted under a lost key cannot be read.",
    )
    rotate = commands.add_parser(
        "rotate-key",
        help="re-encrypt the database under NEW_ENCRYPTION_KEY",
        description="Re-encrypt everything in the database, in one transaction, from "
        "ENCRYPTION_KEY (unset if the data is not encrypted yet) to NEW_ENCRYPTION_KEY. "
        "Stop Threshold first; afterwards put the new key in ENCRYPTION_KEY.",
    )
    hook = commands.add_parser(
        "webhook",
        help="tell Telegram the webhook once (for several webhook workers)",
        description="Call setWebhook with TELEGRAM_WEBHOOK_URL and its secret, once, so that "
        "webhook workers behind a load balancer can run with TELEGRAM_WEBHOOK_SET_AT_START=false.",
    )
    hook.add_argument("action", choices=["set"])
    move = commands.add_parser(
        "migrate-db",
        help="move an SQLite database to PostgreSQL, checked row for row",
        description="Copy every row of an SQLite file into an empty PostgreSQL database in one "
        "transaction, compare both row for row, and commit only if they match. Stop Threshold "
        "first; afterwards set DATABASE_URL to the PostgreSQL URL. Sealed values move as they "
        "are: keep the same ENCRYPTION_KEY.",
    )
    move.add_argument("--from", dest="source", required=True, metavar="sqlite:///PATH")
    move.add_argument("--to", dest="target", required=True, metavar="postgresql://…")
    rotate.add_argument(
        "--decrypt",
        action="store_true",
        help="store everything unencrypted again instead (NEW_ENCRYPTION_KEY must be unset)",
    )
    return parser


def rotate_key(settings: Settings, *, decrypt: bool) -> int:
    """``threshold rotate-key``: one line on stdout saying what was done and what to do next."""
    old = _secret(settings.encryption_key)
    new = _secret(settings.new_encryption_key)
    if decrypt and new:
        raise ConfigError("--decrypt stores the data unencrypted: unset NEW_ENCRYPTION_KEY.")
    if not decrypt and not new:
        raise ConfigError(
            "Set NEW_ENCRYPTION_KEY to the key to re-encrypt under (`threshold new-key` makes "
            "one), or pass --decrypt to store the data unencrypted."
        )
    if old and new and old.strip() == new.strip():
        raise ConfigError("NEW_ENCRYPTION_KEY is the same as ENCRYPTION_KEY; nothing to do.")
    old_cipher = crypto.cipher_for(old, "ENCRYPTION_KEY")
    new_cipher = crypto.cipher_for(new, "NEW_ENCRYPTION_KEY")
    if settings.uses_postgres:
        from bot.postgres.seals import rotate
        from bot.postgres.support import where

        count = asyncio.run(rotate(settings.database_url, old_cipher, new_cipher))
        place = where(settings.database_url)
    else:
        count = rotate_file(settings.sqlite_path, old_cipher, new_cipher)
        place = str(settings.sqlite_path)
    if decrypt:
        print(
            f"Decrypted {count} stored values in {place}. "
            "Now remove ENCRYPTION_KEY before starting Threshold.",
            flush=True,
        )
    else:
        print(
            f"Re-encrypted {count} stored values in {place} under the new key. "
            "Now set ENCRYPTION_KEY to the new key and remove NEW_ENCRYPTION_KEY before "
            "starting Threshold.",
            flush=True,
        )
    return 0


def migrate_db(source: str, target: str) -> int:
    """``threshold migrate-db``: one line on stdout saying what moved and what to do next."""
    from bot.postgres.moving import move
    from bot.postgres.support import is_postgres_url, where
    from bot.settings import SQLITE_PREFIX

    if not source.startswith(SQLITE_PREFIX) or len(source) == len(SQLITE_PREFIX):
        raise ConfigError("--from must be an SQLite URL: sqlite:///data/threshold.db")
    if not is_postgres_url(target):
        raise ConfigError("--to must be a PostgreSQL URL: postgresql://user@host:5432/dbname")
    path = Path(source[len(SQLITE_PREFIX) :])
    moved = asyncio.run(move(path, target))
    tables = ", ".join(f"{table} {n}" for table, n in moved.rows.items() if n)
    print(
        f"Moved {sum(moved.rows.values())} rows ({tables}) from {path} to {where(target)}, "
        "checked row for row. Now set DATABASE_URL to that database and start Threshold; "
        "keep the file as a backup.",
        flush=True,
    )
    return 0


def webhook_set(settings: Settings) -> int:
    from adapters.telegram.runner import set_webhook_once

    webhook = asyncio.run(set_webhook_once(settings))
    print(
        f"Telegram now posts updates to {webhook.url}. Run every webhook worker with "
        "TELEGRAM_WEBHOOK_SET_AT_START=false.",
        flush=True,
    )
    return 0


def _guarded(command: Callable[[], int]) -> int:
    try:
        return command()
    except ThresholdError as exc:
        return _fail(str(exc))


def _secret(value: SecretStr | None) -> str | None:
    text = value.get_secret_value().strip() if value is not None else ""
    return text or None


def configured_platforms(settings: Settings) -> list[Platform]:
    """The platforms that have a token, each with an adapter in this build.

    Raises :class:`ConfigError` for a token whose platform this build cannot serve: better to
    say so than to start something else and look live.
    """
    chosen = []
    for platform in PLATFORMS:
        if not _has_token(getattr(settings, platform.token_field, None)):
            continue
        if platform.start is None:
            raise ConfigError(
                f"{platform.env_var} is set, but this build has no {platform.name} adapter yet. "
                f"Remove it from .env, or use `threshold chat` for the terminal chat."
            )
        chosen.append(platform)
    return chosen


def _has_token(value: object) -> bool:
    if isinstance(value, SecretStr):
        return bool(value.get_secret_value().strip())
    return bool(value)


def _configure_logging(settings: Settings, *, console: bool) -> None:
    level = settings.log_level_number
    if console and "log_level" not in settings.model_fields_set:
        level = logging.WARNING  # the terminal chat shares the screen with the log: keep it quiet
    configure_logging(settings, level=level)


async def _serve(
    settings: Settings, platforms: Sequence[Platform], *, hint: str | None, health: bool
) -> int:
    async with open_core(settings) as core, contextlib.AsyncExitStack() as stack:
        if health:
            await stack.enter_async_context(serving_health(core, [p.key for p in platforms]))
        if not platforms:
            if hint:
                print(hint, flush=True)
            await adapters_last(core.before_stop, run_console(core))
            return 0
        logger.info("starting %s", ", ".join(p.name for p in platforms))
        await adapters_last(core.before_stop, _run_all(core, platforms))
    return 0


async def _run_all(core: Core, platforms: Sequence[Platform]) -> None:
    async with asyncio.TaskGroup() as group:
        for platform in platforms:
            assert platform.start is not None  # configured_platforms keeps only these
            group.create_task(platform.start(core), name=platform.name)


def _forget_closed_stdout() -> None:
    """If whoever read our output has gone (``threshold chat | head``), point stdout at
    /dev/null so the interpreter's last flush does not complain on the way out."""
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _fail(message: str) -> int:
    one_line = " ".join(message.split()) or "stopped by an error"
    print(f"threshold: {one_line}", file=sys.stderr, flush=True)
    return 1


def _first(group: BaseExceptionGroup[ThresholdError]) -> BaseException:
    exc: BaseException = group
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return exc
