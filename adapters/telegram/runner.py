"""The Telegram runner: a PTB ``Application`` wired to the core, and its life cycle.

:func:`build_application` builds the application (base URL from ``TELEGRAM_API_URL``, PTB's
``AIORateLimiter`` waiting out flood control and keeping the whole bot under
``TELEGRAM_SEND_RATE`` messages a second, one handler for every update, one error handler).
:func:`run_telegram` runs it inside the caller's event loop — long polling, or, when
``TELEGRAM_WEBHOOK_URL`` is set, our own webhook receiver (:mod:`adapters.telegram.webhook`)
feeding the store's inbox — until cancelled, then shuts PTB down cleanly.

Each update goes one way: :class:`~adapters.telegram.bridge.Bridge` (which never waits, see
:mod:`adapters.telegram.intake`) → :func:`~adapters.telegram.translate.to_event` → the
conversation service → :class:`~adapters.telegram.sender.Outbox`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import urlsplit

from telegram import Bot, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, TypeHandler

from adapters.telegram.bridge import PLATFORM, Bridge
from adapters.telegram.budget import SharedRateLimiter
from adapters.telegram.http import AiohttpRequest
from adapters.telegram.logs import polling_errors, token_kept_out_of_logs
from adapters.telegram.sender import Outbox, TelegramDeliverer, with_retries
from adapters.telegram.translate import bot_commands
from adapters.telegram.webhook import serving_webhook
from bot.errors import ConfigError, StoreUnavailable

if TYPE_CHECKING:
    from bot.core import Core
    from bot.settings import Settings

__all__ = [
    "ALLOWED_UPDATES",
    "MIN_SECRET",
    "PLATFORM",
    "Webhook",
    "build_application",
    "deliverer",
    "run_telegram",
    "webhook_config",
]

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
POLL_TIMEOUT = 10.0
"""Seconds a ``getUpdates`` long poll waits for something to happen."""
RETRY_AFTER_RETRIES = 3
CONNECTIONS = 16
"""HTTP connections to the Bot API, at most (PTB's default is 256); on loopback or a near Bot
API a few keep up with hundreds of turns a second, and requests beyond them wait their turn.
They are aiohttp's (:mod:`adapters.telegram.http`): with httpx, the pool's checks of every
socket on each request cost more CPU than the requests themselves."""
POOL_WAIT = 30.0
"""Seconds a request may wait for a free connection (PTB's 1 s is short for a queue)."""
MIN_SECRET = 32
SECRET = re.compile(r"[A-Za-z0-9_-]{32,256}")
INBOX_BATCH = 100
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
                    SharedRateLimiter(
                        AIORateLimiter(
                            overall_max_rate=settings.telegram_send_rate,
                            max_retries=RETRY_AFTER_RETRIES,
                        ),
                        core.send_budget(PLATFORM),
                    )
                )
                .concurrent_updates(True)
                .request(AiohttpRequest(connections=CONNECTIONS, pool_timeout=POOL_WAIT))
                .get_updates_request(AiohttpRequest(connections=1))
                .job_queue(None)
                .build()
            )
    except InvalidToken:
        raise ConfigError(BAD_TOKEN) from None
    bridge = Bridge(core, app.bot, Outbox(app.bot), clock)
    app.add_handler(TypeHandler(Update, bridge.on_update))
    app.add_error_handler(bridge.on_error)
    app.bot_data["threshold_bridge"] = bridge
    return app


def bridge_of(app: App) -> Bridge:
    found = app.bot_data["threshold_bridge"]
    assert isinstance(found, Bridge)
    return found


