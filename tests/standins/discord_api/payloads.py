"""What the loopback Discord says: ids, users and the payloads of its gateway and REST API,
shaped as discord.py 2.7 reads them, and the checks Discord makes on what a bot sends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

TOKEN = "standin.discord.token"
APP_ID = 1100000000000000001
BOT_ID = 1100000000000000002
GUILD_ID = 1100000000000000003
CHANNEL_ID = 1100000000000000004
"""A text channel of the server, where slash commands are used."""
EPHEMERAL, LOADING = 64, 128
COMPONENTS_V2 = 1 << 15
DISCORD_EPOCH_MS = 1420070400000
JSON = dict[str, Any]


@dataclass(frozen=True)
class User:
    id: int
    name: str = "someone"

    def payload(self, *, bot: bool = False) -> JSON:
        return {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": self.name,
            "avatar": None,
            "bot": bot,
            "public_flags": 0,
        }


BOT = User(BOT_ID, "Threshold")


def now() -> str:
    return datetime.now(UTC).isoformat()


def ready(gateway_url: str, shard: list[int] | None = None, with_server: bool = True) -> JSON:
    """READY: what discord.py needs to start (the server comes after, in GUILD_CREATE, on the
    shard it belongs to); ``shard`` echoes IDENTIFY's ``[id, count]`` when it sent one."""
    return {
        **({"shard": shard} if shard is not None else {}),
        "v": 10,
        "user": BOT.payload(bot=True),
        "guilds": [{"id": str(GUILD_ID), "unavailable": True}] if with_server else [],
        "session_id": "standin-session",
        "resume_gateway_url": gateway_url,
        "application": {"id": str(APP_ID), "flags": 0},
    }


def guild() -> JSON:
    return {
        "id": str(GUILD_ID),
        "name": "A server",
        "owner_id": "1",
        "member_count": 3,
        "unavailable": False,
        "features": [],
        "channels": [text_channel()],
    }


def text_channel() -> JSON:
    return {
        "id": str(CHANNEL_ID),
        "type": 0,
        "guild_id": str(GUILD_ID),
        "name": "general",
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
    }


def dm_channel(user: User, channel_id: int) -> JSON:
    return {"id": str(channel_id), "type": 1, "recipients": [user.payload()], "flags": 0}


def application() -> JSON:
    """``GET /oauth2/applications/@me``."""
    return {
        "id": str(APP_ID),
        "name": "Threshold",
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": User(1, "owner").payload(),
        "verify_key": "0" * 64,
        "flags": 0,
    }


def message(message_id: int, channel_id: int, *, author: User, flags: int = 0) -> JSON:
    """An empty message; content, components and files are filled in by whoever sends it."""
    return {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "type": 0,
        "content": "",
        "author": author.payload(bot=author is BOT),
        "attachments": [],
        "embeds": [],
        "mentions": [],
        "mention_roles": [],
        "components": [],
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
        "timestamp": now(),
        "edited_timestamp": None,
        "flags": flags,
    }


def photo(attachment_id: int) -> JSON:
    """A photo a person attached to their message."""
    url = "http://127.0.0.1/photo.png"
    return {
        "id": str(attachment_id),
        "filename": "photo.png",
        "size": 10,
        "url": url,
        "proxy_url": url,
        "content_type": "image/png",
    }


def interaction(
    interaction_id: int,
    token: str,
    kind: int,
    data: JSON,
    user: User,
    channel_id: int,
    *,
    in_server: bool,
) -> JSON:
    """INTERACTION_CREATE: ``kind`` 2 is a slash command, 3 a button, 4 autocomplete, 5 a modal."""
    payload: JSON = {
        "id": str(interaction_id),
        "application_id": str(APP_ID),
        "type": kind,
        "data": data,
        "token": token,
        "version": 1,
        "channel_id": str(channel_id),
        "locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": 10 * 1024 * 1024,
        "app_permissions": "0",
        "authorizing_integration_owners": {"0": str(GUILD_ID) if in_server else "0"},
        "context": 0 if in_server else 1,
    }
    if not in_server:
        return payload | {"channel": dm_channel(user, channel_id), "user": user.payload()}
    member = {"user": user.payload(), "roles": [], "joined_at": now(), "permissions": "0"}
    return payload | {
        "guild_id": str(GUILD_ID),
        "guild": {"id": str(GUILD_ID), "locale": "en-US", "features": []},
        "channel": text_channel(),
        "member": member | {"deaf": False, "mute": False, "flags": 0},
    }


def invalid(body: Any) -> JSON | None:
    """What Discord refuses in a message body that its published spec does not say (the spec,
    :mod:`tests.standins.discord_api.spec`, checks the rest): more than five rows of buttons in
    a message without the components-v2 flag. Discord's ``errors`` tree, or ``None``."""
    if not isinstance(body, dict) or (body.get("flags") or 0) & COMPONENTS_V2:
        return None
    if len(body.get("components") or []) > 5:
        too_many = {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 5 or fewer in length."}
        return {"components": {"_errors": [too_many]}}
    return None
