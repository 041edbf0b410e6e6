"""A turn through Telegram end to end: ``threshold run`` against plain python-telegram-bot.

Both bots run as processes of their own against one Bot API stand-in on 127.0.0.1
(:mod:`tests.standins.telegram_api`, in this process), through PTB's real HTTP stack, under the
same load: :data:`PEOPLE` people at once, each going through :data:`TURNS` turns of a reflection
one at a time (typed answers and pressed buttons), as soon as the previous turn is done. A turn
is done when its next question is on screen and, for a pressed button, the press is answered.

* **Threshold**: the real ``threshold`` command on an SQLite file (every turn committed before
  its reply), with ``TELEGRAM_SEND_RATE`` lifted (the baseline sends unthrottled).
* **plain PTB**: :mod:`bench.plain_ptb_bot`, a ``ConversationHandler`` of the tutorial kind
  holding the answers in memory.

Printed for each: turns per second, turn latency p50/p99, the bot process's CPU time per turn,
Bot API calls and new messages per turn, short turns (a next question that never came), and
the ratios.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.table import Row
from tests.standins.refusals import REFUSALS
from tests.standins.telegram_api import TOKEN, Call, Sent, TelegramAPI

PEOPLE = int(os.environ.get("BENCH_E2E_PEOPLE", "200"))
TURNS = 11
WARM = 10
"""People who go through the conversation first, unmeasured (imports, caches, connections)."""
FIRST_CHAT = 10_000_000
TURN_TIMEOUT = 30.0
"""A next question not on screen this many seconds after the turn began is counted short."""
UNCAPPED = 1_000_000
ROOT = Path(__file__).resolve().parents[1]
SETUP = frozenset({"getme", "getupdates", "setmycommands", "deletewebhook", "getmycommands"})


@dataclass(frozen=True)
class Step:
    """Type ``text`` or press the button ``label``; done once ``expect`` is shown."""

    text: str | None = None
    label: str | None = None
    expect: str | None = None
    """A piece of the next question; ``None``: the question pressed on, edited (a toggle)."""


THRESHOLD = (
    Step(text="/start", expect="Who is this about?"),
    Step(text="Sam", expect="What kind of connection is it?"),
    Step(label="Romantic", expect="What has shifted with Sam?"),
    Step(label="Their tone changed", expect=None),
    Step(label="Done", expect="a one-off, or a pattern?"),
    Step(text="a pattern", expect="Is this connection still serving me?"),
    Step(label="Partly", expect="Anything you'd like to note about that?"),
    Step(text="Some days are fine.", expect="Is it reciprocal?"),
    Step(label="Sometimes", expect="Who carries the effort"),
    Step(label="2", expect="give and take"),
    Step(label="Skip", expect="Am I staying because of love"),
)
PLAIN = THRESHOLD
"""The baseline asks the same questions in the same words, so one walk drives both."""
assert len(THRESHOLD) == len(PLAIN) == TURNS


class Stand(TelegramAPI):
    """The stand-in, telling each chat's driver about every call made into that chat."""

    def __init__(self) -> None:
        super().__init__()
        REFUSALS.mode = "off"  # the tests hold both bots' calls to the spec; here it only costs
        self.chats: dict[int, _Chat] = {}
        self.queries: dict[str, int] = {}

    async def _record(self, call: Call) -> None:
        await super()._record(call)
        chat_id = call.params.get("chat_id")
        if chat_id is None and call.method == "answercallbackquery":
            chat_id = self.queries.pop(str(call.params.get("callback_query_id")), None)
        chat = self.chats.get(int(chat_id)) if chat_id is not None else None
        if chat is not None:
            chat.calls.append(call)
            chat.changed.set()


@dataclass
class _Chat:
    calls: list[Call] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    question: Sent | None = None


@dataclass
class Run:
    name: str
    turns: int = 0
    short: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    stand_cpu: float = 0.0
    """CPU time of this process (the stand-in and the people) during the load."""
    latencies: list[float] = field(default_factory=list)
    calls: collections.Counter[str] = field(default_factory=collections.Counter)
    short_at: collections.Counter[int] = field(default_factory=collections.Counter)
    """Which turn (1 to :data:`TURNS`) was short, how many times."""


async def _person(api: Stand, chat_id: int, steps: Sequence[Step], run: Run | None) -> None:
    chat = api.chats[chat_id] = _Chat()
    for number, step in enumerate(steps, start=1):
        seen = len(chat.calls)
        query = None
        started = time.perf_counter()
        if step.text is not None:
            api.send(step.text, chat_id=chat_id)
        else:
            assert chat.question is not None and step.label is not None
            query = api.press(chat.question, step.label)
            api.queries[query] = chat_id
        done = await _until_done(api, chat, seen, step, query)
        if run is None:
            continue
        if not done:
            run.short += 1
            run.short_at[number] += 1
            return
        run.turns += 1
        run.latencies.append(time.perf_counter() - started)


