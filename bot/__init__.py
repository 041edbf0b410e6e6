"""Threshold's core service: settings, storage, the conversation service, and their wiring.

Imports :mod:`dialogs` and never a platform library; adapters import this package.
"""

from bot.conversations import EXPORT_FORMAT, Conversations
from bot.core import Core, open_core
from bot.errors import (
    ConfigError,
    MigrationError,
    StaleWrite,
    StoreError,
    StoreUnavailable,
    ThresholdError,
)
from bot.memory.store import MemoryStore
from bot.ports.store import (
    Address,
    AnswerRow,
    Due,
    FinishedRecord,
    HistoryPage,
    MantraSettings,
    MantraSubscription,
    RecordSummary,
    Saved,
    Store,
    TurnWrite,
    UserKey,
)
from bot.settings import Settings, load_settings
from bot.sqlite.store import SqliteStore

__all__ = [
    "EXPORT_FORMAT",
    "Address",
    "AnswerRow",
    "ConfigError",
    "Conversations",
    "Core",
    "Due",
    "FinishedRecord",
    "HistoryPage",
    "MantraSettings",
    "MantraSubscription",
    "MemoryStore",
    "MigrationError",
    "RecordSummary",
    "Saved",
    "Settings",
    "SqliteStore",
    "StaleWrite",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "ThresholdError",
    "TurnWrite",
    "UserKey",
    "load_settings",
    "open_core",
]
