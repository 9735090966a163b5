"""The patient page's charts, drawn from ``outcomes.selectors.charts.patient_charts``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.safestring import SafeString

from outcomes.charts import Band, Chart, Marker, Series, chart_svg
from outcomes.selectors.charts import MeasureSeries, PatientCharts

BEFORE, AFTER = "#2b6cb0", "#dd6b20"
ADHERENCE, SCORE, BAND = "#319795", "#6b46c1", "#e9d8fd"
PAIN_TICKS = [0, 2, 4, 6, 8, 10]
PERCENT_TICKS = [0, 25, 50, 75, 100]


@dataclass(frozen=True)
class Figure:
    """A chart with its caption and a one-line reading of it (also for screen readers)."""

    key: str
    caption: str
    summary: str
    svg: SafeString


def _day(moment: dt.datetime) -> str:
    return f"{moment.day} {moment:%b %Y %H:%M}"


def _markers(data: PatientCharts) -> list[Marker]:
    return [
        Marker(when=when, label=f"{_day(when)}: {kind}. {message}")
        for when, kind, message in data.alerts
    ]


def pain_figure(data: PatientCharts) -> Figure:
    def series(name: str, color: str, after: bool) -> Series:
        points: list[tuple[dt.datetime, float | None, str]] = []
        for started, before_value, after_value in data.sessions:
            value = after_value if after else before_value
            if value is not None:
                points.append(
                    (started, value, f"{_day(started)}: {name.lower()} {value}/10")
                )
        return Series(name=name, color=color, points=points)

    chart = Chart(
        title="Pain before and after each session (0-10)",
        start=data.start,
        end=data.end,
        y_min=0,
        y_max=10,
        y_ticks=PAIN_TICKS,
        series=[
            series("Pain before", BEFORE, False),
            series("Pain after", AFTER, True),
        ],
        markers=_markers(data),
    )
    with_pain = [row for row in data.sessions if row[2] is not None]
    summary = (
        f"{len(data.sessions)} sessions since {data.start:%d %b}; "
        f"{len(data.alerts)} alerts."
    )
    if with_pain:
        summary += f" Last pain after: {with_pain[-1][2]}/10."
    return Figure("pain", chart.title, summary, chart_svg(chart))


def adherence_figure(data: PatientCharts) -> Figure:
    points: list[tuple[dt.datetime, float | None, str]] = []
    for week in data.weeks:
        middle = dt.datetime.combine(
            week.week_start, dt.time(12), tzinfo=data.start.tzinfo
        ) + dt.timedelta(days=3)
        value = None if week.adherence is None else round(week.adherence * 100)
        text = (
            f"Week of {week.week_start:%d %b}: {week.sessions_done} of "
            f"{week.sessions_scheduled} sessions"
            + ("" if value is None else f" ({value} %)")
        )
        points.append((middle, None if value is None else min(value, 100), text))
    chart = Chart(
        title="Adherence per week (sessions done / scheduled)",
        start=data.start,
        end=data.end,
        y_min=0,
        y_max=100,
        y_ticks=PERCENT_TICKS,
        y_format="{:g} %",
        series=[Series(name="Adherence", color=ADHERENCE, points=points, bars=True)],
        markers=_markers(data),
    )
    scheduled = [week for week in data.weeks if week.adherence is not None]
    summary = (
        f"Last week with sessions scheduled: {round(scheduled[-1].adherence * 100)} %."
        if scheduled and scheduled[-1].adherence is not None
        else "Nothing scheduled in these weeks."
    )
    return Figure("adherence", chart.title, summary, chart_svg(chart))


def measure_figure(data: PatientCharts, measure: MeasureSeries) -> Figure:
    questionnaire = measure.questionnaire
    scoring = questionnaire.scoring
    mcid = float(scoring["mcid"])
    is_change = scoring.get("kind", "status") == "change"
    baseline = 0.0 if is_change else measure.scores[0][1]
    label = (
        f"Less than the MCID (±{mcid:g})"
        if is_change
        else f"Within the MCID (±{mcid:g}) of the baseline"
    )
    low, high = float(scoring["min"]), float(scoring["max"])
    step = 2.0 if high - low <= 10 else (high - low) / 5
    ticks = []
    tick = low
    while tick <= high + 1e-9:
        ticks.append(round(tick, 2))
        tick += step
    points = [
        (when, value, f"{_day(when)}: {value:g}") for when, value in measure.scores
    ]
    start = min(data.start, measure.scores[0][0] - dt.timedelta(days=3))
    chart = Chart(
        title=f"{questionnaire.title}: score",
        start=start,
        end=data.end,
        y_min=low,
        y_max=high,
        y_ticks=ticks,
        series=[Series(name="Score", color=SCORE, points=points)],
        bands=[
            Band(
                low=max(low, baseline - mcid),
                high=min(high, baseline + mcid),
                label=label,
                color=BAND,
            )
        ],
        references=[(baseline, "No change" if is_change else f"Baseline {baseline:g}")],
        markers=[m for m in _markers(data) if m.when >= start],
    )
    better = "higher" if scoring.get("higher_is_better") else "lower"
    latest = measure.scores[-1][1]
    summary = (
        f"{len(measure.scores)} answers; latest {latest:g}"
        + ("" if is_change else f", baseline {baseline:g}")
        + f"; {better} is better; MCID {mcid:g}."
    )
    return Figure(
        f"measure-{questionnaire.name}", chart.title, summary, chart_svg(chart)
    )


def patient_chart_figures(data: PatientCharts) -> list[Figure]:
    """Pain, adherence, then one chart per outcome measure the patient answered."""
    figures = [pain_figure(data), adherence_figure(data)]
    figures += [measure_figure(data, measure) for measure in data.measures]
    return figures
