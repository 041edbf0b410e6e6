"""The slash commands: names, descriptions and options, and nothing else.

Each command hands its interaction and options to the client (:class:`Runner`), which turns them
into core events (:func:`adapters.discord.translate.command_events`). Commands are allowed in
servers and in the bot's DMs, for a server install.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import discord
from discord import app_commands

from adapters.discord.translate import FREQUENCIES

__all__ = ["MAX_DESCRIPTION", "Runner", "build_tree"]

MAX_DESCRIPTION = 100
"""Discord's limit for a command's or an option's description."""
Say = Callable[..., str]


class Runner(Protocol):
    """What the commands need from the client."""

    async def run_command(
        self, interaction: discord.Interaction, name: str, options: dict[str, object]
    ) -> None: ...

    def zone_choices(self, typed: str) -> list[tuple[str, str]]: ...


def build_tree(
    client: discord.Client, runner: Runner, say: Say, menu: Sequence[tuple[str, str]]
) -> app_commands.CommandTree[Any]:
    """A command tree for ``client`` with every command of ``menu`` (the content's
    ``(name, description)`` pairs, :meth:`bot.core.Core.menu`), in its order; ``say`` words
    the options."""
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(
        client,
        allowed_contexts=app_commands.AppCommandContext(
            guild=True, dm_channel=True, private_channel=False
        ),
        allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
    )
    for name, description in menu:
        text = description[:MAX_DESCRIPTION]
        if name == "history":
            tree.add_command(_history(runner, text, say))
        elif name == "mantras":
            tree.add_command(_mantras(runner, text, say))
        else:
            tree.add_command(_plain(runner, name, text))
    return tree


def _plain(runner: Runner, name: str, description: str) -> app_commands.Command[Any, ..., None]:
    async def callback(interaction: discord.Interaction) -> None:
        await runner.run_command(interaction, name, {})

    return app_commands.Command(name=name, description=description, callback=callback)


def _history(runner: Runner, description: str, say: Say) -> app_commands.Command[Any, ..., None]:
    @app_commands.describe(page=_option(say, "history_page"))
    async def callback(
        interaction: discord.Interaction, page: app_commands.Range[int, 1, 9999] | None = None
    ) -> None:
        await runner.run_command(interaction, "history", {"page": page})

    return app_commands.Command(name="history", description=description, callback=callback)


def _mantras(runner: Runner, description: str, say: Say) -> app_commands.Command[Any, ..., None]:
    @app_commands.describe(
        turn=_option(say, "mantras_turn"),
        time=_option(say, "mantras_time"),
        timezone=_option(say, "mantras_timezone"),
        frequency=_option(say, "mantras_frequency"),
    )
    @app_commands.choices(
        turn=[
            app_commands.Choice(name=say("discord.turn.on"), value="on"),
            app_commands.Choice(name=say("discord.turn.off"), value="off"),
        ],
        frequency=[
            app_commands.Choice(name=say(f"discord.frequency.{v}")[:MAX_DESCRIPTION], value=v)
            for v in FREQUENCIES
        ],
    )
    async def callback(
        interaction: discord.Interaction,
        turn: str | None = None,
        time: app_commands.Range[str, 1, 20] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        frequency: str | None = None,
    ) -> None:
        options: dict[str, object] = {
            "turn": turn,
            "time": time,
            "timezone": timezone,
            "frequency": frequency,
        }
        await runner.run_command(interaction, "mantras", options)

    command: app_commands.Command[Any, ..., None] = app_commands.Command(
        name="mantras", description=description, callback=callback
    )

    @command.autocomplete("timezone")
    async def zones(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=n, value=v) for n, v in runner.zone_choices(current)]

    return command


def _option(say: Say, name: str) -> str:
    return say(f"discord.option.{name}")[:MAX_DESCRIPTION]
