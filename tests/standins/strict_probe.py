"""Two tests for :mod:`tests.standins.test_refusals` to run in a pytest of their own: one leaves
a refused call behind, one expects it. Not part of the suite (the name does not start with
``test_``, so pytest collects it only when named on the command line)."""

from __future__ import annotations

import pytest
from aiohttp import ClientSession

from tests.standins.telegram_api import TOKEN, USER_ID, TelegramAPI


async def _send_with_an_unknown_field() -> None:
    async with TelegramAPI() as api, ClientSession() as session:
        form = {"chat_id": str(USER_ID), "text": "hi", "colour": "blue"}
        async with session.post(f"{api.url}/bot{TOKEN}/sendMessage", data=form) as response:
            assert response.status == 400


async def test_leaves_a_refusal_behind() -> None:
    await _send_with_an_unknown_field()


@pytest.mark.spec_refusals
async def test_expects_a_refusal() -> None:
    await _send_with_an_unknown_field()
