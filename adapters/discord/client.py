"""The Discord runner: a discord.py client that hands every event to the core and shows replies.

* A direct message is a turn in the DM (:func:`~adapters.discord.translate.message_to_event`).
* A slash command is acknowledged at once (deferred); used in the bot's DM it is answered there,
  used in a server it is answered ephemerally and the dialog continues in the person's DMs, or,
  when their DMs are closed (50007), in ephemeral messages with a modal for typed answers.
* A button (:mod:`adapters.discord.views`) is acknowledged at once and is a :class:`Pick` of its
  ``custom_id``; a "Write answer" modal submission is :class:`Text`.

There is no dialog logic here. One person's turns are shown in the order they happened; errors
are logged (ids and kinds, never content or the token) and answered with an apology, and never
stop the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
import zoneinfo
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord.commands import build_tree
from adapters.discord.sender import DiscordDeliverer, Outbox, Place
from adapters.discord.translate import (
    address_of,
    answered_text,
    command_events,
    is_unreachable,
    merge_turns,
    message_to_event,
    modal_event,
    pick_event,
    timezone_choices,
    user_key,
)
from adapters.discord.views import (
    ANSWER_MODAL_ID,
    AnswerModal,
    ChoiceButton,
    WriteButton,
    question_of,
)
from bot.ports.store import UserKey
from dialogs.model import Event, Reply

if TYPE_CHECKING:
    from bot.core import Core
    from bot.settings import Settings

__all__ = ["ThresholdClient"]

logger = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def intents() -> discord.Intents:
    """Servers (to see the ones the bot is in) and direct messages; nothing privileged. Message
    content in DMs with the bot arrives without the privileged message-content intent."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    chosen.dm_messages = True
    return chosen


def shard_options(settings: Settings) -> dict[str, Any]:
    """discord.py's shard arguments for ``DISCORD_SHARD_COUNT`` / ``DISCORD_SHARD_IDS``: one
    shard (``shard_id``) for :class:`ThresholdClient`, several (``shard_ids``) for
    :class:`ShardedThresholdClient`, none when unsharded."""
    shards = settings.discord_shards
    if shards is None:
        return {}
    count, ids = shards
    if len(ids) == 1:
        return {"shard_id": ids[0], "shard_count": count}
    return {"shard_ids": list(ids), "shard_count": count}


