"""One send budget for every process: python-telegram-bot's limiter, and before it a token of
the budget that all ``threshold run`` processes on one PostgreSQL database share.

Each process keeps PTB's own ``AIORateLimiter`` (flood control waited out, its overall rate for
this process alone). With several processes on one database, :class:`SharedRateLimiter` first
takes a token from the platform's shared bucket (``Core.send_budget``) for every call that sends
or changes a message, so replies and scheduled messages from all processes together keep to
``TELEGRAM_SEND_RATE``. Scheduled messages also keep to their own four fifths of it
(:data:`bot.core.REPLY_ROOM`), taken before they reach here, so replies to people find room
during a fan-out. On SQLite (one process) there is no shared bucket and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import BaseRateLimiter

from bot.ports.schedule import SendBudget

JSONDict = dict[str, Any]

SENDING = ("send", "edit", "copy", "forward")
"""Calls that send or change a message: what Telegram's limits count (not ``getUpdates``,
``answerCallbackQuery``, ``setWebhook`` …)."""


class SharedRateLimiter(BaseRateLimiter[Any]):
    """``inner`` (PTB's limiter for this process), behind the budget shared by every process."""

    def __init__(self, inner: BaseRateLimiter[Any], budget: SendBudget | None) -> None:
        self._inner = inner
        self._budget = budget

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any | None,
    ) -> bool | JSONDict | list[JSONDict]:
        if self._budget is not None and endpoint.lower().startswith(SENDING):
            await self._budget.acquire()
        return await self._inner.process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
