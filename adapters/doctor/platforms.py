"""The doctor's checks of the platforms: each token's shape (never printed), the Telegram
webhook's settings, and the health endpoint's address."""

from __future__ import annotations

import base64
import binascii
import re
import socket
from collections.abc import Callable

from adapters.cli import PLATFORMS
from adapters.doctor.findings import Finding, note, ok, problem, secret
from bot.errors import ConfigError
from bot.settings import Settings

TELEGRAM_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")
BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


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
        token = secret(getattr(settings, platform.token_field, None))
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
    if not any(secret(getattr(settings, p.token_field, None)) for p in PLATFORMS):
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
