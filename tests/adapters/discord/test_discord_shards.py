"""Shards: DISCORD_SHARD_COUNT and DISCORD_SHARD_IDS per process, through the real discord.py
client and the stand-in gateway, which sends direct messages on shard 0 only and the server's
events on the shard Discord's rule gives it ((server id >> 22) % count)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from adapters.discord.client import ShardedThresholdClient, ThresholdClient
from tests.standins.discord_api import DiscordAPI
from tests.standins.discord_api.server import guild_shard
from tests.support.discord_bot import ALEX, Person, make_settings, running_bot


async def _until(condition: object, within: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not callable(condition) or not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("not in time")
        await asyncio.sleep(0.05)


async def test_two_processes_share_the_shards_and_the_one_with_shard_0_serves_dms(
    api: DiscordAPI, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="adapters.discord.client")
    zero = make_settings(api, tmp_path / "zero.db", discord_shard_count=2, discord_shard_ids="0")
    one = make_settings(api, tmp_path / "one.db", discord_shard_count=2, discord_shard_ids="1")
    async with running_bot(zero, api) as first, running_bot(one, api) as second:
        await _until(lambda: set(api.shards) == {0, 1})
        assert first.client.shard_id == 0 and second.client.shard_id == 1
        assert first.client.shard_count == second.client.shard_count == 2
        alex = Person(api, ALEX)
        await alex.say("hi")
        assert "not a therapist" in alex.dm_messages()[0]["content"]
        interaction = await alex.slash("checkin", guild=True)  # the server is on shard 1
        assert guild_shard(2) == 1 and interaction.callbacks
    synced = [c for c in api.calls if c.method == "PUT" and c.path.endswith("/commands")]
    assert len(synced) == 1, "only the process holding shard 0 syncs the commands"
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "which another process must hold" in said and "arrive on shard 0, here" in said


async def test_one_process_can_run_several_shards(api: DiscordAPI, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path / "t.db", discord_shard_count=2)
    async with running_bot(settings, api) as running:
        assert isinstance(running.client, ShardedThresholdClient)
        await _until(lambda: set(api.shards) == {0, 1})
        alex = Person(api, ALEX)
        await alex.say("hi")
        assert "not a therapist" in alex.dm_messages()[0]["content"]


async def test_without_shard_settings_the_client_is_unsharded(
    api: DiscordAPI, tmp_path: Path
) -> None:
    async with running_bot(make_settings(api, tmp_path / "t.db"), api) as running:
        assert type(running.client) is ThresholdClient and running.client.shard_id is None
        assert "shard" not in api.identify
