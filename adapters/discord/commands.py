"""The slash commands: names, descriptions and options, and nothing else.

Each command hands its interaction and options to the client (:class:`Runner`), which turns them
into core events (:func:`adapters.discord.translate.command_events`). Commands are allowed in
servers and in the bot's DMs, for a server install.
"""

from __future__ import annotations

from typing import Any, Protocol

import discord
from discord import app_commands

from adapters.discord.translate import FREQUENCIES

__all__ = ["COMMANDS", "Runner", "build_tree"]

COMMANDS: tuple[tuple[str, str], ...] = (
    ("reflect", "Reflect on a relationship, privately"),
    ("checkin", "A short, private follow-up on one you've reflected on"),
    ("history", "Your past reflections and check-ins"),
    ("mantras", "Short lines from the essay, on a schedule you choose"),
    ("safety", "A safety plan for harder moments, kept private"),
    ("export", "Everything I hold about you, as a file"),
    ("forget", "Delete everything I hold about you"),
    ("help", "What I can do"),
    ("cancel", "Stop what we're doing"),
)
"""Every slash command and its description, in the order Discord lists them."""
_DESCRIPTION = dict(COMMANDS)


class Runner(Protocol):
    """What the commands need from the client."""

    async def run_command(
        self, interaction: discord.Interaction, name: str, options: dict[str, object]
    ) -> None: ...

    def zone_choices(self, typed: str) -> list[tuple[str, str]]: ...


def build_tree(client: discord.Client, runner: Runner) -> app_commands.CommandTree[Any]:
    """A command tree for ``client`` with every command of :data:`COMMANDS`."""
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(
        client,
        allowed_contexts=app_commands.AppCommandContext(
            guild=True, dm_channel=True, private_channel=False
        ),
        allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
    )
    for name in ("reflect", "checkin", "safety", "export", "forget", "help", "cancel"):
        tree.add_command(_plain(runner, name))
    tree.add_command(_history(runner))
    tree.add_command(_mantras(runner))
    return tree


def _plain(runner: Runner, name: str) -> app_commands.Command[Any, ..., None]:
    async def callback(interaction: discord.Interaction) -> None:
        await runner.run_command(interaction, name, {})

    return app_commands.Command(name=name, description=_DESCRIPTION[name], callback=callback)


def _history(runner: Runner) -> app_commands.Command[Any, ..., None]:
    @app_commands.describe(page="Which page to show; 1 is the newest")
    async def callback(
        interaction: discord.Interaction, page: app_commands.Range[int, 1, 9999] | None = None
    ) -> None:
        await runner.run_command(interaction, "history", {"page": page})

    return app_commands.Command(
        name="history", description=_DESCRIPTION["history"], callback=callback
    )


def _mantras(runner: Runner) -> app_commands.Command[Any, ..., None]:
    @app_commands.describe(
        turn="Turn scheduled mantras on or off",
        time="Time of day, like 07:30 or 9pm",
        timezone="Your time zone, like Europe/Berlin (start typing your city)",
        frequency="How often",
    )
    @app_commands.choices(
        turn=[
            app_commands.Choice(name="On", value="on"),
            app_commands.Choice(name="Off", value="off"),
        ],
        frequency=[app_commands.Choice(name=n, value=v) for n, v in FREQUENCIES],
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
        name="mantras", description=_DESCRIPTION["mantras"], callback=callback
    )

    @command.autocomplete("timezone")
    async def zones(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=n, value=v) for n, v in runner.zone_choices(current)]

    return command
