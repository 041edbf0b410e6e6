"""The one thing every adapter offers the core: deliver replies to a person, unprompted.

The scheduler (mantras, check-in reminders) and anything else that speaks first holds a
:class:`Deliverer` per platform and calls :meth:`Deliverer.deliver` with a neutral
:class:`~bot.ports.store.Address`. Adapters implement it on top of their platform's client; the
core never sees a platform object.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.errors import DeliveryFailed, RecipientUnreachable
from bot.ports.store import Address
from dialogs.model import Reply


class Deliverer(Protocol):
    """Sends replies to one address on one platform."""

    platform: str

    async def deliver(self, address: Address, replies: Sequence[Reply]) -> None:
        """Send ``replies`` in order. Waits out rate limits itself; raises
        :class:`RecipientUnreachable` when the person blocked the bot or cannot be messaged, and
        :class:`DeliveryFailed` for other refusals."""
        ...


__all__ = ["Deliverer", "DeliveryFailed", "RecipientUnreachable"]
