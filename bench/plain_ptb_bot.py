"""The baseline of ``bench/e2e_telegram.py``: a plain python-telegram-bot bot of the tutorial kind.

A ``ConversationHandler`` with eleven states holding the answers in ``user_data`` (in memory,
nothing durable), the way PTB's ``conversationbot.py`` and ``inlinekeyboard.py`` examples do it:
a typed answer gets the next question as a reply; a pressed button is answered
(``query.answer()``), its question edited to show the choice, and the next question sent. The
questions are Threshold's first eleven, so a person sees the same conversation on both bots.

Not part of the product: ``python -m bench.plain_ptb_bot TOKEN BASE_URL`` serves until killed.
No reply cap (PTB sends unthrottled when no rate limiter is set).
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

Context = ContextTypes.DEFAULT_TYPE

# (question, its buttons) in order; no buttons: a typed answer is expected.
QUESTIONS: list[tuple[str, list[str]]] = [
    ("Who is this about? A first name, a nickname or an initial is enough.", []),
    ("What kind of connection is it?", ["Romantic", "Friendship", "Family", "Work"]),
    ("What has shifted with Sam?", ["Their tone changed", "Growing distance", "Done"]),
    ("Does this feel like a one-off, or a pattern?", []),
    ("Is this connection still serving me?", ["Yes", "Partly", "No"]),
    ("Anything you'd like to note about that?", []),
    ("Is it reciprocal?", ["Yes", "Sometimes", "No"]),
    ("Who carries the effort, from 1 (all me) to 5 (all them)?", ["1", "2", "3", "4", "5"]),
    ("Anything about the give and take?", ["Skip"]),
    ("Am I staying because of love — or out of fear of being alone?", ["Love", "Fear"]),
    ("Thank you.", []),
]
SIGNALS = 2
"""The state whose buttons toggle (several may be chosen) until Done."""


def keyboard(state: int, chosen: set[str] | None = None) -> InlineKeyboardMarkup | None:
    labels = QUESTIONS[state][1]
    if not labels:
        return None
    marked = chosen or set()
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(("✓ " if label in marked else "") + label, callback_data=label)]
            for label in labels
        ]
    )


def ask(state: int) -> dict[str, Any]:
    return {"text": QUESTIONS[state][0], "reply_markup": keyboard(state)}


async def start(update: Update, context: Context) -> int:
    assert update.message is not None
    context.user_data.clear()  # type: ignore[union-attr]
    await update.message.reply_text(**ask(0))
    return 0


def typed(state: int) -> Any:
    async def handler(update: Update, context: Context) -> int:
        assert update.message is not None and context.user_data is not None
        context.user_data[state] = update.message.text
        await update.message.reply_text(**ask(state + 1))
        return state + 1

    return handler


def pressed(state: int) -> Any:
    async def handler(update: Update, context: Context) -> int:
        query = update.callback_query
        assert query is not None and query.message is not None and context.user_data is not None
        await query.answer()
        choice = str(query.data)
        if state == SIGNALS and choice != "Done":
            chosen: set[str] = context.user_data.setdefault("signals", set())
            chosen ^= {choice}
            await query.edit_message_reply_markup(keyboard(state, chosen))
            return state
        context.user_data[state] = choice
        await query.edit_message_text(f"{QUESTIONS[state][0]}\n\n→ {choice}")
        message = query.message
        assert isinstance(message, Message)  # the bot's own question, sent moments ago
        await message.reply_text(**ask(state + 1))
        return state + 1

    return handler


def build(token: str, base_url: str) -> Application[Any, Any, Any, Any, Any, Any]:
    states: dict[object, list[Any]] = {}
    for state, (_, labels) in enumerate(QUESTIONS[:-1]):
        if labels:
            states[state] = [CallbackQueryHandler(pressed(state))]
        else:
            states[state] = [MessageHandler(filters.TEXT & ~filters.COMMAND, typed(state))]
    # PTB's defaults, as in the examples: updates are handled one at a time (a
    # ConversationHandler with concurrent updates reads a person's state before their previous
    # turn has set it, and a quick second press lands on the wrong question).
    app = Application.builder().token(token).base_url(f"{base_url}/bot").build()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)  # per_message=False, as in the examples
        conversation = ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states=states,
            fallbacks=[CommandHandler("start", start)],
        )
    app.add_handler(conversation)
    return app


def main() -> None:
    token, base_url = sys.argv[1], sys.argv[2]
    build(token, base_url).run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