async def _until_done(api: Stand, chat: _Chat, seen: int, step: Step, query: str | None) -> bool:
    pressed_on = chat.question.message_id if chat.question is not None else None
    shown = False
    answered = query is None
    deadline = time.perf_counter() + TURN_TIMEOUT
    while True:
        for call in chat.calls[seen:]:
            if call.status != 200:
                continue
            if call.method == "answercallbackquery":
                answered = answered or call.params.get("callback_query_id") == query
                continue
            text = str(call.params.get("text") or "")
            if step.expect is None:  # a toggle: the question pressed on, edited
                shown = shown or call.params.get("message_id") == pressed_on
            elif step.expect in text:
                shown = True
                if call.method == "sendmessage":
                    chat.question = call.params["_sent"]
                else:
                    message_id = int(call.params["message_id"])
                    chat.question = api.message(int(call.params["chat_id"]), message_id)
        seen = len(chat.calls)
        if shown and answered:
            return True
        chat.changed.clear()
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(chat.changed.wait(), remaining)


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.asynccontextmanager
async def _process(command: list[str], env: dict[str, str], cwd: Path) -> AsyncIterator[int]:
    proc = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
    )
    try:
        yield proc.pid
    finally:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def _measure(
    name: str, command: Callable[[str], list[str]], env: dict[str, str], steps: Sequence[Step],
    folder: Path,
) -> Run:  # fmt: skip
    """Start the bot (``command(stand-in URL)``), warm it up, then the measured load."""
    run = Run(name)
    api = Stand()
    async with api:
        env = {**env, "TELEGRAM_API_URL": api.url}
        async with _process(command(api.url), env, folder) as pid:
            await _load(api, pid, steps, run)
    return run


async def _load(api: Stand, pid: int, steps: Sequence[Step], run: Run) -> None:
    await api.next_call("getUpdates", within=60.0)  # serving
    warm = [FIRST_CHAT - 1 - n for n in range(WARM)]
    await asyncio.gather(*(_person(api, chat, steps, None) for chat in warm))
    before = len(api.calls)
    cpu, stand_cpu = _cpu_seconds(pid), time.process_time()
    started = time.perf_counter()
    chats = [FIRST_CHAT + n for n in range(PEOPLE)]
    await asyncio.gather(*(_person(api, chat, steps, run) for chat in chats))
    run.seconds = time.perf_counter() - started
    run.cpu = _cpu_seconds(pid) - cpu
    run.stand_cpu = time.process_time() - stand_cpu
    run.calls.update(c.method for c in api.calls[before:] if c.method not in SETUP)


def _threshold_command(url: str) -> list[str]:
    script = Path(sys.executable).with_name("threshold")  # the console script, as installed
    return [str(script), "run"]


async def runs() -> tuple[Run, Run | None]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DISCORD_"))}
    with tempfile.TemporaryDirectory(prefix="threshold-e2e-") as tmp:
        folder = Path(tmp)
        ours = await _measure(
            "Threshold `threshold run`",
            _threshold_command,
            {
                **base,
                "TELEGRAM_TOKEN": TOKEN,
                "TELEGRAM_SEND_RATE": str(UNCAPPED),
                "DATABASE_URL": f"sqlite:///{folder / 'e2e.db'}",
                "LOG_LEVEL": "WARNING",
            },
            THRESHOLD,
            folder,
        )
        if os.environ.get("BENCH_E2E_ONLY") == "threshold":  # to profile it: `py-spy top --pid`
            return ours, None
        plain = await _measure(
            "plain PTB ConversationHandler, in memory",
            lambda url: [sys.executable, "-m", "bench.plain_ptb_bot", TOKEN, url],
            {**base, "PYTHONPATH": str(ROOT)},
            PLAIN,
            folder,
        )
    return ours, plain


def _ms(values: list[float], q: float) -> float:
    if len(values) < 2:
        return float("nan")
    return statistics.quantiles(values, n=100)[int(q * 100) - 1] * 1000


def _rows(run: Run) -> list[Row]:
    turns = max(run.turns, 1)
    sends = sum(run.calls[m] for m in ("sendmessage", "senddocument", "sendphoto"))
    per = ", ".join(f"{m} {n / turns:.2f}" for m, n in run.calls.most_common())
    return [
        Row(f"e2e Telegram · {run.name}: turns/s ({PEOPLE} people × {TURNS})",
            f"{run.turns / run.seconds:,.0f}" if run.seconds else "—"),
        Row("  turn latency p50 / p99", f"{_ms(run.latencies, 0.5):,.0f} / "
            f"{_ms(run.latencies, 0.99):,.0f} ms"),
        Row("  CPU per turn (the bot's process)", f"{run.cpu / turns * 1000:.1f} ms"),
        Row("  CPU per turn of the stand-in and the people (for scale)",
            f"{run.stand_cpu / turns * 1000:.1f} ms"),
        Row("  API calls / new messages per turn",
            f"{sum(run.calls.values()) / turns:.2f} / {sends / turns:.2f}"),
        Row(f"  calls per turn: {per}", ""),
    ]  # fmt: skip


async def run() -> list[Row]:
    load = os.getloadavg()[0]
    ours, plain = await runs()
    rows = [Row("e2e Telegram · load average of the machine at the start", f"{load:.1f}")]
    rows += _rows(ours)
    if plain is None:
        return rows
    rows += _rows(plain)
    speed = (ours.turns / ours.seconds) / (plain.turns / plain.seconds)
    cpu = (ours.cpu / max(ours.turns, 1)) / (plain.cpu / max(plain.turns, 1))
    p99 = _ms(ours.latencies, 0.99)
    rows += [
        Row("e2e Telegram · Threshold ÷ plain PTB, turns/s", f"{speed:.2f}×", "≥ 1.0×",
            speed >= 1.0),
        Row("  CPU per turn, Threshold ÷ plain PTB", f"{cpu:.2f}×", "≤ 1.0×", cpu <= 1.0),
        Row("  Threshold turn latency p99, reply cap lifted", f"{p99:,.0f} ms", "< 1,000 ms",
            p99 < 1000),
        Row("  short turns (a next question never shown)", f"{ours.short} / {plain.short}",
            "0", ours.short == 0),
        *(Row(f"    {run.name}: short at turn {n}", f"{count}") for run in (ours, plain)
          for n, count in sorted(run.short_at.items())),
    ]  # fmt: skip
    return rows
