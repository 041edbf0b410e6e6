"""Is the bot healthy right now? What ``/healthz`` answers.

Healthy means all three:

* the process is up (it answers at all);
* the database answers one cheap query within :data:`DATABASE_TIMEOUT` seconds, and the writer
  that saves every turn is running (:meth:`bot.ports.store.Store.ping`);
* every platform the process was started for is connected: its adapter has registered its
  deliverer in ``core.deliverers`` (adapters do that once they are taking messages, and drop it
  when they stop), so a platform still connecting, reconnecting or stopping counts as down.

The terminal chat has no platform to connect: there, healthy is the process and the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from bot.errors import StoreError
from bot.ports.store import Store

__all__ = ["DATABASE_TIMEOUT", "Health", "check_health"]

logger = logging.getLogger(__name__)

DATABASE_TIMEOUT = 2.0
"""Seconds the database may take to answer the health query."""


@dataclass(frozen=True)
class Health:
    """One answer to "are you healthy?"; :meth:`as_json` is the ``/healthz`` body."""

    database: str
    """``ok``, ``unavailable`` or ``timeout``."""
    platforms: Mapping[str, bool] = field(default_factory=dict)
    """Each platform the process serves → whether it is connected now."""
    uptime: float = 0.0

    @property
    def ok(self) -> bool:
        return self.database == "ok" and all(self.platforms.values())

    def as_json(self) -> dict[str, object]:
        return {
            "status": "ok" if self.ok else "unhealthy",
            "process": "up",
            "uptime_seconds": round(self.uptime, 3),
            "database": self.database,
            "platforms": {
                name: "connected" if up else "not connected"
                for name, up in sorted(self.platforms.items())
            },
        }


async def check_health(
    store: Store,
    expected: Collection[str],
    connected: Collection[str],
    *,
    started: float,
    within: float = DATABASE_TIMEOUT,
) -> Health:
    """Ask the store, and compare the ``expected`` platforms with the ``connected`` ones.
    ``started`` is the process's start on :func:`time.monotonic`."""
    try:
        async with asyncio.timeout(within):
            await store.ping()
        database = "ok"
    except TimeoutError:
        logger.warning("health: the database did not answer within %.1f s", within)
        database = "timeout"
    except StoreError as exc:
        logger.warning("health: the database is unavailable (%s)", exc)
        database = "unavailable"
    platforms = {name: name in connected for name in expected}
    return Health(database, platforms, time.monotonic() - started)
