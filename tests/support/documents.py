"""Reading a JSON document (an export, a state's ``data``) in a test, step by step.

A value of the model's :data:`~dialogs.model.JSON` type may be any JSON; indexing it as an
object or a list is only meaningful once the test has checked it is one. These helpers check
(an ``AssertionError`` names the value that was not) and hand back the narrowed value, so a test
reads ``dig(doc, "user", "unreachable")`` instead of silencing the type checker.
"""

from __future__ import annotations

from dialogs.model import JSON

__all__ = ["dig", "items", "obj", "strings"]


def obj(value: JSON) -> dict[str, JSON]:
    """``value``, which must be a JSON object."""
    assert isinstance(value, dict), f"not a JSON object: {value!r}"
    return value


def items(value: JSON) -> list[JSON]:
    """``value``, which must be a JSON list."""
    assert isinstance(value, list), f"not a JSON list: {value!r}"
    return value


def strings(value: JSON) -> list[str]:
    """``value``, which must be a JSON list of strings."""
    texts = items(value)
    assert all(isinstance(text, str) for text in texts), f"not a list of strings: {value!r}"
    return [text for text in texts if isinstance(text, str)]


def dig(doc: JSON, *path: str | int) -> JSON:
    """The value at ``path`` in ``doc``: a name steps into an object, a number into a list."""
    for step in path:
        doc = obj(doc)[step] if isinstance(step, str) else items(doc)[step]
    return doc
