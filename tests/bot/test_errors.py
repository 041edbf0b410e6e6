"""Every deliberate error sits under ThresholdError, as the module's drawing says."""

from __future__ import annotations

import bot.errors as errors


def test_every_error_is_a_threshold_error_and_is_drawn() -> None:
    for name in errors.__all__:
        error = getattr(errors, name)
        assert issubclass(error, errors.ThresholdError)
        assert name in (errors.__doc__ or "")


def test_store_errors_share_a_parent() -> None:
    for error in (errors.StoreUnavailable, errors.StaleWrite, errors.MigrationError):
        assert issubclass(error, errors.StoreError)
    assert not issubclass(errors.ConfigError, errors.StoreError)
