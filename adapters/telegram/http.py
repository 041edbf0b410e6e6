"""The Bot API over aiohttp: python-telegram-bot's request interface on a cheaper HTTP client.

PTB sends through httpx by default. Under load, httpx and httpcore cost most of the bot's CPU
(``bench/e2e_telegram.py`` with py-spy: about 70% of the event loop's busy time, much of it the
connection pool checking every pooled socket on each request). aiohttp, which the Discord adapter
already uses, parses HTTP in C and keeps its pool without those checks. :class:`AiohttpRequest`
is a :class:`telegram.request.BaseRequest`: PTB keeps everything above the wire (methods,
parameters, errors, retries, the rate limiter); this class only moves the bytes. Parameters go
as a form, files as multipart, as PTB's own ``HTTPXRequest`` sends them.
"""

from __future__ import annotations

import asyncio

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest"]


class AiohttpRequest(BaseRequest):
    """Up to ``connections`` HTTP connections to the Bot API, each request waiting at most
    ``pool_timeout`` seconds for one; ``read_timeout`` is the default wait for an answer (a
    long poll passes its own)."""

    def __init__(
        self,
        *,
        connections: int,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._connections = connections
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._pool_slots = asyncio.Semaphore(connections)

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
                skip_auto_headers=("Accept-Encoding",),
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("this AiohttpRequest is not initialized")
        has_files = request_data is not None and request_data.contains_files
        files = request_data.multipart_data if request_data is not None and has_files else None
        data: aiohttp.FormData | dict[str, str] | None = None
        if files:
            form = aiohttp.FormData()
            for name, value in (request_data.json_parameters if request_data else {}).items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in files.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            data = form
        elif request_data is not None:
            data = request_data.json_parameters
        read = _seconds(read_timeout, self._read)
        write = _seconds(write_timeout, self._media_write if files else self._write)
        timeout = aiohttp.ClientTimeout(
            total=None,
            sock_connect=_seconds(connect_timeout, self._connect),
            sock_read=None if read is None else read + (write or 0.0),
        )
        try:
            async with asyncio.timeout(_seconds(pool_timeout, self._pool)):
                await self._pool_slots.acquire()
        except TimeoutError:
            raise TimedOut(
                "Pool timeout: every connection to the Bot API is busy; the request was not sent"
            ) from None
        try:
            async with session.request(method, url, data=data, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        finally:
            self._pool_slots.release()


def _seconds(given: object, default: float | None) -> float | None:
    """A timeout PTB passed (a number or ``None``), or ours when it passed its default marker."""
    if given is None or isinstance(given, int | float):
        return None if given is None else float(given)
    return default
