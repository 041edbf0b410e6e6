"""Logging for the whole process: one line per event, JSON or plain, never a secret.

:func:`configure_logging` is called once, by ``adapters/cli.py``, after the settings are read:

* ``LOG_FORMAT=human`` (the default): ``2025-03-01 09:00:00,123 INFO bot.core: core ready``;
* ``LOG_FORMAT=json``: ``{"timestamp": "2025-03-01T09:00:00.123Z", "level": "INFO",
  "logger": "bot.core", "message": "core ready"}``, plus ``"exception"`` (the traceback) when
  there is one.

Either way an event is exactly one line: a traceback is folded into it (``\\n`` written as the
two characters ``\\n`` in the plain format, JSON-escaped in the other). Only the formatted
message is written, never a record's raw arguments or extra attributes.

What goes into messages is each module's business (the rule: people by their keyed pseudonym,
``telegram~3f9a1c0d2e4b`` — which is what a :class:`~bot.ports.store.UserKey` prints as, see
:mod:`bot.pseudonyms` — node ids, event kinds and durations; never message text, names,
answers or a platform id). As a last line of defence, whichever library logged it and
tracebacks included:

* every secret in the settings (each ``SecretStr`` value: tokens, webhook secret, encryption
  key) is replaced by ``<redacted>``;
* above DEBUG, the id of a node about someone's safety (``reflect.safety``, ``core.safety``,
  anything under ``safety.``) is written ``<safety node>``: that a person reached one is itself
  personal, and only a DEBUG log (switched on by whoever runs the bot, to find a bug) names it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

from pydantic import SecretStr

from bot.settings import Settings

__all__ = [
    "NOISY_LOGGERS",
    "HumanFormatter",
    "JsonFormatter",
    "configure_logging",
    "secrets_of",
]

NOISY_LOGGERS = ("httpx", "httpcore", "aiosqlite", "apscheduler", "telegram", "discord", "aiohttp")
"""Libraries held at WARNING or quieter (their INFO lines are per request)."""
REDACTED = "<redacted>"
MIN_SECRET = 6
"""Shorter values are not redacted: replacing every "abc" in every line would garble the log
and protect nothing."""


def secrets_of(settings: Settings) -> tuple[str, ...]:
    """Every secret value in ``settings``, longest first."""
    found = set()
    for name in type(settings).model_fields:
        value = getattr(settings, name, None)
        if isinstance(value, SecretStr):
            secret = value.get_secret_value().strip()
            if len(secret) >= MIN_SECRET:
                found.add(secret)
    return tuple(sorted(found, key=len, reverse=True))


SAFETY_NODE = re.compile(
    r"(?<![\w.])(?!(?:bot|dialogs|adapters|tests)\.)"  # not one of our module names
    r"(?:[a-z][a-z0-9_]*\.)+[a-z0-9_]*(?:safety|crisis)[a-z0-9_]*(?:\.[a-z0-9_]+)*\b"
    r"|(?<![\w.])safety(?:\.[a-z0-9_]+)+\b"
)
"""A dotted node id with a part about safety: ``reflect.safety``, ``core.safety``,
``safety.plan.step2`` (but not a module such as ``bot.safety_resources``)."""
SAFETY_REDACTED = "<safety node>"


class _Redacting(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = (), **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._secrets = tuple(secrets)

    def redact(self, text: str, level: int = logging.INFO) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        if level > logging.DEBUG:
            text = SAFETY_NODE.sub(SAFETY_REDACTED, text)
        return text

    def traceback(self, record: logging.LogRecord) -> str:
        """The record's exception and stack, as text (empty when it has none)."""
        parts = []
        if record.exc_info:
            parts.append(self.formatException(record.exc_info))
        elif record.exc_text:
            parts.append(record.exc_text)
        if record.stack_info:
            parts.append(self.formatStack(record.stack_info))
        return "\n".join(parts)


class HumanFormatter(_Redacting):
    """``<time> <LEVEL> <logger>: <message>``, with any traceback folded onto the same line."""

    def format(self, record: logging.LogRecord) -> str:
        message = self.redact(record.getMessage(), record.levelno)
        line = f"{self.formatTime(record)} {record.levelname} {record.name}: {message}"
        trace = self.traceback(record)
        if trace:
            line = f"{line} | {self.redact(trace, record.levelno)}"
        return self.redact(line, logging.DEBUG).replace("\r", "").replace("\n", "\\n")


class JsonFormatter(_Redacting):
    """One JSON object per line: ``timestamp`` (UTC, ISO 8601), ``level``, ``logger``,
    ``message``, and ``exception`` when there is a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC)
        document = {
            "timestamp": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redact(record.getMessage(), record.levelno),
        }
        trace = self.traceback(record)
        if trace:
            document["exception"] = self.redact(trace, record.levelno)
        return json.dumps(document, ensure_ascii=False)


def configure_logging(
    settings: Settings,
    *,
    level: int | None = None,
    stream: TextIO | None = None,
    force: bool = False,
) -> logging.Handler | None:
    """Send every log record to ``stream`` (stderr) in ``settings.log_format``, at ``level``
    (``LOG_LEVEL`` by default), and return the handler installed.

    Like :func:`logging.basicConfig`, a root logger that already has handlers of someone else
    (a test runner's) is left alone unless ``force``; one installed here before is replaced.
    """
    level = settings.log_level_number if level is None else level
    root = logging.getLogger()
    theirs = [h for h in root.handlers if not getattr(h, _MARK, False)]
    if theirs and not force:
        return None
    secrets = secrets_of(settings)
    kind = JsonFormatter if settings.log_format == "json" else HumanFormatter
    formatter = kind(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    setattr(handler, _MARK, True)
    for old in list(root.handlers):
        if getattr(old, _MARK, False):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, level))
    logging.captureWarnings(True)
    return handler


_MARK = "threshold_handler"
