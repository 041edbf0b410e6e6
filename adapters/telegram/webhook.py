"""The webhook receiver: a small aiohttp server of our own in front of the bot.

Every request is judged before its body is read:

1. a path or method other than the webhook's is 404/405;
2. the ``X-Telegram-Bot-Api-Secret-Token`` header is compared with the secret in constant time
   (:func:`hmac.compare_digest`); a missing or wrong one is 403;
3. a body over :data:`MAX_BODY` (1 MiB; Telegram's updates are a few KiB) is 413, by its
   ``Content-Length`` when it says one, else as soon as reading passes the limit;

each of those closes the connection without reading the rest, so whatever an unauthenticated
client sends never lands in memory. A body that is not an update (no integer ``update_id``) is
400. An update is written to the store's inbox (:meth:`bot.core.Inbox.put`, committed)
and only then answered 200: a process that dies right after answering has lost nothing, and one
that dies before answering is sent the update again by Telegram, which the inbox recognises by
its ``update_id`` and applies once.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from bot.errors import StoreUnavailable

if TYPE_CHECKING:
    from bot.core import Inbox

__all__ = ["MAX_BODY", "SECRET_HEADER", "serving_webhook"]

logger = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PLATFORM = "telegram"


class _Receiver:
    def __init__(
        self, inbox: Inbox, secret: str, path: str, received: Callable[[int], None]
    ) -> None:
        self._inbox = inbox
        self._secret = secret.encode("utf-8")
        self._path = path
        self._received = received
        self.refused = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.path != self._path:
            return self._refuse(404)
        if request.method != "POST":
            return self._refuse(405)
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", errors="replace")
        if not hmac.compare_digest(given, self._secret):
            return self._refuse(403)
        length = request.content_length
        if length is not None and length > MAX_BODY:
            return self._refuse(413)
        body = await _read_at_most(request, MAX_BODY)
        if body is None:
            return self._refuse(413)
        update_id = _update_id(body)
        if update_id is None:
            return self._refuse(400)
        try:
            new = await self._inbox.put(update_id, body)
        except StoreUnavailable as exc:  # not recorded: Telegram sends it again later
            logger.warning("telegram webhook: update %d not recorded (%s)", update_id, exc)
            return web.Response(status=503)
        if new:
            self._received(update_id)
        return web.Response(status=200)

    def _refuse(self, status: int) -> web.Response:
        self.refused += 1
        response = web.Response(status=status)
        response.force_close()  # the rest of the body is never read
        return response


async def _read_at_most(request: web.Request, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _update_id(body: bytes) -> int | None:
    try:
        update = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    value = update.get("update_id") if isinstance(update, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@contextlib.asynccontextmanager
async def serving_webhook(
    inbox: Inbox,
    *,
    host: str,
    port: int,
    path: str,
    secret: str,
    received: Callable[[int], None],
) -> AsyncIterator[int]:
    """Serve the webhook on ``host:port`` until the block ends; yields the port (``port=0``
    picks a free one). ``received(update_id)`` is called for every new update recorded."""
    receiver = _Receiver(inbox, secret, path, received)
    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_route("*", "/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    logger.info("telegram webhook listening on %s:%d", host, bound)
    try:
        yield int(bound)
    finally:
        await runner.cleanup()
