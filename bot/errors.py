"""Every error the core raises on purpose, under one root.

```
ThresholdError
├── ConfigError                  the environment or .env holds a value the bot cannot use
├── StoreError                   anything about persisted data
│   ├── StoreUnavailable         the database cannot be opened, read or written (path in message)
│   │   └── EncryptedDataUnreadable  a sealed value: no key, the wrong key, or not its own cell
│   ├── StaleWrite               someone else saved this conversation first (version check)
│   ├── MigrationError           the schema cannot be applied, or the database is newer
│   └── MoveRefused              threshold migrate-db did not move (or rolled back): nothing changed
└── DeliveryError                a message the bot speaks first could not be delivered
    ├── RecipientUnreachable     the person blocked the bot, closed their DMs, left
    └── DeliveryFailed           the platform refused or failed it for now; later may work
```

Messages are plain sentences meant to be shown to whoever runs the bot (never a traceback);
none of them carries message text or answers a person typed.
"""

from __future__ import annotations


class ThresholdError(Exception):
    """Root of every error Threshold raises on purpose."""


class ConfigError(ThresholdError):
    """A setting is missing or malformed."""


class StoreError(ThresholdError):
    """Something went wrong with persisted data."""


class StoreUnavailable(StoreError):
    """The database cannot be opened, read or written right now."""


class StaleWrite(StoreError):
    """The conversation was saved by someone else since it was loaded; reload and retry."""


class MigrationError(StoreError):
    """The schema cannot be brought up to date."""


class MoveRefused(StoreError):
    """``threshold migrate-db`` was not started, or was rolled back: nothing changed."""


class EncryptedDataUnreadable(StoreUnavailable):
    """A stored value cannot be opened: sealed under another key (rotated while this process
    ran), altered, moved from another row, or plain where the database is encrypted."""


class DeliveryError(ThresholdError):
    """A message the bot sends unprompted (a mantra, a reminder) was not delivered."""


class RecipientUnreachable(DeliveryError):
    """The person cannot be reached any more (they blocked the bot, closed their DMs, left)."""


class DeliveryFailed(DeliveryError):
    """The platform refused or failed the delivery for now; trying again later may work."""


__all__ = [
    "ConfigError",
    "DeliveryError",
    "DeliveryFailed",
    "EncryptedDataUnreadable",
    "MigrationError",
    "MoveRefused",
    "RecipientUnreachable",
    "StaleWrite",
    "StoreError",
    "StoreUnavailable",
    "ThresholdError",
]
