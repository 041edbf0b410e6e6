"""Translation between Discord and the core: pure functions over discord.py objects and core data.

Discord → core:

* :func:`message_to_event` turns a direct message into an event (typed ``/name`` is a
  :class:`Command`, a sticker or a file an :class:`Unsupported`, anything else :class:`Text`).
* :func:`command_events` turns a slash command and its options into the events it stands for;
  ``/mantras`` options become the command's arguments (``/mantras on 07:30 Europe/Berlin``).
* :func:`pick_event` and :func:`modal_event` turn a pressed button and a submitted "Write
  answer" modal into a :class:`Pick` and a :class:`Text`.
* :func:`timezone_choices` ranks IANA names for the ``/mantras`` time zone autocomplete.

core → Discord:

* :func:`send_kwargs` turns a reply into the keyword arguments of one or more ``send`` calls
  (texts over 2,000 characters are split by :func:`split_text`; buttons and the file go with
  the last piece); :func:`answered_text` is a question as it reads once answered.
* :func:`is_unreachable` tells a refusal because the person cannot be messaged (50007, 403).

Nothing here sends, awaits or remembers anything: that is :mod:`adapters.discord.sender`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import discord

from adapters.discord.views import answer_view
from adapters.text import split_text as text_pieces
from bot.ports.store import Address, UserKey
from dialogs.model import Command, Event, Pick, Reply, Text, Unsupported

__all__ = [
    "ANSWER_INPUT_ID",
    "ANSWER_MARK",
    "FREQUENCIES",
    "MAX_TEXT",
    "PLATFORM",
    "address_of",
    "answered_text",
    "command_events",
    "is_unreachable",
    "merge_turns",
    "message_to_event",
    "modal_event",
    "pick_event",
    "send_kwargs",
    "split_text",
    "timezone_choices",
    "unsupported_kind",
    "user_key",
]

PLATFORM = "discord"
MAX_TEXT = 2000
"""Discord's limit for the content of one message a bot sends, in characters."""
MAX_CHOICES = 25
"""Discord shows at most 25 autocomplete choices."""
MAX_CHOICE_NAME = 100
ANSWER_MARK = "→"
ANSWER_INPUT_ID = "answer"
"""The ``custom_id`` of the text input in the "Write answer" modal."""
CANNOT_MESSAGE_USER = 50007

_COMMAND = re.compile(r"/([A-Za-z][A-Za-z0-9_]*)(?:\s+(.*))?", re.DOTALL)
_TEXT_INPUT = 4

FREQUENCIES: tuple[str, ...] = (
    "daily",
    "weekdays",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
)
"""``/mantras frequency`` choices, in order (each shown as ``discord.frequency.<value>``)."""
COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
)
"""What the time zone autocomplete offers before anything is typed."""


def user_key(user_id: int) -> UserKey:
    return UserKey(PLATFORM, str(user_id))


def address_of(dm_channel_id: int) -> Address:
    return Address(PLATFORM, str(dm_channel_id))


# --------------------------------------------------------------------------------------------
# Discord → core


def message_to_event(message: discord.Message, at: datetime) -> Event | None:
    """The event a direct message stands for, or ``None`` when there is nothing to answer: a
    bot's message (our own come back from the gateway), a message in a server (the bot reads
    only its DMs) or a system message.

    Text wins over what comes with it: a photo with a caption is the caption.
    """
    if message.author.bot or not isinstance(message.channel, discord.DMChannel):
        return None
    if message.type not in (discord.MessageType.default, discord.MessageType.reply):
        return None
    text = message.content
    if text.strip():
        command = _COMMAND.fullmatch(text.strip())
        if command is not None:
            arg = (command.group(2) or "").strip()
            return Command(name=command.group(1).lower(), at=at, arg=arg)
        return Text(text=text, at=at)
    return Unsupported(what=unsupported_kind(message), at=at)


def unsupported_kind(message: discord.Message) -> str:
    """What a message without text holds, by the name the core knows it by (``thing.<name>``
    in the content)."""
    if message.stickers:
        return "sticker"
    if message.flags.voice:
        return "voice"
    if message.attachments:
        kind = (message.attachments[0].content_type or "").split("/", 1)[0]
        return {"image": "photo", "video": "video", "audio": "audio"}.get(kind, "document")
    if message.poll is not None:
        return "poll"
    if message.message_snapshots:
        return "forwarded"
    if message.embeds:
        return "embed"
    return "empty"


def command_events(
    name: str, options: Mapping[str, object], at: datetime, *, locale: str | None = None
) -> tuple[Event, ...]:
    """The events a slash command stands for (``locale``: the person's Discord language).

    ``/history page:2`` is ``Command("history", arg="2")``. ``/mantras`` with options is the
    same command a person could type: ``/mantras on 07:30 Europe/Berlin weekdays`` (the core
    sets what it was given and asks only what is missing).
    """
    if name == "history":
        page = options.get("page")
        return (Command("history", at, arg=str(page) if page else "", locale=locale),)
    if name != "mantras":
        return (Command(name, at, locale=locale),)
    turn = str(options.get("turn") or "")
    if turn == "off":
        return (Command("mantras", at, arg="off", locale=locale),)
    words = ["on"] if turn == "on" else []
    for option in ("time", "timezone", "frequency"):
        value = " ".join(str(options.get(option) or "").split())
        if value:
            words.append(value.replace(" ", "_") if option == "timezone" else value)
    return (Command("mantras", at, arg=" ".join(words), locale=locale),)


