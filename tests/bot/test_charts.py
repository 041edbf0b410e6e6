"""The chart itself, drawn by the real matplotlib: names typed as math text, every point visible
(one point, two ratings of the same value, two records of one day), a legend that matches what
is drawn, failures logged by type only, and one render per change."""

from __future__ import annotations

import itertools
import logging
import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from bot import charts
from bot.charts import DPI, MARKER_PT, Charts, Labels, Point, Series, draw, render_png
from tests.support.chats import REFLECTION, Chat, play

LABELS = Labels("Effort shared", "Feeling", "1 to 5", "Dates in UTC")
UTC_ZONE = ZoneInfo("UTC")
AT = datetime(2025, 3, 1, 8, tzinfo=UTC)
MARKER_PX = MARKER_PT * DPI / 72
CHECKIN = [("press", "p1"), ("press", "skip"), ("press", "yes"), ("press", "yes"),
           ("press", "4"), ("press", "love"), ("press", "3"), ("press", "keep"),
           ("press", "none")]  # fmt: skip


def drawn_lines(figure: Figure) -> list[Line2D]:
    """The rating lines of every panel, as laid out (the figure is drawn first)."""
    figure.canvas.draw()
    return [line for ax in figure.axes for line in ax.get_lines()]


def markers_px(line: Line2D) -> list[tuple[float, float]]:
    ax = line.axes
    assert ax is not None, "the line is drawn on a panel"
    return [(float(x), float(y)) for x, y in ax.transData.transform(line.get_xydata())]


def of_colour(lines: list[Line2D], colour: str) -> list[Line2D]:
    return [line for line in lines if line.get_color() == colour]


def legend_of(figure: Figure) -> dict[str, Line2D]:
    [legend] = figure.legends
    found: dict[str, Line2D] = {}
    for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True):
        assert isinstance(handle, Line2D), handle
        found[text.get_text()] = handle
    return found


# --------------------------------------------------------------------------------------------
# Typed names


@pytest.mark.parametrize("name", ["$\\sqrt{$", "$x^2$ and $", "100$ \\frac{", "Sam_{1}^"])
def test_a_name_written_as_math_text_is_drawn_as_typed(name: str) -> None:
    series = [Series(name, (Point(AT, 2, 3), Point(AT + timedelta(days=3), 4, 4)))]
    figure = draw(series, UTC_ZONE, LABELS)
    [ax] = figure.axes
    [title] = [t for t in ax.get_children() if isinstance(t, Text) and t.get_text() == name]
    assert ax.get_title(loc="left") == name and title.get_parse_math() is False
    assert render_png(series, UTC_ZONE, LABELS)[:4] == b"\x89PNG"


def test_labels_from_the_content_with_dollar_signs_are_drawn_as_written() -> None:
    labels = Labels("Effort $ shared", "Feeling $\\", "1 $to$ 5", "Dates in $UTC")
    series = [Series("Sam", (Point(AT, 2, 3), Point(AT + timedelta(days=3), 4, 4)))]
    assert render_png(series, UTC_ZONE, labels)[:4] == b"\x89PNG"
    assert set(legend_of(draw(series, UTC_ZONE, labels))) == {"Effort $ shared", "Feeling $\\"}


