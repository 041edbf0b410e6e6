"""Putting the core's replies on screen in Discord.

:class:`Outbox` shows one turn's replies in a :class:`Place`: the person's DM channel, the
followups of a slash command used in the DM itself, or ephemeral followups (only the person
sees them) when their DMs are closed. It edits rather than sends where a reply asks for it (the
answer just chosen is shown on the question it answers and that question's buttons go; a toggled
multi-choice question is updated in place), sends asides about a pressed button as ephemeral
messages, and moves from the DM to ephemeral followups if Discord refuses the DM (50007).

:class:`DiscordDeliverer` is the :class:`bot.ports.delivery.Deliverer` the scheduler uses.

Only ids, kinds and counts are logged, never what a message says.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
import discord

from adapters.discord.translate import (
    ANSWER_MARK,
    MAX_TEXT,
    PLATFORM,
    answered_text,
    is_unreachable,
    send_kwargs,
)
from adapters.text import lines_joined
from bot.errors import DeliveryFailed, RecipientUnreachable
from bot.ports.store import Address
from dialogs.model import Reply

__all__ = ["DiscordDeliverer", "Outbox", "Place"]

logger = logging.getLogger(__name__)

Mode = Literal["dm", "followup", "ephemeral"]
UNKNOWN_CHANNEL = 10003
REMEMBERED = 10_000
"""People whose open question is remembered (least recently used ones are forgotten)."""


@dataclass(slots=True)
class Place:
    """Where one turn's replies go.

    ``mode`` is ``"dm"`` (messages in ``dm``), ``"followup"`` (followups of ``interaction``, a
    slash command used in the DM) or ``"ephemeral"`` (ephemeral followups of ``interaction``).
    ``pressed`` says the interaction came from a button on a message that can be edited through
    it; ``pressed_edited`` is set once that message was edited. ``dms_closed`` is set when
    Discord refused a DM during the turn; ``sent`` counts the messages sent.
    """

    mode: Mode
    dm: discord.abc.Messageable | None = None
    interaction: discord.Interaction | None = None
    pressed: bool = False
    dms_closed: bool = False
    pressed_edited: bool = False
    sent: int = 0


class Outbox:
    """Shows turns on Discord and remembers each person's open question: to mark it answered
    when they type the answer instead of pressing a button, and to take its buttons off when a
    new question comes (so only the current question has buttons)."""

    def __init__(self, say: Callable[..., str], *, remembered: int = REMEMBERED) -> None:
        self._dms_closed = say("discord.dms_closed")
        self._write_label = say("discord.write_label")
        self._live: OrderedDict[str, discord.Message] = OrderedDict()
        self._remembered = remembered

    async def show(self, who: str, replies: Sequence[Reply], place: Place) -> None:
        """Show ``replies`` for the person ``who`` (their user key) in ``place``, in order."""
        for reply in lines_joined(replies, MAX_TEXT):
            if reply.kind == "answer":
                await self._show_answer(who, reply.text, place)
            elif reply.kind == "notice" and place.interaction is not None:
                await place.interaction.followup.send(
                    content=reply.text[:MAX_TEXT], ephemeral=True, wait=True
                )
                place.sent += 1
            elif reply.kind == "ask" and reply.updates_prompt and len(reply.text) <= MAX_TEXT:
                await self._update_in_place(who, reply, place)
            else:
                await self._post(who, reply, place)

    def _write_for(self, place: Place) -> str | None:
        """Where the person cannot type to the bot (an ephemeral message), a question that
        takes typed text gets a "Write answer" button."""
        return self._write_label if place.mode == "ephemeral" else None

    # -- the open question ----------------------------------------------------------------------

    def _remember(self, who: str, message: discord.Message) -> None:
        self._live[who] = message
        self._live.move_to_end(who)
        while len(self._live) > self._remembered:
            self._live.popitem(last=False)

    def forget(self, who: str, message_id: int) -> None:
        """Stop treating ``message_id`` as ``who``'s open question (it is being answered)."""
        live = self._live.get(who)
        if live is not None and live.id == message_id:
            del self._live[who]

    def _pressed(self, place: Place) -> tuple[discord.Interaction, discord.Message] | None:
        interaction = place.interaction
        if place.pressed and interaction is not None and interaction.message is not None:
            return interaction, interaction.message
        return None

    async def _show_answer(self, who: str, label: str, place: Place) -> None:
        pressed = self._pressed(place)
        if pressed is not None:
            interaction, message = pressed
            self.forget(who, message.id)
            text = answered_text(message.content, label)
            await interaction.edit_original_response(content=text, view=None)
            place.pressed_edited = True
            return
        live = self._live.pop(who, None)
        if live is not None:
            text = answered_text(live.content, label)
            if await _edit(live, content=text, view=None):
                return
        await self._post(who, Reply(f"{ANSWER_MARK} {' '.join(label.split())}"), place)

    async def _update_in_place(self, who: str, reply: Reply, place: Place) -> None:
        (kwargs,) = send_kwargs(reply, write_label=self._write_for(place))
        view = kwargs.get("view")
        pressed = self._pressed(place)
        if pressed is not None:
            interaction, _ = pressed
            edited = await interaction.edit_original_response(content=reply.text, view=view)
            place.pressed_edited = True
            self._remember(who, edited)
            return
        live = self._live.get(who)
        if live is not None and await _edit(live, content=reply.text, view=view):
            return
        await self._post(who, reply, place)

    async def _retire(self, who: str) -> None:
        """A new question takes the buttons off the previous one: they could only be stale."""
        live = self._live.pop(who, None)
        if live is not None:
            await _edit(live, view=None)

    # -- new messages ---------------------------------------------------------------------------

    async def _post(self, who: str, reply: Reply, place: Place) -> None:
        if reply.kind == "ask":
            await self._retire(who)
        try:
            sent = await self._post_in(reply, place)
        except _DmRefused:
            assert place.interaction is not None
            await place.interaction.followup.send(
                content=self._dms_closed, ephemeral=True, wait=True
            )
            sent = await self._post_in(reply, place)
        if reply.kind == "ask" and sent is not None and sent.components:
            self._remember(who, sent)

    async def _post_in(self, reply: Reply, place: Place) -> discord.Message | None:
        sent: discord.Message | None = None
        for kwargs in send_kwargs(reply, write_label=self._write_for(place)):
            sent = await self._send(kwargs, place)
        return sent

    async def _send(self, kwargs: dict[str, Any], place: Place) -> discord.Message:
        place.sent += 1
        if place.mode == "dm":
            if place.dm is None:
                raise RuntimeError("a DM place needs a DM channel")
            try:
                return await place.dm.send(**kwargs)
            except discord.HTTPException as exc:
                if not is_unreachable(exc) or place.interaction is None:
                    raise
                logger.info("DM refused (%s, code %s); going ephemeral", exc.status, exc.code)
                place.mode, place.dms_closed = "ephemeral", True
                raise _DmRefused from exc
        if place.interaction is None:
            raise RuntimeError("a followup place needs an interaction")
        ephemeral = place.mode == "ephemeral"
        return await place.interaction.followup.send(ephemeral=ephemeral, wait=True, **kwargs)


