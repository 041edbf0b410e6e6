"""One table for every bench: what was measured, the figure, the target, and whether it is met."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    what: str
    figure: str
    target: str = "—"
    met: bool | None = None
    """``None`` when there is no target to meet."""


def render(rows: Sequence[Row]) -> str:
    header = Row("what was measured", "figure", "target")
    cells = [(r.what, r.figure, r.target, _mark(r.met)) for r in rows]
    widths = [
        max(len(c[i]) for c in [(header.what, header.figure, header.target, ""), *cells])
        for i in range(4)
    ]
    line = "  ".join("-" * w for w in widths)
    out = [_line((header.what, header.figure, header.target, ""), widths), line]
    out.extend(_line(c, widths) for c in cells)
    return "\n".join(out)


def _mark(met: bool | None) -> str:
    return "" if met is None else ("ok" if met else "MISSED")


def _line(cells: tuple[str, str, str, str], widths: list[int]) -> str:
    what, figure, target, mark = cells
    return f"{what:<{widths[0]}}  {figure:>{widths[1]}}  {target:<{widths[2]}}  {mark}".rstrip()
