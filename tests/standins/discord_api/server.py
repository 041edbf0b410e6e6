"""The loopback Discord's server: a gateway websocket and the REST API on one aiohttp app."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

from tests.standins.discord_api import payloads
from tests.standins.discord_api.payloads import (
    APP_ID,
    BOT,
    CHANNEL_ID,
    DISCORD_EPOCH_MS,
    EPHEMERAL,
    GUILD_ID,
    JSON,
    LOADING,
    TOKEN,
    User,
)
from tests.standins.discord_api.spec import spec
from tests.standins.refusals import REFUSALS, Refusal

__all__ = ["HANDLER_TASKS", "Call", "DiscordAPI", "Interaction"]


@dataclass
class Call:
    """One request the bot made: method, path (under the API base), JSON body, files."""

    method: str
    path: str
    body: JSON
    files: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class Interaction:
    """An interaction dispatched to the bot, and how it was answered."""

    id: int
    token: str
    kind: int
    user: User
    channel_id: int
    guild: bool
    message_id: int | None
    dispatched: float
    callbacks: list[JSON] = field(default_factory=list)
    acked: float | None = None
    original_id: int | None = None
    ephemeral: bool = False
    loading: bool = False


def guild_shard(count: int) -> int:
    """The shard the stand-in's one server's events arrive on (Discord's rule)."""
    return (GUILD_ID >> 22) % count


class DiscordAPI:
    """Start with ``await api.start()``; point the bot at :attr:`api_url`, :attr:`gateway_url`."""

    def __init__(self, *, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.refused: list[Refusal] = []
        """Requests refused because Discord's published API does not allow them."""
        self.messages: dict[int, JSON] = {}
        self.files: dict[int, list[tuple[str, bytes]]] = {}
        self.commands: dict[str, list[JSON]] = {}
        """Synced commands by scope: ``"global"`` or the server id."""
        self.closed_dms: set[int] = set()
        self.interactions: dict[str, Interaction] = {}
        self.dm_channels: dict[int, int] = {}
        self.identified = asyncio.Event()
        self.identify: JSON = {}
        """The last IDENTIFY payload's ``d`` (token, intents, shard, …)."""
        self.shards: dict[int, web.WebSocketResponse] = {}
        """The gateway connection of each shard that identified, by shard id."""
        self.shard_count = 1
        self.disconnected = asyncio.Event()
        """Set when a bot that had identified closes its gateway connection."""
        self._recipients: dict[int, User] = {}
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._ws: web.WebSocketResponse | None = None
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._busy = 0
        self._last = time.monotonic()
        self._requests = 0
        self._mark = 0

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> DiscordAPI:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/gateway"

    def snowflake(self) -> int:
        return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(self._ids) & 0x3FFFFF)

    async def settle(self, quiet: float = 0.05, limit: float = 5.0) -> None:
        """Wait until the bot has answered the last thing a person did: it made a request since,
        no event handler of the client is still running (the bot runs in this event loop, so
        its handler tasks are visible: see :data:`HANDLER_TASKS`), and it has been quiet for
        ``quiet`` seconds. At most ``limit`` seconds."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            answered = self._requests > self._mark and not _handlers_running()
            if answered and self._busy == 0 and time.monotonic() - self._last >= quiet:
                return
            await asyncio.sleep(0.02)
        raise TimeoutError("the bot kept talking")

    # -- gateway --------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            payload = json.loads(msg.data)
            if payload["op"] == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif payload["op"] == 2 and payload["d"]["token"] != self.token:
                await ws.close(code=4004, message=b"Authentication failed.")
            elif payload["op"] == 2:
                given = payload["d"].get("shard")
                shard, count = given or (0, 1)
                if not 0 <= shard < count:
                    await ws.close(code=4010, message=b"Invalid shard.")
                    continue
                self.identify, self.shard_count = payload["d"], count
                self.shards[shard] = ws
                if shard == 0:  # direct messages arrive on shard 0 only
                    self._ws = ws
                ours = guild_shard(count) == shard
                await self._dispatch("READY", payloads.ready(self.gateway_url, given, ours), ws)
                if ours:
                    await self._dispatch("GUILD_CREATE", payloads.guild(), ws)
                self.identified.set()
            elif payload["op"] == 6:
                await ws.send_str(json.dumps({"op": 9, "d": False}))
        if ws is self._ws:
            self.disconnected.set()
        return ws

    async def _dispatch(
        self, event: str, data: JSON, ws: web.WebSocketResponse | None = None
    ) -> None:
        """Send ``event`` over ``ws``, or over shard 0's connection (where DMs arrive)."""
        ws = ws or self._ws
        if ws is None:
            raise RuntimeError("no bot is connected to the gateway")
        self._last = time.monotonic()
        await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    # -- driving the bot ------------------------------------------------------------------------

    async def dm(
        self, user: User, content: str = "", *, attachments: int = 0, sticker: bool = False
    ) -> None:
        """``user`` sends the bot a direct message."""
        message = payloads.message(self.snowflake(), self.dm_channel(user), author=user)
        message["content"] = content
        message["attachments"] = [payloads.photo(self.snowflake()) for _ in range(attachments)]
        if sticker:
            message["sticker_items"] = [{"id": "1", "name": "wave", "format_type": 1}]
        self._mark = self._requests
        await self._dispatch("MESSAGE_CREATE", message)

    async def slash(
        self, user: User, name: str, options: JSON | None = None, *, guild: bool = False
    ) -> Interaction:
        """``user`` runs ``/name`` in the server's channel (``guild``) or in their DM."""
        given: list[JSON] = []
        for key, value in (options or {}).items():
            kind = 4 if isinstance(value, int) else 3
            given.append({"name": key, "type": kind, "value": value})
        data: JSON = {"id": str(self.snowflake()), "name": name, "type": 1, "options": given}
        if guild and GUILD_ID in [int(k) for k in self.commands if k != "global"]:
            data["guild_id"] = str(GUILD_ID)
        return await self._interact(2, user, data, guild=guild)

    async def autocomplete(
        self, user: User, name: str, option: str, typed: str, *, guild: bool = True
    ) -> list[JSON]:
        """The choices the bot offers while ``user`` types ``typed`` into ``option``."""
        focused = {"name": option, "type": 3, "value": typed, "focused": True}
        data = {"id": str(self.snowflake()), "name": name, "type": 1, "options": [focused]}
        interaction = await self._interact(4, user, data, guild=guild)
        await self.settle()
        (callback,) = interaction.callbacks
        assert callback["type"] == 8, callback
        choices: list[JSON] = callback["data"]["choices"]
        return choices

    async def press(self, user: User, message: JSON, custom_id: str) -> Interaction:
        """``user`` presses the button ``custom_id`` on ``message`` as they see it (a copy taken
        earlier: a person may press a button that has gone since, as on a slow client)."""
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interact(3, user, data, message=message)

    async def submit(
        self, user: User, message: JSON, text: str, *, custom_id: str = "thr-answer"
    ) -> Interaction:
        """``user`` types ``text`` into the bot's answer modal opened from ``message``
        (``custom_id``: the modal's, as the bot opened it)."""
        row = {"type": 1, "components": [{"type": 4, "custom_id": "answer", "value": text}]}
        data = {"custom_id": custom_id, "components": [row]}
        return await self._interact(5, user, data, message=message)

    async def _interact(
        self,
        kind: int,
        user: User,
        data: JSON,
        *,
        guild: bool = False,
        message: JSON | None = None,
    ) -> Interaction:
        message = copy.deepcopy(message)
        message_id = int(message["id"]) if message is not None else None
        if message is not None:
            channel_id = int(message["channel_id"])
            guild = channel_id == CHANNEL_ID
        else:
            channel_id = CHANNEL_ID if guild else self.dm_channel(user)
        interaction = Interaction(
            id=self.snowflake(),
            token=f"itoken-{next(self._ids)}",
            kind=kind,
            user=user,
            channel_id=channel_id,
            guild=guild,
            message_id=message_id,
            dispatched=time.monotonic(),
        )
        self.interactions[interaction.token] = interaction
        payload = payloads.interaction(
            interaction.id, interaction.token, kind, data, user, channel_id, in_server=guild
        )
        if message is not None:
            payload["message"] = message
        self._mark = self._requests
        where = self.shards.get(guild_shard(self.shard_count)) if guild else None
        await self._dispatch("INTERACTION_CREATE", payload, where)
        return interaction

    # -- what the bot sent ----------------------------------------------------------------------

    def dm_channel(self, user: User) -> int:
        if user.id not in self.dm_channels:
            self.dm_channels[user.id] = self.snowflake()
            self._recipients[self.dm_channels[user.id]] = user
        return self.dm_channels[user.id]

    def in_channel(self, channel_id: int) -> list[JSON]:
        """Messages the bot made in a channel (ephemeral ones included), oldest first."""
        return [m for m in self.messages.values() if int(m["channel_id"]) == channel_id]

    def visible_in_server(self) -> list[JSON]:
        """Messages in the server channel that people other than the asker could read."""
        return [m for m in self.in_channel(CHANNEL_ID) if not m["flags"] & EPHEMERAL]

    # -- REST -----------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        self._requests += 1
        self._busy += 1
        try:
            return await self._answer(request)
        finally:
            self._busy -= 1
            self._last = time.monotonic()

    async def _answer(self, request: web.Request) -> web.Response:
        body, files, part_names = await _read_body(request)
        path = "/" + request.match_info["path"]
        self.calls.append(Call(request.method, path, body, files))
        refused = self._check_spec(request, path, body, part_names)
        if refused is not None:
            return refused
        parts = path.strip("/").split("/")
        route = (request.method, *parts)
        problem = payloads.invalid(body.get("data", body) if parts[0] == "interactions" else body)
        if problem is not None:
            errors = {"data": problem} if parts[0] == "interactions" else problem
            return self._refuse(f"{request.method} {path}", 400, _invalid_form_body(errors))
        if parts[0] in ("interactions", "webhooks"):
            return await self._interaction_route(route, body, files, request)
        if request.headers.get("Authorization") != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        match route:
            case ("GET", "users", "@me"):
                return _json(BOT.payload(bot=True))
            case ("GET", "oauth2", "applications", "@me"):
                return _json(payloads.application())
            case ("PUT", "applications", _, "commands"):
                return _json(self._sync("global", body))
            case ("PUT", "applications", _, "guilds", guild_id, "commands"):
                return _json(self._sync(guild_id, body))
            case ("POST", "users", "@me", "channels"):
                channel_id = self.dm_channel(User(int(body["recipient_id"])))
                return _json(payloads.dm_channel(self._recipients[channel_id], channel_id))
            case ("POST", "channels", channel_id, "messages"):
                return await self._create(int(channel_id), body, files)
            case ("PATCH", "channels", _, "messages", message_id):
                return self._edit(int(message_id), body, files)
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _check_spec(
        self, request: web.Request, path: str, body: Any, part_names: list[str] | None
    ) -> web.Response | None:
        """Refuse a request Discord's published API does not allow, as Discord would."""
        if not REFUSALS.checking:
            return None
        verdict = spec().check(
            request.method,
            path,
            query=dict(request.query),
            body=body if request.body_exists else None,
            parts=part_names,
        )
        if verdict is None:
            return None
        return self._refuse(verdict.route, verdict.status, verdict.body)

    def _refuse(self, call: str, status: int, answer: JSON) -> web.Response:
        refusal = Refusal("discord", call, json.dumps(answer.get("errors") or answer["message"]))
        self.refused.append(refusal)
        REFUSALS.record(refusal)
        return _json(answer, status=status)

    def _sync(self, scope: str, body: Any) -> list[JSON]:
        commands = [
            {**c, "id": str(self.snowflake()), "application_id": str(APP_ID), "version": "1"}
            for c in body
        ]
        self.commands[scope] = commands
        return commands

    async def _create(self, channel_id: int, body: JSON, files: list[Any]) -> web.Response:
        recipient = self._recipients.get(channel_id)
        if recipient is not None and recipient.id in self.closed_dms:
            error = {"message": "Cannot send messages to this user", "code": 50007}
            return _json(error, status=403)
        if recipient is None and channel_id != CHANNEL_ID:
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        message = self._store(self._message(channel_id), body, files)
        if self._ws is not None:  # the bot's own message comes back over its gateway
            await self._dispatch("MESSAGE_CREATE", message)
        return _json(message)

    def _edit(self, message_id: int, body: JSON, files: list[Any]) -> web.Response:
        if message_id not in self.messages:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        return _json(self._store(self.messages[message_id], body, files))

    async def _interaction_route(
        self, route: tuple[str, ...], body: JSON, files: list[Any], request: web.Request
    ) -> web.Response:
        interaction = self.interactions.get(route[3]) if len(route) > 3 else None
        if interaction is None:
            return _json({"message": "Unknown interaction", "code": 10062}, status=404)
        match route:
            case ("POST", "interactions", _, _, "callback"):
                return self._callback(interaction, body, files)
            case ("POST", "webhooks", _, _):
                message = self._followup(interaction, body, files)
                if request.query.get("wait") not in ("1", "true", "True"):
                    return web.Response(status=204)
                return _json(message)
            case ("PATCH", "webhooks", _, _, "messages", which):
                target = interaction.original_id if which == "@original" else int(which)
                if target is None or target not in self.messages:
                    return _json({"message": "Unknown Message", "code": 10008}, status=404)
                return _json(self._store(self.messages[target], body, files))
            case ("DELETE", "webhooks", _, _, "messages", "@original"):
                self.messages.pop(interaction.original_id or 0, None)
                return web.Response(status=204)
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _callback(self, interaction: Interaction, body: JSON, files: list[Any]) -> web.Response:
        if interaction.callbacks:
            error = {"message": "Interaction has already been acknowledged.", "code": 40060}
            return _json(error, status=400)
        interaction.callbacks.append(body)
        interaction.acked = time.monotonic()
        kind, data = body["type"], body.get("data") or {}
        response: JSON = {"interaction": {"id": str(interaction.id), "type": interaction.kind}}
        message: JSON | None = None
        if kind in (4, 5):
            interaction.ephemeral = bool(data.get("flags", 0) & EPHEMERAL)
            interaction.loading = kind == 5
            flags = (EPHEMERAL if interaction.ephemeral else 0) | (LOADING if kind == 5 else 0)
            message = self._message(interaction.channel_id, flags=flags)
            message = self._store(message, data if kind == 4 else {}, files)
            interaction.original_id = int(message["id"])
        elif kind in (6, 7):
            interaction.original_id = interaction.message_id
            if kind == 7 and interaction.message_id in self.messages:
                message = self._store(self.messages[interaction.message_id], data, files)
        if message is not None:
            response["interaction"]["response_message_id"] = message["id"]
            response["interaction"]["response_message_ephemeral"] = interaction.ephemeral
            response["resource"] = {"type": kind, "message": message}
        return _json(response)

    def _followup(self, interaction: Interaction, body: JSON, files: list[Any]) -> JSON:
        if interaction.loading and interaction.original_id in self.messages:
            interaction.loading = False  # the first followup takes the "thinking" message's place
            message = self.messages[interaction.original_id]
            message["flags"] &= ~LOADING
            return self._store(message, body, files)
        flags = EPHEMERAL if body.get("flags", 0) & EPHEMERAL else 0
        message = self._message(interaction.channel_id, flags=flags)
        return self._store(message, body, files)

    # -- messages -------------------------------------------------------------------------------

    def _message(self, channel_id: int, *, flags: int = 0) -> JSON:
        return payloads.message(self.snowflake(), channel_id, author=BOT, flags=flags)

    def _store(self, message: JSON, body: JSON, files: list[Any]) -> JSON:
        """Apply what the bot sent (new content, components, files) to ``message``."""
        if "content" in body:
            message["content"] = body["content"] or ""
        if "components" in body:
            message["components"] = body["components"] or []
        if files:
            self.files[int(message["id"])] = files
            message["attachments"] = [
                {"id": str(i), "filename": name, "size": len(data), "url": "", "proxy_url": ""}
                for i, (name, data) in enumerate(files)
            ]
        if int(message["id"]) in self.messages:
            message["edited_timestamp"] = payloads.now()
        self.messages[int(message["id"])] = message
        return message


async def _read_body(
    request: web.Request,
) -> tuple[JSON, list[tuple[str, bytes]], list[str] | None]:
    """The JSON body (a multipart body's ``payload_json``), the files, and the names of the
    multipart parts (``None`` for a JSON body)."""
    if not request.can_read_body:
        return {}, [], None
    if request.content_type != "multipart/form-data":
        return json.loads(await request.read() or b"{}"), [], None
    body: JSON = {}
    files: list[tuple[str, bytes]] = []
    names: list[str] = []
    reader = await request.multipart()
    async for part in reader:
        assert isinstance(part, BodyPartReader), "a form's parts are fields, not nested forms"
        data = await part.read()
        names.append(part.name or "")
        if part.name == "payload_json":
            body = json.loads(data)
        elif part.filename:
            files.append((part.filename, bytes(data)))
    return body, files, names


HANDLER_TASKS = (
    "discord.py: on_",
    "CommandTree-invoker",
    "discord-ui-dynamic-item-",
    "discord-ui-modal-dispatch-",
    "discord-ui-view-dispatch-",
)
"""Names discord.py 2.7 gives the tasks that run event handlers, app commands and components."""


def _handlers_running() -> bool:
    return any(task.get_name().startswith(HANDLER_TASKS) for task in asyncio.all_tasks())


def _invalid_form_body(errors: JSON) -> JSON:
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


def _json(data: Any, *, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )
