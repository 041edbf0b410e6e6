"""A loopback Discord: the gateway (websocket) and the REST API on 127.0.0.1, for the real
discord.py client to talk to in tests.

It does what the bot needs and records everything the bot sends:

* gateway: HELLO, IDENTIFY (a wrong token closes with 4004), READY with a server, GUILD_CREATE,
  heartbeats; tests dispatch MESSAGE_CREATE (a DM) and INTERACTION_CREATE (slash command,
  autocomplete, button, modal submit) with :meth:`DiscordAPI.dm`, :meth:`~DiscordAPI.slash`,
  :meth:`~DiscordAPI.autocomplete`, :meth:`~DiscordAPI.press` and :meth:`~DiscordAPI.submit`,
  then :meth:`~DiscordAPI.settle` until the bot has answered;
* REST: login (``/users/@me``, ``/oauth2/applications/@me``), command sync (global or to the
  server), DM channels, channel messages (JSON or multipart with files) and edits, interaction
  callbacks (``?with_response=1`` returns the created message; a second callback is refused with
  40060) and webhook followups, edits and deletes. Sending to a person in
  :attr:`DiscordAPI.closed_dms` fails with 50007. Every request is checked against Discord's
  published API (:mod:`tests.standins.discord_api.spec`): an unknown route is 404, a body the
  spec does not allow (a text over 2,000 characters, a ``custom_id`` over 100, a field it does
  not list) is refused with 50035 and its ``errors`` tree, as Discord would, and kept in
  :attr:`DiscordAPI.refused` (and :data:`tests.standins.refusals.REFUSALS`).

Every body is answered with ``Content-Type: application/json`` exactly: discord.py parses a
response only then. :attr:`DiscordAPI.messages` holds every message the bot made, as it reads
now; :attr:`DiscordAPI.calls` every request, in order.
"""

from tests.standins.discord_api.payloads import (
    APP_ID,
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    JSON,
    TOKEN,
    User,
)
from tests.standins.discord_api.server import Call, DiscordAPI, Interaction

__all__ = [
    "APP_ID",
    "BOT_ID",
    "CHANNEL_ID",
    "GUILD_ID",
    "JSON",
    "TOKEN",
    "Call",
    "DiscordAPI",
    "Interaction",
    "User",
]
