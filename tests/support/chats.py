"""What the core tests share: a chat driver, a whole reflection, and the clock they run on.

``Chat`` is no stand-in: it sends real events through the real ``Conversations`` service (and
so the real machine and store) and keeps the replies of the last turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.conversations import Conversations
from bot.ports.store import Address, UserKey
from dialogs.model import Button, Command, Event, Pick, Reply, Text
from tests.support.clocks import START, Clock

__all__ = ["REFLECTION", "START", "Chat", "Clock", "chat_for", "play"]


@dataclass
class Chat:
    """One person talking to the service; each message is a minute after the previous one."""

    conversations: Conversations
    key: UserKey
    clock: Clock
    address: Address | None = None
    last: list[Reply] = field(default_factory=list)

    async def event(self, event: Event) -> list[Reply]:
        self.last = await self.conversations.handle(self.key, event, address=self.address)
        return self.last

    def _at(self) -> datetime:
        return self.clock.advance(minutes=1)

    async def send(self, text: str) -> list[Reply]:
        return await self.event(Text(text, self._at()))

    async def command(self, name: str, arg: str = "") -> list[Reply]:
        return await self.event(Command(name, self._at(), arg))

    def button(self, option: str) -> Button:
        """The button for ``option`` on the question asked last."""
        for reply in reversed(self.last):
            for button in reply.buttons:
                if button.data.split(":")[2] == option:
                    return button
        raise AssertionError(f"no {option!r} button in {[r.text[:40] for r in self.last]}")

    async def press(self, option: str) -> list[Reply]:
        return await self.event(Pick(self.button(option).data, self._at()))

    @property
    def question(self) -> Reply:
        asks = [r for r in self.last if r.kind == "ask"]
        assert asks, f"no question in {[r.text[:40] for r in self.last]}"
        return asks[-1]

    def said(self, text: str) -> bool:
        return any(text in r.text for r in self.last)


def chat_for(
    conversations: Conversations, clock: Clock, user: str = "1", platform: str = "telegram"
) -> Chat:
    key = UserKey(platform, user)
    return Chat(conversations, key, clock, Address(platform, f"chat-{user}"))


# A whole reflection, touching every kind of question: ("send", text) or ("press", option).
REFLECTION: list[tuple[str, str]] = [
    ("send", "Sam"),
    ("press", "romantic"),
    ("press", "tone"),
    ("press", "distance"),
    ("press", "done"),
    ("press", "pattern"),
    ("press", "partly"),
    ("send", "Some days are fine."),
    ("press", "sometimes"),
    ("press", "2"),
    ("send", "I plan everything."),
    ("press", "fear"),
    ("press", "skip"),
    ("press", "draining"),
    ("press", "done"),
    ("press", "sometimes"),
    ("send", "I see value in myself."),
    ("press", "boundary"),
    ("press", "d7"),
]


async def play(chat: Chat, steps: list[tuple[str, str]]) -> None:
    for action, value in steps:
        if action == "send":
            await chat.send(value)
        else:
            await chat.press(value)
