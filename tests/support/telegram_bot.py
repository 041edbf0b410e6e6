"""What the Telegram adapter's tests share: settings pointing at the stand-in, the real bot
running against it, and a person driving a private chat."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from adapters.telegram import run_telegram
from bot.core import Core, open_core
from bot.settings import Settings
from tests.standins.telegram_api import TOKEN, USER_ID, Sent, TelegramAPI

POLL_TIMEOUT = 1.0


def make_settings(api: TelegramAPI, db_path: Path, **overrides: object) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{db_path}",
        "telegram_token": TOKEN,
        "telegram_api_url": api.url,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@contextlib.asynccontextmanager
async def running_bot(settings: Settings, api: TelegramAPI) -> AsyncIterator[Core]:
    """The real bot on the real core, until the block ends (then cancelled and shut down)."""
    async with open_core(settings) as core:
        task = asyncio.create_task(run_telegram(settings, core, poll_timeout=POLL_TIMEOUT))
        ready = "setWebhook" if settings.telegram_webhook_url else "deleteWebhook"
        waiting = asyncio.create_task(api.next_call(ready))
        done, _ = await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            waiting.cancel()
            task.result()
            raise AssertionError("the bot stopped by itself")
        try:
            yield core
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class Person:
    """Someone in a private chat with the bot, driven through the stand-in."""

    def __init__(self, api: TelegramAPI, chat_id: int = USER_ID) -> None:
        self.api = api
        self.chat_id = chat_id
        self.seen: list[Sent] = []
        self.question: Sent | None = None

    async def until(self, expect: str) -> Sent:
        """Read the bot's messages until one contains ``expect``; it becomes the question."""
        while True:
            sent = await self.api.next_message(self.chat_id)
            self.seen.append(sent)
            if expect in (sent.text or sent.caption or ""):
                self.question = sent
                return sent

    async def type(self, text: str, expect: str) -> Sent:
        self.api.send(text, chat_id=self.chat_id)
        return await self.until(expect)

    async def tap(self, label: str, expect: str | None = None) -> str:
        """Press ``label`` on the current question; returns the callback's toast text."""
        assert self.question is not None, "nothing asked yet"
        query = self.api.press(self.question, label)
        answered = await self.api.next_call("answerCallbackQuery", callback_query_id=query)
        if expect is not None:
            await self.until(expect)
        return str(answered.params.get("text") or "")

    def now(self, message: Sent) -> Sent:
        return self.api.message(message.chat_id, message.message_id)
