"""Logging: one line per event, JSON or plain, and no secret ever written."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.logs import HumanFormatter, JsonFormatter, configure_logging, secrets_of
from bot.settings import Settings

TOKEN = "7000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
DISCORD = "MTA4NjU0MzIxMDk4NzY1NDMyMQ.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"


def settings_with(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("bot.core", logging.WARNING, __file__, 1, message, args, exc_info)


def failure() -> ValueError:
    try:
        raise ValueError(f"bad call to /bot{TOKEN}/getMe\nsecond line")
    except ValueError as exc:
        return exc


def test_json_lines_carry_timestamp_level_logger_and_message() -> None:
    line = JsonFormatter().format(record("turn of %s took %.1f ms", "console:1", 2.5))
    document = json.loads(line)
    assert "\n" not in line
    assert document.keys() == {"timestamp", "level", "logger", "message"}
    assert document["level"] == "WARNING"
    assert document["logger"] == "bot.core"
    assert document["message"] == "turn of console:1 took 2.5 ms"
    assert document["timestamp"].endswith("Z") and "T" in document["timestamp"]


def test_a_traceback_stays_on_the_one_json_line() -> None:
    line = JsonFormatter().format(record("update failed", exc=failure()))
    assert "\n" not in line
    document = json.loads(line)
    assert "ValueError" in document["exception"]
    assert "Traceback" in document["exception"]


def test_a_traceback_is_folded_onto_the_one_human_line() -> None:
    line = HumanFormatter().format(record("update failed", exc=failure()))
    assert "\n" not in line
    assert " WARNING bot.core: update failed | Traceback" in line
    assert "ValueError" in line


@pytest.mark.parametrize("formatter", [JsonFormatter, HumanFormatter])
def test_secrets_are_redacted_from_message_and_traceback(
    formatter: type[JsonFormatter] | type[HumanFormatter],
) -> None:
    secrets = secrets_of(settings_with(telegram_token=TOKEN, discord_token=DISCORD))
    line = formatter(secrets).format(record("url %s and %s", TOKEN, DISCORD, exc=failure()))
    assert TOKEN not in line and DISCORD not in line
    assert "<redacted>" in line


def test_secrets_come_from_every_secret_field_and_skip_what_is_too_short() -> None:
    settings = settings_with(
        telegram_token=TOKEN, telegram_webhook_secret="abc", discord_token=DISCORD
    )
    assert set(secrets_of(settings)) == {TOKEN, DISCORD}
    assert secrets_of(settings_with()) == ()


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, handed back afterwards as it was (pytest's handlers included)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_configure_logging_writes_json_lines_at_the_configured_level(
    root_logger: logging.Logger,
) -> None:
    stream = io.StringIO()
    settings = settings_with(log_format="json", log_level="INFO", telegram_token=TOKEN)
    assert configure_logging(settings, stream=stream, force=True) is not None
    logging.getLogger("bot.test").info("serving with %s", TOKEN)
    logging.getLogger("bot.test").debug("not shown")
    logging.getLogger("httpx").info("a request URL, quieted")

    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["message"] == "serving with <redacted>"


def test_configure_logging_replaces_its_own_handler_and_leaves_others_alone(
    root_logger: logging.Logger,
) -> None:
    settings = settings_with()
    for handler in list(root_logger.handlers):
        root_logger.removeHandler(handler)
    theirs = logging.NullHandler()
    root_logger.addHandler(theirs)
    assert configure_logging(settings) is None  # somebody else's logging: not touched
    first = configure_logging(settings, stream=io.StringIO(), force=True)
    second = configure_logging(settings, stream=io.StringIO(), force=True)
    assert root_logger.handlers == [theirs, second]
    assert first is not second


@pytest.mark.parametrize("node", ["reflect.safety", "core.safety", "safety.plan.reasons"])
@pytest.mark.parametrize("kind", [HumanFormatter, JsonFormatter])
def test_a_safety_node_is_named_only_at_debug(node: str, kind: type[HumanFormatter]) -> None:
    def line(level: int) -> str:
        entry = logging.LogRecord("bot.conversations", level, __file__, 1, "turn %s -> %s",
                                  ("telegram~0123456789ab", node), None)  # fmt: skip
        return kind().format(entry)

    assert node in line(logging.DEBUG)
    for level in (logging.INFO, logging.WARNING, logging.ERROR):
        assert node not in line(level) and "<safety node>" in line(level)
    module = logging.LogRecord("bot.safety_resources", logging.INFO, __file__, 1,
                               "loaded from bot.safety_resources", (), None)  # fmt: skip
    assert "bot.safety_resources" in kind().format(module)  # a module is not a node


def test_a_user_key_prints_as_its_pseudonym_never_the_platform_id() -> None:
    from bot.ports.store import Address, UserKey

    key = UserKey("telegram", "424242")
    logged = logging.LogRecord("x", logging.INFO, __file__, 1, "%s %r", (key, key), None)
    for shown in (str(key), repr(key), f"{key}", logged.getMessage(), str(Address.direct(key))):
        assert "424242" not in shown and "telegram~" in shown
    assert str(key) == str(UserKey("telegram", "424242")) != str(UserKey("telegram", "424243"))
