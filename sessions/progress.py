"""A patient's progress: sessions done vs scheduled, pain averages and the trend, per week.

Pure computation over three reads (the patient's plans, their edit history, the sessions
in range); docs/plans-and-progress.md states every rule. In short:

- Weeks are ISO weeks (Monday to Sunday) in the patient's time zone; a session belongs to
  the local date of its ``started_at``. Deleted sessions (tombstones) never count.
- Done: every non-deleted session logged on a date in range, with or without a plan,
  in which at least one exercise was done or partial (a session that lists no
  exercises at all, e.g. from an older client, still counts; one where every exercise
  was skipped does not).
- Scheduled: for each plan, each date in range up to today (the patient's today; the
  future is never "missed") counts when the plan, *as it was at the end of that day*
  (its edit history), was active and the date fell within its start/end dates:
  days_of_week plans schedule 1 on each listed weekday; times_per_week plans schedule
  times_per_week / 7 per day, summed over the week and rounded half up per plan.
- Adherence: done / scheduled, not capped (1.5 = more sessions than scheduled); null
  when nothing was scheduled.
- Pain: plain means of the recorded values (all non-deleted sessions); trend:
  least-squares slope of the weekly pain-after means against the week number, over
  weeks that have one.
- Per plan item (sessions.progress_items): done sets / prescribed sets per week.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.core.exceptions import ValidationError
from django.db.models import Avg, Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from sessions.models import Session, SessionExercise
from sessions.progress_items import items_progress
from sessions.schedules import (
    PlanTimeline,
    local_midnight,
    local_today,
    plan_timelines,
    scheduled_per_week,
    week_start,
)

if TYPE_CHECKING:
    import uuid

    from users.models import User

AnyUser = TypeVar(
    "AnyUser", bound="User"
)  # User or a proxy of it (the admin's Patient)

DEFAULT_WEEKS = 8
MAX_RANGE_DAYS = 366
ADHERENCE_WINDOW_DAYS = 28
RECENT_PAIN_SESSIONS = 5
# |slope| below this (pain points per week) is "stable": about one point a month.
STABLE_SLOPE = 0.25
MIN_TREND_WEEKS = 2

RANGE_REVERSED = "'to' must not be before 'from'."
RANGE_TOO_LONG = f"The range can span at most {MAX_RANGE_DAYS} days."
# Calendar bounds for from/to: the arithmetic on them (weeks back, a day forward, the
# time zone's midnight in UTC) overflowed Python's dates near years 1 and 9999 (a 500).
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)
DATE_OUT_OF_RANGE = f"Enter a date from {EARLIEST_DATE} to {LATEST_DATE}."


class Direction:
    IMPROVING = "improving"
    WORSENING = "worsening"
    STABLE = "stable"
    INSUFFICIENT_DATA = "insufficient_data"

    choices = [
        (IMPROVING, "Pain after sessions is going down"),
        (WORSENING, "Pain after sessions is going up"),
        (STABLE, "No clear change"),
        (INSUFFICIENT_DATA, "Fewer than two weeks with pain recorded"),
    ]


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class WeekProgress:
    week_start: dt.date
    sessions_done: int
    sessions_scheduled: int
    adherence: float | None
    pain_before_avg: float | None
    pain_after_avg: float | None
    sessions_with_pain: int


@dataclass(frozen=True)
class Trend:
    pain_after_change_per_week: float | None
    direction: str


@dataclass(frozen=True)
class ProgressSummary:
    sessions_done: int
    sessions_scheduled: int
    adherence: float | None
    pain_before_avg: float | None
    pain_after_avg: float | None
    trend: Trend


@dataclass(frozen=True)
class Progress:
    patient_id: uuid.UUID
    timezone: str
    date_from: dt.date
    date_to: dt.date
    weeks: list[WeekProgress]
    summary: ProgressSummary
    items: list[Any] = field(default_factory=list)  # progress_items.ItemProgress


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------
def progress_range(
    *,
    date_from: dt.date | None,
    date_to: dt.date | None,
    today: dt.date,
) -> tuple[dt.date, dt.date]:
    """Fill in defaults and validate: ``to`` defaults to today, ``from`` to the Monday 7 weeks
    before ``to``'s week (8 weeks in all).

    Raises ValidationError keyed "to" when to < from or the range exceeds MAX_RANGE_DAYS,
    keyed by the parameter when a date is outside EARLIEST_DATE..LATEST_DATE.
    """
    outside = {
        name: [ValidationError(DATE_OUT_OF_RANGE, code="date_out_of_range")]
        for name, value in (("from", date_from), ("to", date_to))
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE
    }
    if outside:
        raise ValidationError(outside)
    date_to = date_to or today
    date_from = date_from or week_start(date_to) - dt.timedelta(weeks=DEFAULT_WEEKS - 1)
    if date_to < date_from:
        raise ValidationError({"to": [RANGE_REVERSED]})
    if (date_to - date_from).days > MAX_RANGE_DAYS:
        raise ValidationError({"to": [RANGE_TOO_LONG]})
    return date_from, date_to


def _mean(values: Sequence[int]) -> float | None:
    return sum(values) / len(values) if values else None


def _rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _ratio(done: int, scheduled: int) -> float | None:
    return round(done / scheduled, 2) if scheduled else None


# ---------------------------------------------------------------------------
# The computation
# ---------------------------------------------------------------------------
# (started_at, pain_before, pain_after, counts toward adherence)
SessionRow = tuple[dt.datetime, int | None, int | None, bool]


def compute_progress(
    *,
    tz_name: str,
    date_from: dt.date,
    date_to: dt.date,
    today: dt.date,
    timelines: Sequence[PlanTimeline],
    sessions: Iterable[SessionRow],
) -> tuple[list[WeekProgress], ProgressSummary]:
    """The weekly rows and the summary from loaded data (no queries).

    ``sessions`` are (started_at, pain_before, pain_after, counts) of non-deleted
    sessions; rows outside [date_from, date_to] in the patient's time zone are ignored;
    ``counts`` is false when no exercise was done or partial (not done, pain kept).
    """
    tz = zoneinfo.ZoneInfo(tz_name)
    weeks = [
        week_start(date_from) + dt.timedelta(weeks=n)
        for n in range((week_start(date_to) - week_start(date_from)).days // 7 + 1)
    ]

    scheduled: dict[dt.date, int] = dict.fromkeys(weeks, 0)
    last_scheduled = min(date_to, today)
    for timeline in timelines:
        plan_weeks = scheduled_per_week(
            timeline, tz=tz, date_from=date_from, last_scheduled=last_scheduled
        )
        for week, amount in plan_weeks.items():
            scheduled[week] += amount

    done: dict[dt.date, int] = dict.fromkeys(weeks, 0)
    before: dict[dt.date, list[int]] = defaultdict(list)
    after: dict[dt.date, list[int]] = defaultdict(list)
    with_pain: dict[dt.date, int] = dict.fromkeys(weeks, 0)
    for started_at, pain_before, pain_after, counts in sessions:
        day = started_at.astimezone(tz).date()
        if not date_from <= day <= date_to:
            continue
        week = week_start(day)
        done[week] += 1 if counts else 0
        if pain_before is not None:
            before[week].append(pain_before)
        if pain_after is not None:
            after[week].append(pain_after)
        if pain_before is not None or pain_after is not None:
            with_pain[week] += 1

    rows = [
        WeekProgress(
            week_start=week,
            sessions_done=done[week],
            sessions_scheduled=scheduled[week],
            adherence=_ratio(done[week], scheduled[week]),
            pain_before_avg=_rounded(_mean(before[week])),
            pain_after_avg=_rounded(_mean(after[week])),
            sessions_with_pain=with_pain[week],
        )
        for week in weeks
    ]
    total_done = sum(done.values())
    total_scheduled = sum(scheduled.values())
    summary = ProgressSummary(
        sessions_done=total_done,
        sessions_scheduled=total_scheduled,
        adherence=_ratio(total_done, total_scheduled),
        pain_before_avg=_rounded(_mean([v for w in weeks for v in before[w]])),
        pain_after_avg=_rounded(_mean([v for w in weeks for v in after[w]])),
        trend=pain_trend(
            [
                ((week - weeks[0]).days // 7, mean)
                for week in weeks
                if (mean := _mean(after[week])) is not None
            ]
        ),
    )
    return rows, summary


def pain_trend(points: Sequence[tuple[int, float]]) -> Trend:
    """Least-squares slope of (week number, mean pain after); direction by STABLE_SLOPE."""
    if len(points) < MIN_TREND_WEEKS:
        return Trend(
            pain_after_change_per_week=None, direction=Direction.INSUFFICIENT_DATA
        )
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    slope = sxy / sxx
    if slope <= -STABLE_SLOPE:
        direction = Direction.IMPROVING
    elif slope >= STABLE_SLOPE:
        direction = Direction.WORSENING
    else:
        direction = Direction.STABLE
    # "+ 0.0" turns a rounded -0.0 into 0.0.
    return Trend(pain_after_change_per_week=round(slope, 2) + 0.0, direction=direction)


def _session_rows(
    *, patient_ids: Sequence[Any], start: dt.datetime, end: dt.datetime
) -> QuerySet[Session, tuple[Any, ...]]:
    entries = SessionExercise.objects.filter(session=OuterRef("pk"))
    return (
        Session.objects.filter(
            patient_id__in=patient_ids,
            deleted_at__isnull=True,
            started_at__gte=start,
            started_at__lt=end,
        )
        .annotate(
            has_entries=Exists(entries),
            has_work=Exists(entries.exclude(status=SessionExercise.Status.SKIPPED)),
        )
        .values_list(
            "patient_id",
            "started_at",
            "pain_before",
            "pain_after",
            "has_entries",
            "has_work",
        )
    )


def _session_row(row: Sequence[Any]) -> SessionRow:
    """(started_at, pain_before, pain_after, counts) from a _session_rows row."""
    _, started_at, pain_before, pain_after, has_entries, has_work = row
    return (started_at, pain_before, pain_after, bool(has_work or not has_entries))


def progress_get(
    *,
    patient: User,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Progress:
    """``patient``'s progress over [date_from, date_to] (defaults: the last 8 weeks).

    Six queries (plans, plan history, sessions; plan items, their entries and sets
    for the per-item rows). Raises ValidationError for a bad range.
    """

    today = local_today(tz_name=patient.timezone, now=now)
    date_from, date_to = progress_range(
        date_from=date_from, date_to=date_to, today=today
    )
    tz = zoneinfo.ZoneInfo(patient.timezone)
    timelines = plan_timelines(patient_ids=[patient.pk]).get(patient.pk, [])
    rows = _session_rows(
        patient_ids=[patient.pk],
        start=local_midnight(date_from, tz),
        end=local_midnight(date_to + dt.timedelta(days=1), tz),
    )
    weeks, summary = compute_progress(
        tz_name=patient.timezone,
        date_from=date_from,
        date_to=date_to,
        today=today,
        timelines=timelines,
        sessions=[_session_row(row) for row in rows],
    )
    return Progress(
        patient_id=patient.pk,
        timezone=patient.timezone,
        date_from=date_from,
        date_to=date_to,
        weeks=weeks,
        summary=summary,
        items=items_progress(
            patient_id=patient.pk,
            tz=tz,
            date_from=date_from,
            date_to=date_to,
            today=today,
            timelines=timelines,
        ),
    )


def adherence_recent(
    *,
    patients: Sequence[User],
    now: dt.datetime | None = None,
    days: int = ADHERENCE_WINDOW_DAYS,
) -> dict[Any, float | None]:
    """Each patient's adherence over the last ``days`` days up to their today (3 queries).

    The same rules as progress_get's summary with from = today - (days - 1), to = today.
    """
    if not patients:
        return {}
    now = now or timezone.now()
    ids = [patient.pk for patient in patients]
    windows: dict[Any, tuple[dt.date, dt.date]] = {}
    for patient in patients:
        today = local_today(tz_name=patient.timezone, now=now)
        windows[patient.pk] = (today - dt.timedelta(days=days - 1), today)
    timelines = plan_timelines(patient_ids=ids)
    # One query for everyone: a UTC window wide enough for every time zone (+-14 h),
    # then each patient's own local window is applied by compute_progress.
    sessions: dict[Any, list[SessionRow]] = defaultdict(list)
    for row in _session_rows(
        patient_ids=ids,
        start=now - dt.timedelta(days=days + 1),
        end=now + dt.timedelta(days=1),
    ):
        sessions[row[0]].append(_session_row(row))
    out: dict[Any, float | None] = {}
    for patient in patients:
        date_from, today = windows[patient.pk]
        _, summary = compute_progress(
            tz_name=patient.timezone,
            date_from=date_from,
            date_to=today,
            today=today,
            timelines=timelines.get(patient.pk, []),
            sessions=sessions[patient.pk],
        )
        out[patient.pk] = summary.adherence
    return out


def annotate_recent_activity(queryset: QuerySet[AnyUser]) -> QuerySet[AnyUser]:
    """Annotate users with ``last_session_at`` and ``recent_pain_after`` (two subqueries).

    ``recent_pain_after``: the mean pain after of the RECENT_PAIN_SESSIONS most recent
    non-deleted sessions that recorded one.
    """
    live = Session.objects.filter(deleted_at__isnull=True)
    last_started = (
        live.filter(patient=OuterRef("pk"))
        .order_by("-started_at")
        .values("started_at")[:1]
    )
    recent_ids = (
        live.filter(patient=OuterRef(OuterRef("pk")), pain_after__isnull=False)
        .order_by("-started_at", "-pk")
        .values("pk")[:RECENT_PAIN_SESSIONS]
    )
    recent_avg = (
        Session.objects.filter(patient=OuterRef("pk"), pk__in=Subquery(recent_ids))
        .values("patient")
        .annotate(mean=Avg("pain_after"))
        .values("mean")
    )
    # annotate() types its rows as annotated Users, whatever proxy came in.
    annotated = queryset.annotate(
        last_session_at=Subquery(last_started),
        recent_pain_after=Subquery(recent_avg),
    )
    return cast("QuerySet[AnyUser]", annotated)
