"""The Telegram runner: a PTB ``Application`` wired to the core, and its life cycle.

:func:`build_application` builds the application (base URL from ``TELEGRAM_API_URL``, PTB's
``AIORateLimiter`` waiting out flood control, one handler for every update, one error handler).
:func:`run_telegram` runs it inside the caller's event loop — long polling, or a webhook server
when ``TELEGRAM_WEBHOOK_URL`` is set — until cancelled, then shuts PTB down cleanly.

Each update goes one way: private chat → :func:`~adapters.telegram.translate.to_event` → the
conversation service → :class:`~adapters.telegram.sender.Outbox`. Groups only ever get a
pointer to a private chat. Every callback query is answered, whatever happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import urlsplit

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, TypeHandler

from adapters.telegram.logs import token_kept_out_of_logs
from adapters.telegram.sender import Outbox, Shown, TelegramDeliverer, with_retries
from adapters.telegram.translate import (
    COMMANDS,
    blocked_the_bot,
    group_reply,
    is_private,
    to_event,
)
from bot.errors import ConfigError
from bot.pseudonyms import pseudonym
from bot.store import Address, UserKey

if TYPE_CHECKING:
    from bot.core import Core
    from bot.settings import Settings

__all__ = [
    "ALLOWED_UPDATES",
    "PLATFORM",
    "Webhook",
    "build_application",
    "deliverer",
    "run_telegram",
    "webhook_config",
]

logger = logging.getLogger(__name__)

PLATFORM = "telegram"
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
POLL_TIMEOUT = 10.0
"""Seconds a ``getUpdates`` long poll waits for something to happen."""
OVERALL_RATE = 25
"""Messages per second for the whole bot (Telegram allows about 30)."""
RETRY_AFTER_RETRIES = 3
SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
App: TypeAlias = Application[Any, Any, Any, Any, Any, Any]
Clock: TypeAlias = Callable[[], datetime]
BAD_TOKEN = (
    "Telegram refused TELEGRAM_TOKEN: it is wrong or has been revoked; "
    "copy the current token from @BotFather into .env."
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------------------------
# Building


def build_application(settings: Settings, core: Core, *, clock: Clock = _utc_now) -> App:
    """The PTB application for ``settings``, handing every update to ``core``. Nothing is
    contacted until it is initialized."""
    api = settings.telegram_api_url.rstrip("/")
    token = _token(settings)
    try:
        with token_kept_out_of_logs(token):  # PTB logs the URLs it is given, token and all
            app: App = (
                ApplicationBuilder()
                .token(token)
                .base_url(f"{api}/bot")
                .base_file_url(f"{api}/file/bot")
                .rate_limiter(
                    AIORateLimiter(overall_max_rate=OVERALL_RATE, max_retries=RETRY_AFTER_RETRIES)
                )
                .concurrent_updates(True)
                .job_queue(None)
                .build()
            )
    except InvalidToken:
        raise ConfigError(BAD_TOKEN) from None
    bridge = _Bridge(core, Outbox(app.bot), clock)
    app.add_handler(TypeHandler(Update, bridge.on_update))
    app.add_error_handler(bridge.on_error)
    return app


def deliverer(app: App) -> TelegramDeliverer:
    """A :class:`bot.delivery.Deliverer` that speaks through ``app``'s bot (once it runs)."""
    return TelegramDeliverer(Outbox(app.bot))


def _token(settings: Settings) -> str:
    token = settings.telegram_token.get_secret_value().strip() if settings.telegram_token else ""
    if not token:
        raise ConfigError("TELEGRAM_TOKEN is not set; Telegram cannot start without it.")
    return token


@dataclass(frozen=True)
class Webhook:
    """Where the webhook server listens and what Telegram is told to call."""

    url: str
    listen: str
    port: int
    path: str
    secret: str