class ThresholdClient(discord.Client):
    """A discord.py client serving the core. Build it with :func:`adapters.discord.build_client`."""

    def __init__(
        self, settings: Settings, core: Core, *, clock: Callable[[], datetime] = _utc_now
    ) -> None:
        super().__init__(
            intents=intents(),
            max_messages=None,  # no message cache: what people write is not kept in memory
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
            allowed_mentions=discord.AllowedMentions.none(),
            **shard_options(settings),
        )
        self.settings = settings
        self.core = core
        self.clock = clock
        self.outbox = Outbox(core.say)
        self._apology = core.say("error.generic")
        self._serving = contextlib.AsyncExitStack()
        self._serving_now = False
        self.deliverer = DiscordDeliverer(self)
        self.tree = build_tree(self, self, core.say, core.menu())
        self._zones = frozenset(zoneinfo.available_timezones())
        self._order: weakref.WeakValueDictionary[UserKey, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def setup_hook(self) -> None:
        self.add_dynamic_items(ChoiceButton, WriteButton)
        shards = self.settings.discord_shards
        if shards is not None:
            count, ids = shards
            logger.info(
                "discord: shards %s of %d here; %s",
                ",".join(map(str, ids)),
                count,
                "direct messages arrive on shard 0, here"
                if 0 in ids
                else "direct messages arrive on shard 0, which another process must hold",
            )
            if 0 not in ids:
                return  # the process holding shard 0 syncs the commands, once
        guild_id = self.settings.discord_guild_id
        try:
            if guild_id is not None:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
            else:
                synced = await self.tree.sync()
        except discord.HTTPException as exc:
            logger.warning(
                "slash commands not synced (%s, code %s); DMs still work", exc.status, exc.code
            )
            return
        where = f"to server {guild_id}" if guild_id is not None else "globally"
        logger.info("synced %d slash commands %s", len(synced), where)

    async def on_ready(self) -> None:
        logger.info("connected to Discord as bot %s", self.user.id if self.user else "?")
        if not self._serving_now:  # on_ready comes again after each reconnect
            await self._serving.enter_async_context(self.core.serving(self.deliverer))
            self._serving_now = True

    async def close(self) -> None:
        await self._serving.aclose()
        self._serving_now = False
        await super().close()

    # -- direct messages ------------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        event = message_to_event(message, self.clock())
        if event is None:
            return
        who = user_key(message.author.id)
        place = Place("dm", dm=message.channel)
        try:
            await self._turn(who, (event,), message.channel.id, place)
        except Exception as exc:
            await self._failed("message", who, exc, channel=message.channel)

    # -- slash commands -------------------------------------------------------------------------

    async def run_command(
        self, interaction: discord.Interaction, name: str, options: dict[str, object]
    ) -> None:
        who = user_key(interaction.user.id)
        in_dm = _in_bot_dm(interaction)
        try:
            await interaction.response.defer(ephemeral=not in_dm, thinking=True)
            events = command_events(name, options, self.clock(), locale=str(interaction.locale))
            if in_dm and interaction.channel_id is not None:
                place = Place("followup", interaction=interaction)
                await self._turn(who, events, interaction.channel_id, place)
                if place.sent == 0:  # nothing to say: take away the "thinking…" placeholder
                    await interaction.delete_original_response()
                return
            dm = await interaction.user.create_dm()
            place = Place("dm", dm=dm, interaction=interaction)
            await self._turn(who, events, dm.id, place)
            if not place.dms_closed:
                link = self.core.say("discord.continue_in_dms", link=dm.jump_url)
                await interaction.followup.send(content=link, ephemeral=True, wait=True)
        except Exception as exc:
            await self._failed(f"/{name}", who, exc, interaction=interaction)

    def zone_choices(self, typed: str) -> list[tuple[str, str]]:
        return timezone_choices(typed, self._zones, self.core.zone_aliases())

    # -- buttons and the modal ------------------------------------------------------------------

    async def on_threshold_pick(self, interaction: discord.Interaction, custom_id: str) -> None:
        who = user_key(interaction.user.id)
        try:
            await interaction.response.defer()
            place, dm_id = await self._place_of(interaction)
            event = pick_event(custom_id, self.clock(), locale=str(interaction.locale))
            await self._turn(who, (event,), dm_id, place)
        except Exception as exc:
            await self._failed("button", who, exc, interaction=interaction)

    async def on_threshold_write(
        self, interaction: discord.Interaction, question: str | None
    ) -> None:
        text = interaction.message.content if interaction.message else ""
        try:
            await interaction.response.send_modal(
                AnswerModal(
                    text,
                    question,
                    title=self.core.say("discord.modal_title"),
                    label=self.core.say("discord.modal_label"),
                )
            )
        except Exception as exc:
            who = user_key(interaction.user.id)
            await self._failed("write button", who, exc, interaction=interaction)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        data = interaction.data
        if interaction.type is not discord.InteractionType.modal_submit or data is None:
            return
        modal_id = str(data.get("custom_id") or "")
        if modal_id != ANSWER_MODAL_ID and not modal_id.startswith(ANSWER_MODAL_ID + ":"):
            return
        who = user_key(interaction.user.id)
        try:
            event = modal_event(data, self.clock())
            await interaction.response.defer()
            if event is None:
                return
            place, dm_id = await self._place_of(interaction, ephemeral=True)
            message = interaction.message
            question = question_of(modal_id)
            stale: list[bool] = []

            async def events() -> Sequence[Event]:
                # inside the person's turn order: is the modal's question still the one asked?
                if question is None or await self._still_asked(who, question):
                    return (event,)
                stale.append(True)
                return (pick_event(question, event.at),)  # the machine says it is stale

            if message is not None:
                self.outbox.forget(str(who), message.id)  # marked answered below, not retired
            await self._turn(who, events, dm_id, place)
            if stale:
                return
            if message is not None and not place.pressed_edited:
                typed = " ".join(event.text.split())[:200]
                text = answered_text(message.content, typed)
                await interaction.edit_original_response(content=text, view=None)
        except Exception as exc:
            await self._failed("modal", who, exc, interaction=interaction)

    async def _place_of(
        self, interaction: discord.Interaction, *, ephemeral: bool = False
    ) -> tuple[Place, int | None]:
        """Where a button's (or modal's) turn goes, and the DM channel to remember as the
        person's address: back where the button was if that is an ephemeral message (no
        address: their DMs were closed), else their DM."""
        message = interaction.message
        if ephemeral or (message is not None and message.flags.ephemeral):
            return Place("ephemeral", interaction=interaction, pressed=True), None
        if _in_bot_dm(interaction) and isinstance(interaction.channel, discord.DMChannel):
            channel = interaction.channel
            return Place("dm", dm=channel, interaction=interaction, pressed=True), channel.id
        dm = await interaction.user.create_dm()
        return Place("dm", dm=dm, interaction=interaction, pressed=True), dm.id

    # -- one turn -------------------------------------------------------------------------------

    async def _still_asked(self, who: UserKey, question: str) -> bool:
        """Whether ``question`` (a button id: ``thr:<node>:<option>:<ask>``) is the question the
        person is at: the same node, asked the same time."""
        parts = question.split(":")
        if len(parts) != 4 or not parts[3].isdecimal():
            return False
        return await self.core.conversations.asks(who, parts[1], int(parts[3]))

    async def _turn(
        self,
        who: UserKey,
        events: Sequence[Event] | Callable[[], Awaitable[Sequence[Event]]],
        dm_id: int | None,
        place: Place,
    ) -> None:
        """Hand ``events`` to the core and show what comes back, one person's turns in order.

        ``dm_id`` becomes the person's address for later deliveries; ``None`` (their DMs are
        closed) leaves the stored address, and its "unreachable" mark, as they are.
        """
        lock = self._order.get(who)
        if lock is None:
            lock = self._order[who] = asyncio.Lock()
        async with lock:
            turns: list[list[Reply]] = []
            address = address_of(dm_id) if dm_id is not None else None
            if callable(events):
                events = await events()
            for event in events:
                turns.append(await self.core.conversations.handle(who, event, address=address))
            logger.debug("%s: %d event(s) -> %s", who, len(turns), _kinds(turns))
            await self.outbox.show(str(who), merge_turns(turns), place)
        if place.dms_closed:
            await self.core.unreachable(who)

    async def _failed(
        self,
        what: str,
        who: UserKey,
        exc: Exception,
        *,
        interaction: discord.Interaction | None = None,
        channel: discord.abc.Messageable | None = None,
    ) -> None:
        """Log a failed turn (without content) and apologise where the person can see it."""
        if isinstance(exc, discord.HTTPException) and is_unreachable(exc) and interaction is None:
            logger.info("%s cannot be reached (%s, code %s)", who, exc.status, exc.code)
            await _quietly(self.core.unreachable(who), "mark unreachable")
            return
        logger.error("discord %s of %s failed", what, who, exc_info=exc)
        if interaction is not None:
            call: Awaitable[Any]
            if interaction.response.is_done():
                call = interaction.followup.send(content=self._apology, ephemeral=True)
            else:
                call = interaction.response.send_message(self._apology, ephemeral=True)
            await _quietly(call, "apologise")
        elif channel is not None:
            await _quietly(channel.send(self._apology), "apologise")


def _in_bot_dm(interaction: discord.Interaction) -> bool:
    channel_type = getattr(interaction.channel, "type", None)
    return interaction.guild_id is None and channel_type is discord.ChannelType.private


def _kinds(turns: Sequence[Sequence[Reply]]) -> str:
    return ",".join(r.kind for turn in turns for r in turn) or "-"


async def _quietly(call: Awaitable[Any], what: str) -> None:
    try:
        await call
    except Exception:
        logger.warning("could not %s", what, exc_info=True)


class ShardedThresholdClient(ThresholdClient, discord.AutoShardedClient):
    """The same client running several shards in one process (``DISCORD_SHARD_IDS=0,1``)."""
