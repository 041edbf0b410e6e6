"""The runner's pieces that need no network: webhook settings and keeping logs clean."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pydantic import SecretStr

from adapters.telegram.logs import token_kept_out_of_logs
from adapters.telegram.runner import Webhook, webhook_config
from bot.errors import ConfigError
from bot.settings import Settings
from tests.standins.telegram_api import TOKEN

SECRET = "s3cret_-" * 4  # 32 characters, the fewest accepted


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, telegram_token=TOKEN, **values)


def test_without_a_webhook_url_the_bot_polls() -> None:
    assert webhook_config(settings()) is None


def test_the_webhook_listens_where_configured_on_the_url_path() -> None:
    hook = webhook_config(
        settings(
            telegram_webhook_url="https://bot.example.org/tg/hook",
            telegram_webhook_listen="127.0.0.1:9000",
            telegram_webhook_secret=SECRET,
        )
    )
    assert hook == Webhook("https://bot.example.org/tg/hook", "127.0.0.1", 9000, "/tg/hook", SECRET)


def test_the_default_listen_address_and_a_secret_derived_from_the_token() -> None:
    hook = webhook_config(settings(telegram_webhook_url="https://bot.example.org"))
    again = webhook_config(settings(telegram_webhook_url="https://bot.example.org"))
    other = webhook_config(
        Settings(
            _env_file=None,
            telegram_token=SecretStr("1:another"),
            telegram_webhook_url="https://bot.example.org",
        )
    )
    assert hook is not None and again is not None and other is not None
    assert (hook.listen, hook.port, hook.path) == ("127.0.0.1", 8443, "/")  # this machine only
    assert hook.secret == again.secret != other.secret
    assert len(hook.secret) == 64 and TOKEN not in hook.secret


@pytest.mark.parametrize(
    ("values", "setting"),
    [
        ({"telegram_webhook_url": "bot.example.org/tg"}, "TELEGRAM_WEBHOOK_URL"),
        ({"telegram_webhook_listen": "0.0.0.0"}, "TELEGRAM_WEBHOOK_LISTEN"),
        ({"telegram_webhook_listen": "0.0.0.0:99999"}, "TELEGRAM_WEBHOOK_LISTEN"),
        ({"telegram_webhook_secret": "has spaces"}, "TELEGRAM_WEBHOOK_SECRET"),
        ({"telegram_webhook_secret": "x" * 257}, "TELEGRAM_WEBHOOK_SECRET"),
        ({"telegram_webhook_secret": "x"}, "32 to 256"),  # a one-character secret
        ({"telegram_webhook_secret": "s3cret_-" * 3 + "1234567"}, "32 to 256"),  # 31
        ({"telegram_webhook_url": "http://bot.example.org/tg"}, "https://"),
        ({"telegram_webhook_url": "http://10.0.0.5/tg"}, "https://"),
    ],
)
def test_an_unusable_webhook_setting_is_one_clear_line(
    values: dict[str, object], setting: str
) -> None:
    with pytest.raises(ConfigError, match=setting) as raised:
        webhook_config(settings(**{"telegram_webhook_url": "https://b.example.org", **values}))
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8443/tg", "http://localhost/tg", "http://[::1]/t"]
)
def test_plain_http_is_accepted_only_on_this_machine(url: str) -> None:
    hook = webhook_config(settings(telegram_webhook_url=url))
    assert hook is not None and hook.url == url


def test_the_token_never_reaches_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    httpx_level = logging.getLogger("httpx").level
    url = f"https://api.telegram.org/bot{TOKEN}/getMe"
    with token_kept_out_of_logs(TOKEN):
        logging.getLogger("httpx").info("HTTP Request: POST %s", url)
        logging.getLogger("telegram.ext.Updater").debug("Processing update with text Sam")
        logging.getLogger("telegram.ext.Updater").error("polling failed for %s", url)
        try:
            raise RuntimeError(f"could not reach {url}")
        except RuntimeError:
            logging.getLogger("adapters.telegram.runner").exception("update failed")
    assert TOKEN not in caplog.text
    assert "<token>" in caplog.text
    assert "HTTP Request" not in caplog.text
    assert "Sam" not in caplog.text
    assert logging.getLogger("httpx").level == httpx_level, "levels are put back"