def merge_turns(turns: Sequence[Sequence[Reply]]) -> list[Reply]:
    """The replies to show for several events fed in one go. A question answered by the next
    event is never shown, so neither is it nor the answer to it: of every turn but the last
    only what is said stays, and the last turn loses its answer (to a question not shown)."""
    merged: list[Reply] = []
    for turn in turns[:-1]:
        merged.extend(r for r in turn if r.kind not in ("ask", "answer"))
    if len(turns) > 1:
        merged.extend(r for r in turns[-1] if r.kind != "answer")
    elif turns:
        merged.extend(turns[0])
    return merged


def pick_event(custom_id: str, at: datetime, *, locale: str | None = None) -> Pick:
    """A pressed button: its ``custom_id`` is the core's button data, passed on unchanged."""
    return Pick(data=custom_id, at=at, locale=locale)


def modal_event(data: Mapping[str, Any], at: datetime) -> Text | None:
    """The text typed into the "Write answer" modal (``interaction.data`` of a modal submit),
    or ``None`` if the payload holds no such input. Inputs come in action rows or labels."""
    value = _input_value(data.get("components") or [])
    return None if value is None else Text(text=value, at=at)


def _input_value(components: Iterable[Any]) -> str | None:
    for component in components:
        if not isinstance(component, Mapping):
            continue
        if component.get("type") == _TEXT_INPUT and component.get("custom_id") == ANSWER_INPUT_ID:
            value = component.get("value")
            return value if isinstance(value, str) else None
        inner = list(component.get("components") or [])
        if isinstance(component.get("component"), Mapping):
            inner.append(component["component"])
        found = _input_value(inner)
        if found is not None:
            return found
    return None


def timezone_choices(
    typed: str, zones: Iterable[str], aliases: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """Up to 25 ``(name, zone)`` choices for what has been typed so far.

    Exact names first, then zones whose city starts with it, then names that start with it,
    then names that contain it; places in ``aliases`` (``"mumbai"`` → ``Asia/Kolkata``) are
    offered as ``"Mumbai → Asia/Kolkata"``. Spaces count as underscores, case is ignored.
    """
    known = sorted(set(zones))
    query = "_".join(typed.split()).casefold()
    if not query:
        return [(z, z) for z in COMMON_ZONES if z in known][:MAX_CHOICES]

    def rank(zone: str) -> int | None:
        folded = zone.casefold()
        city = folded.rsplit("/", 1)[-1]
        if folded == query:
            return 0
        if city.startswith(query):
            return 1
        if folded.startswith(query):
            return 2
        if query in folded:
            return 3
        return None

    ranked = sorted(
        ((r, z) for z in known if (r := rank(z)) is not None),
        key=lambda item: (item[0], item[1].startswith(("Etc/", "SystemV/")), item[1]),
    )
    choices = [(z, z) for _, z in ranked]
    spoken = query.replace("_", " ")
    for place, zone in sorted((aliases or {}).items()):
        if place.startswith(spoken) and zone in known:
            choices.insert(0, (f"{place.title()} → {zone}"[:MAX_CHOICE_NAME], zone))
    unique = list(dict.fromkeys(choices))
    return unique[:MAX_CHOICES]


# --------------------------------------------------------------------------------------------
# core → Discord


def send_kwargs(reply: Reply, *, write_label: str | None = None) -> list[dict[str, Any]]:
    """Keyword arguments for the ``send`` calls that show ``reply``, in order.

    The text is split on Discord's 2,000-character limit; the buttons (a persistent view) and
    the attachment (a :class:`discord.File`) go with the last piece. ``write_label`` adds a
    "Write answer" button, so labelled, to a question that takes typed text, for places where
    the person cannot type to the bot (ephemeral messages when their DMs are closed).
    """
    pieces = split_text(reply.text)
    calls: list[dict[str, Any]] = [{"content": piece} for piece in pieces]
    last = calls[-1]
    if reply.kind == "ask" or reply.buttons:  # a delivered mantra has buttons, and is no question
        view = answer_view(reply.buttons, write=write_label if reply.free_text else None)
        if view is not None:
            last["view"] = view
    if reply.attachment is not None:
        data = io.BytesIO(reply.attachment.data)
        last["file"] = discord.File(data, filename=reply.attachment.filename)
    if not last["content"]:
        del last["content"]
    return calls


def answered_text(question: str, label: str) -> str:
    """A question as it reads once answered: its text, then ``→ label`` on a line of its own."""
    mark = f"{ANSWER_MARK} {' '.join(label.split())}"[: MAX_TEXT // 2]
    if not question:
        return mark
    room = MAX_TEXT - len(mark) - 2
    if len(question) > room:
        question = question[: room - 1] + "…"
    return f"{question}\n\n{mark}"


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` characters (see :mod:`adapters.text`)."""
    return text_pieces(text, limit)


def is_unreachable(exc: discord.HTTPException) -> bool:
    """Whether Discord refused because the person cannot be messaged: DMs closed, the bot
    blocked or no server in common (50007), or any other 403."""
    return exc.code == CANNOT_MESSAGE_USER or exc.status == 403
