"""From Telegram updates to the core and back: what the runner hands every update to.

:meth:`Bridge.receive` never waits: it sorts the update (a block, a group, a private chat) and
hands a private chat's event to the :class:`~adapters.telegram.intake.Intake`, whose worker for
that chat runs the turn: the conversation service, then the :class:`Outbox`. Groups only ever get
a pointer to a private chat, at most once every few minutes. Every callback query is answered,
whatever happened. The webhook inbox passes a ``done`` callback with each update, called once
the update is applied (or needs nothing more).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from telegram import Bot, CallbackQuery, Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError

from adapters.telegram.intake import Done, Intake, Item
from adapters.telegram.sender import Outbox, Shown, with_retries
from adapters.telegram.translate import (
    MAX_TOAST,
    blocked_the_bot,
    group_reply,
    is_private,
    to_event,
)
from bot.ports.store import Address, UserKey
from bot.pseudonyms import pseudonym

if TYPE_CHECKING:
    from bot.core import Core

__all__ = ["PLATFORM", "Bridge"]

logger = logging.getLogger(__name__)

PLATFORM = "telegram"
Clock = Callable[[], datetime]


def _chat(chat_id: int) -> str:
    return pseudonym(PLATFORM, chat_id)


class Bridge:
    """Hands each update to the core and the replies to the outbox; nothing else."""

    def __init__(self, core: Core, bot: Bot, outbox: Outbox, clock: Clock) -> None:
        self._core = core
        self._bot = bot
        self._outbox = outbox
        self._clock = clock
        self.intake = Intake(self._run, self._refuse)

    async def on_update(self, update: object, context: Any) -> None:
        """The PTB handler: returns at once, so no update holds one of PTB's slots."""
        if isinstance(update, Update):
            self.receive(update)

    def receive(self, update: Update, done: Done | None = None) -> None:
        chat, user = update.effective_chat, update.effective_user
        query = update.callback_query
        if chat is None or user is None:
            self._later(None, done)
            return
        key = UserKey(PLATFORM, str(user.id))
        if blocked_the_bot(update):
            self._later(self._blocked(key), done)
            return
        if not is_private(update):
            kwargs = self._group_reply(update)
            if kwargs is not None and not self.intake.group(
                chat.id, lambda: self._in_group(chat.id, kwargs)
            ):
                logger.debug("telegram: group %s answered recently", _chat(chat.id))
            self._later(_answer(query, None) if query else None, done)
            return
        event = to_event(update, self._clock())
        if event is None:
            self._later(_answer(query, None) if query else None, done)
            return
        self.intake.submit(chat.id, update, event, done)

    def _later(self, work: Awaitable[None] | None, done: Done | None) -> None:
        async def both() -> None:
            try:
                if work is not None:
                    await work
            finally:
                if done is not None:
                    await done()

        if work is not None or done is not None:
            self.intake.later(both())

    async def _blocked(self, key: UserKey) -> None:
        logger.info("telegram: %s blocked the bot", key)
        await self._core.unreachable(key)

    # -- a turn in a private chat ---------------------------------------------------------------

    async def _run(self, item: Item) -> None:
        update = item.update
        query = update.callback_query
        toast: str | None = None
        try:
            toast = await self._turn(update, item)
        except Exception as exc:
            await self._failed(update, exc)
        finally:
            if query is not None:
                await _answer(query, toast)

    async def _turn(self, update: Update, item: Item) -> str | None:
        chat, user = update.effective_chat, update.effective_user
        assert chat is not None and user is not None  # checked by receive()
        key = UserKey(PLATFORM, str(user.id))
        started = time.perf_counter()
        address = Address(PLATFORM, str(chat.id))
        replies = await self._core.conversations.handle(key, item.event, address=address)
        sending = time.perf_counter()
        try:
            toast = await self._outbox.send(
                chat.id, replies, pressed=_pressed(update.callback_query)
            )
        except Forbidden:
            logger.info("telegram: %s cannot be messaged; marked unreachable", key)
            await self._core.unreachable(key)
            return None
        finally:
            seconds = time.perf_counter() - sending
            self._core.sent(PLATFORM, seconds)
        logger.debug(
            "telegram: %s %s -> %d replies in %.1f ms",
            key,
            type(item.event).__name__,
            len(replies),
            (time.perf_counter() - started) * 1000,
        )
        return toast

    async def _refuse(self, update: Update, say: bool) -> None:
        """Too much at once from one chat: a pressed button's toast, or once a calm line."""
        words = self._core.say("intake.one_moment")
        query, chat = update.callback_query, update.effective_chat
        if query is not None:
            await _answer(query, words[:MAX_TOAST])
        elif say and chat is not None:
            await with_retries(
                lambda: self._bot.send_message(chat_id=chat.id, text=words), "sendMessage"
            )

    def _group_reply(self, update: Update) -> dict[str, Any] | None:
        return group_reply(
            update,
            self._bot.username,
            text=self._core.say("private_only"),
            button_label=self._core.say("private_button"),
        )

    async def _in_group(self, chat_id: int, kwargs: dict[str, Any]) -> None:
        try:
            await with_retries(
                lambda: self._bot.send_message(chat_id=chat_id, **kwargs), "sendMessage"
            )
        except (Forbidden, BadRequest) as exc:
            logger.info("telegram: could not answer in group %s (%s)", _chat(chat_id), exc)

    async def _failed(self, update: Update, error: BaseException) -> None:
        """A turn that failed: log (no text, no token), apologise in the private chat."""
        logger.error(
            "telegram: update %s failed (%s)",
            update.update_id,
            type(error).__name__,
            exc_info=(type(error), error, error.__traceback__),
        )
        chat = update.effective_chat
        if chat is None or not is_private(update):
            return
        try:
            await self._bot.send_message(chat_id=chat.id, text=self._core.say("error.generic"))
        except TelegramError as exc:
            logger.warning("telegram: could not apologise in %s (%s)", _chat(chat.id), exc)

    async def on_error(self, update: object, context: Any) -> None:
        """PTB's error handler, for anything that fails before an update reaches the intake."""
        if isinstance(update, Update) and context.error is not None:
            await self._failed(update, context.error)
        elif context.error is not None:
            logger.error("telegram: %s outside an update", type(context.error).__name__)


def _pressed(query: CallbackQuery | None) -> Shown | None:
    if query is None or query.message is None:
        return None
    message = query.message
    text = message.text if isinstance(message, Message) else None
    return Shown(message.message_id, text or "")


async def _answer(query: CallbackQuery, toast: str | None) -> None:
    """Answer a callback query so the client stops spinning (a failure here is only logged)."""
    try:
        await with_retries(lambda: query.answer(text=toast), "answerCallbackQuery")
    except TelegramError as exc:
        logger.info("telegram: a callback query could not be answered (%s)", exc)
