"""Charts as inline SVG drawn on the server: no JavaScript, no external library, nothing the CSP refuses.

Every chart is an ``<svg role="img">`` labelled by its ``<title>`` and ``<desc>`` (the text alternative,
which says where the table of the same numbers is), with text labels on the axes, a legend and a
``<title>`` on every bar or point. Colours are SVG presentation attributes (``fill``, ``stroke``),
sizes come from classes in the site stylesheet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 40, 44
PALETTE = ("#0b5cad", "#e07b24", "#1a7f37", "#8250df", "#cf222e", "#6e7781", "#c9a227", "#12263f")
MAX_X_LABELS = 13


@dataclass(frozen=True)
class Series:
    """One named row of values, one per category (``None``: no value, e.g. no claim that week)."""

    name: str
    values: Sequence[float | None]
    colour: str = ""


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def _axis_top(value: float, *, whole: bool) -> float:
    """The top of the y axis: four equal steps of 1, 2, 2.5 or 5 x 10^n (whole numbers for counts)."""
    if value <= 0:
        return 4.0 if whole else 1.0
    quarter = value / 4
    power = 10 ** math.floor(math.log10(quarter))
    steps = (1, 2, 5, 10) if whole and power < 10 else (1, 2, 2.5, 5, 10)
    step = next(step * power for step in steps if quarter <= step * power)
    return 4 * (max(step, 1) if whole else step)


def _colours(series: Sequence[Series]) -> list[str]:
    return [item.colour or PALETTE[index % len(PALETTE)] for index, item in enumerate(series)]


class _Canvas:
    """The frame every chart shares: title, description, y axis with grid lines, x labels, legend."""

    def __init__(
        self, chart_id: str, title: str, desc: str, labels: Sequence[str], top: float, unit: str = "", *, whole: bool
    ):
        self.chart_id = chart_id
        self.labels = list(labels)
        self.top = _axis_top(top, whole=whole)
        self.unit = unit
        self.parts: list[str] = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}"'
            f' width="{WIDTH}" height="{HEIGHT}" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc">',
            f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
            f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
        ]
        self.plot_width = WIDTH - LEFT - RIGHT
        self.plot_height = HEIGHT - TOP - BOTTOM

    def y(self, value: float) -> float:
        return TOP + self.plot_height * (1 - value / self.top)

    def slot(self) -> float:
        return self.plot_width / max(len(self.labels), 1)

    def axes(self) -> None:
        for step in range(5):
            value = self.top * step / 4
            y = self.y(value)
            self.parts.append(
                f'<line class="chart-grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#dddddd"/>'
            )
            self.parts.append(
                f'<text class="chart-axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_number(value)}</text>'
            )
        if self.unit:
            self.parts.append(
                f'<text class="chart-axis" x="{LEFT - 6}" y="{TOP - 8}" text-anchor="end">{escape(self.unit)}</text>'
            )
        every = max(1, math.ceil(len(self.labels) / MAX_X_LABELS))
        slot = self.slot()
        for index, label in enumerate(self.labels):
            if index % every:
                continue
            x = LEFT + slot * (index + 0.5)
            self.parts.append(
                f'<text class="chart-axis" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{escape(label)}</text>'
            )
        self.parts.append(
            f'<line class="chart-baseline" x1="{LEFT}" y1="{self.y(0):.1f}" x2="{WIDTH - RIGHT}" y2="{self.y(0):.1f}"'
            ' stroke="#666666"/>'
        )

    def legend(self, series: Sequence[Series], colours: Sequence[str]) -> None:
        if len(series) < 2:
            return
        x = LEFT
        for item, colour in zip(series, colours, strict=True):
            self.parts.append(f'<rect x="{x}" y="10" width="12" height="12" fill="{escape(colour)}"/>')
            self.parts.append(f'<text class="chart-legend" x="{x + 16}" y="20">{escape(item.name)}</text>')
            x += 28 + 7 * len(item.name)

    def empty_note(self, empty: bool) -> None:
        if empty:
            self.parts.append(
                f'<text class="chart-empty" x="{LEFT + self.plot_width / 2:.1f}" y="{TOP + self.plot_height / 2:.1f}"'
                f' text-anchor="middle">{escape(gettext("No data for these filters"))}</text>'
            )

    def svg(self) -> SafeString:
        self.parts.append("</svg>")
        return mark_safe("".join(self.parts))  # noqa: S308 -- every text and attribute above is escaped


def stacked_bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str = "",
    grouped: bool = False,
) -> SafeString:
    """Bars per category, stacked from the series, or side by side (``grouped``) where a sum means nothing."""
    values = [value or 0 for item in series for value in item.values]
    totals = [sum(item.values[index] or 0 for item in series) for index in range(len(labels))]
    top = max(values if grouped else totals, default=0)
    canvas = _Canvas(chart_id, title, desc, labels, top, unit, whole=all(float(v).is_integer() for v in values))
    colours = _colours(series)
    canvas.axes()
    slot = canvas.slot()
    width = max(min(slot * 0.7, 60 * (len(series) if grouped else 1)), 1)
    bar = width / len(series) if grouped and series else width
    show_values = len(labels) * (len(series) if grouped else 1) <= 24
    for index, label in enumerate(labels):
        left = LEFT + slot * index + (slot - width) / 2
        base = 0.0
        for number, (item, colour) in enumerate(zip(series, colours, strict=True)):
            value = item.values[index] or 0
            x = left + bar * number if grouped else left
            if value <= 0:
                continue
            bottom_value = 0.0 if grouped else base
            top_y, bottom_y = canvas.y(bottom_value + value), canvas.y(bottom_value)
            name = f"{label}: {_number(value)}" if len(series) == 1 else f"{label}, {item.name}: {_number(value)}"
            canvas.parts.append(
                f'<rect x="{x:.1f}" y="{top_y:.1f}" width="{bar:.1f}" height="{bottom_y - top_y:.1f}"'
                f' fill="{escape(colour)}"><title>{escape(name)}</title></rect>'
            )
            if grouped and show_values:
                canvas.parts.append(
                    f'<text class="chart-value" x="{x + bar / 2:.1f}" y="{top_y - 4:.1f}"'
                    f' text-anchor="middle">{_number(value)}</text>'
                )
            base += value
        if not grouped and show_values and totals[index] > 0:
            canvas.parts.append(
                f'<text class="chart-value" x="{left + width / 2:.1f}" y="{canvas.y(totals[index]) - 4:.1f}"'
                f' text-anchor="middle">{_number(totals[index])}</text>'
            )
    canvas.legend(series, colours)
    canvas.empty_note(not any(totals))
    return canvas.svg()


def bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    colour: str = "",
    unit: str = "",
) -> SafeString:
    return stacked_bar_chart(chart_id, title, desc, labels, [Series(title, values, colour)], unit=unit)


def line_chart(
    chart_id: str, title: str, desc: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = ""
) -> SafeString:
    """One line per series over the categories; a missing value breaks the line."""
    values = [value for item in series for value in item.values if value is not None]
    whole = all(float(value).is_integer() for value in values) and not unit
    canvas = _Canvas(chart_id, title, desc, labels, max(values, default=0), unit, whole=whole)
    colours = _colours(series)
    canvas.axes()
    slot = canvas.slot()
    for item, colour in zip(series, colours, strict=True):
        path: list[str] = []
        points: list[str] = []
        for index, value in enumerate(item.values):
            if value is None:
                path.append("")  # a gap
                continue
            x, y = LEFT + slot * (index + 0.5), canvas.y(value)
            name = f"{labels[index]}, {item.name}: {_number(value)}" + (f" {unit}" if unit else "")
            path.append(f"{'L' if path and path[-1] else 'M'}{x:.1f},{y:.1f}")
            points.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{escape(colour)}">'
                f"<title>{escape(name)}</title></circle>"
            )
        drawn = " ".join(step for step in path if step)
        if drawn:
            canvas.parts.append(f'<path d="{drawn}" fill="none" stroke="{escape(colour)}" stroke-width="2"/>')
        canvas.parts.extend(points)
    canvas.legend(series, colours)
    canvas.empty_note(not values)
    return canvas.svg()
