"""``docs/dialog-graph.md`` is drawn from the content by ``make graph``: it must be current."""

from __future__ import annotations

from dialogs import load_script
from tools.graph import PAGE, graph


def test_the_drawing_of_the_dialog_is_what_the_content_says_today() -> None:
    drawn = graph(load_script())
    assert PAGE.read_text(encoding="utf-8") == drawn, "docs/dialog-graph.md is stale: make graph"
    for flow in ("reflect", "checkin", "mantras", "forget", "safety"):
        assert f"(`/{flow}`)" in drawn
    assert "reflect_decision --> reflect_followup" in drawn
    assert 'reflect_offer -- "Yes, set it up" --> mantras_time' in drawn
