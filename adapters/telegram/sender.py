"""Putting the core's replies on screen in a Telegram chat.

:class:`Outbox` sends a turn's replies in order. It edits rather than sends where the reply asks
for it (the answer just chosen is shown on the question it answers, a toggled multi-choice
question is updated in place), keeps one live keyboard per chat (a new question retires the
buttons of the previous one), splits long texts, and retries network errors with backoff.
Flood control (``RetryAfter``) is waited out below it, by PTB's ``AIORateLimiter``.
``Forbidden`` (the person blocked the bot) is left to the caller.

:class:`TelegramDeliverer` is the :class:`bot.ports.delivery.Deliverer` the scheduler uses.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError

from adapters.telegram.translate import (
    MAX_TEXT,
    MAX_TOAST,
    answered_text,
    split_text,
    to_send_kwargs,
    utf16_len,
)
from adapters.text import lines_joined, utf16_units
from bot.errors import DeliveryFailed, RecipientUnreachable
from bot.ports.store import Address
from bot.pseudonyms import pseudonym
from dialogs.model import Reply

__all__ = ["BACKOFF", "Outbox", "Shown", "TelegramDeliverer", "toast_of"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

BACKOFF = (0.5, 1.0, 2.0)
"""Seconds to wait before each retry of a call that failed on the network."""
REMEMBERED_CHATS = 10_000
"""Chats whose live question is remembered (least recently used ones are forgotten)."""
NOT_MODIFIED = "message is not modified"


@dataclass(frozen=True, slots=True)
class Shown:
    """A message on screen that holds a question: its id and its text as shown."""

    message_id: int
    text: str


async def with_retries(call: Callable[[], Awaitable[T]], what: str) -> T:
    """Run ``call``, retrying network errors (not refusals such as ``BadRequest``) with backoff."""
    for delay in BACKOFF:
        try:
            return await call()
        except BadRequest:
            raise
        except NetworkError as exc:
            logger.warning("telegram %s failed (%s); retrying in %.1f s", what, exc, delay)
            await asyncio.sleep(delay)
    return await call()


class Outbox:
    """Sends replies to Telegram chats on behalf of one bot."""

    def __init__(self, bot: Bot, *, remembered: int = REMEMBERED_CHATS) -> None:
        self._bot = bot
        self._live: OrderedDict[int, Shown] = OrderedDict()
        self._remembered = remembered

    async def send(
        self,
        chat_id: int,
        replies: Sequence[Reply],
        *,
        pressed: Shown | None = None,
        interactive: bool = True,
    ) -> str | None:
        """Show ``replies`` in ``chat_id``; return the text for the callback toast, if any.

        ``pressed`` is the message whose button started this turn. ``interactive=False`` (a
        delivery nobody asked for just now) leaves the chat's live question alone.
        """
        toast = toast_of(replies, pressed)
        in_toast = False
        for reply in lines_joined(replies, MAX_TEXT, utf16_units):
            if reply.kind == "answer":
                await self._show_answer(chat_id, reply.text, pressed)
            elif reply.kind == "notice" and reply.text == toast and not in_toast:
                in_toast = True  # the caller answers the press with it
            elif reply.kind == "ask" and reply.updates_prompt and pressed is not None:
                await self._update_in_place(chat_id, reply, pressed)
            else:
                await self._post(chat_id, reply, interactive=interactive)
        return toast

    # -- the live question ----------------------------------------------------------------------

    def _remember(self, chat_id: int, shown: Shown) -> None:
        self._live[chat_id] = shown
        self._live.move_to_end(chat_id)
        while len(self._live) > self._remembered:
            self._live.popitem(last=False)

    async def _show_answer(self, chat_id: int, label: str, pressed: Shown | None) -> None:
        """Edit the question just answered to show the answer, dropping its keyboard."""
        live = self._live.get(chat_id)
        question = pressed or live
        if question is None:
            return
        if live is not None and live.message_id == question.message_id:
            del self._live[chat_id]
        if question.text:
            await self._edit(
                chat_id, question.message_id, answered_text(question.text, label), None
            )
        else:
            await self._edit_markup(chat_id, question.message_id)

    async def _retire(self, chat_id: int) -> None:
        """Drop the keyboard of the chat's previous question: a new question replaces it."""
        previous = self._live.pop(chat_id, None)
        if previous is not None:
            await self._edit_markup(chat_id, previous.message_id)

    async def _update_in_place(self, chat_id: int, reply: Reply, pressed: Shown) -> None:
        kwargs = to_send_kwargs(reply)
        text = split_text(reply.text)[0] if reply.text else "…"
        if pressed.text and pressed.text.endswith(text):
            text = pressed.text  # keep the lines that went out with the question
        if await self._edit(chat_id, pressed.message_id, text, kwargs["reply_markup"]):
            self._remember(chat_id, Shown(pressed.message_id, text))
        else:
            await self._post(chat_id, reply, interactive=True)

    # -- sending and editing --------------------------------------------------------------------

    async def _post(self, chat_id: int, reply: Reply, *, interactive: bool) -> None:
        kwargs = to_send_kwargs(reply)
        markup = kwargs.pop("reply_markup")
        question = interactive and reply.kind == "ask"
        if question:
            await self._retire(chat_id)
        if reply.attachment is not None:
            await self._post_file(chat_id, reply, kwargs, markup)
            return
        chunks = [c for c in split_text(reply.text) if c.strip()] or (["…"] if markup else [])
        sent: Message | None = None
        for number, chunk in enumerate(chunks, start=1):
            last = number == len(chunks)
            sent = await self._send_text(chat_id, chunk, markup if last else None)
        if question and markup is not None and sent is not None:
            self._remember(chat_id, Shown(sent.message_id, chunks[-1]))

    async def _send_text(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> Message:
        return await with_retries(
            lambda: self._bot.send_message(chat_id=chat_id, text=text, reply_markup=markup),
            "sendMessage",
        )

    async def _post_file(
        self,
        chat_id: int,
        reply: Reply,
        kwargs: dict[str, Any],
        markup: InlineKeyboardMarkup | None,
    ) -> None:
        if "caption" not in kwargs and reply.text.strip():
            for chunk in split_text(reply.text):
                await self._send_text(chat_id, chunk, None)
        caption = kwargs.get("caption")
        text = caption if isinstance(caption, str) else None
        if "photo" in kwargs:
            photo = kwargs["photo"]
            await with_retries(
                lambda: self._bot.send_photo(
                    chat_id=chat_id, photo=photo, caption=text, reply_markup=markup
                ),
                "sendPhoto",
            )
        else:
            document = kwargs["document"]
            await with_retries(
                lambda: self._bot.send_document(
                    chat_id=chat_id, document=document, caption=text, reply_markup=markup
                ),
                "sendDocument",
            )

    async def _edit(
        self, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> bool:
        """Replace a message's text and keyboard; ``False`` if Telegram would not (too old,
        deleted). An edit that changes nothing counts as done."""
        text = text if utf16_len(text) <= MAX_TEXT else split_text(text)[0]
        try:
            await with_retries(
                lambda: self._bot.edit_message_text(
                    text=text, chat_id=chat_id, message_id=message_id, reply_markup=markup
                ),
                "editMessageText",
            )
        except BadRequest as exc:
            if NOT_MODIFIED in str(exc).lower():
                return True
            logger.info("telegram: could not edit a message in %s (%s)", _chat(chat_id), exc)
            return False
        return True

    async def _edit_markup(self, chat_id: int, message_id: int) -> None:
        try:
            await with_retries(
                lambda: self._bot.edit_message_reply_markup(
                    chat_id=chat_id, message_id=message_id, reply_markup=None
                ),
                "editMessageReplyMarkup",
            )
        except BadRequest as exc:
            if NOT_MODIFIED not in str(exc).lower():
                logger.info("telegram: could not drop a keyboard in %s (%s)", _chat(chat_id), exc)


def toast_of(replies: Sequence[Reply], pressed: Shown | None) -> str | None:
    """The words a pressed button's toast shows: the turn's first notice short enough for one
    (a longer one is posted as a message). Known as soon as the replies are, so the press can
    be answered before the messages go out."""
    if pressed is None:
        return None
    for reply in replies:
        if reply.kind == "notice" and utf16_len(reply.text) <= MAX_TOAST:
            return reply.text
    return None


def _chat(chat_id: int) -> str:
    """How a log line names a chat: its keyed pseudonym (a private chat's id is the person's)."""
    return pseudonym("telegram", chat_id)


class TelegramDeliverer:
    """:class:`bot.ports.delivery.Deliverer` for Telegram: the scheduler's way to speak first."""

    platform = "telegram"

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    async def deliver(self, address: Address, replies: Sequence[Reply]) -> None:
        if address.platform != self.platform:
            raise DeliveryFailed(f"A {address.platform} address cannot be reached via Telegram.")
        try:
            chat_id = int(address.chat_id)
        except ValueError:
            raise DeliveryFailed("A Telegram chat id must be a number.") from None
        try:
            await self._outbox.send(chat_id, replies, interactive=False)
        except Forbidden as exc:
            raise RecipientUnreachable(f"Telegram chat {address} cannot be reached: {exc}") from exc
        except TelegramError as exc:
            raise DeliveryFailed(f"Telegram refused a delivery to chat {address}: {exc}") from exc
