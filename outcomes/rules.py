"""The alert rules as pure functions: values in, a ``Finding`` (or None) out.

Thresholds come from ``settings.OUTCOMES_ALERTS`` (docs/outcomes.md explains each).
Each finding carries the key of its cause: the same cause always gives the same key, so
the services store one alert per cause however often a rule runs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from outcomes.models import AlertKind


@dataclass(frozen=True)
class Thresholds:
    """The alert thresholds in force (settings.OUTCOMES_ALERTS)."""

    flare_rise: int = 2
    flare_pain: int = 7
    pain_during: int = 7
    inactivity_days: int = 7
    trend_days: int = 14
    trend_min_sessions: int = 4
    trend_slope: float = 1.0
    too_hard_count: int = 2
    too_hard_sessions: int = 3

    @classmethod
    def from_settings(cls) -> Thresholds:
        values: dict[str, Any] = getattr(settings, "OUTCOMES_ALERTS", {})
        return cls(**{name.lower(): value for name, value in values.items()})


@dataclass(frozen=True)
class Finding:
    """What a rule found: the alert's kind, cause key, message and evidence."""

    kind: str
    key: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


# Shortest span of the pain points a trend is computed from (a week).
TREND_MIN_SPAN = dt.timedelta(days=7)


def pain_flare(
    *,
    session_id: uuid.UUID,
    pain_before: int | None,
    pain_after: int | None,
    limits: Thresholds,
) -> Finding | None:
    """A flare: pain after >= pain before + flare_rise, or pain after >= flare_pain."""
    if pain_after is None:
        return None
    rise = None if pain_before is None else pain_after - pain_before
    if pain_after < limits.flare_pain and (rise is None or rise < limits.flare_rise):
        return None
    before = "not recorded" if pain_before is None else f"{pain_before}/10"
    return Finding(
        kind=AlertKind.PAIN_FLARE,
        key=f"{AlertKind.PAIN_FLARE}:{session_id}",
        message=f"Pain flare: {before} before the session, {pain_after}/10 after.",
        evidence={"pain_before": pain_before, "pain_after": pain_after},
    )


def pain_during(
    *,
    session_id: uuid.UUID,
    exercises: Sequence[tuple[str, int | None]],
    limits: Thresholds,
) -> Finding | None:
    """High pain during an exercise: pain during >= pain_during in any exercise.

    ``exercises`` are (exercise name, pain during) pairs of one session.
    """
    high = [
        (name, pain)
        for name, pain in exercises
        if pain is not None and pain >= limits.pain_during
    ]
    if not high:
        return None
    worst_name, worst_pain = max(high, key=lambda entry: entry[1])
    return Finding(
        kind=AlertKind.PAIN_DURING,
        key=f"{AlertKind.PAIN_DURING}:{session_id}",
        message=(
            f"High pain during {worst_name}: {worst_pain}/10"
            + (f" (and {len(high) - 1} more)." if len(high) > 1 else ".")
        ),
        evidence={
            "exercises": [
                {"exercise": name, "pain_during": pain} for name, pain in high
            ]
        },
    )


def too_hard(
    *,
    session_id: uuid.UUID,
    exercise_id: uuid.UUID,
    exercise_name: str,
    started_at: dt.datetime,
    marks: Sequence[bool],
    limits: Thresholds,
) -> Finding | None:
    """Repeated "too hard": the exercise marked too_hard in too_hard_count of the last
    too_hard_sessions sessions that included it.

    ``marks`` are, newest first, whether each of those sessions marked it too hard, up
    to the session ``session_id`` (started at ``started_at``). The cause is the exercise
    and the session that reached the count; the services count only sessions after the
    last such alert's (``evidence.started_at``), so one run of marks gives one alert.
    """
    window = list(marks[: limits.too_hard_sessions])
    count = sum(window)
    if count < limits.too_hard_count:
        return None
    return Finding(
        kind=AlertKind.TOO_HARD,
        key=f"{AlertKind.TOO_HARD}:{exercise_id}:{session_id}",
        message=(
            f"{exercise_name} marked too hard in {count} of the last "
            f"{len(window)} sessions that included it."
        ),
        evidence={
            "exercise": exercise_name,
            "exercise_id": str(exercise_id),
            "too_hard": count,
            "sessions": len(window),
            "started_at": started_at.isoformat(),
        },
    )


def slope_per_week(points: Sequence[tuple[dt.datetime, int]]) -> float:
    """Least-squares slope of the values against time, in points per week."""
    origin = points[0][0]
    xs = [(moment - origin).total_seconds() / 86400 / 7 for moment, _ in points]
    ys = [float(value) for _, value in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return 0.0
    return (
        sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    )


def pain_trend(
    *, points: Sequence[tuple[dt.datetime, int]], limits: Thresholds
) -> Finding | None:
    """Pain after sessions rising by >= trend_slope points a week over the window.

    ``points`` are (started_at, pain after) of the sessions in the last trend_days, in
    time order. Needs trend_min_sessions points spanning at least a week. The cause is
    the ISO week of the latest point (at most one trend alert a week).
    """
    if len(points) < limits.trend_min_sessions:
        return None
    if points[-1][0] - points[0][0] < TREND_MIN_SPAN:
        return None
    slope = slope_per_week(points)
    if slope < limits.trend_slope:
        return None
    year, week, _ = points[-1][0].isocalendar()
    first, last = points[0][1], points[-1][1]
    return Finding(
        kind=AlertKind.PAIN_TREND,
        key=f"{AlertKind.PAIN_TREND}:{year}-W{week:02d}",
        message=(
            f"Pain after sessions is rising by {slope:.1f} points a week "
            f"({first}/10 to {last}/10 over {len(points)} sessions)."
        ),
        evidence={
            "slope_per_week": round(slope, 2),
            "sessions": len(points),
            "first_pain_after": first,
            "last_pain_after": last,
        },
    )


def inactivity(
    *,
    plan_id: uuid.UUID,
    plan_title: str,
    since: dt.date,
    today: dt.date,
    limits: Thresholds,
) -> Finding | None:
    """No session for inactivity_days on an active plan.

    ``since`` is the later of the plan's start and the local date of the patient's last
    session; it names the cause, so each gap gives one alert and the next gap a new one.
    """
    idle = (today - since).days
    if idle < limits.inactivity_days:
        return None
    return Finding(
        kind=AlertKind.INACTIVITY,
        key=f"{AlertKind.INACTIVITY}:{plan_id}:{since.isoformat()}",
        message=f"No session for {idle} days on the active plan “{plan_title}”.",
        evidence={"since": since.isoformat(), "days_without_session": idle},
    )


def prom_worse(
    *,
    response_id: uuid.UUID,
    title: str,
    baseline: float | None,
    latest: float,
    change: float | None,
    worse: bool,
    mcid: float,
) -> Finding | None:
    """An outcome measure worse than its baseline by at least its MCID (see scoring)."""
    if not worse or change is None:
        return None
    since = "" if baseline is None else f" (baseline {baseline:g}, now {latest:g})"
    return Finding(
        kind=AlertKind.PROM_WORSE,
        key=f"{AlertKind.PROM_WORSE}:{response_id}",
        message=f"{title} worse by {abs(change):g}{since}; MCID {mcid:g}.",
        evidence={
            "baseline": baseline,
            "latest": latest,
            "change": change,
            "mcid": mcid,
        },
    )
