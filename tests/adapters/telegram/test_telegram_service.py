"""``threshold run`` serving Telegram as a service, against the loopback Bot API: the health
endpoint and metrics while it serves, JSON logs without the token, and SIGTERM — with nothing in
flight, and with a reply half-sent — exiting 0 within 10 s; a restart duplicates nothing."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.standins.telegram_api import TOKEN, TelegramAPI
from tests.support.services import (
    STOP_WITHIN,
    Service,
    clean_env,
    free_port,
    get,
    until_answers,
)
from tests.support.telegram_bot import Person

NAME = "Who is this about?"
KIND = "What kind of connection is it?"
SIGNALS = "What has shifted with Sam?"


class Bot:
    """``threshold run`` with a Telegram token, pointed at the stand-in."""

    def __init__(self, api: TelegramAPI, tmp_path: Path) -> None:
        self.port = free_port()
        self.env = clean_env(
            tmp_path,
            TELEGRAM_TOKEN=TOKEN,
            TELEGRAM_API_URL=api.url,
            HEALTH_PORT=str(self.port),
            LOG_LEVEL="INFO",
            LOG_FORMAT="json",
        )
        self.cwd = tmp_path
        self.url = f"http://127.0.0.1:{self.port}"

    async def start(self) -> Service:
        service = await Service.start("run", env=self.env, cwd=self.cwd)
        try:
            await until_answers(f"{self.url}/healthz", lambda status, _: status == 200)
        except AssertionError:
            await service.kill()
            raise
        return service


def metric(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return None


async def test_health_metrics_and_logs_while_telegram_serves_then_sigterm(
    api: TelegramAPI, person: Person, tmp_path: Path
) -> None:
    bot = Bot(api, tmp_path)
    service = await bot.start()
    try:
        _, body = await get(f"{bot.url}/healthz")
        await person.type("/start", expect=NAME)
        await asyncio.sleep(0.2)  # the send is timed after the stand-in answered it
        _, text = await get(f"{bot.url}/metrics")
        status, took = await service.stop(signal.SIGTERM)
    finally:
        await service.kill()

    assert json.loads(body)["platforms"] == {"telegram": "connected"}
    assert metric(text, "threshold_turns_total", platform="telegram") == 1
    assert metric(text, "threshold_send_seconds_count", platform="telegram") == 1
    assert metric(text, "threshold_platform_connected", platform="telegram") == 1
    assert status == 0, service.stderr
    assert took < STOP_WITHIN
    lines = service.stderr.splitlines()
    assert lines, "no log at INFO"
    for line in lines:
        record = json.loads(line)  # every line is one JSON object
        assert {"timestamp", "level", "logger", "message"} <= record.keys()
    assert TOKEN not in service.stderr and TOKEN.split(":")[1] not in service.stderr
    assert any("SIGTERM" in json.loads(line)["message"] for line in lines)


async def test_sigterm_with_a_reply_in_flight_sends_it_and_a_restart_duplicates_nothing(
    api: TelegramAPI, person: Person, tmp_path: Path
) -> None:
    bot = Bot(api, tmp_path)
    first = await bot.start()
    try:
        await person.type("/start", expect=NAME)
        hold = api.hold("sendMessage")
        api.send("Sam")
        await asyncio.wait_for(hold.arrived.wait(), 10)  # the next question is being sent
        stopping = time.monotonic()
        first.process.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.5)
        still_running = first.process.returncode is None
        hold.release()
        status, took = await first.wait(stopping)
    finally:
        await first.kill()

    assert still_running, "it stopped without finishing the send in flight"
    assert status == 0, first.stderr
    assert took < STOP_WITHIN
    await person.until(KIND)  # the reply in flight reached the person

    second = await bot.start()
    try:
        await person.tap("Friendship", expect=SIGNALS)  # the same question, answered now
        status, _ = await second.stop(signal.SIGTERM)
    finally:
        await second.kill()

    assert status == 0, second.stderr
    asked = [c for c in api.calls_to("sendMessage") if KIND in str(c.params.get("text"))]
    assert len(asked) == 1, "the question was asked again after the restart"
    named = [c for c in api.calls_to("sendMessage") if NAME in str(c.params.get("text"))]
    assert len(named) == 1, "the restart went back to an earlier question"
