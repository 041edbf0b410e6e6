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


def test_no_error_class_is_defined_outside_the_one_tree() -> None:
    """Every exception of bot/ and adapters/ is defined in bot/errors.py (an adapter may keep a
    private one that never leaves its module, named with a leading underscore)."""
    import ast
    from pathlib import Path

    root = Path(errors.__file__).resolve().parents[1]
    outside = []
    for folder in ("bot", "adapters"):
        for path in (root / folder).rglob("*.py"):
            if path == Path(errors.__file__).resolve():
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                    named = (b for b in bases if b.endswith(("Error", "Exception")))
                    if any(named) or bases & set(errors.__all__):
                        outside.append(f"{path.relative_to(root)}: {node.name}")
    assert outside == []


def test_delivery_errors_share_a_parent() -> None:
    for error in (errors.RecipientUnreachable, errors.DeliveryFailed):
        assert issubclass(error, errors.DeliveryError)
    assert issubclass(errors.EncryptedDataUnreadable, errors.StoreUnavailable)
