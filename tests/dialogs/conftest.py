"""What the dialog tests share: the packaged script, a :class:`~tests.support.machine.Chat`
that feeds ``step()`` by hand, and states built at a node (``tests/support/machine.py``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dialogs import Script, State, load_script
from tests.support.machine import Chat, at_node


@pytest.fixture(scope="session")
def script() -> Script:
    return load_script()


@pytest.fixture
def chat(script: Script) -> Chat:
    return Chat(script)


@pytest.fixture(name="at_node")
def at_node_fixture() -> Callable[..., State]:
    """``at_node("reflect.kind", data={...})``: see :func:`at_node`."""
    return at_node
