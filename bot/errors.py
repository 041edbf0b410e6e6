"""Every error the core raises on purpose, under one root.

```
ThresholdError
├── ConfigError          the environment or .env holds a value the bot cannot use
└── StoreError           anything about persisted data
    ├── StoreUnavailable the database cannot be opened, read or written (path in the message)
    ├── StaleWrite       someone else saved this conversation first (optimistic version check)
    └── MigrationError   the schema files cannot be applied, or the database is newer than the code
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


__all__ = [
    "ConfigError",
    "MigrationError",
    "StaleWrite",
    "StoreError",
    "StoreUnavailable",
    "ThresholdError",
]
