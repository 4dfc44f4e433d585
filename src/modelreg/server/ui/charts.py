"""Server-side bar charts for the compare page: geometry here, SVG markup in ``_chart.html``.

One small chart per metric with one horizontal bar per version, each on its own scale (metrics
rarely share units); the page lays them out in a grid. Bars start at zero, so lengths compare
honestly; negative values grow left from the zero line. Each SVG scales with its ``viewBox``;
colours come from the stylesheet (``.series-N``), so there is no inline style and no script,
and the charts read the same with JavaScript off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from modelreg.server.ui.present import number

WIDTH = 400
LABEL_RIGHT = 96  # version labels end here (text-anchor end)
BAR_LEFT = 104
BAR_RIGHT = 318
VALUE_LEFT = 326
BAR_HEIGHT = 16
BAR_GAP = 6
TOP = 4
MAX_METRICS = 24
SERIES_COLOURS = 10  # .series-0 … .series-9 in ui.css
LABEL_CHARS = 14


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    series: int
    x: float
    y: float
    width: float
    value_text: str
    missing: bool


@dataclass(frozen=True, slots=True)
class Panel:
    """One metric's chart."""

    title: str
    width: int
    height: int
    zero_x: float
    bars: tuple[Bar, ...]
    label_x: int = LABEL_RIGHT
    value_x: int = VALUE_LEFT
    bar_height: int = BAR_HEIGHT


@dataclass(frozen=True, slots=True)
class BarCharts:
    panels: tuple[Panel, ...]
    omitted: int  # metrics left out beyond MAX_METRICS (they stay in the table)


def bar_charts(labels: Sequence[str], series: Mapping[str, Sequence[float | None]]) -> BarCharts:
    """``series`` maps each metric to one value per label (None where a version lacks it)."""
    keys = list(series)[:MAX_METRICS]
    panels = tuple(_panel(key, labels, series[key]) for key in keys)
    return BarCharts(panels, len(series) - len(keys))


def _panel(title: str, labels: Sequence[str], values: Sequence[float | None]) -> Panel:
    present = [value for value in values if value is not None]
    low = min([0.0, *present])
    high = max([0.0, *present])
    scale = (BAR_RIGHT - BAR_LEFT) / ((high - low) or 1.0)
    zero_x = BAR_LEFT + (0.0 - low) * scale
    bars = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + index * (BAR_HEIGHT + BAR_GAP)
        short = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
        series = index % SERIES_COLOURS
        if value is None:
            bars.append(Bar(short, series, zero_x, y, 0.0, "—", True))
            continue
        end = BAR_LEFT + (value - low) * scale
        width = max(abs(end - zero_x), 1.0 if value else 0.0)
        bars.append(
            Bar(short, series, round(min(zero_x, end), 2), y, round(width, 2), number(value), False)
        )
    height = TOP * 2 + len(labels) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
    return Panel(title, WIDTH, height, round(zero_x, 2), tuple(bars))
