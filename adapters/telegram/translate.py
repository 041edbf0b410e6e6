"""Translation between Telegram and the core: pure functions over PTB objects and core data.

* :func:`to_event` turns an :class:`telegram.Update` from a private chat into a core event.
* :func:`to_send_kwargs` turns a :class:`~dialogs.model.Reply` into the keyword arguments of
  ``Bot.send_message`` (or ``send_document``/``send_photo`` when it carries an attachment).
* :func:`split_text` cuts a text on Telegram's 4,096-character limit (counted, as Telegram
  counts, in UTF-16 code units), preferring paragraph, line and word boundaries.
* :func:`group_reply` is the only thing the bot ever says in a group: a pointer to a private
  chat, for a command addressed to it.

Nothing here sends, awaits or remembers anything; that is :mod:`adapters.telegram.sender`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from telegram import (
    BotCommand,
    ChatMemberBanned,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType

from adapters.text import cut, measure, utf16_units
from adapters.text import split_text as text_pieces
from dialogs.model import Button, Command, Event, Pick, Reply, Text, Unsupported

__all__ = [
    "ANSWER_MARK",
    "MAX_CALLBACK_DATA",
    "MAX_CAPTION",
    "MAX_TEXT",
    "MAX_TOAST",
    "answered_text",
    "blocked_the_bot",
    "bot_commands",
    "command_of",
    "group_reply",
    "is_private",
    "keyboard",
    "split_text",
    "to_event",
    "to_send_kwargs",
    "utf16_len",
]

MAX_TEXT = 4096
"""Telegram's limit for one message text, in UTF-16 code units."""
MAX_CAPTION = 1024
MAX_TOAST = 200
"""The longest text ``answerCallbackQuery`` shows."""
MAX_CALLBACK_DATA = 64
"""Telegram's limit for ``callback_data``, in bytes."""
ANSWER_MARK = "→"
SHORT_LABEL = 4
"""Buttons whose labels are at most this long (ratings, days) share a row."""
ROW_OF_SHORT = 5


MAX_COMMAND_DESCRIPTION = 256
"""Telegram's limit for a ``BotCommand`` description."""


def bot_commands(menu: Sequence[tuple[str, str]]) -> list[BotCommand]:
    """The command menu registered at start-up, from the content's ``(name, description)``
    pairs (``/start``, ``/back`` and ``/skip`` work too, unlisted)."""
    return [BotCommand(name, cut(text, MAX_COMMAND_DESCRIPTION)) for name, text in menu]


DEEP_LINK_FLOWS = frozenset({"reflect", "checkin", "mantras"})
"""Commands a group member can be sent on with: ``/start <payload>`` begins that flow."""

# What the core is told a message was, when it is not text (``Unsupported.what``; the content
# names each as ``thing.<what>``): the message's attribute, and the name the core knows it by.
UNSUPPORTED_KINDS: tuple[tuple[str, str], ...] = (
    ("sticker", "sticker"),
    ("animation", "animation"),
    ("photo", "photo"),
    ("video_note", "video_note"),
    ("video", "video"),
    ("voice", "voice"),
    ("audio", "audio"),
    ("document", "document"),
    ("location", "location"),
    ("venue", "location"),
    ("contact", "contact"),
    ("poll", "poll"),
    ("dice", "dice"),
    ("story", "story"),
    ("paid_media", "paid_media"),
    ("game", "game"),
)
EDITED = "edited"
TOO_LONG = "long"


# --------------------------------------------------------------------------------------------
# Telegram → core


def to_event(update: Update, at: datetime) -> Event | None:
    """The event a private-chat update stands for, or ``None`` when there is nothing to answer
    (a service message, a callback without data, an update of another kind).

    ``at`` is the time of the turn (callback queries carry no date of their own).
    """
    user = update.effective_user
    locale = user.language_code if user is not None else None
    query = update.callback_query
    if query is not None:
        return Pick(query.data, at, locale) if isinstance(query.data, str) else None
    if update.edited_message is not None:
        return Unsupported(what=EDITED, at=at)
    message = update.message
    if message is None:
        return None
    if message.text is not None:
        if utf16_len(message.text) > MAX_TEXT:
            return Unsupported(what=TOO_LONG, at=at)
        command = command_of(message)
        if command is not None:
            name, _mention, arg = command
            return Command(name=name, at=at, arg=arg, locale=locale)
        return Text(text=message.text, at=at, locale=locale)
    for attribute, what in UNSUPPORTED_KINDS:
        if getattr(message, attribute, None):
            return Unsupported(what=what, at=at)
    return None


