"""Refused calls fail the test that made them (``tests/conftest.py``), unless it expected them;
``STANDIN_SPEC`` loosens that. The strict check is seen from outside: a pytest of its own runs
:mod:`tests.standins.strict_probe`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import ClientSession

from tests.standins.refusals import REFUSALS, RefusalLog
from tests.standins.telegram_api import TOKEN, USER_ID, TelegramAPI

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("strict_probe.py")


def run_probe(mode: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STANDIN_SPEC": mode}
    command = [sys.executable, "-m", "pytest", str(PROBE), "-o", "addopts=", "-rA"]
    command += ["-p", "no:cacheprovider"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_a_refusal_nobody_expected_fails_the_test_that_caused_it() -> None:
    result = run_probe("strict")

    assert result.returncode == 1, result.stdout
    assert "ERROR at teardown of test_leaves_a_refusal_behind" in result.stdout
    assert "the stand-ins refused calls the API spec does not allow" in result.stdout
    assert "telegram sendMessage: Bad Request: colour is not a parameter of sendMessage" in (
        result.stdout
    )
    assert "PASSED tests/standins/strict_probe.py::test_expects_a_refusal" in result.stdout


def test_in_check_mode_a_refusal_is_answered_but_fails_nothing() -> None:
    result = run_probe("check")

    assert result.returncode == 0, result.stdout
    assert "2 passed" in result.stdout


async def test_with_checking_off_the_stand_in_takes_an_unknown_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(REFUSALS, "mode", "off")
    async with TelegramAPI() as api, ClientSession() as session:
        form = {"chat_id": str(USER_ID), "text": "hi", "colour": "blue"}
        async with session.post(f"{api.url}/bot{TOKEN}/sendMessage", data=form) as response:
            assert response.status == 200

    assert api.refused == []
    assert REFUSALS.refused == []


def test_an_unknown_mode_is_refused_with_the_ones_there_are() -> None:
    with pytest.raises(ValueError, match="STANDIN_SPEC must be one of strict, check, off"):
        RefusalLog("loose")
