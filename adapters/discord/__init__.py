"""The Discord adapter: slash commands, DMs, persistent buttons and modals over discord.py.

:func:`build_client` builds the client from settings and the core (tests and tools drive it
in-process); :func:`run_discord` runs it until cancelled. ``DISCORD_API_URL`` and
``DISCORD_GATEWAY_URL`` point its REST calls and its gateway connection elsewhere (a proxy, or a
stand-in in tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
import discord
import yarl

from adapters.discord.client import ShardedThresholdClient, ThresholdClient
from adapters.discord.sender import DiscordDeliverer
from adapters.discord.translate import PLATFORM
from bot.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from bot.core import Core
    from bot.settings import Settings

__all__ = ["PLATFORM", "DiscordDeliverer", "ThresholdClient", "build_client", "run_discord"]

BAD_TOKEN = (
    "Discord refused DISCORD_TOKEN; copy the bot token again from the Developer Portal "
    "(Bot → Reset Token) into .env."
)
AUTHENTICATION_FAILED = 4004


def build_client(
    settings: Settings, core: Core, *, clock: Callable[[], datetime] | None = None
) -> ThresholdClient:
    """The client, not yet started. Points discord.py's REST base and gateway at
    ``settings.discord_api_url`` and ``settings.discord_gateway_url`` (process-wide: discord.py
    keeps them on its classes)."""
    discord.http.Route.BASE = settings.discord_api_url.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)
    shards = settings.discord_shards
    kind = ShardedThresholdClient if shards is not None and len(shards[1]) > 1 else ThresholdClient
    if clock is None:
        return kind(settings, core)
    return kind(settings, core, clock=clock)


async def run_discord(settings: Settings, core: Core) -> None:
    """Log in, sync the slash commands and serve until cancelled, then close cleanly.

    Raises :class:`~bot.errors.ConfigError` with one sentence when the token is missing or
    refused, or Discord cannot be reached at ``DISCORD_API_URL``.
    """
    if settings.discord_token is None:
        raise ConfigError("DISCORD_TOKEN is not set, so the Discord bot cannot start.")
    token = settings.discord_token.get_secret_value()
    client = build_client(settings, core)
    try:
        await client.start(token)
    except discord.LoginFailure:
        raise ConfigError(BAD_TOKEN) from None
    except discord.ConnectionClosed as exc:
        if exc.code == AUTHENTICATION_FAILED:
            raise ConfigError(BAD_TOKEN) from None
        raise
    except (aiohttp.ClientConnectionError, OSError) as exc:
        if client.user is not None:
            raise
        raise ConfigError(
            f"Discord could not be reached at {settings.discord_api_url} "
            f"({type(exc).__name__}); check the network or DISCORD_API_URL."
        ) from None
    finally:
        if not client.is_closed():
            await client.close()