async def _edit(message: discord.Message, **changes: Any) -> bool:
    """Edit a message shown earlier; ``False`` if Discord refused (deleted, or a followup whose
    interaction token expired after 15 minutes)."""
    try:
        await message.edit(**changes)
    except discord.HTTPException as exc:
        logger.info("could not edit message %s (%s, code %s)", message.id, exc.status, exc.code)
        return False
    return True


class _DmRefused(Exception):
    """Discord refused a DM during an interaction: show the turn ephemerally instead."""


class DiscordDeliverer:
    """Delivers replies nobody asked for just now (mantras, reminders) to a DM channel."""

    platform = PLATFORM

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def deliver(self, address: Address, replies: Sequence[Reply]) -> None:
        if address.platform != PLATFORM or not address.chat_id.isdigit():
            raise RecipientUnreachable(f"{address} is not a Discord DM")
        channel = self._client.get_partial_messageable(
            int(address.chat_id), type=discord.ChannelType.private
        )
        for reply in replies:
            shown = reply
            if reply.kind == "answer":
                shown = Reply(f"{ANSWER_MARK} {' '.join(reply.text.split())}")
            for kwargs in send_kwargs(shown):
                try:
                    await channel.send(**kwargs)
                except discord.HTTPException as exc:
                    if is_unreachable(exc) or exc.code == UNKNOWN_CHANNEL:
                        raise RecipientUnreachable(
                            f"Discord refused a DM to channel {address} "
                            f"({exc.status}, code {exc.code})"
                        ) from None
                    raise DeliveryFailed(
                        f"Discord refused a DM to channel {address} ({exc.status}, code {exc.code})"
                    ) from None
                except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                    raise DeliveryFailed(
                        f"Discord could not be reached ({type(exc).__name__})"
                    ) from None
