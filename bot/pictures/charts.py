"""Horizontal bar charts as inline SVG geometry: one bar per person, the value written beside it.

The numbers are part of the picture (text at the end of each bar) and of the
data table under it, so a chart reads without colour and with a screen reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

LABEL_WIDTH = 170
BAR_AREA = 380
ROW_HEIGHT = 26
TOP = 8


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # "42 h"
    y: int
    width: float


@dataclass(frozen=True)
class BarChart:
    key: str
    title: str
    description: str
    bars: tuple[Bar, ...]
    pattern: str  # "solid" | "hatched" | "dotted": a second cue besides shade

    @property
    def height(self) -> int:
        return TOP * 2 + ROW_HEIGHT * max(len(self.bars), 1)

    @property
    def width(self) -> int:
        return LABEL_WIDTH + BAR_AREA + 80

    @property
    def label_width(self) -> int:
        return LABEL_WIDTH

    @property
    def bar_height(self) -> int:
        return ROW_HEIGHT - 8


def bar_chart(key: str, title: str, unit: str, rows: list[tuple[str, float]], fmt: Callable[[float], str], *,
              pattern: str = "solid",
              description: str = "") -> BarChart:
    """Bars scaled to the largest value (all zero: no bars, every value still written)."""
    top = max((v for _, v in rows), default=0) or 1
    bars = tuple(Bar(label, value, f"{fmt(value)}{' ' + unit if unit else ''}", TOP + i * ROW_HEIGHT,
                     round(BAR_AREA * value / top, 1))
                 for i, (label, value) in enumerate(rows))
    return BarChart(key, title, description or title, bars, pattern)
