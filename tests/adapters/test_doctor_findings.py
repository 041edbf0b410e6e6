"""What a check of ``threshold doctor`` finds (:mod:`adapters.doctor.findings`): the three
kinds of finding, how each is marked in the report, and reading a secret setting — a token or
key counts as set only when it holds something besides white space, whether it arrives as a
pydantic ``SecretStr`` (from the settings) or as plain text. ``test_doctor.py`` runs the whole
doctor; here the vocabulary its checks share is pinned."""

from __future__ import annotations

import dataclasses

import pytest
from pydantic import SecretStr

from adapters.doctor.findings import MARKS, Finding, note, ok, problem, secret


def test_each_kind_of_finding_keeps_its_topic_and_text() -> None:
    assert ok("database", "fine") == Finding("ok", "database", "fine")
    assert note("mantras", "none set") == Finding("note", "mantras", "none set")
    assert problem("telegram", "refused") == Finding("problem", "telegram", "refused")


def test_a_problem_is_marked_so_it_stands_out_and_every_status_has_a_mark() -> None:
    assert MARKS["problem"] == "PROBLEM"
    assert set(MARKS) == {"ok", "note", "problem"}
    assert MARKS["ok"] != MARKS["problem"] and MARKS["note"] != MARKS["problem"]


def test_a_finding_cannot_be_changed_after_a_check_made_it() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem("telegram", "refused").status = "ok"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "read"),
    [
        (SecretStr("  123:abc  "), "123:abc"),
        ("123:abc\n", "123:abc"),
        (SecretStr(""), None),
        (SecretStr(" \t\n"), None),
        ("   ", None),
        (None, None),
        (12345, None),
    ],
    ids=[
        "secret-padded",
        "text-newline",
        "secret-empty",
        "secret-blank",
        "text-blank",
        "none",
        "a-number",
    ],
)
def test_a_secret_is_set_only_when_it_holds_more_than_white_space(
    value: object, read: str | None
) -> None:
    """A token pasted with a trailing newline is the token; a blank one is no token at all
    (the doctor must say it is missing, not that the platform refused it)."""
    assert secret(value) == read
