"""Keeping the token and people's words out of the logs while Telegram runs.

The token is part of every Bot API URL (``…/bot<token>/sendMessage``): httpx logs those URLs
at INFO, and PTB logs whole updates and request parameters (people's words) at DEBUG. While the
adapter runs, those libraries are held at WARNING (httpx, httpcore) and INFO (PTB) or quieter,
and every record of theirs and ours is scrubbed of the token, tracebacks included.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator

from telegram.error import Conflict, TelegramError

__all__ = ["polling_errors", "token_kept_out_of_logs"]

logger = logging.getLogger(__name__)

CONFLICT_EVERY = 60.0
"""Seconds between two reports of another process polling with the same token."""

URL_LOGGERS = ("httpx", "httpcore")
"""Libraries that log request URLs, which carry the token: kept at WARNING or quieter (and
PTB, whose DEBUG records carry the updates' text, at INFO or quieter)."""
TOKEN_LOGGERS = (
    *URL_LOGGERS,
    "telegram",
    "telegram.Bot",
    "telegram.ext",
    "telegram.ext.Application",
    "telegram.ext.ExtBot",
    "telegram.ext.Updater",
    "telegram.ext.AIORateLimiter",
    "telegram.request.BaseRequest",
    "telegram.request.HTTPXRequest",
    "adapters.telegram.runner",
    "adapters.telegram.sender",
    "adapters.telegram.logs",
)
"""Loggers whose records are scrubbed of the token, whatever their level."""


class _RedactToken(logging.Filter):
    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token in message:
            record.msg, record.args = message.replace(self._token, "<token>"), None
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = text.replace(self._token, "<token>")
        return True


@contextlib.contextmanager
def token_kept_out_of_logs(token: str) -> Iterator[None]:
    """Quiet the libraries that log URLs or update contents, and scrub the token from whatever
    still gets out. Levels and filters are put back afterwards."""
    quieted = {name: logging.getLogger(name) for name in (*URL_LOGGERS, "telegram")}
    levels = {name: each.level for name, each in quieted.items()}
    for name, each in quieted.items():
        floor = logging.WARNING if name in URL_LOGGERS else logging.INFO
        each.setLevel(max(floor, each.level))
    redact = _RedactToken(token)
    loggers = [logging.getLogger(name) for name in TOKEN_LOGGERS]
    for each in loggers:
        each.addFilter(redact)
    try:
        yield
    finally:
        for each in loggers:
            each.removeFilter(redact)
        for name, level in levels.items():
            quieted[name].setLevel(level)


def polling_errors(clock: Callable[[], float] = time.monotonic) -> Callable[[TelegramError], None]:
    """What to say when a long poll fails (PTB tries again either way). Telegram's 409 on a
    poll means another process polls with this token: said plainly, once a minute at most,
    instead of a traceback on every retry."""
    said = -CONFLICT_EVERY

    def report(error: TelegramError) -> None:
        nonlocal said
        if not isinstance(error, Conflict):
            logger.error("telegram: getting updates failed (%s); trying again", error)
            return
        if clock() - said >= CONFLICT_EVERY:
            said = clock()
            logger.error(
                "telegram: another process is polling with this bot token (Telegram answered "
                "409 Conflict), so each gets only some of the updates. Long polling serves one "
                "process: stop the other, or run several behind a load balancer with "
                "TELEGRAM_WEBHOOK_URL (docs/hosting.md)."
            )

    return report
