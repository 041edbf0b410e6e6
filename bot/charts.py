"""The ``/history`` chart: reciprocity and feeling over time, one panel per relationship.

:func:`chart_series` picks what to draw from finished records (pure); :func:`draw` lays it out
on a matplotlib ``Figure`` (no pyplot, no global state: safe on a worker thread) and
:func:`render_png` turns that into PNG bytes; :class:`Charts` runs it off the event loop, a
couple at a time, and keeps each person's last chart until something in it changes. A
relationship needs two or more data points (a reflection gives reciprocity, a check-in
reciprocity and feeling) to be drawn; the most recently active ones come first.

The image is made for a phone: 1200 px wide, large type, one panel per relationship stacked
top to bottom, dates in the person's time zone (the one they chose for mantras, else UTC, and
the chart says which). What people typed (a relationship's name) is drawn as typed: math text
is off for every label, so ``$\\sqrt{$`` is a name, not a formula that fails to parse.

Every point stays visible: records close in time (the same day) are spread apart by at least
:data:`GAP` of the panel's width, around the day they belong to, and when both ratings of one
record have the same value the two markers sit side by side instead of on top of each other.
The legend shows what is drawn: a rating that is a single point everywhere gets a marker
without a line.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from bot.ports.store import RecordSummary
from dialogs.model import JSON

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

CHART_RECORDS = 400
"""How many of the most recent records the chart reads."""
MAX_PANELS = 3
"""Relationships drawn at most (the most recently active); more would not read on a phone."""
WIDTH_IN, PANEL_IN, DPI = 6.0, 2.9, 200
RECIPROCITY_COLOUR, FEELING_COLOUR = "#0072B2", "#D55E00"  # distinguishable in colour blindness
MARKER_PT = 8.0
CONCURRENT_RENDERS = 2
GAP = 0.03
"""Room between neighbouring markers, as a share of the panel's width (≈ 30 px at 1200 px wide;
a marker is 22 px): records closer than that are spread apart."""
CACHE_BYTES = 8 * 1024 * 1024
"""Charts kept for people who ask again before anything changed (least recently used go)."""


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


@dataclass(frozen=True, slots=True)
class _Kind:
    attr: str
    colour: str
    marker: str
    style: Literal["-", "--"]
    offset: float
    """Where this rating's marker sits when both ratings of a record are equal (in gaps)."""


KINDS = (
    _Kind("reciprocity", RECIPROCITY_COLOUR, "o", "-", -0.5),
    _Kind("feeling", FEELING_COLOUR, "s", "--", 0.5),
)


def _rating(value: JSON) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def chart_series(
    items: Sequence[RecordSummary],
    names: Mapping[str, str],
    someone: str,
    *,
    keys: tuple[str, str, str] = ("reciprocity", "feeling", "name"),
    panels: int = MAX_PANELS,
) -> list[Series]:
    """The relationships with two or more points, most recently active first. ``names`` maps a
    person id to the name the person uses now; a record's own name answer is the fallback.
    ``keys`` are the answers read (the content's ``[history]``: effort shared, feeling, name)."""
    reciprocity_key, feeling_key, name_key = keys
    points: dict[str, list[Point]] = {}
    latest_name: dict[str, str] = {}
    for item in sorted(items, key=lambda i: (i.finished_at, i.id)):
        reciprocity = _rating(item.answers.get(reciprocity_key))
        feeling = _rating(item.answers.get(feeling_key))
        name = item.answers.get(name_key)
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


# --------------------------------------------------------------------------------------------
# Layout: where each marker goes (pure arithmetic on matplotlib's day numbers)


