"""The baseline of ``bench/e2e_discord.py``: a plain discord.py bot of the tutorial kind.

A ``discord.Client`` that keeps each person's place and answers in a dict (in memory, nothing
durable), the way discord.py's ``examples/views`` do it: a typed answer in the DM gets the next
question (``channel.send`` with a ``discord.ui.View`` of buttons); a pressed button edits its
question to show the choice (``interaction.response.edit_message``, the buttons removed) and
sends the next question to the channel. The views are persistent ones (``examples/views/
persistent.py``: ``timeout=None``, fixed ``custom_id``, ``add_view`` at start): a view bound to
its message is stored only once ``channel.send`` returns, and a press that comes sooner (as the
bench's people press, at once) would find nothing and go unanswered. The questions are
Threshold's first eleven (:data:`bench.plain_ptb_bot.QUESTIONS`), so a person sees the same
conversation on both bots.

Not part of the product: ``python -m bench.plain_discord_bot TOKEN API_URL GATEWAY_URL`` serves
until killed.
"""

from __future__ import annotations

import sys
from typing import Any

import discord
import yarl

from bench.plain_ptb_bot import QUESTIONS, SIGNALS


class Question(discord.ui.View):
    """The buttons of question ``state``; ``chosen``: the toggles already on."""

    def __init__(self, bot: PlainBot, state: int, chosen: set[str] | None = None) -> None:
        super().__init__(timeout=None)
        self.bot, self.state = bot, state
        for label in QUESTIONS[state][1]:
            shown = ("✓ " if label in (chosen or ()) else "") + label
            button: discord.ui.Button[Question] = discord.ui.Button(
                label=shown, custom_id=f"{state}:{label}", style=discord.ButtonStyle.secondary
            )
            button.callback = self._pressed(label)  # type: ignore[method-assign]
            self.add_item(button)

    def _pressed(self, label: str) -> Any:
        async def callback(interaction: discord.Interaction) -> None:
            await self.bot.pressed(interaction, self.state, label)

        return callback


class PlainBot(discord.Client):
    def __init__(self) -> None:
        super().__init__(intents=discord.Intents(guilds=True, dm_messages=True))
        self.places: dict[int, int] = {}
        self.answers: dict[int, dict[int, str]] = {}
        self.chosen: dict[int, set[str]] = {}

    async def setup_hook(self) -> None:
        for state, (_, labels) in enumerate(QUESTIONS):
            if labels:
                self.add_view(Question(self, state))

    async def ask(self, channel: discord.abc.Messageable, state: int) -> None:
        text, labels = QUESTIONS[state]
        if labels:
            await channel.send(text, view=Question(self, state))
        else:
            await channel.send(text)

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.guild is not None:
            return
        person = message.author.id
        if message.content == "/start" or person not in self.places:
            self.places[person], self.answers[person], self.chosen[person] = 0, {}, set()
            await self.ask(message.channel, 0)
            return
        state = self.places[person]
        if QUESTIONS[state][1]:
            return  # a question with buttons waits for a press
        self.answers[person][state] = message.content
        self.places[person] = state + 1
        await self.ask(message.channel, state + 1)

    async def pressed(self, interaction: discord.Interaction, state: int, label: str) -> None:
        person = interaction.user.id
        if self.places.get(person) != state:
            await interaction.response.defer()
            return
        if state == SIGNALS and label != "Done":
            self.chosen[person] ^= {label}
            toggled = Question(self, state, self.chosen[person])
            await interaction.response.edit_message(view=toggled)
            return
        self.answers[person][state] = label
        self.places[person] = state + 1
        await interaction.response.edit_message(
            content=f"{QUESTIONS[state][0]}\n\n→ {label}", view=None
        )
        assert interaction.channel is not None
        await self.ask(interaction.channel, state + 1)  # type: ignore[arg-type]


def main() -> None:
    token, api_url, gateway_url = sys.argv[1], sys.argv[2], sys.argv[3]
    discord.http.Route.BASE = api_url.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    PlainBot().run(token)  # discord.py logs its warnings and errors to stderr


if __name__ == "__main__":
    main()
