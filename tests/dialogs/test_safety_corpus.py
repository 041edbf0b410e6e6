"""The labelled corpus in tests/dialogs/safety_corpus/: its shape, and the tuning part's figures.

``tuning.toml`` is what the rules and the sentence model are trained on: what the rules
notice in a ``concern`` there is its category's kind, and its look-alikes (``none``) are noticed
at most 15% of the time.
``held_out.toml`` is never tuned on; only its shape is checked here (each category has messages
in both parts), and ``make bench`` reports how the rules read it, once per batch.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from dialogs.safety import assess
from dialogs.script import Script

CORPUS = Path(__file__).parent / "safety_corpus"
PARTS = ("tuning", "held_out")
EVERYDAY = "everyday"  # ordinary messages, look-alikes of nothing in particular
FALSE_POSITIVE_CEILING = 0.15


def _part(name: str) -> dict[str, dict[str, list[str]]]:
    data: dict[str, Any] = tomllib.loads((CORPUS / f"{name}.toml").read_text("utf-8"))
    return data


@pytest.fixture(scope="module", name="parts")
def _parts() -> dict[str, dict[str, dict[str, list[str]]]]:
    return {name: _part(name) for name in PARTS}


def test_every_category_has_concerns_and_look_alikes_in_both_parts(
    script: Script, parts: dict[str, dict[str, dict[str, list[str]]]]
) -> None:
    ids = {c.id for c in script.safety.categories}
    for name, part in parts.items():
        assert set(part) == ids | {EVERYDAY}, f"{name}: tables must be the categories"
        for category in ids:
            assert part[category].get("concern"), f"{name}: {category} has no concerns"
            assert part[category].get("none"), f"{name}: {category} has no look-alikes"
        assert part[EVERYDAY].get("none") and not part[EVERYDAY].get("concern")


def test_the_corpus_is_big_enough_and_no_held_out_message_is_also_in_tuning(
    parts: dict[str, dict[str, dict[str, list[str]]]],
) -> None:
    messages = {
        name: [
            m for table in part.values() for key in ("concern", "none") for m in table.get(key, [])
        ]
        for name, part in parts.items()
    }
    assert sum(len(m) for m in messages.values()) >= 400
    assert len(messages["held_out"]) >= 150
    seen = {" ".join(m.casefold().split()) for m in messages["tuning"]}
    assert [m for m in messages["held_out"] if " ".join(m.casefold().split()) in seen] == []


def test_what_the_rules_notice_in_a_tuning_concern_is_almost_always_its_kind(
    script: Script, parts: dict[str, dict[str, dict[str, list[str]]]]
) -> None:
    """The phrases alone no longer find every tuning concern: since round 9, what they miss is
    the sentence model's to notice (tests/bot/test_reading.py checks both together)."""
    kinds = {c.id: c.kind for c in script.safety.categories}
    wrong, found, concerns = [], 0, 0
    for category, table in parts["tuning"].items():
        for message in table.get("concern", []):
            concerns += 1
            finding = assess(message, script.safety)
            found += finding is not None
            if finding is not None and kinds[category] not in {
                kinds[c] for c in finding.categories
            }:
                wrong.append((category, message, finding.category))
    # help is offered for either kind; the other kind changes only which resources come first,
    # and a few messages say both ("he pressures me ... i give in just to make it stop")
    assert len(wrong) <= concerns // 200, wrong
    assert found / concerns > 0.8, "the phrase rules have stopped noticing most of the corpus"


def test_tuning_look_alikes_are_rarely_noticed(
    script: Script, parts: dict[str, dict[str, dict[str, list[str]]]]
) -> None:
    look_alikes = [m for table in parts["tuning"].values() for m in table.get("none", [])]
    noticed = [m for m in look_alikes if assess(m, script.safety) is not None]
    print(f"\ntuning look-alikes noticed: {len(noticed)}/{len(look_alikes)}")
    for message in noticed:
        print(f"    {message!r}")
    assert len(noticed) / len(look_alikes) <= FALSE_POSITIVE_CEILING