def deliverer(app: App) -> TelegramDeliverer:
    """A :class:`bot.ports.delivery.Deliverer` that speaks through ``app``'s bot (once it runs)."""
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

    The URL must be ``https://`` (Telegram calls nothing else), except on this machine (a local
    Bot API server may call ``http://127.0.0.1``). Without ``TELEGRAM_WEBHOOK_SECRET`` the
    secret is derived from the token: stable across restarts and processes, and unknown to
    anyone who does not hold the token; a secret that is set must be 32 to 256 characters.
    """
    url = (settings.telegram_webhook_url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("TELEGRAM_WEBHOOK_URL must be a full URL such as https://example.org/tg.")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise ConfigError(
            "TELEGRAM_WEBHOOK_URL must start with https:// (Telegram sends updates only over "
            "HTTPS; plain http:// is accepted only for an address on this machine)."
        )
    host, _, port = settings.telegram_webhook_listen.strip().rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError("TELEGRAM_WEBHOOK_LISTEN must look like 127.0.0.1:8443 (host:port).")
    if settings.telegram_webhook_secret is not None:
        secret = settings.telegram_webhook_secret.get_secret_value().strip()
    else:
        secret = hashlib.sha256(b"threshold-webhook:" + _token(settings).encode()).hexdigest()
    if not SECRET.fullmatch(secret):
        raise ConfigError(
            f"TELEGRAM_WEBHOOK_SECRET must be {MIN_SECRET} to 256 letters, digits, '_' or '-' "
            "(64 random hex digits, say), or unset to derive it from the token."
        )
    return Webhook(url, host.strip("[]") or "127.0.0.1", int(port), parts.path or "/", secret)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
        bridge = bridge_of(app)
        async with _running(app, settings, core.menu()), contextlib.AsyncExitStack() as stack:
            updater = app.updater
            assert updater is not None  # the builder always makes one
            if webhook is None:
                await updater.start_polling(
                    timeout=timedelta(seconds=poll_timeout),
                    allowed_updates=list(ALLOWED_UPDATES),
                    error_callback=polling_errors(),
                )
            else:
                inbox = _Inbox(core, app, bridge)
                await stack.enter_async_context(_webhook(app, webhook, core, inbox))
            logger.info(
                "telegram: serving as @%s by %s",
                app.bot.username,
                "webhook" if webhook else "polling",
            )
            try:
                async with core.serving(deliverer(app)):
                    await asyncio.get_running_loop().create_future()  # until cancelled
            finally:  # stop taking updates, finish the turns taken (the lifecycle's grace)
                try:
                    if updater.running:
                        await updater.stop()
                    await stack.aclose()  # the webhook: no new updates
                    await bridge.intake.drain()
                finally:
                    await bridge.intake.close()


class _Inbox:
    """Feeds recorded webhook updates to the bridge, oldest first, each once; at start the
    ones a previous process recorded but did not finish.

    Once is kept across a race: a read of the pending rows may have run on the database thread
    just before an update was marked done, and come back after. So an update stays known here
    (``_finished``) from the moment it is done until a read no longer returns it; forgetting it
    any earlier fed it to the bridge a second time, and the person saw the turn twice (a second
    menu retiring the first one's buttons, a button pressed once applied twice).
    """

    def __init__(self, core: Core, app: App, bridge: Bridge) -> None:
        self._inbox = core.inbox(PLATFORM)
        self._app = app
        self._bridge = bridge
        self._wake = asyncio.Event()
        self._taken: set[int] = set()
        """Fed to the bridge, not yet done."""
        self._finished: set[int] = set()
        """Done (or being marked done), perhaps still in a read that ran before the mark."""

    def wake(self, update_id: int) -> None:
        self._wake.set()

    async def run(self) -> None:
        self._wake.set()  # whatever is already there
        while True:
            await self._wake.wait()
            self._wake.clear()
            # the ones in flight and just finished come back too, and are the oldest
            limit = INBOX_BATCH + len(self._taken) + len(self._finished)
            try:
                pending = await self._inbox.pending(limit)
            except StoreUnavailable as exc:
                logger.warning("telegram webhook: the inbox cannot be read (%s)", exc)
                await asyncio.sleep(1.0)
                self._wake.set()
                continue
            self._finished &= {item.update_id for item in pending}  # marked: gone for good
            known = self._taken | self._finished
            fresh = [item for item in pending if item.update_id not in known]
            for item in fresh:
                self._feed(item.update_id, item.body)
            if fresh and len(pending) == limit:  # there may be more behind them
                self._wake.set()

    def _feed(self, update_id: int, body: bytes) -> None:
        self._taken.add(update_id)

        async def done() -> None:
            self._taken.discard(update_id)
            self._finished.add(update_id)
            try:
                await self._inbox.done(update_id)
            except BaseException:
                self._finished.discard(update_id)  # still pending: the next read feeds it again
                raise

        try:
            update = Update.de_json(json.loads(body), self._app.bot)
        except (ValueError, TypeError, KeyError) as exc:
            logger.warning("telegram webhook: update %d unreadable (%s)", update_id, exc)
            self._bridge.intake.later(done())
            return
        self._bridge.receive(update, done)


@contextlib.asynccontextmanager
async def _webhook(app: App, webhook: Webhook, core: Core, inbox: _Inbox) -> AsyncIterator[None]:
    try:
        server = serving_webhook(
            core.inbox(PLATFORM),
            host=webhook.listen,
            port=webhook.port,
            path=webhook.path,
            secret=webhook.secret,
            received=inbox.wake,
        )
        await server.__aenter__()
    except OSError as exc:
        raise ConfigError(
            f"The webhook server cannot listen on {webhook.listen}:{webhook.port} "
            f"({exc.strerror or exc}); check TELEGRAM_WEBHOOK_LISTEN."
        ) from None
    pump = asyncio.create_task(inbox.run(), name="telegram-inbox")
    try:
        if core.settings.telegram_webhook_set_at_start:
            await set_webhook(app.bot, webhook)
        else:
            logger.info("telegram: webhook left as `threshold webhook set` made it")
        yield
    finally:
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump
        await server.__aexit__(None, None, None)


async def set_webhook(bot: Any, webhook: Webhook) -> None:
    """Tell Telegram where to post updates (``setWebhook``), with the secret it must send."""
    try:
        await with_retries(
            lambda: bot.set_webhook(
                url=webhook.url,
                secret_token=webhook.secret,
                allowed_updates=list(ALLOWED_UPDATES),
            ),
            "setWebhook",
        )
    except TelegramError as exc:
        raise ConfigError(
            f"Telegram refused the webhook {webhook.url} ({exc}); check TELEGRAM_WEBHOOK_URL."
        ) from None


async def set_webhook_once(settings: Settings) -> Webhook:
    """``threshold webhook set``: ``setWebhook`` once for every webhook worker (which then run
    with ``TELEGRAM_WEBHOOK_SET_AT_START=false``), without starting the bot."""
    webhook = webhook_config(settings)
    if webhook is None:
        raise ConfigError("TELEGRAM_WEBHOOK_URL is not set: long polling needs no webhook.")
    token = _token(settings)
    api = settings.telegram_api_url.rstrip("/")
    with token_kept_out_of_logs(token):
        try:
            bot = Bot(token, base_url=f"{api}/bot", base_file_url=f"{api}/file/bot")
            async with bot:
                await set_webhook(bot, webhook)
        except InvalidToken:
            raise ConfigError(BAD_TOKEN) from None
        except TelegramError as exc:
            raise ConfigError(
                f"Could not reach the Telegram Bot API at {settings.telegram_api_url} "
                f"({type(exc).__name__}); check the network and TELEGRAM_API_URL."
            ) from None
    return webhook


@contextlib.asynccontextmanager
async def _running(
    app: App, settings: Settings, menu: Sequence[tuple[str, str]]
) -> AsyncIterator[None]:
    try:
        await _initialize(app, settings)
        await _register_commands(app, menu)
        await app.start()
        yield
    finally:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()


async def _register_commands(app: App, menu: Sequence[tuple[str, str]]) -> None:
    """Fill the command menu; a refusal is logged, not fatal (the commands work regardless)."""
    try:
        commands = bot_commands(menu)
        await with_retries(lambda: app.bot.set_my_commands(commands), "setMyCommands")
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