def command_of(message: Message) -> tuple[str, str, str] | None:
    """``(name, mention, arg)`` of a message that starts with a bot command, else ``None``:
    ``/Start@ThresholdBot checkin`` → ``("start", "ThresholdBot", "checkin")``."""
    text = message.text
    if not text:
        return None
    for entity in message.entities:
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            command = message.parse_entity(entity)
            name, _, mention = command[1:].partition("@")
            if not name:
                return None
            return name.lower(), mention, text[len(command) :].strip()
    return None


def is_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


def blocked_the_bot(update: Update) -> bool:
    """Whether this is Telegram telling us a person blocked the bot in their private chat."""
    change = update.my_chat_member
    return (
        change is not None
        and change.chat.type == ChatType.PRIVATE
        and isinstance(change.new_chat_member, ChatMemberBanned)
    )


def group_reply(
    update: Update,
    bot_username: str,
    *,
    text: str,
    button_label: str,
) -> dict[str, Any] | None:
    """What to say in a group or supergroup: for a command addressed to this bot, a pointer to
    a private chat (a deep link that starts the same flow there); for anything else nothing.
    The runner passes the wording from the content (``private_only``, ``private_button``)."""
    message = update.message
    if message is None or is_private(update) or not bot_username:
        return None
    command = command_of(message)
    if command is None:
        return None
    name, mention, _ = command
    if mention and mention.lower() != bot_username.lower():
        return None
    link = f"https://t.me/{bot_username}"
    if name in DEEP_LINK_FLOWS:
        link += f"?start={name}"
    button = InlineKeyboardButton(button_label, url=link)
    return {"text": text, "reply_markup": InlineKeyboardMarkup([[button]])}


# --------------------------------------------------------------------------------------------
# core → Telegram


def to_send_kwargs(reply: Reply) -> dict[str, Any]:
    """Keyword arguments for one message showing ``reply`` (texts longer than Telegram allows
    are cut by the sender with :func:`split_text`).

    A reply with an attachment becomes ``send_photo`` (images) or ``send_document`` arguments:
    ``photo``/``document`` and ``caption``; anything else ``send_message`` arguments: ``text``
    and ``reply_markup`` (an inline keyboard, or ``None``).
    """
    markup = keyboard(reply.buttons)
    if reply.attachment is not None:
        file = InputFile(reply.attachment.data, filename=reply.attachment.filename)
        field = "photo" if reply.attachment.media_type.startswith("image/") else "document"
        kwargs: dict[str, Any] = {field: file, "reply_markup": markup}
        if reply.text and utf16_len(reply.text) <= MAX_CAPTION:
            kwargs["caption"] = reply.text
        return kwargs
    return {"text": reply.text, "reply_markup": markup}


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """An inline keyboard: one button per row, except short labels (ratings, numbers of days)
    which share rows of up to five. A button whose data exceeds 64 bytes could never come back,
    so it is left out."""
    rows: list[list[InlineKeyboardButton]] = []
    short: list[InlineKeyboardButton] = []
    for button in buttons:
        if len(button.data.encode("utf-8")) > MAX_CALLBACK_DATA:
            continue
        item = InlineKeyboardButton(button.label, callback_data=button.data)
        if len(button.label) <= SHORT_LABEL:
            short.append(item)
            if len(short) == ROW_OF_SHORT:
                rows.append(short)
                short = []
            continue
        if short:
            rows.append(short)
            short = []
        rows.append([item])
    if short:
        rows.append(short)
    return InlineKeyboardMarkup(rows) if rows else None


def answered_text(question: str, label: str) -> str:
    """A question as it reads once answered: its text, then ``→ label`` (on one line)."""
    mark = f"\n\n{ANSWER_MARK} {' '.join(label.split())}"
    if utf16_len(question + mark) <= MAX_TEXT:
        return question + mark
    mark = _cut(mark, MAX_TEXT // 2)
    return _cut(question, MAX_TEXT - utf16_len(mark) - 1) + "…" + mark


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: characters outside the BMP (most emoji) count twice."""
    return measure(text, utf16_units)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` UTF-16 code units (see
    :mod:`adapters.text`)."""
    return text_pieces(text, limit, utf16_units)


def _cut(text: str, limit: int) -> str:
    """The longest prefix of ``text`` within ``limit`` UTF-16 code units."""
    return cut(text, limit, utf16_units)