async def test_a_chart_that_fails_is_logged_by_its_type_without_the_name(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(series: list[Series], tz: ZoneInfo, labels: Labels) -> bytes:
        raise ValueError(f"cannot parse {series[0].name!r}")

    monkeypatch.setattr(charts, "render_png", broken)
    caplog.set_level(logging.DEBUG)
    series = [Series("Quillfeather", (Point(AT, 2, 3), Point(AT + timedelta(days=1), 4, 4)))]
    assert await Charts().render("someone", series, UTC_ZONE, LABELS) is None
    [record] = [r for r in caplog.records if r.name == "bot.charts"]
    assert "ValueError" in record.getMessage() and record.exc_info is None
    assert "Quillfeather" not in caplog.text


# --------------------------------------------------------------------------------------------
# Every point visible


def test_a_rating_with_a_single_point_is_a_marker_and_so_is_its_legend() -> None:
    # a reflection (reciprocity only) then one check-in: feeling has a single point
    series = [Series("Sam", (Point(AT, 2, None), Point(AT + timedelta(days=4), 4, 3)))]
    figure = draw(series, UTC_ZONE, LABELS)
    lines = drawn_lines(figure)
    [feeling] = of_colour(lines, charts.FEELING_COLOUR)
    [reciprocity] = of_colour(lines, charts.RECIPROCITY_COLOUR)
    assert np.shape(feeling.get_xdata()) == (1,)
    assert feeling.get_marker() == "s" and feeling.get_linestyle() == "None"
    assert reciprocity.get_linestyle() == "-"
    legend = legend_of(figure)
    assert legend["Feeling"].get_linestyle() == "None" and legend["Feeling"].get_marker() == "s"
    assert legend["Effort shared"].get_linestyle() == "-"


def test_the_legend_names_what_any_panel_draws_and_nothing_else() -> None:
    only_reciprocity = Series("Sam", (Point(AT, 2, None), Point(AT + timedelta(days=2), 3, None)))
    with_feeling = Series("Alex", (Point(AT, 2, 1), Point(AT + timedelta(days=2), 3, 5)))
    legend = legend_of(draw([only_reciprocity, with_feeling], UTC_ZONE, LABELS))
    assert legend["Feeling"].get_linestyle() == "--"  # drawn in the second panel only
    assert set(legend_of(draw([only_reciprocity], UTC_ZONE, LABELS))) == {"Effort shared"}


def test_two_ratings_of_the_same_value_on_one_day_are_drawn_side_by_side() -> None:
    series = [Series("Sam", (Point(AT, 3, 3), Point(AT + timedelta(days=5), 3, 3)))]
    lines = drawn_lines(draw(series, UTC_ZONE, LABELS))
    [reciprocity] = of_colour(lines, charts.RECIPROCITY_COLOUR)
    [feeling] = of_colour(lines, charts.FEELING_COLOUR)
    for (rx, ry), (fx, fy) in zip(markers_px(reciprocity), markers_px(feeling), strict=True):
        assert math.dist((rx, ry), (fx, fy)) >= MARKER_PX  # not on top of each other
        assert fx > rx and ry == pytest.approx(fy)  # side by side, at the same height


def test_two_records_of_the_same_day_are_drawn_apart() -> None:
    points = (
        Point(AT, 2, 4),
        Point(AT + timedelta(hours=1), 2, 4),  # an hour later, the same answers
        Point(AT + timedelta(hours=2), 3, 3),
        Point(AT + timedelta(days=30), 4, 4),
    )
    lines = drawn_lines(draw([Series("Sam", points)], UTC_ZONE, LABELS))
    every = [xy for line in lines for xy in markers_px(line)]
    assert len(every) == 8
    for n, a in enumerate(every):
        for b in every[n + 1 :]:
            assert math.dist(a, b) >= MARKER_PX, (a, b)


def test_many_check_ins_on_one_day_still_each_have_a_marker_of_their_own() -> None:
    points = tuple(Point(AT + timedelta(minutes=10 * n), 3, None) for n in range(8))
    [line] = drawn_lines(draw([Series("Sam", points)], UTC_ZONE, LABELS))
    xs = [x for x, _ in markers_px(line)]
    assert all(b - a >= MARKER_PX for a, b in itertools.pairwise(xs))


# --------------------------------------------------------------------------------------------
# One render per change


async def test_asking_again_before_a_new_record_draws_nothing_new(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[int] = []
    real = charts.render_png

    def counting(series: list[Series], tz: ZoneInfo, labels: Labels) -> bytes:
        drawn.append(len(series[0].points))
        return real(series, tz, labels)

    monkeypatch.setattr(charts, "render_png", counting)
    await chat.command("reflect")
    await play(chat, REFLECTION)
    await chat.press("no")
    await chat.command("checkin")
    await play(chat, CHECKIN)
    first = await chat.command("history")
    again = await chat.command("history")
    assert drawn == [2]
    assert [r.attachment for r in first if r.attachment] == [
        r.attachment for r in again if r.attachment
    ]
    await chat.command("checkin")
    await play(chat, CHECKIN)
    await chat.command("history")
    assert drawn == [2, 3]  # a new record: drawn afresh
