"""Small server-side SVG charts for the admin (no script, no external file: CSP-safe).

A time axis (x) and a value axis (y): lines with points, bars, a shaded band, a dashed
reference line and vertical markers (alerts), each point and marker with a ``<title>``
the browser shows on hover. The SVG scales to its box (``viewBox``, width 100 %), so one
chart fills the admin's content column at 1,440 px and stays legible on a laptop.
Why hand-written rather than a library: docs/decisions.md ("Admin charts").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 960, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 34, 40
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
MAX_X_TICKS = 12


@dataclass(frozen=True)
class Series:
    """A named line (with dots) or set of bars; points without a value are gaps."""

    name: str
    color: str
    points: Sequence[tuple[dt.datetime, float | None, str]]  # (when, value, hover text)
    bars: bool = False
    dashed: bool = False


@dataclass(frozen=True)
class Band:
    """A shaded horizontal band (e.g. the baseline +- the MCID)."""

    low: float
    high: float
    label: str
    color: str = "#e2e8f0"


@dataclass(frozen=True)
class Marker:
    """A vertical line at a moment (an alert), with its hover text."""

    when: dt.datetime
    label: str
    color: str = "#c53030"


@dataclass(frozen=True)
class Chart:
    title: str
    start: dt.datetime
    end: dt.datetime
    y_min: float
    y_max: float
    y_ticks: Sequence[float]
    y_format: str = "{:g}"
    series: Sequence[Series] = field(default_factory=list)
    bands: Sequence[Band] = field(default_factory=list)
    references: Sequence[tuple[float, str]] = field(default_factory=list)
    markers: Sequence[Marker] = field(default_factory=list)
    bar_width: dt.timedelta = dt.timedelta(days=5)


def _x(chart: Chart, when: dt.datetime) -> float:
    span = (chart.end - chart.start).total_seconds() or 1.0
    ratio = (when - chart.start).total_seconds() / span
    return round(LEFT + min(max(ratio, 0.0), 1.0) * PLOT_W, 1)


def _y(chart: Chart, value: float) -> float:
    span = (chart.y_max - chart.y_min) or 1.0
    ratio = (value - chart.y_min) / span
    return round(TOP + PLOT_H - min(max(ratio, 0.0), 1.0) * PLOT_H, 1)


def _x_ticks(chart: Chart) -> list[dt.datetime]:
    """Mondays (00:00 of the start's zone) across the range, at most MAX_X_TICKS."""
    first = chart.start.replace(hour=0, minute=0, second=0, microsecond=0)
    first += dt.timedelta(days=(7 - first.weekday()) % 7)
    ticks = []
    moment = first
    while moment <= chart.end:
        ticks.append(moment)
        moment += dt.timedelta(days=7)
    step = max(1, -(-len(ticks) // MAX_X_TICKS))
    return ticks[::step]


def _axes(chart: Chart) -> SafeString:
    grid = format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#e2e8f0"/>'
        '<text x="{}" y="{}" text-anchor="end" font-size="12" fill="#4a5568">{}</text>',
        (
            (
                LEFT,
                _y(chart, tick),
                LEFT + PLOT_W,
                _y(chart, tick),
                LEFT - 6,
                _y(chart, tick) + 4,
                chart.y_format.format(tick),
            )
            for tick in chart.y_ticks
        ),
    )
    days = format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#a0aec0"/>'
        '<text x="{}" y="{}" text-anchor="middle" font-size="12" fill="#4a5568">{}</text>',
        (
            (
                _x(chart, tick),
                TOP + PLOT_H,
                _x(chart, tick),
                TOP + PLOT_H + 4,
                _x(chart, tick),
                TOP + PLOT_H + 18,
                f"{tick.day} {tick:%b}",
            )
            for tick in _x_ticks(chart)
        ),
    )
    frame = format_html(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#718096"/>',
        LEFT,
        TOP + PLOT_H,
        LEFT + PLOT_W,
        TOP + PLOT_H,
    )
    return format_html("{}{}{}", grid, days, frame)


def _bands(chart: Chart) -> SafeString:
    return format_html_join(
        "",
        '<rect class="chart-band" x="{}" y="{}" width="{}" height="{}" fill="{}">'
        "<title>{}</title></rect>",
        (
            (
                LEFT,
                _y(chart, band.high),
                PLOT_W,
                max(_y(chart, band.low) - _y(chart, band.high), 1),
                band.color,
                band.label,
            )
            for band in chart.bands
        ),
    )


def _references(chart: Chart) -> SafeString:
    return format_html_join(
        "",
        '<line class="chart-reference" x1="{}" y1="{}" x2="{}" y2="{}" '
        'stroke="#4a5568" stroke-dasharray="6 4"><title>{}</title></line>',
        (
            (LEFT, _y(chart, value), LEFT + PLOT_W, _y(chart, value), label)
            for value, label in chart.references
        ),
    )


def _bars(chart: Chart, series: Series) -> SafeString:
    half = (_x(chart, chart.start + chart.bar_width) - LEFT) / 2
    return format_html_join(
        "",
        '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}" fill="{}">'
        "<title>{}</title></rect>",
        (
            (
                round(_x(chart, when) - half, 1),
                _y(chart, value),
                round(2 * half, 1),
                round(_y(chart, chart.y_min) - _y(chart, value), 1),
                series.color,
                text,
            )
            for when, value, text in series.points
            if value is not None
        ),
    )


def _line(chart: Chart, series: Series) -> SafeString:
    segments: list[list[tuple[float, float]]] = [[]]
    for when, value, _ in series.points:
        if value is None:
            segments.append([])
        else:
            segments[-1].append((_x(chart, when), _y(chart, value)))
    dash = ' stroke-dasharray="6 4"' if series.dashed else ""
    paths = format_html_join(
        "",
        '<polyline class="chart-line" fill="none" stroke="{}" stroke-width="2"{} '
        'points="{}"/>',
        (
            (series.color, mark_safe(dash), " ".join(f"{x},{y}" for x, y in points))
            for points in segments
            if len(points) > 1
        ),
    )
    dots = format_html_join(
        "",
        '<circle class="chart-point" cx="{}" cy="{}" r="4" fill="{}">'
        "<title>{}</title></circle>",
        (
            (_x(chart, when), _y(chart, value), series.color, text)
            for when, value, text in series.points
            if value is not None
        ),
    )
    return format_html("{}{}", paths, dots)


def _markers(chart: Chart) -> SafeString:
    return format_html_join(
        "",
        '<g class="chart-marker"><title>{}</title>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2" '
        'stroke-dasharray="3 3"/>'
        '<path d="M{} {} l-6 -10 h12 z" fill="{}"/></g>',
        (
            (
                marker.label,
                _x(chart, marker.when),
                TOP,
                _x(chart, marker.when),
                TOP + PLOT_H,
                marker.color,
                _x(chart, marker.when),
                TOP,
                marker.color,
            )
            for marker in chart.markers
            if chart.start <= marker.when <= chart.end
        ),
    )


def _legend(chart: Chart) -> SafeString:
    entries: list[tuple[str, str]] = [(s.name, s.color) for s in chart.series]
    entries += [(band.label, band.color) for band in chart.bands]
    if chart.markers:
        entries.append(("Alert", chart.markers[0].color))
    x = LEFT
    parts = []
    for name, color in entries:
        parts.append(
            format_html(
                '<rect x="{}" y="10" width="12" height="12" fill="{}" stroke="#a0aec0"/>'
                '<text x="{}" y="20" font-size="12" fill="#2d3748">{}</text>',
                x,
                color,
                x + 16,
                name,
            )
        )
        x += 16 + 7 * len(name) + 18
    return format_html_join("", "{}", ((part,) for part in parts))


def chart_svg(chart: Chart) -> SafeString:
    """The chart as an inline ``<svg>`` element (role img, titled)."""
    body = format_html(
        "{}{}{}{}{}{}",
        _bands(chart),
        _axes(chart),
        _references(chart),
        format_html_join(
            "",
            "{}",
            ((_bars(chart, s) if s.bars else _line(chart, s),) for s in chart.series),
        ),
        _markers(chart),
        _legend(chart),
    )
    return format_html(
        '<svg class="rehabit-chart" role="img" '
        'viewBox="0 0 {} {}" width="100%" preserveAspectRatio="xMidYMid meet" '
        'font-family="system-ui, sans-serif"><title>{}</title>{}</svg>',
        WIDTH,
        HEIGHT,
        chart.title,
        body,
    )