def _day_number(at: datetime) -> float:
    return (at.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(days=1)


def _pad(width: float) -> float:
    return max(width * 0.06, 1.0)


def spread(raw: Sequence[float], dodged: Sequence[bool]) -> tuple[list[float], float, float]:
    """Positions (in days) for records at ``raw`` (sorted), and the panel's limits.

    Neighbours keep one gap between their markers (half a gap more on each side of a record
    whose two markers sit side by side, see ``dodged``). Records that would be closer form a
    cluster laid out around the mean of their times, so a busy day stays over its own date. The
    gap is a share of the panel's width, which spreading can widen, so the layout is made a few
    times until it settles."""
    if not raw:
        return [], 0.0, 1.0
    xs = list(raw)
    gap = 0.0
    for _ in range(4):
        xs = _clusters(raw, [gap * (1 + 0.5 * (a + b)) for a, b in itertools.pairwise(dodged)])
        width = xs[-1] - xs[0]
        lo, hi = xs[0] - _pad(width) - gap, xs[-1] + _pad(width) + gap
        gap = GAP * (hi - lo)
    return xs, lo, hi


def _clusters(raw: Sequence[float], seps: Sequence[float]) -> list[float]:
    """One-dimensional swarm: ``seps[i]`` is the least distance between records i and i + 1."""
    offset = [0.0]
    for sep in seps:
        offset.append(offset[-1] + sep)
    groups: list[tuple[int, int, float]] = []  # (first index, last index, first's position)
    for i, x in enumerate(raw):
        groups.append((i, i, x))
        while len(groups) > 1:
            (a, b, pa), (_, d, pc) = groups[-2], groups[-1]
            if pc - (pa + offset[b] - offset[a]) >= seps[b]:
                break
            count = d - a + 1
            mean_raw = sum(raw[a : d + 1]) / count
            mean_offset = sum(offset[a : d + 1]) / count - offset[a]
            groups[-2:] = [(a, d, mean_raw - mean_offset)]
    return [p + offset[i] - offset[a] for a, b, p in groups for i in range(a, b + 1)]


def _both_equal(point: Point) -> bool:
    return point.reciprocity is not None and point.reciprocity == point.feeling


# --------------------------------------------------------------------------------------------
# Drawing


def draw(series: Sequence[Series], tz: ZoneInfo, labels: Labels) -> Figure:
    """The chart as a matplotlib figure (for :func:`render_png`, and for tests to inspect)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    height = PANEL_IN * len(series) + 0.8
    figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(series), 1, squeeze=False)[:, 0]
    drawn: dict[str, int] = {}  # rating → the most points any panel drew of it
    for ax, one in zip(axes, series, strict=True):
        for attr, count in _panel(ax, one, tz, labels).items():
            drawn[attr] = max(drawn.get(attr, 0), count)
    names = {"reciprocity": labels.reciprocity, "feeling": labels.feeling}
    handles = [
        Line2D(
            [],
            [],
            color=kind.colour,
            marker=kind.marker,
            markersize=MARKER_PT,
            linewidth=2.5,
            linestyle=kind.style if drawn[kind.attr] >= 2 else "None",
            label=names[kind.attr],
        )
        for kind in KINDS
        if drawn.get(kind.attr)
    ]
    legend = figure.legend(
        handles=handles, loc="outside lower left", ncols=1, fontsize=11, frameon=False
    )
    for text in legend.get_texts():
        text.set_parse_math(False)
    figure.suptitle(labels.dates, x=0.02, ha="left", fontsize=10, color="#555555", parse_math=False)
    return figure


def render_png(series: Sequence[Series], tz: ZoneInfo, labels: Labels) -> bytes:
    """The chart as PNG bytes. CPU-bound (tens of milliseconds): call it off the event loop."""
    figure = draw(series, tz, labels)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _panel(ax: Axes, one: Series, tz: ZoneInfo, labels: Labels) -> dict[str, int]:
    """Draw one relationship; how many points of each rating it shows."""
    xs, lo, hi = spread(
        [_day_number(p.at) for p in one.points], [_both_equal(p) for p in one.points]
    )
    gap = GAP * (hi - lo)
    counts: dict[str, int] = {}
    for kind in KINDS:
        shown = [
            (x + (kind.offset * gap if _both_equal(p) else 0.0), int(getattr(p, kind.attr)))
            for x, p in zip(xs, one.points, strict=True)
            if getattr(p, kind.attr) is not None
        ]
        counts[kind.attr] = len(shown)
        if not shown:
            continue
        ax.plot(
            [x for x, _ in shown],
            [y for _, y in shown],
            linestyle=kind.style if len(shown) >= 2 else "None",
            marker=kind.marker,
            markersize=MARKER_PT,
            linewidth=2.5,
            color=kind.colour,
        )
    ax.set_title(one.name, fontsize=15, loc="left", fontweight="bold", parse_math=False)
    ax.set_ylim(0.6, 5.4)
    ax.set_yticks([1, 2, 3, 4, 5])
    ax.set_ylabel(labels.scale, fontsize=10, parse_math=False)
    ax.tick_params(labelsize=11)
    ax.grid(True, axis="y", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_xlim(lo, hi)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    first = (epoch + timedelta(days=lo)).astimezone(tz).date()
    last = (epoch + timedelta(days=hi)).astimezone(tz).date()
    ticks = _ticks(first, last, tz)
    ax.set_xticks([_day_number(at) for at in ticks], [_day(at) for at in ticks])
    return counts


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


# --------------------------------------------------------------------------------------------
# Rendering off the event loop, once per change


class Charts:
    """Renders charts on worker threads, at most :data:`CONCURRENT_RENDERS` at a time, and keeps
    each person's latest chart: asking again before a new record (or a new name, time zone or
    wording) costs nothing. A chart that cannot be drawn is logged by the error's type only
    (its message could quote a name) and is ``None``."""

    def __init__(
        self, concurrent: int = CONCURRENT_RENDERS, *, cache_bytes: int = CACHE_BYTES
    ) -> None:
        self._slots = asyncio.Semaphore(concurrent)
        self._cache: OrderedDict[Hashable, tuple[Hashable, bytes]] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._held = 0
        self.rendered = 0
        """How many charts were drawn (not served from the cache)."""

    async def render(
        self, owner: Hashable, series: Sequence[Series], tz: ZoneInfo, labels: Labels
    ) -> bytes | None:
        """The chart of ``owner`` (a person's key) for ``series``; ``None`` if it fails."""
        inputs = (tuple(series), tz.key, labels)
        cached = self._cache.get(owner)
        if cached is not None and cached[0] == inputs:
            self._cache.move_to_end(owner)
            return cached[1]
        async with self._slots:
            try:
                png = await asyncio.to_thread(render_png, series, tz, labels)
            except Exception as exc:  # a chart is a bonus: the listing still goes out
                logger.warning("history chart not drawn (%s)", type(exc).__name__)
                return None
        self.rendered += 1
        self.forget(owner)
        if len(png) <= self._cache_bytes:
            self._cache[owner] = (inputs, png)
            self._held += len(png)
            while self._held > self._cache_bytes:
                _, (_, old) = self._cache.popitem(last=False)
                self._held -= len(old)
        return png

    def forget(self, owner: Hashable) -> None:
        """Drop ``owner``'s chart (they asked to be forgotten, or it is being replaced)."""
        entry = self._cache.pop(owner, None)
        if entry is not None:
            self._held -= len(entry[1])

    @property
    def cached(self) -> int:
        return len(self._cache)