def webhook_config(settings: Settings) -> Webhook | None:
    """The webhook settings, checked; ``None`` for long polling.

    Without ``TELEGRAM_WEBHOOK_SECRET`` the secret is derived from the token: stable across
    restarts and processes, and unknown to anyone who does not hold the token.
    """
    url = (settings.telegram_webhook_url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("TELEGRAM_WEBHOOK_URL must be a full URL such as https://example.org/tg.")
    host, _, port = settings.telegram_webhook_listen.strip().rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError("TELEGRAM_WEBHOOK_LISTEN must look like 0.0.0.0:8443 (host:port).")
    if settings.telegram_webhook_secret is not None:
        secret = settings.telegram_webhook_secret.get_secret_value().strip()
    else:
        secret = hashlib.sha256(b"threshold-webhook:" + _token(settings).encode()).hexdigest()
    if not SECRET.fullmatch(secret):
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET must be 1 to 256 letters, digits, '_' or '-'.")
    return Webhook(url, host.strip("[]") or "0.0.0.0", int(port), parts.path or "/", secret)


# --------------------------------------------------------------------------------------------
# Running


async def run_telegram(
    settings: Settings, core: Core, *, poll_timeout: float = POLL_TIMEOUT
) -> None:
    """Serve Telegram until cancelled. Raises :class:`ConfigError` (one sentence) when the
    token is refused or the Bot API cannot be reached at start."""
    token = _token(settings)
    webhook = webhook_config(settings)
    with token_kept_out_of_logs(token):
        app = build_application(settings, core)
        async with _running(app, settings):
            updater = app.updater
            assert updater is not None  # the builder always makes one
            if webhook is None:
                await updater.start_polling(
                    timeout=timedelta(seconds=poll_timeout), allowed_updates=list(ALLOWED_UPDATES)
                )
            else:
                await _start_webhook(app, webhook)
            logger.info(
                "telegram: serving as @%s by %s",
                app.bot.username,
                "webhook" if webhook else "polling",
            )
            core.deliverers["telegram"] = deliverer(app)
            try:
                await asyncio.get_running_loop().create_future()  # until cancelled
            finally:
                core.deliverers.pop("telegram", None)


@contextlib.asynccontextmanager
async def _running(app: App, settings: Settings) -> AsyncIterator[None]:
    try:
        await _initialize(app, settings)
        await _register_commands(app)
        await app.start()
        yield
    finally:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()


async def _start_webhook(app: App, webhook: Webhook) -> None:
    assert app.updater is not None
    try:
        await app.updater.start_webhook(
            listen=webhook.listen,
            port=webhook.port,
            url_path=webhook.path,
            webhook_url=webhook.url,
            secret_token=webhook.secret,
            allowed_updates=list(ALLOWED_UPDATES),
        )
    except OSError as exc:
        raise ConfigError(
            f"The webhook server cannot listen on {webhook.listen}:{webhook.port} "
            f"({exc.strerror or exc}); check TELEGRAM_WEBHOOK_LISTEN."
        ) from None
    except TelegramError as exc:
        raise ConfigError(
            f"Telegram refused the webhook {webhook.url} ({exc}); check TELEGRAM_WEBHOOK_URL."
        ) from None


async def _register_commands(app: App) -> None:
    """Fill the command menu; a refusal is logged, not fatal (the commands work regardless)."""
    try:
        await with_retries(lambda: app.bot.set_my_commands(list(COMMANDS)), "setMyCommands")
    except TelegramError as exc:
        logger.warning("telegram: the command menu could not be set (%s)", exc)


async def _initialize(app: App, settings: Settings) -> None:
    try:
        await with_retries(app.initialize, "getMe")
    except InvalidToken:
        raise ConfigError(BAD_TOKEN) from None
    except TelegramError as exc:
        raise ConfigError(
            f"Could not reach the Telegram Bot API at {settings.telegram_api_url} "
            f"({type(exc).__name__}); check the network and TELEGRAM_API_URL."
        ) from None


# --------------------------------------------------------------------------------------------
# Handling updates


class _Bridge:
    """Hands each update to the core and the replies to the outbox; nothing else."""

    def __init__(self, core: Core, outbox: Outbox, clock: Clock) -> None:
        self._core = core
        self._outbox = outbox
        self._clock = clock
        self._locks = _ChatLocks()

    async def on_update(self, update: object, context: Any) -> None:
        if not isinstance(update, Update):
            return
        query = update.callback_query
        toast: str | None = None
        try:
            toast = await self._dispatch(update, context.bot)
        finally:
            if query is not None:
                await _answer(query, toast)

    async def _dispatch(self, update: Update, bot: Any) -> str | None:
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None:
            return None
        key = UserKey(PLATFORM, str(user.id))
        if blocked_the_bot(update):
            logger.info("telegram: %s blocked the bot", key)
            await self._core.store.mark_unreachable(key)
            return None
        if not is_private(update):
            await self._in_group(update, chat.id, bot)
            return None
        event = to_event(update, self._clock())
        if event is None:
            return None
        started = time.perf_counter()
        async with self._locks.hold(chat.id):
            address = Address(PLATFORM, str(chat.id))
            replies = await self._core.conversations.handle(key, event, address=address)
            sending = time.perf_counter()
            try:
                toast = await self._outbox.send(
                    chat.id, replies, pressed=_pressed(update.callback_query)
                )
            except Forbidden:
                logger.info("telegram: %s cannot be messaged; marked unreachable", key)
                await self._core.store.mark_unreachable(key)
                return None
            finally:
                seconds = time.perf_counter() - sending
                self._core.metrics.send_seconds.labels(PLATFORM).observe(seconds)
        logger.debug(
            "telegram: %s %s -> %d replies in %.1f ms",
            key,
            type(event).__name__,
            len(replies),
            (time.perf_counter() - started) * 1000,
        )
        return toast

    async def _in_group(self, update: Update, chat_id: int, bot: Any) -> None:
        script = self._core.script
        kwargs = group_reply(
            update,
            bot.username,
            text=script.say("private_only"),
            button_label=script.say("private_button"),
        )
        if kwargs is None:
            return
        try:
            await with_retries(lambda: bot.send_message(chat_id=chat_id, **kwargs), "sendMessage")
        except (Forbidden, BadRequest) as exc:
            logger.info("telegram: could not answer in group %s (%s)", _chat(chat_id), exc)

    async def on_error(self, update: object, context: Any) -> None:
        """The one error handler: log (no text, no token), apologise in a private chat."""
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        logger.error(
            "telegram: update %s failed (%s)",
            update_id,
            type(error).__name__,
            exc_info=(type(error), error, error.__traceback__) if error else None,
        )
        if not isinstance(update, Update) or not is_private(update):
            return
        chat = update.effective_chat
        if chat is None:
            return
        try:
            await context.bot.send_message(
                chat_id=chat.id, text=self._core.script.say("error.generic")
            )
        except TelegramError as exc:
            logger.warning("telegram: could not apologise in %s (%s)", _chat(chat.id), exc)


def _chat(chat_id: int) -> str:
    return pseudonym(PLATFORM, chat_id)


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


class _ChatLocks:
    """One turn per chat at a time, from the core's answer to the last message sent; a
    chat's lock is dropped as soon as nobody holds or waits for it."""

    def __init__(self) -> None:
        self._slots: dict[int, tuple[asyncio.Lock, list[int]]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        lock, users = self._slots.setdefault(chat_id, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                self._slots.pop(chat_id, None)
