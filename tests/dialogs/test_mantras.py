"""The mantra rotation: every line once per round, in an order that differs between people."""

from __future__ import annotations

import itertools

import pytest

from dialogs import Script, next_mantra


def draw(count: int, times: int, salt: str, seen: tuple[int, ...] = ()) -> list[int]:
    picks = []
    for _ in range(times):
        pick, seen = next_mantra(count, seen, salt)
        picks.append(pick)
    return picks


@pytest.mark.parametrize("count", [2, 3, 7, 21])
def test_no_line_repeats_until_all_were_seen(count: int) -> None:
    picks = draw(count, count, "2025-03-01T09:00:00+00:00")
    assert sorted(picks) == list(range(count))


@pytest.mark.parametrize("count", [2, 3, 7, 21])
def test_every_round_is_a_full_rotation(count: int) -> None:
    picks = draw(count, count * 5, "salt")
    for start in range(0, len(picks), count):
        assert sorted(picks[start : start + count]) == list(range(count))


@pytest.mark.parametrize("count", [2, 3, 7, 21])
@pytest.mark.parametrize("salt", ["a", "b", "p1", "2025-03-01T09:00:00+00:00"])
def test_no_line_repeats_across_the_boundary_of_two_rounds(count: int, salt: str) -> None:
    picks = draw(count, count * 6, salt)
    for before, after in itertools.pairwise(picks):
        assert before != after


def test_the_rotation_carries_on_from_what_was_seen() -> None:
    pick, seen = next_mantra(4, (2, 0), "salt")
    assert pick in {1, 3}
    assert seen == (2, 0, pick)


def test_a_new_round_starts_when_all_were_seen() -> None:
    pick, seen = next_mantra(3, (2, 0, 1), "salt")
    assert pick in {0, 2}
    assert seen == (pick,)


def test_different_salts_give_different_orders() -> None:
    orders = {tuple(draw(21, 21, f"person-{n}")) for n in range(10)}
    assert len(orders) >= 9


def test_the_same_salt_gives_the_same_order() -> None:
    assert draw(21, 21, "same") == draw(21, 21, "same")


def test_a_single_line_is_picked_every_time() -> None:
    assert draw(1, 4, "salt") == [0, 0, 0, 0]


def test_lines_removed_from_the_content_are_forgotten_from_the_rotation() -> None:
    pick, seen = next_mantra(3, (7, 1, 25), "salt")
    assert pick in {0, 2}
    assert seen == (1, pick)


def test_no_lines_at_all_is_a_programmer_error() -> None:
    with pytest.raises(ValueError, match="no mantras"):
        next_mantra(0, (), "salt")


def test_the_packaged_lines_rotate_through_all_of_them(script: Script) -> None:
    count = len(script.mantras)
    shown = [script.mantras[i] for i in draw(count, count, "p1")]
    assert sorted(shown) == sorted(script.mantras)
