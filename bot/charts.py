"""The ``/history`` chart: reciprocity and feeling over time, one panel per relationship.

:func:`chart_series` picks what to draw from finished records (pure); :func:`render_png` draws
it with matplotlib's Agg canvas (no pyplot, no global state: safe on a worker thread), and
:class:`Charts` runs that off the event loop, a couple at a time. A relationship needs two or
more data points (a reflection gives reciprocity, a check-in reciprocity and feeling) to be
drawn; the most recently active ones come first.

The image is made for a phone: 1200 px wide, large type, one panel per relationship stacked
top to bottom, dates in the person's time zone (the one they chose for mantras, else UTC, and
the chart says which).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.store import RecordSummary
from dialogs.model import JSON

if TYPE_CHECKING:
    from matplotlib.axes import Axes

CHART_RECORDS = 400
"""How many of the most recent records the chart reads."""
MAX_PANELS = 3
"""Relationships drawn at most (the most recently active); more would not read on a phone."""
WIDTH_IN, PANEL_IN, DPI = 6.0, 2.9, 200
RECIPROCITY_COLOUR, FEELING_COLOUR = "#0072B2", "#D55E00"  # distinguishable in colour blindness
CONCURRENT_RENDERS = 2


@dataclass(frozen=True, slots=True)
class Point:
    at: datetime
    reciprocity: int | None
    feeling: int | None


@dataclass(frozen=True, slots=True)
class Series:
    """One relationship's data points, oldest first."""

    name: str
    points: tuple[Point, ...]


@dataclass(frozen=True, slots=True)
class Labels:
    """Every word on the chart (from the content, so a writer can change them)."""

    reciprocity: str
    feeling: str
    scale: str
    dates: str


def _rating(value: JSON) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def chart_series(
    items: Sequence[RecordSummary],
    names: Mapping[str, str],
    someone: str,
    *,
    panels: int = MAX_PANELS,
) -> list[Series]:
    """The relationships with two or more points, most recently active first. ``names`` maps a
    person id to the name the person uses now; a record's own ``name`` answer is the fallback."""
    points: dict[str, list[Point]] = {}
    latest_name: dict[str, str] = {}
    for item in sorted(items, key=lambda i: (i.finished_at, i.id)):
        reciprocity = _rating(item.answers.get("reciprocity"))
        feeling = _rating(item.answers.get("feeling"))
        name = item.answers.get("name")
        if isinstance(name, str) and name:
            latest_name[item.person_id] = name
        if reciprocity is None and feeling is None:
            continue
        points.setdefault(item.person_id, []).append(Point(item.finished_at, reciprocity, feeling))
    drawn = [(pid, found) for pid, found in points.items() if len(found) >= 2]
    drawn.sort(key=lambda entry: entry[1][-1].at, reverse=True)
    return [
        Series(names.get(pid) or latest_name.get(pid) or someone, tuple(found))
        for pid, found in drawn[:panels]
    ]


def render_png(series: Sequence[Series], tz: ZoneInfo, labels: Labels) -> bytes:
    """The chart as PNG bytes. CPU-bound (tens of milliseconds): call it off the event loop."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    height = PANEL_IN * len(series) + 0.8
    figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(series), 1, squeeze=False)[:, 0]
    for ax, one in zip(axes, series, strict=True):
        _panel(ax, one, tz, labels)
    handles, texts = axes[0].get_legend_handles_labels()
    figure.legend(handles, texts, loc="outside lower left", ncols=1, fontsize=11, frameon=False)
    figure.suptitle(labels.dates, x=0.02, ha="left", fontsize=10, color="#555555")
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _panel(ax: Axes, one: Series, tz: ZoneInfo, labels: Labels) -> None:
    from matplotlib import dates as mdates

    for attr, label, colour, marker, style in (
        ("reciprocity", labels.reciprocity, RECIPROCITY_COLOUR, "o", "-"),
        ("feeling", labels.feeling, FEELING_COLOUR, "s", "--"),
    ):
        shown = [p for p in one.points if getattr(p, attr) is not None]
        xs = mdates.date2num([p.at.astimezone(tz) for p in shown])
        ys = [int(getattr(p, attr)) for p in shown]
        ax.plot(
            xs, ys, style, marker=marker, markersize=8, linewidth=2.5, color=colour, label=label
        )
    ax.set_title(one.name, fontsize=15, loc="left", fontweight="bold")
    ax.set_ylim(0.6, 5.4)
    ax.set_yticks([1, 2, 3, 4, 5])
    ax.set_ylabel(labels.scale, fontsize=10)
    ax.tick_params(labelsize=11)
    ax.grid(True, axis="y", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    start, end = one.points[0].at, one.points[-1].at
    pad = max((end - start) * 0.06, timedelta(days=1))
    ax.set_xlim(float(mdates.date2num(start - pad)), float(mdates.date2num(end + pad)))
    ticks = _ticks((start - pad).astimezone(tz).date(), (end + pad).astimezone(tz).date(), tz)
    ax.set_xticks([float(x) for x in mdates.date2num(ticks)], [_day(at) for at in ticks])


def _ticks(first: date, last: date, tz: ZoneInfo, most: int = 4) -> list[datetime]:
    """Local midnights from ``first`` to ``last``, evenly spaced, at most ``most`` + 1."""
    days = (last - first).days
    stride = max(1, -(-days // most))
    return [
        datetime.combine(first + timedelta(days=n), time(), tzinfo=tz)
        for n in range(1 if days > 1 else 0, days + 1, stride)
    ]


def _day(at: datetime) -> str:
    return f"{at.day} {at:%b}"


class Charts:
    """Renders charts on worker threads, at most :data:`CONCURRENT_RENDERS` at a time."""

    def __init__(self, concurrent: int = CONCURRENT_RENDERS) -> None:
        self._slots = asyncio.Semaphore(concurrent)

    async def render(self, series: Sequence[Series], tz: ZoneInfo, labels: Labels) -> bytes:
        async with self._slots:
            return await asyncio.to_thread(render_png, series, tz, labels)
