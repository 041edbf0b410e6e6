"""Under load, every person gets every reply, once: the real bot (PTB's HTTP stack, the intake,
the webhook inbox or long polling, the core on an SQLite file) against the Bot API stand-in,
with three hundred people at once.

Not a timing test: nothing here asserts how fast; only that a turn under load delivers exactly
what the same turn delivers to one person on an idle bot — the same messages, the same calls,
each button press answered once.
"""

from __future__ import annotations

import asyncio
import collections
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.core import Core
from tests.standins.telegram_api import Call, Sent, TelegramAPI
from tests.support.telegram_bot import make_settings, running_bot

PEOPLE = 300
IDLE = 4_999_999
FIRST = 5_000_000
MENU = "Choose a schedule"
TIME_Q = "What time of day would you like it?"
WAIT = 120.0
"""Seconds everything may take on a slow machine."""
UNCAPPED = 100_000.0
"""``TELEGRAM_SEND_RATE`` here: the stand-in takes whatever comes (this is about what arrives,
not about the pace; at Telegram's 25 a second the same turns take a minute)."""
SETTLED = 0.5
"""Seconds without a call after which the bot is taken to have said everything."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=["polling", "webhook"])
async def bot(
    request: pytest.FixtureRequest, api: TelegramAPI, db_path: Path
) -> AsyncIterator[Core]:
    """The real bot, taking updates by long polling or through its webhook inbox."""
    hook: dict[str, object] = {}
    if request.param == "webhook":
        port = free_port()
        hook = {
            "telegram_webhook_url": f"http://127.0.0.1:{port}/telegram",
            "telegram_webhook_listen": f"127.0.0.1:{port}",
            "telegram_webhook_secret": "load-secret-" + "5" * 32,
        }
    async with running_bot(
        make_settings(api, db_path, telegram_send_rate=UNCAPPED, **hook), api
    ) as core:
        yield core


async def until(api: TelegramAPI, ready: Callable[[], bool], failure: Callable[[], str]) -> None:
    async with api._changed:
        try:
            await asyncio.wait_for(api._changed.wait_for(ready), WAIT)
        except TimeoutError:
            raise AssertionError(failure()) from None


async def everyone(
    api: TelegramAPI, chats: list[int], wanted: Callable[[Sent], bool]
) -> dict[int, Sent]:
    """The first message each chat got that ``wanted`` accepts, waiting until every chat has
    one (or failing, saying how many got nothing)."""
    found: dict[int, Sent] = {}
    seen = 0
    waiting = set(chats)

    def scan() -> bool:
        nonlocal seen
        calls = api.calls
        for call in calls[seen:]:
            sent = sent_of(call)
            fresh = sent is not None and sent.chat_id in waiting and sent.chat_id not in found
            if fresh and sent is not None and wanted(sent):
                found[sent.chat_id] = sent
        seen = len(calls)
        return len(found) == len(waiting)

    await until(api, scan, lambda: f"{len(waiting) - len(found)} of {len(waiting)} got nothing")
    return found


async def answered(api: TelegramAPI, queries: set[str]) -> None:
    """Wait until every one of ``queries`` was answered (the client stops spinning)."""

    def done() -> bool:
        return queries <= {str(c.params["callback_query_id"]) for c in _answers(api)}

    await until(api, done, lambda: "some presses were never answered")


async def settled(api: TelegramAPI) -> None:
    """Wait until the bot has made no call for :data:`SETTLED` seconds (a late duplicate
    would come in that time)."""
    while True:
        before = len(api.calls)
        await asyncio.sleep(SETTLED)
        if len(api.calls) == before:
            return


def _answers(api: TelegramAPI) -> list[Call]:
    return api.calls_to("answerCallbackQuery")


def sent_of(call: Call) -> Sent | None:
    sent = call.params.get("_sent")
    return sent if call.status == 200 and isinstance(sent, Sent) else None


def data(sent: Sent, label: str) -> str:
    return str(next(b["callback_data"] for b in sent.buttons if b["text"] == label))


def asks(words: str) -> Callable[[Sent], bool]:
    return lambda sent: words in (sent.text or "") and bool(sent.buttons)


def offers(label: str) -> Callable[[Sent], bool]:
    return lambda sent: label in sent.labels


def transcript(api: TelegramAPI, chat: int) -> list[tuple[str, str]]:
    """What the bot did in ``chat``: each call's method and the text it showed."""
    return [
        (c.method, str(c.params.get("text") or ""))
        for c in api.calls
        if c.params.get("chat_id") == chat
    ]


async def mantras_then_press(api: TelegramAPI, chats: list[int]) -> dict[str, int]:
    """Everyone sends /mantras, then everyone presses Choose a schedule at once, on the menu
    as it reached them (a tap on the keyboard they saw); every press's query id."""
    for chat in chats:
        api.send("/mantras", chat_id=chat)
    menus = await everyone(api, chats, offers(MENU))
    queries = {api.press_data(menus[chat], data(menus[chat], MENU)): chat for chat in chats}
    await everyone(api, chats, asks(TIME_Q))
    await answered(api, set(queries))
    return queries


async def test_300_people_pressing_their_first_mantras_button_at_once_get_what_one_idle_gets(
    bot: Core, api: TelegramAPI
) -> None:
    await mantras_then_press(api, [IDLE])
    await settled(api)
    idle = transcript(api, IDLE)
    # the greeting and the menu in one message, the menu answered in place, the next question
    assert [method for method, _ in idle] == ["sendmessage", "editmessagetext", "sendmessage"]

    chats = [FIRST + n for n in range(PEOPLE)]
    queries = await mantras_then_press(api, chats)
    await settled(api)

    different = [chat for chat in chats if transcript(api, chat) != idle]
    assert not different, f"{len(different)} of {PEOPLE} got other than one idle person gets"
    presses = collections.Counter(str(c.params["callback_query_id"]) for c in _answers(api))
    assert all(presses[q] == 1 for q in queries), "a press answered twice or not at all"
    assert [c.method for c in api.calls if c.status != 200] == []
    assert not api.refused


async def test_a_press_is_answered_while_its_next_question_still_waits_to_be_sent(
    bot: Core, api: TelegramAPI
) -> None:
    """Under the reply cap a busy moment's messages wait their turn; the press's answer (which
    Telegram refuses once it comes too late) does not wait behind them."""
    api.send("/mantras", chat_id=IDLE)
    (menu,) = (await everyone(api, [IDLE], offers(MENU))).values()
    held = api.hold("sendMessage")  # the next question cannot go out yet
    query = api.press_data(menu, data(menu, MENU))
    await api.next_call("answerCallbackQuery", callback_query_id=query)
    await asyncio.sleep(0.2)
    sent = [str(c.params.get("text")) for c in api.calls_to("sendMessage")]
    assert not any(TIME_Q in text for text in sent)  # held still: answered before it was sent
    held.release()
    (asked,) = (await everyone(api, [IDLE], asks(TIME_Q))).values()
    assert asked.labels[:2] == ["07:30", "09:00"]
