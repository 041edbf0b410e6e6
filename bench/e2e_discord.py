"""A turn through Discord end to end: ``threshold run`` against a plain discord.py bot.

Both bots run as processes of their own against one Discord stand-in on 127.0.0.1 (the gateway
and the REST API, :mod:`tests.standins.discord_api`, in this process), through discord.py's real
websocket and HTTP stack, under the same load as the Telegram bench
(:mod:`bench.e2e_telegram`): :data:`~bench.e2e_telegram.PEOPLE` people at once in their DMs,
each going through the same eleven turns one at a time (typed messages and pressed buttons).
A turn is done when its next question is on screen and, for a pressed button, the interaction
is answered.

* **Threshold**: the real ``threshold`` command on an SQLite file (every turn committed before
  its reply).
* **plain discord.py**: :mod:`bench.plain_discord_bot`, a ``discord.Client`` with
  ``discord.ui.View`` buttons of the tutorial kind, holding the answers in memory.

Fair as far as the two differ only in the bot: one stand-in, the same people, the same
questions in the same words, neither bot throttled by the stand-in (it sends no rate limits).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.e2e_telegram import (
    PEOPLE,
    ROOT,
    THRESHOLD,
    TURN_TIMEOUT,
    TURNS,
    WARM,
    Run,
    Step,
    _cpu_seconds,
    _ms,
    _process,
    _threshold_command,
)
from bench.table import Row
from tests.standins.discord_api import JSON, TOKEN, DiscordAPI, Interaction, User
from tests.standins.refusals import REFUSALS

STEPS = (Step(text="hi", expect=THRESHOLD[0].expect), *THRESHOLD[1:])
"""The Telegram walk, opened the way a DM is: by saying something."""
FIRST_USER = 4_300_000_000_000_000_000
SETUP = re.compile(r"^(GET users/@me|GET oauth2/|PUT applications/|POST users/@me/channels)")
_ID = re.compile(r"/\d+|/itoken-\d+|/[A-Za-z0-9_-]{20,}")


@dataclass
class _Chat:
    updates: list[JSON] = field(default_factory=list)
    """Each message the bot made or changed in the DM, as it was then."""
    acked: list[int] = field(default_factory=list)
    """Interactions answered, by id."""
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    question: JSON | None = None


class Stand(DiscordAPI):
    """The stand-in, telling each DM's driver about every message the bot makes or edits there
    and every interaction it answers."""

    def __init__(self) -> None:
        super().__init__()
        REFUSALS.mode = "off"  # the tests hold both bots' calls to the spec; here it only costs
        self.chats: dict[int, _Chat] = {}
        self._sending = asyncio.Lock()

    async def _dispatch(self, event: str, data: JSON, ws: Any = None) -> None:
        async with self._sending:  # one frame at a time on the bot's websocket
            await super()._dispatch(event, data, ws)

    def _store(self, message: JSON, body: JSON, files: list[Any]) -> JSON:
        stored = super()._store(message, body, files)
        chat = self.chats.get(int(stored["channel_id"]))
        if chat is not None:
            chat.updates.append(copy.deepcopy(stored))
            chat.changed.set()
        return stored

    def _callback(self, interaction: Interaction, body: JSON, files: list[Any]) -> Any:
        answer = super()._callback(interaction, body, files)
        chat = self.chats.get(interaction.channel_id)
        if chat is not None:
            chat.acked.append(interaction.id)
            chat.changed.set()
        return answer


def _button(message: JSON, label: str) -> str:
    for row in message.get("components", []):
        for button in row.get("components", []):
            if button.get("label", "").removeprefix("✓ ") == label and "custom_id" in button:
                return str(button["custom_id"])
    raise LookupError(f"no button {label!r}")


async def _person(api: Stand, user: User, steps: Sequence[Step], run: Run | None) -> None:
    chat = api.chats[api.dm_channel(user)] = _Chat()
    for number, step in enumerate(steps, start=1):
        seen = len(chat.updates)
        pressed = None
        started = time.perf_counter()
        if step.text is not None:
            await api.dm(user, step.text)
        else:
            assert chat.question is not None and step.label is not None
            custom_id = _button(chat.question, step.label)
            pressed = (await api.press(user, chat.question, custom_id)).id
        done = await _until_done(chat, seen, step, pressed)
        if run is None:
            continue
        if not done:
            run.short += 1
            run.short_at[number] += 1
            return
        run.turns += 1
        run.latencies.append(time.perf_counter() - started)


async def _until_done(chat: _Chat, seen: int, step: Step, pressed: int | None) -> bool:
    pressed_on = chat.question["id"] if chat.question is not None else None
    shown = False
    deadline = time.perf_counter() + TURN_TIMEOUT
    while True:
        for message in chat.updates[seen:]:
            if step.expect is None:  # a toggle: the question pressed on, edited
                if message["id"] == pressed_on:
                    shown, chat.question = True, message
            elif step.expect in message.get("content", "") and message.get("components"):
                shown, chat.question = True, message
            elif step.expect in message.get("content", ""):
                shown = True  # a typed answer's question has no buttons to press
                chat.question = message
        seen = len(chat.updates)
        if shown and (pressed is None or pressed in chat.acked):
            return True
        chat.changed.clear()
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(chat.changed.wait(), remaining)


def _kind(method: str, path: str) -> str:
    return f"{method} {_ID.sub('/…', path).strip('/')}"


async def _measure(
    name: str, command: Callable[[DiscordAPI], list[str]], env: dict[str, str], folder: Path
) -> Run:
    run = Run(name)
    api = Stand()
    await api.start()
    try:
        env = {**env, "DISCORD_API_URL": api.api_url, "DISCORD_GATEWAY_URL": api.gateway_url}
        async with _process(command(api), env, folder) as pid:
            await asyncio.wait_for(api.identified.wait(), 60)
            await asyncio.sleep(1.0)  # commands synced, the client settled
            warm = [User(FIRST_USER - 1 - n) for n in range(WARM)]
            await asyncio.gather(*(_person(api, u, STEPS, None) for u in warm))
            before = len(api.calls)
            cpu, stand_cpu = _cpu_seconds(pid), time.process_time()
            started = time.perf_counter()
            people = [User(FIRST_USER + n) for n in range(PEOPLE)]
            await asyncio.gather(*(_person(api, u, STEPS, run) for u in people))
            run.seconds = time.perf_counter() - started
            run.cpu = _cpu_seconds(pid) - cpu
            run.stand_cpu = time.process_time() - stand_cpu
            kinds = (_kind(c.method, c.path) for c in api.calls[before:])
            run.calls.update(k for k in kinds if not SETUP.match(k))
    finally:
        await api.close()
    return run


async def runs() -> tuple[Run, Run | None]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DISCORD_"))}
    with tempfile.TemporaryDirectory(prefix="threshold-e2e-discord-") as tmp:
        folder = Path(tmp)
        ours = await _measure(
            "Threshold `threshold run`",
            lambda api: _threshold_command(api.api_url),
            {
                **base,
                "DISCORD_TOKEN": TOKEN,
                "DATABASE_URL": f"sqlite:///{folder / 'e2e.db'}",
                "LOG_LEVEL": "WARNING",
            },
            folder,
        )
        if os.environ.get("BENCH_E2E_ONLY") == "threshold":  # to profile it: `py-spy top --pid`
            return ours, None
        plain = await _measure(
            "plain discord.py Client + Views, in memory",
            lambda api: [sys.executable, "-m", "bench.plain_discord_bot", TOKEN, *_urls(api)],
            {**base, "PYTHONPATH": str(ROOT)},
            folder,
        )
    return ours, plain


def _urls(api: DiscordAPI) -> tuple[str, str]:
    return api.api_url, api.gateway_url


def _new_messages(run: Run) -> int:
    return sum(
        n
        for kind, n in run.calls.items()
        if kind in ("POST channels/…/messages", "POST webhooks/…/…")
    )


def _rows(run: Run) -> list[Row]:
    turns = max(run.turns, 1)
    per = ", ".join(f"{k} {n / turns:.2f}" for k, n in run.calls.most_common())
    return [
        Row(f"e2e Discord · {run.name}: turns/s ({PEOPLE} people × {TURNS})",
            f"{run.turns / run.seconds:,.0f}" if run.seconds else "—"),
        Row("  turn latency p50 / p99", f"{_ms(run.latencies, 0.5):,.0f} / "
            f"{_ms(run.latencies, 0.99):,.0f} ms"),
        Row("  CPU per turn (the bot's process)", f"{run.cpu / turns * 1000:.1f} ms"),
        Row("  CPU per turn of the stand-in and the people (for scale)",
            f"{run.stand_cpu / turns * 1000:.1f} ms"),
        Row("  REST calls / new messages per turn",
            f"{sum(run.calls.values()) / turns:.2f} / {_new_messages(run) / turns:.2f}"),
        Row(f"  calls per turn: {per}", ""),
    ]  # fmt: skip


async def run() -> list[Row]:
    load = os.getloadavg()[0]
    ours, plain = await runs()
    rows = [Row("e2e Discord · load average of the machine at the start", f"{load:.1f}")]
    rows += _rows(ours)
    if plain is None:
        return rows
    rows += _rows(plain)
    speed = (ours.turns / ours.seconds) / (plain.turns / plain.seconds)
    cpu = (ours.cpu / max(ours.turns, 1)) / (plain.cpu / max(plain.turns, 1))
    rows += [
        Row("e2e Discord · Threshold ÷ plain discord.py, turns/s", f"{speed:.2f}×", "≥ 1.0×",
            speed >= 1.0),
        Row("  CPU per turn, Threshold ÷ plain discord.py", f"{cpu:.2f}×", "≤ 1.0×", cpu <= 1.0),
        Row("  short turns (a next question never shown)", f"{ours.short} / {plain.short}",
            "0", ours.short == 0),
        *(Row(f"    {run.name}: short at turn {n}", f"{count}") for run in (ours, plain)
          for n, count in sorted(run.short_at.items())),
    ]  # fmt: skip
    return rows
