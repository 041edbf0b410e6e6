"""The ``threshold`` command, run as a person runs it: the installed script in a subprocess.

A :class:`Terminal` reads what the chat prints and answers as a person would: it types the number
of a choice when choices are shown and a few words when words are asked for. The flow's exact
questions belong to ``dialogs/``; these tests only rely on what the console prints for any flow.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import queue
import select
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from adapters import cli
from adapters.cli import (
    NO_ENV_HINT,
    NO_TOKENS_HINT,
    PLATFORMS,
    Platform,
    configured_platforms,
    main,
)
from bot.core import Core
from bot.errors import ConfigError
from bot.settings import Settings
from tests.support.services import CHOICE, HINT, answer
from tests.support.words import GOODBYE

SCRIPT = Path(sys.executable).with_name("threshold")
QUESTIONS = (
    "Is this connection still serving me?",
    "Is it reciprocal?",
    "Am I staying because of love — or out of fear of being alone?",
)
TIMEOUT = 30.0


class Terminal:
    """A ``threshold`` process on pipes, read line by line on a thread."""

    def __init__(self, *args: str, env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            [str(SCRIPT), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            text=True,
            encoding="utf-8",
        )
        self.transcript: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def read_turn(self, *, settle: float = 1.0) -> list[str]:
        """Lines up to the end of a question (its hint line), or until the output ends or
        stays quiet for ``settle`` seconds after something was printed."""
        lines: list[str] = []
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                wait = settle if lines else max(0.01, deadline - time.monotonic())
                line = self._lines.get(timeout=wait)
            except queue.Empty:
                if lines:
                    break
                continue
            if line is None:
                self._lines.put(None)  # stay at the end for later reads
                break
            lines.append(line)
            self.transcript.append(line)
            if HINT.match(line):
                break
        else:
            pytest.fail(f"the chat printed nothing for {TIMEOUT}s:\n{self.text}")
        return lines

    def send(self, line: str) -> list[str]:
        assert self.process.stdin is not None
        self.transcript.append(f">>> {line}")
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.read_turn()

    def close(self) -> tuple[int, str]:
        """End the input (Ctrl-D); returns the exit status and what went to stderr."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        while (line := self._lines.get(timeout=TIMEOUT)) is not None:
            self.transcript.append(line)
        self._lines.put(None)
        status = self.process.wait(timeout=TIMEOUT)
        assert self.process.stderr is not None
        return status, self.process.stderr.read()

    @property
    def text(self) -> str:
        return "\n".join(self.transcript)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of someone who has set nothing up: no tokens, no log level."""
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN") and k != "LOG_LEVEL"}
    clean["DATABASE_URL"] = f"sqlite:///{tmp_path / 'data' / 'threshold.db'}"
    clean["PYTHONIOENCODING"] = "utf-8"
    return clean


RUNNING: list[Terminal] = []


@pytest.fixture(autouse=True)
def _no_chat_left_running() -> Iterator[None]:
    yield
    while RUNNING:
        process = RUNNING.pop().process
        if process.poll() is None:
            process.kill()
            process.wait(timeout=TIMEOUT)


def start(*args: str, env: dict[str, str], cwd: Path) -> Terminal:
    if not SCRIPT.exists():
        pytest.fail(f"{SCRIPT} is missing: install the project (make test does) first")
    RUNNING.append(Terminal(*args, env=env, cwd=cwd))
    return RUNNING[-1]


def reflect_to_the_end(chat: Terminal, first: list[str], database: Path) -> None:
    """Answer until the reflection is stored (its summary is then on screen)."""
    lines = first
    previous: list[str] = []
    for _ in range(80):
        lines, previous = chat.send(answer(lines, previous)), lines
        if stored(database, "SELECT count(*) FROM records") != [(0,)]:
            return
    pytest.fail("the reflection was not stored after 80 answers:\n" + chat.text)


def stored(database: Path, sql: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(database)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


# --------------------------------------------------------------------------------------------
# A whole reflection


def test_a_whole_reflection_in_the_terminal(tmp_path: Path, env: dict[str, str]) -> None:
    chat = start("chat", env=env, cwd=tmp_path)
    database = tmp_path / "data" / "threshold.db"
    reflect_to_the_end(chat, chat.read_turn(), database)
    status, stderr = chat.close()

    assert (status, stderr) == (0, "")
    for question in QUESTIONS:
        assert question in chat.text, f"missing {question!r}:\n{chat.text}"
    assert chat.transcript[-1] == GOODBYE
    assert stored(database, "SELECT kind FROM records") == [("reflection",)]
    questions = {row[0] for row in stored(database, "SELECT question FROM answers")}
    assert {"kind", "signals", "serving", "reciprocal", "love_or_fear", "decision"} <= questions


# --------------------------------------------------------------------------------------------
# `threshold run`


def test_run_with_an_env_file_but_no_tokens_says_how_to_add_them_and_opens_the_terminal_chat(
    tmp_path: Path, env: dict[str, str]
) -> None:
    (tmp_path / ".env").write_text("# no tokens yet\n", encoding="utf-8")
    chat = start("run", env=env, cwd=tmp_path)
    greeting = chat.read_turn()
    status, stderr = chat.close()

    assert greeting[0] == NO_TOKENS_HINT
    assert [line for line in chat.transcript if "TOKEN" in line] == [NO_TOKENS_HINT]
    assert any(HINT.match(line) for line in greeting), "no question after the hint"
    assert (status, stderr) == (0, "")


def test_run_with_no_env_file_at_all_says_there_is_none_not_that_it_lacks_tokens(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """With no .env at all, the start says there is none, not that it lacks tokens."""
    chat = start("run", env=env, cwd=tmp_path)
    greeting = chat.read_turn()
    status, _ = chat.close()

    assert greeting[0] == NO_ENV_HINT
    assert "in .env" not in greeting[0]
    assert status == 0


UNBUILT = [p for p in PLATFORMS if p.start is None]


@pytest.mark.skipif(not UNBUILT, reason="every platform has an adapter in this build")
@pytest.mark.parametrize("platform", UNBUILT, ids=[p.name for p in UNBUILT])
def test_run_with_a_token_for_a_platform_not_in_this_build_says_so(
    tmp_path: Path, env: dict[str, str], platform: Platform
) -> None:
    env_var = platform.env_var
    done = run_once("run", env={**env, env_var: "123:secret"}, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert env_var in done.stderr and "adapter" in done.stderr
    assert "123:secret" not in done.stderr


# --------------------------------------------------------------------------------------------
# Failing plainly


def run_once(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        input="",
        capture_output=True,
        env=env,
        cwd=cwd,
        text=True,
        encoding="utf-8",
        timeout=TIMEOUT,
        check=False,
    )


def unopenable_databases(tmp_path: Path) -> dict[str, str]:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    a_folder = tmp_path / "a-folder.db"
    a_folder.mkdir()
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not an SQLite database at all" * 200)
    return {
        "under a file": f"sqlite:///{a_file / 'threshold.db'}",
        "a folder": f"sqlite:///{a_folder}",
        "not sqlite": f"sqlite:///{garbage}",
    }


@pytest.mark.parametrize("case", ["under a file", "a folder", "not sqlite"])
def test_a_database_that_cannot_be_opened_is_one_line_and_exit_1(
    tmp_path: Path, env: dict[str, str], case: str
) -> None:
    url = unopenable_databases(tmp_path)[case]
    for command in ("chat", "run"):
        done = run_once(command, env={**env, "DATABASE_URL": url}, cwd=tmp_path)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        assert len(done.stderr.splitlines()) == 1, done.stderr
        assert done.stderr.startswith("threshold: ")


@pytest.mark.parametrize(
    ("name", "value"),
    [("DATABASE_URL", "mysql://localhost/threshold"), ("LOG_LEVEL", "LOUD")],
)
def test_a_setting_that_cannot_be_used_is_one_line_and_exit_1(
    tmp_path: Path, env: dict[str, str], name: str, value: str
) -> None:
    done = run_once("chat", env={**env, name: value}, cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert name in done.stderr


@pytest.mark.parametrize(
    "url", ["postgresql://127.0.0.1:1/threshold", "postgresql://nobody:secret@127.0.0.1:1/x"]
)
def test_a_postgresql_server_that_does_not_answer_is_one_line_without_the_password(
    tmp_path: Path, env: dict[str, str], url: str
) -> None:
    done = run_once("chat", env={**env, "DATABASE_URL": url}, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "secret" not in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(
        "threshold: Cannot open the database at postgresql://127.0.0.1:1/"
    )


def test_an_unknown_subcommand_shows_usage(tmp_path: Path, env: dict[str, str]) -> None:
    done = run_once("dance", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "usage: threshold" in done.stderr
    assert "Traceback" not in done.stderr


# --------------------------------------------------------------------------------------------
# Bad input: each gets an answer, and the chat goes on


BAD_INPUTS = {
    "empty line": "",
    "10,000 characters": "x" * 10_000,
    "control characters": "bell\x07 back\x08 escape\x1b[31m nul\x00 end",
    "right-to-left text": "\u202e\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
    "emoji only": "🙂🌧️💔",
    "unknown command": "/frobnicate now",
}


@pytest.mark.parametrize("bad", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_gets_an_answer_and_the_chat_goes_on(
    tmp_path: Path, env: dict[str, str], bad: str
) -> None:
    chat = start("chat", env=env, cwd=tmp_path)
    chat.read_turn()  # the first question takes typed words (who it is about)

    answered = chat.send(bad)
    assert any(line.strip() for line in answered), f"no answer at a typed question:\n{chat.text}"
    if not offers_choices(answered):
        answered = chat.send("Sam")
    assert offers_choices(answered), chat.text  # the kind of connection

    answered = chat.send(bad)
    assert any(line.strip() for line in answered), f"no answer at a choice:\n{chat.text}"
    assert offers_choices(answered), "the question with choices was not asked again"
    moved_on = chat.send("2")
    status, stderr = chat.close()

    assert any(line.startswith("  → ") for line in moved_on), chat.text
    assert (status, stderr) == (0, ""), chat.text
    assert "Sorry, something went wrong" not in chat.text
    assert chat.transcript[-1] == GOODBYE


def offers_choices(lines: list[str]) -> bool:
    """Whether the last message printed offers choices beyond a Skip."""
    last = len(lines) - 1 - lines[::-1].index("") if "" in lines else 0
    return sum(1 for line in lines[last:] if CHOICE.match(line)) > 1


def test_output_closed_early_ends_the_chat_quietly(tmp_path: Path, env: dict[str, str]) -> None:
    # `threshold chat | head -3`: the reader goes away while the chat still has things to say.
    process = subprocess.Popen(
        [str(SCRIPT), "chat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    assert process.stdout is not None and process.stdin is not None
    process.stdout.readline()
    process.stdout.close()
    with contextlib.suppress(BrokenPipeError):
        process.stdin.write(b"Sam\n1\n/help\n")
        process.stdin.close()
    assert process.wait(timeout=TIMEOUT) == 0
    assert process.stderr is not None
    assert process.stderr.read().decode() == ""


# --------------------------------------------------------------------------------------------
# A real terminal, and Ctrl-C


def test_in_a_terminal_it_prompts_and_ctrl_c_ends_it_cleanly(
    tmp_path: Path, env: dict[str, str]
) -> None:
    try:
        controller, terminal = pty.openpty()
    except OSError as exc:  # no pseudo-terminals in this container
        pytest.skip(f"cannot open a pseudo-terminal: {exc}")
    process = subprocess.Popen(
        [str(SCRIPT), "chat"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        cwd=tmp_path,
    )
    os.close(terminal)
    try:
        shown = read_pty(controller, until="> ")
        os.write(controller, b"Sam\n")
        shown += read_pty(controller, until="> ")
        process.send_signal(signal.SIGINT)
        shown += read_pty(controller, until=GOODBYE)
        status = process.wait(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)

    assert status == 0, shown
    assert "Traceback" not in shown and "KeyboardInterrupt" not in shown
    assert shown.count("\n> ") >= 2, shown  # a prompt for each line typed
    assert shown.rstrip().endswith(GOODBYE)


def read_pty(fd: int, *, until: str) -> str:
    """What the terminal shows, up to and including ``until`` (or whatever came by the timeout)."""
    seen = b""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and until not in seen.decode("utf-8", "replace"):
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:  # the other end closed
                break
    return seen.decode("utf-8", "replace").replace("\r\n", "\n")


# --------------------------------------------------------------------------------------------
# How platforms plug in (in-process: the table, with starters standing in for adapters)


def settings_with(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_no_token_means_no_platform() -> None:
    assert configured_platforms(settings_with(telegram_token="", discord_token=" ")) == []


@pytest.fixture
def quiet_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory without .env, no tokens, and a database under ``tmp_path``."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_TOKEN", "DISCORD_TOKEN", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    database = tmp_path / "data" / "threshold.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    return database


def test_run_starts_every_configured_platform_on_one_core(
    quiet_place: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[tuple[str, Core]] = []

    def starter(name: str) -> cli.Starter:
        async def start(core: Core) -> None:
            started.append((name, core))

        return start

    monkeypatch.setattr(
        cli,
        "PLATFORMS",
        tuple(replace(p, start=starter(p.name)) for p in PLATFORMS),
    )
    monkeypatch.setenv("TELEGRAM_TOKEN", "123:abc")
    monkeypatch.setenv("DISCORD_TOKEN", "xyz")

    assert main(["run"]) == 0
    assert sorted(name for name, _ in started) == ["Discord", "Telegram"]
    assert started[0][1] is started[1][1]
    assert capsys.readouterr().out == ""  # no terminal chat, no hint


def test_a_platform_that_fails_to_start_is_one_line_and_exit_1(
    quiet_place: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def refused(core: Core) -> None:
        raise ConfigError("TELEGRAM_TOKEN was refused by Telegram.")

    async def serving(core: Core) -> None:
        await asyncio.sleep(3600)

    monkeypatch.setattr(
        cli,
        "PLATFORMS",
        (
            Platform("Telegram", "telegram_token", "TELEGRAM_TOKEN", start=refused),
            Platform("Discord", "discord_token", "DISCORD_TOKEN", start=serving),
        ),
    )
    monkeypatch.setenv("TELEGRAM_TOKEN", "123:abc")
    monkeypatch.setenv("DISCORD_TOKEN", "xyz")

    assert main(["run"]) == 1
    assert capsys.readouterr().err == "threshold: TELEGRAM_TOKEN was refused by Telegram.\n"


def test_the_terminal_chat_never_loads_a_platform_library() -> None:
    probe = (
        "import sys, adapters.cli, adapters.console; "
        "print(sorted(m for m in ('telegram', 'discord') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=TIMEOUT
    )
    assert done.stdout.strip() == "[]"
