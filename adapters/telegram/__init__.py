"""The Telegram adapter: the whole product in a Telegram private chat.

Same shape as every adapter: pure translation (:mod:`adapters.telegram.translate`), a sender
that puts replies on screen (:mod:`adapters.telegram.sender`), and a small runner
(:mod:`adapters.telegram.runner`). There is no dialog logic here.
"""

from adapters.telegram.runner import (
    ALLOWED_UPDATES,
    PLATFORM,
    Webhook,
    build_application,
    deliverer,
    run_telegram,
    webhook_config,
)
from adapters.telegram.sender import Outbox, Shown, TelegramDeliverer
from adapters.telegram.translate import (
    answered_text,
    bot_commands,
    group_reply,
    keyboard,
    split_text,
    to_event,
    to_send_kwargs,
)

__all__ = [
    "ALLOWED_UPDATES",
    "PLATFORM",
    "Outbox",
    "Shown",
    "TelegramDeliverer",
    "Webhook",
    "answered_text",
    "bot_commands",
    "build_application",
    "deliverer",
    "group_reply",
    "keyboard",
    "run_telegram",
    "split_text",
    "to_event",
    "to_send_kwargs",
    "webhook_config",
]
