"""The health endpoint (``/healthz``, ``/metrics``) and ``threshold healthcheck``: in this
process on a real core, and on a real ``threshold run`` serving the terminal chat."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from prometheus_client.parser import text_string_to_metric_families

from adapters.health import healthcheck, serving_health, url_of
from bot.core import Core, open_core
from bot.errors import ConfigError
from bot.ports.store import Address
from bot.settings import Settings
from dialogs.model import Reply
from tests.support.services import SCRIPT, Service, answer, clean_env, free_port, get, until_answers


def settings_for(tmp_path: Path, **values: Any) -> Settings:
    return Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 't.db'}", **values)


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    async with open_core(settings_for(tmp_path, health_port=free_port())) as opened:
        yield opened


class Deliverer:
    platform = "telegram"

    async def deliver(self, address: Address, replies: Sequence[Reply]) -> None:
        return None


def metric(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return None


# --------------------------------------------------------------------------------------------
# In this process


async def test_healthz_is_200_while_the_database_answers(core: Core) -> None:
    async with serving_health(core, []) as url:
        assert url == url_of(core.settings)
        status, body = await get(f"{url}/healthz")
    assert status == 200
    assert json.loads(body) | {"uptime_seconds": 0} == {
        "status": "ok",
        "process": "up",
        "uptime_seconds": 0,
        "database": "ok",
        "platforms": {},
    }


async def test_healthz_is_503_until_every_platform_is_connected(core: Core) -> None:
    async with serving_health(core, ["telegram"]) as url:
        status, body = await get(f"{url}/healthz")
        assert (status, json.loads(body)["platforms"]) == (503, {"telegram": "not connected"})
        async with core.serving(Deliverer()):
            status, body = await get(f"{url}/healthz")
            assert (status, json.loads(body)["platforms"]) == (200, {"telegram": "connected"})
            _, text = await get(f"{url}/metrics")
    assert metric(text, "threshold_platform_connected", platform="telegram") == 1


async def test_healthz_is_503_once_the_database_stops_answering(core: Core) -> None:
    async with serving_health(core, []) as url:
        await core.store.close()
        status, body = await get(f"{url}/healthz")
    assert (status, json.loads(body)["database"]) == (503, "unavailable")


async def test_metrics_are_the_cores_in_prometheus_text(core: Core) -> None:
    core.metrics.turns.labels("console").inc(3)
    async with (
        serving_health(core, []) as url,
        ClientSession() as session,
        session.get(f"{url}/metrics") as response,
    ):
        content_type, text = response.headers["Content-Type"], await response.text()
    assert content_type.startswith("text/plain; version=0.0.4")
    assert metric(text, "threshold_turns_total", platform="console") == 3
    assert metric(text, "threshold_scheduler_lag_seconds") == 0


async def test_nothing_is_served_without_health_port(tmp_path: Path) -> None:
    async with open_core(settings_for(tmp_path)) as core, serving_health(core, []) as url:
        assert url is None


async def test_a_port_already_taken_is_a_plain_config_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with open_core(settings_for(tmp_path, health_port=port)) as core:
            with pytest.raises(ConfigError, match="HEALTH_PORT"):
                async with serving_health(core, []):
                    pass


async def test_healthcheck_says_healthy_unhealthy_or_unreachable(core: Core) -> None:
    settings = core.settings
    async with serving_health(core, ["telegram"]):
        assert await asyncio.to_thread(healthcheck, settings) == (
            1,
            "unhealthy (503): database ok; not connected: telegram",
        )
        async with core.serving(Deliverer()):
            assert await asyncio.to_thread(healthcheck, settings) == (0, "healthy")
    status, said = await asyncio.to_thread(healthcheck, settings)
    assert status == 1 and said.startswith("no answer from")
    assert healthcheck(settings.model_copy(update={"health_port": None}))[0] == 1


@pytest.mark.parametrize(
    ("host", "url"),
    [("0.0.0.0", "http://127.0.0.1:8080"), ("::", "http://127.0.0.1:8080"),
     ("::1", "http://[::1]:8080"), ("localhost", "http://localhost:8080")],
)  # fmt: skip
def test_the_url_to_ask_from_this_machine(host: str, url: str, tmp_path: Path) -> None:
    assert url_of(settings_for(tmp_path, health_port=8080, health_host=host)) == url


# --------------------------------------------------------------------------------------------
# `threshold run` with the terminal chat


async def test_a_running_terminal_chat_answers_health_and_counts_its_turns(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = clean_env(tmp_path, HEALTH_PORT=str(port))
    base = f"http://127.0.0.1:{port}"
    service = await Service.start("run", env=env, cwd=tmp_path)
    try:
        lines = await service.read_turn()
        previous: list[str] = []
        body = await until_answers(f"{base}/healthz", lambda status, _: status == 200)
        assert json.loads(body)["database"] == "ok"
        for _ in range(3):
            lines, previous = await service.send(answer(lines, previous)), lines
        _, text = await get(f"{base}/metrics")
        checked = await asyncio.to_thread(
            subprocess.run,
            [str(SCRIPT), "healthcheck"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        status, _ = await service.close()
    finally:
        await service.kill()

    assert metric(text, "threshold_turns_total", platform="console") == 4  # /start + 3
    assert (checked.returncode, checked.stdout.strip()) == (0, "healthy")
    assert status == 0
    assert (await get(f"{base}/healthz"))[0] == 0  # gone with the process


async def test_threshold_chat_never_serves_health(tmp_path: Path) -> None:
    port = free_port()
    service = await Service.start(
        "chat", env=clean_env(tmp_path, HEALTH_PORT=str(port)), cwd=tmp_path
    )
    try:
        await service.read_turn()
        status, _ = await get(f"http://127.0.0.1:{port}/healthz")
        await service.close()
    finally:
        await service.kill()
    assert status == 0  # nothing listens: `threshold run` in the same place keeps its port
