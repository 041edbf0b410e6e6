"""``replace`` for the dialog's frozen dataclasses, at a fraction of the cost.

A turn changes its :class:`~dialogs.model.State` three or four times (``replace(state, …)``), and
:func:`dataclasses.replace` calls ``__init__`` again with every one of State's thirty fields,
each set through ``object.__setattr__``: measured on the bench, about a third of a step. This
``replace`` copies the instance's fields and sets the changed ones directly, which is what
``__init__`` would leave behind for a plain frozen dataclass (no ``__post_init__``, no slots, no
``InitVar``); any other class goes to :func:`dataclasses.replace`. A name that is not a field
still fails, as it does there.

Type checkers see :func:`dataclasses.replace` itself, so every call is still checked against the
class's fields and their types.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeVar

T = TypeVar("T")

if TYPE_CHECKING:
    from dataclasses import replace as replace
else:
    _FIELDS: dict[type, frozenset[str] | None] = {}

    def _plain_fields(cls: type) -> frozenset[str] | None:
        """The init fields of a class this module may copy, or ``None`` (use dataclasses')."""
        if cls not in _FIELDS:
            params = getattr(cls, "__dataclass_params__", None)
            simple = (
                params is not None
                and params.frozen
                and not hasattr(cls, "__post_init__")
                and not hasattr(cls, "__slots__")
            )
            fields = dataclasses.fields(cls) if simple else ()
            if any(not f.init or isinstance(f.type, dataclasses.InitVar) for f in fields):
                simple = False
            _FIELDS[cls] = frozenset(f.name for f in fields) if simple else None
        return _FIELDS[cls]

    def replace(obj: T, /, **changes: Any) -> T:
        names = _plain_fields(type(obj))
        if names is None:
            return dataclasses.replace(obj, **changes)
        if not names.issuperset(changes):
            unknown = ", ".join(sorted(set(changes) - names))
            raise TypeError(
                f"{type(obj).__name__}.__init__() got an unexpected keyword argument {unknown}"
            )
        new = object.__new__(type(obj))
        values = new.__dict__
        values.update(obj.__dict__)
        values.update(changes)
        return new
