"""Running the real ``threshold`` command as a service, from async tests.

:class:`Service` is a ``threshold`` subprocess on asyncio pipes: lines typed into the terminal
chat, what it prints, signals, and the exit status with how long it took. It runs in the test's
own event loop, so a loopback stand-in (the Telegram Bot API) can serve it from the same loop.
:func:`get` asks an HTTP endpoint; :func:`free_port` finds a port to give ``HEALTH_PORT``.

"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

from aiohttp import ClientError, ClientSession, ClientTimeout

from bot.settings import Settings

SCRIPT = Path(sys.executable).with_name("threshold")
TIMEOUT = 30.0
STOP_WITHIN = 10.0
"""Seconds a stopped service has to exit: what a container engine waits before it kills."""
HINT = re.compile(r"^  \((Type a number|Write your answer)")
CHOICE = re.compile(r"^  (\d+)\) (.+)$")
SETTINGS = [name.upper() for name in Settings.model_fields]


def clean_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """The environment of someone who has set nothing up, plus ``values``; the database is
    ``tmp_path/data/threshold.db``."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS and k != "PYTHONPATH"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'data' / 'threshold.db'}"
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(values)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def get(url: str) -> tuple[int, str]:
    """``(status, body)`` of a GET, or ``(0, reason)`` when nothing answers."""
    try:
        async with (
            ClientSession(timeout=ClientTimeout(total=5)) as session,
            session.get(url) as response,
        ):
            return response.status, await response.text()
    except (ClientError, OSError, TimeoutError) as exc:
        return 0, type(exc).__name__


async def until_answers(
    url: str, wanted: Callable[[int, str], bool], within: float = TIMEOUT
) -> str:
    """Ask ``url`` every 0.1 s until ``wanted(status, body)``; returns the body."""
    deadline = time.monotonic() + within
    status, body = 0, ""
    while time.monotonic() < deadline:
        status, body = await get(url)
        if wanted(status, body):
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never answered as wanted; last: {status} {body}")


class Service:
    """A ``threshold`` process. ``await Service.start("run", env=…, cwd=…)``."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.transcript: list[str] = []
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._pump = asyncio.create_task(self._read())
        self.stderr = ""

    @classmethod
    async def start(
        cls, *args: str, env: dict[str, str], cwd: Path, program: Path = SCRIPT
    ) -> Service:
        process = await asyncio.create_subprocess_exec(
            str(program),
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=cwd,
        )
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            self._lines.put_nowait(raw.decode("utf-8").rstrip("\n"))
        self._lines.put_nowait(None)

    async def read_turn(self, *, settle: float = 1.0) -> list[str]:
        """Lines up to the end of a question (its hint line), or until the output ends or stays
        quiet for ``settle`` seconds after something was printed."""
        lines: list[str] = []
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            wait = settle if lines else max(0.01, deadline - time.monotonic())
            try:
                line = await asyncio.wait_for(self._lines.get(), wait)
            except TimeoutError:
                if lines:
                    break
                continue
            if line is None:
                self._lines.put_nowait(None)
                break
            lines.append(line)
            self.transcript.append(line)
            if HINT.match(line):
                break
        else:
            raise AssertionError(f"nothing printed for {TIMEOUT} s:\n{self.text}")
        return lines

    async def send(self, line: str) -> list[str]:
        self.type(line)
        return await self.read_turn()

    def type(self, line: str) -> None:
        """Type a line without waiting for the answer."""
        assert self.process.stdin is not None
        self.transcript.append(f">>> {line}")
        self.process.stdin.write(line.encode("utf-8") + b"\n")

    async def stop(self, sig: signal.Signals = signal.SIGTERM) -> tuple[int, float]:
        """Send ``sig``; the exit status and the seconds it took to exit (fails past
        :data:`STOP_WITHIN`, killing it)."""
        started = time.monotonic()
        self.process.send_signal(sig)
        return await self.wait(started)

    async def close(self) -> tuple[int, float]:
        """End the input (Ctrl-D) and wait for the exit."""
        started = time.monotonic()
        assert self.process.stdin is not None
        self.process.stdin.close()
        return await self.wait(started)

    async def wait(self, started: float) -> tuple[int, float]:
        try:
            status = await asyncio.wait_for(self.process.wait(), STOP_WITHIN)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(f"still running {STOP_WITHIN} s after being stopped") from None
        took = time.monotonic() - started
        await self._pump
        while not self._lines.empty():
            line = self._lines.get_nowait()
            if line is not None:
                self.transcript.append(line)
        assert self.process.stderr is not None
        self.stderr = (await self.process.stderr.read()).decode("utf-8")
        return status, took

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        with contextlib.suppress(asyncio.CancelledError):
            self._pump.cancel()
            await self._pump

    @property
    def text(self) -> str:
        return "\n".join(self.transcript)


def answer(lines: list[str], previous: list[str]) -> str:
    """What a cooperative person types next (as in ``test_cli``): a few words where words are
    asked for, a week where a number of days is, "Done" on a question that takes several once
    something was chosen, and otherwise the first choice."""
    choices = {int(m[1]): m[2] for m in map(CHOICE.match, lines) if m}
    if any("Type a number of days" in line for line in lines):
        return "7"
    if len(choices) <= 1 and any("write your answer" in line for line in lines):
        return "Sam"
    done = [number for number, label in choices.items() if label.strip().lower() == "done"]
    if done and question(lines) == question(previous):
        return str(done[0])
    return "1" if choices else "Sam"


def question(lines: list[str]) -> list[str]:
    """The text of the last message printed, without its choices and hint."""
    last = len(lines) - 1 - lines[::-1].index("") if "" in lines else 0
    return [line for line in lines[last:] if line and not (CHOICE.match(line) or HINT.match(line))]
