"""Floods through the real PTB stack against the stand-in: one person's 200 messages, a burst of
button presses, and 300 commands in a group, each while someone else asks for /help."""

from __future__ import annotations

import asyncio

from bot.core import Core
from tests.standins.telegram_api import USER_ID, TelegramAPI
from tests.support.telegram_bot import Person

OTHER = 777001
HELP = "Here is what I can do"
ONE_MOMENT = "One moment"


def texts_to(api: TelegramAPI, chat_id: int) -> list[str]:
    return [
        str(c.params.get("text") or "")
        for c in api.calls
        if c.method == "sendmessage" and c.params.get("chat_id") == chat_id and c.status == 200
    ]


def calls_into(api: TelegramAPI, chat_id: int) -> int:
    return sum(1 for c in api.calls if c.params.get("chat_id") == chat_id)


async def settled(api: TelegramAPI, seconds: float = 0.5) -> None:
    """Until the bot has made no call for ``seconds``."""
    seen = -1
    while seen != len(api.calls):
        seen = len(api.calls)
        await asyncio.sleep(seconds)


async def test_one_person_flooding_200_messages_does_not_hold_up_anothers_help(
    bot: Core, api: TelegramAPI
) -> None:
    flooder = Person(api)
    await flooder.type("/start", "Who is this about?")
    for n in range(200):
        api.send(f"message {n:03d} of a forwarded burst " + "." * 60)
    api.send("/help", chat_id=OTHER)
    helped = await api.next_message(OTHER, within=10)
    assert HELP in (helped.text or "")
    await settled(api)
    said = texts_to(api, USER_ID)
    assert calls_into(api, USER_ID) < 40  # a few merged turns, not ~600 calls into one chat
    assert sum(ONE_MOMENT in text for text in said) <= 1  # said once, if at all
    assert bot.store is not None


async def test_a_burst_of_presses_gets_one_turn_and_a_toast_for_the_rest(
    bot: Core, api: TelegramAPI, person: Person
) -> None:
    question = await person.type("/start", "Who is this about?")
    queries = [api.press(question, "Skip") for _ in range(40)]
    api.send("/help", chat_id=OTHER)
    helped = await api.next_message(OTHER, within=10)
    assert HELP in (helped.text or "")
    answered = [await api.next_call("answerCallbackQuery", callback_query_id=q) for q in queries]
    toasts = [str(a.params.get("text") or "") for a in answered]
    assert sum(ONE_MOMENT in t for t in toasts) >= 30  # the rest were not turns
    await settled(api)
    assert calls_into(api, USER_ID) < 40


async def test_three_hundred_group_commands_are_answered_once(bot: Core, api: TelegramAPI) -> None:
    group = api.group()
    for _ in range(300):
        api.send("/start@threshold_test_bot", chat_id=group, user_id=USER_ID)
    api.send("/help", chat_id=OTHER)
    helped = await api.next_message(OTHER, within=10)
    assert HELP in (helped.text or "")
    await settled(api)
    assert len(texts_to(api, group)) == 1
