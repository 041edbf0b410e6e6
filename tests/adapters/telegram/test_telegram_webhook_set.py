"""``threshold webhook set``: ``setWebhook`` once, for webhook workers that do not set it
themselves (``TELEGRAM_WEBHOOK_SET_AT_START=false``), against the Bot API stand-in."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from adapters.cli import main
from adapters.telegram import run_telegram
from bot.core import open_core
from tests.standins.telegram_api import TOKEN, TelegramAPI
from tests.support.telegram_bot import Person, make_settings

SECRET = "webhook-secret-" + "5" * 32


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def hook_env(api: TelegramAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api.url,
        "TELEGRAM_WEBHOOK_URL": url,
        "TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}",
    }.items():
        monkeypatch.setenv(name, value)
    return url


async def test_webhook_set_tells_telegram_once_and_a_worker_then_leaves_it_alone(
    api: TelegramAPI,
    hook_env: str,
    tmp_path: Path,
    person: Person,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await asyncio.to_thread(main, ["webhook", "set"]) == 0
    said = capsys.readouterr().out
    assert hook_env in said and "TELEGRAM_WEBHOOK_SET_AT_START=false" in said
    assert TOKEN not in said and SECRET not in said
    assert (api.webhook_url, api.webhook_secret) == (hook_env, SECRET)

    settings = make_settings(
        api,
        tmp_path / "t.db",
        telegram_webhook_url=hook_env,
        telegram_webhook_listen=hook_env.split("/")[2],
        telegram_webhook_secret=SECRET,
        telegram_webhook_set_at_start=False,
    )
    async with open_core(settings) as core:
        worker = asyncio.create_task(run_telegram(settings, core))
        try:
            await api.next_call("setMyCommands")  # started
            await asyncio.sleep(0.3)
            await person.type("/help", "Here is what I can do")  # posted to the worker
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
    assert len(api.calls_to("setWebhook")) == 1  # the command's; the worker set none


async def test_webhook_set_without_a_webhook_url_says_so_in_one_line(
    api: TelegramAPI,
    hook_env: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("TELEGRAM_WEBHOOK_URL")
    assert await asyncio.to_thread(main, ["webhook", "set"]) == 1
    err = capsys.readouterr().err
    assert "TELEGRAM_WEBHOOK_URL is not set" in err and err.count("\n") == 1
    assert api.calls_to("setWebhook") == []


async def test_webhook_set_refused_by_telegram_is_one_line(
    api: TelegramAPI, hook_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    api.fail("setWebhook", 400, description="Bad Request: bad webhook: HTTPS url must be provided")
    assert await asyncio.to_thread(main, ["webhook", "set"]) == 1
    err = capsys.readouterr().err
    assert "Telegram refused the webhook" in err and err.count("\n") == 1
