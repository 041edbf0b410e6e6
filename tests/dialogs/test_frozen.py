"""``dialogs.frozen.replace``: what :func:`dataclasses.replace` gives, faster for the dialog's
plain frozen dataclasses, and the same checks."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogs.frozen import replace
from dialogs.model import Reply, State

NAMES = st.text(alphabet="abcdefghij._", min_size=1, max_size=12)


@given(
    node=st.none() | NAMES,
    ask=st.integers(0, 10_000),
    trail=st.lists(NAMES, max_size=4).map(tuple),
    data=st.dictionaries(NAMES, st.integers() | NAMES, max_size=4),
    gentle=st.booleans(),
)
def test_a_state_replaced_equals_what_dataclasses_replace_makes(
    node: str | None, ask: int, trail: tuple[str, ...], data: dict[str, object], gentle: bool
) -> None:
    before = State(flow="reflect", node="reflect.kind", ask=3, heard=("a",))
    changes = {"node": node, "ask": ask, "trail": trail, "data": data, "gentle": gentle}
    fast, slow = replace(before, **changes), dataclasses.replace(before, **changes)  # type: ignore[arg-type]
    assert fast == slow and repr(fast) == repr(slow)
    assert type(fast) is State and fast is not before
    assert before == State(flow="reflect", node="reflect.kind", ask=3, heard=("a",))


def test_a_replaced_state_is_still_frozen() -> None:
    state = replace(State(), node="reflect.kind")
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.node = "x"  # type: ignore[misc]


def test_a_misspelled_field_is_refused_as_dataclasses_would() -> None:
    with pytest.raises(TypeError, match="nodee"):
        replace(State(), nodee="x")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        dataclasses.replace(State(), nodee="x")  # type: ignore[call-arg]


@dataclass(frozen=True)
class _Checked:
    value: int
    double: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "double", self.value * 2)


@dataclass(frozen=True, slots=True)
class _Slotted:
    value: int


def test_a_class_with_post_init_or_slots_goes_to_dataclasses_replace() -> None:
    assert replace(_Checked(1), value=5).double == 10
    assert replace(_Slotted(1), value=5) == _Slotted(5)
    assert replace(Reply("hi"), text="hello") == Reply("hello")
