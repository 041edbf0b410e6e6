"""Stopping gracefully on SIGTERM and SIGINT (``docker stop``, Ctrl-C).

:func:`until_signalled` runs the whole service (core, health endpoint, platforms) as one task.
The first SIGTERM or SIGINT cancels it once, and a cancelled adapter stops the way each of them
is written to:

* stop taking updates (Telegram stops polling or closes its webhook server; the terminal chat
  stops reading);
* finish what is in flight: a turn already handed to the core runs to its end, its replies are
  sent, and only then does the adapter return (PTB waits for its update tasks; the terminal chat
  finishes the turn it is in);
* before any adapter is cancelled, ``core.before_stop`` runs (:func:`adapters_last`): the
  scheduler stops claiming and finishes the deliveries it has in flight while their platforms
  are still connected;
* the core closes after every adapter has returned: the store writes what is queued and closes
  the database file.

The process then exits 0. If that takes longer than :data:`GRACE` seconds, or a second signal
comes, the work is cancelled again, which abandons what is still in flight (nothing half-written
reaches the database: every write is one transaction), and the exit status is 1. ``GRACE``
leaves room inside the 10 s a container engine waits before it kills.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from typing import Any

__all__ = ["GRACE", "SIGNALS", "adapters_last", "until_signalled"]

logger = logging.getLogger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)
GRACE = 8.0
"""Seconds between the first signal and giving up on what is still in flight."""


class _Stopper:
    def __init__(self, task: asyncio.Task[int], grace: float) -> None:
        self._task = task
        self._grace = grace
        self.asked: str | None = None
        self.forced = False
        self._timer: asyncio.TimerHandle | None = None

    def on_signal(self, sig: signal.Signals) -> None:
        if self._task.done():
            return
        if self.asked is None:
            self.asked = sig.name
            logger.info("%s received: finishing what is in flight, then stopping", sig.name)
            self._timer = asyncio.get_running_loop().call_later(self._grace, self.force)
            self._task.cancel()
        else:
            logger.warning("%s received again: stopping now", sig.name)
            self.force()

    def force(self) -> None:
        if self._task.done() or self.forced:
            return
        self.forced = True
        logger.error("shutdown did not finish in time; abandoning what is still in flight")
        self._task.cancel()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


async def until_signalled(work: Coroutine[Any, Any, int], *, grace: float = GRACE) -> int:
    """Run ``work`` to its end and return its exit status; on SIGTERM or SIGINT, cancel it and
    return 0 once it has wound down (1 if it had to be abandoned)."""
    task = asyncio.ensure_future(work)
    stopper = _Stopper(task, grace)
    with _handlers(stopper):
        try:
            return await task
        except asyncio.CancelledError:
            if stopper.asked is None:
                raise  # cancelled from outside, not by a signal: not ours to swallow
            if stopper.forced:
                return 1
            logger.info("stopped on %s", stopper.asked)
            return 0
        finally:
            stopper.close()


async def adapters_last(
    before_stop: Sequence[Callable[[], Awaitable[None]]], adapters: Coroutine[Any, Any, None]
) -> None:
    """Run ``adapters`` until they end. Cancelled (a signal), run ``before_stop`` first, in
    order, while the adapters still serve; then cancel the adapters and wait for them."""
    task = asyncio.ensure_future(adapters)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        try:
            for hook in before_stop:
                try:
                    await hook()
                except Exception:  # one part failing to wind down must not keep the rest up
                    logger.exception("a step before stopping failed; stopping anyway")
        finally:
            task.cancel()
            await asyncio.wait([task])
        raise


@contextlib.contextmanager
def _handlers(stopper: _Stopper) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    installed = []
    for sig in SIGNALS:
        try:
            loop.add_signal_handler(sig, stopper.on_signal, sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, Windows
            logger.debug("cannot handle %s here; the default applies", sig.name)
            continue
        installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
