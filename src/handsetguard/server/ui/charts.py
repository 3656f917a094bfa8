"""The inline SVG bar chart of the overview (geometry computed here; the template only draws
rectangles and text, so no script or inline style is needed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Bar", "Chart", "bar_chart"]

WIDTH, HEIGHT, TOP, BOTTOM, GAP = 480, 200, 20, 30, 12


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    label_x: float


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    baseline: float
    bars: list[Bar]
    title: str


def bar_chart(points: list[dict[str, Any]], title: str) -> Chart:
    """``points``: [{"band": label, "units": n}, …] in display order."""
    count = max(1, len(points))
    peak = max([int(p["units"]) for p in points] + [1])
    slot = (WIDTH - GAP) / count
    usable = HEIGHT - TOP - BOTTOM
    bars = []
    for index, point in enumerate(points):
        value = int(point["units"])
        height = usable * value / peak
        x = GAP + index * slot
        bars.append(
            Bar(
                label=str(point["band"]),
                value=value,
                x=round(x, 1),
                y=round(TOP + usable - height, 1),
                width=round(slot - GAP, 1),
                height=round(height, 1),
                label_x=round(x + (slot - GAP) / 2, 1),
            )
        )
    return Chart(WIDTH, HEIGHT, HEIGHT - BOTTOM, bars, title)
