"""What only the in-memory double does: it keeps rows as JSON, so non-JSON values fail."""

from __future__ import annotations

import pytest

from bot.memory.store import MemoryStore
from bot.ports.store import Due, TurnWrite, UserKey
from dialogs.model import State
from tests.support.chats import START


async def test_state_that_is_not_json_is_refused_like_the_real_store() -> None:
    store = MemoryStore()
    with pytest.raises(TypeError):
        await store.save(
            UserKey("t", "1"),
            TurnWrite(State(data={"when": START})),  # type: ignore[dict-item]  # not JSON, on purpose
            expected_version=0,
        )
    assert await store.load(UserKey("t", "1")) is None


async def test_loaded_state_is_a_copy_not_the_saved_object() -> None:
    store = MemoryStore()
    saved_state = State(data={"signals": ["tone"]})
    await store.save(UserKey("t", "1"), TurnWrite(saved_state), expected_version=0)
    loaded = await store.load(UserKey("t", "1"))
    assert loaded is not None and loaded.state == saved_state
    assert loaded.state is not saved_state and loaded.state.data is not saved_state.data


async def test_payload_that_is_not_json_is_refused() -> None:
    store = MemoryStore()
    with pytest.raises(TypeError):
        due = Due("k", "mantra", START, {"x": object()})  # type: ignore[dict-item]  # on purpose
        await store.save(UserKey("t", "1"), TurnWrite(State(), schedule=(due,)), expected_version=0)
