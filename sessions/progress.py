"""A patient's progress: sessions done vs scheduled, pain averages and the trend, per week.

Pure computation over three reads (the patient's plans, their edit history, the sessions
in range); docs/plans-and-progress.md states every rule. In short:

- Weeks are ISO weeks (Monday to Sunday) in the patient's time zone; a session belongs to
  the local date of its ``started_at``. Deleted sessions (tombstones) never count.
- Done: every non-deleted session logged on a date in range, with or without a plan.
- Scheduled: for each plan, each date in range up to today (the patient's today; the
  future is never "missed") counts when the plan, *as it was at the end of that day*
  (its edit history), was active and the date fell within its start/end dates:
  days_of_week plans schedule 1 on each listed weekday; times_per_week plans schedule
  times_per_week / 7 per day, summed over the week and rounded half up per plan.
- Adherence: done / scheduled, not capped (1.5 = more sessions than scheduled); null
  when nothing was scheduled.
- Pain: plain means of the recorded values; trend: least-squares slope of the weekly
  pain-after means against the week number, over weeks that have one.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.core.exceptions import ValidationError
from django.db.models import Avg, OuterRef, QuerySet, Subquery
from django.utils import timezone

from sessions.models import Plan, Session

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


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------
def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s ISO week."""
    return day - dt.timedelta(days=day.weekday())


def local_today(*, tz_name: str, now: dt.datetime | None = None) -> dt.date:
    """Today's date in the time zone ``tz_name`` (IANA)."""
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(tz_name)).date()


def local_midnight(day: dt.date, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """The instant ``day`` begins in ``tz`` (aware)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


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


def _days(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def _round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def _mean(values: Sequence[int]) -> float | None:
    return sum(values) / len(values) if values else None


def _rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _ratio(done: int, scheduled: int) -> float | None:
    return round(done / scheduled, 2) if scheduled else None


# ---------------------------------------------------------------------------
# Plan schedules through their history
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanState:
    """A plan's schedule fields as they were from ``since`` (None: its first known state)."""

    since: dt.datetime | None
    status: str
    start_date: dt.date
    end_date: dt.date | None
    days_of_week: frozenset[int]
    times_per_week: int | None

    def weight(self, day: dt.date) -> Fraction:
        """How many sessions this state schedules on ``day`` (a fraction for times_per_week)."""
        if self.status != Plan.Status.ACTIVE or day < self.start_date:
            return Fraction(0)
        if self.end_date is not None and day > self.end_date:
            return Fraction(0)
        if self.days_of_week:
            return Fraction(1 if day.isoweekday() in self.days_of_week else 0)
        if self.times_per_week:
            return Fraction(self.times_per_week, 7)
        return Fraction(0)


@dataclass
class PlanTimeline:
    """The successive states of one plan, oldest first."""

    states: list[PlanState] = field(default_factory=list)

    def state_at(self, moment: dt.datetime) -> PlanState:
        """The state in force just before ``moment``; the first state before any change."""
        current = self.states[0]
        for state in self.states[1:]:
            if state.since is not None and state.since < moment:
                current = state
            else:
                break
        return current


def _state(row: Sequence[Any], since: dt.datetime | None) -> PlanState:
    status, start_date, end_date, days_of_week, times_per_week = row
    return PlanState(
        since=since,
        status=status,
        start_date=start_date,
        end_date=end_date,
        days_of_week=frozenset(days_of_week or []),
        times_per_week=times_per_week,
    )


STATE_FIELDS = ("status", "start_date", "end_date", "days_of_week", "times_per_week")


def plan_timelines(*, patient_ids: Sequence[Any]) -> dict[Any, list[PlanTimeline]]:
    """Each patient's plans as timelines of states (two queries, whatever the count).

    Plans without history rows (e.g. bulk-loaded) get their current state throughout.
    """
    plans = Plan.objects.filter(patient_id__in=patient_ids)
    current = {
        row[0]: row[1:] for row in plans.values_list("id", "patient_id", *STATE_FIELDS)
    }
    history: dict[Any, list[PlanState]] = defaultdict(list)
    rows = (
        Plan.history.model.objects.filter(
            id__in=Subquery(plans.values("id")), history_type__in=["+", "~"]
        )
        .order_by("history_date", "history_id")
        .values_list("id", "history_date", *STATE_FIELDS)
    )
    for plan_id, history_date, *state in rows:
        history[plan_id].append(_state(state, history_date))

    out: dict[Any, list[PlanTimeline]] = defaultdict(list)
    for plan_id, (patient_id, *state) in current.items():
        states = history.get(plan_id) or [_state(state, None)]
        out[patient_id].append(PlanTimeline(states=states))
    return out


# ---------------------------------------------------------------------------
# The computation
# ---------------------------------------------------------------------------
SessionRow = tuple[dt.datetime, int | None, int | None]


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

    ``sessions`` are (started_at, pain_before, pain_after) of non-deleted sessions; rows
    outside [date_from, date_to] in the patient's time zone are ignored.
    """
    tz = zoneinfo.ZoneInfo(tz_name)
    weeks = [
        week_start(date_from) + dt.timedelta(weeks=n)
        for n in range((week_start(date_to) - week_start(date_from)).days // 7 + 1)
    ]

    scheduled: dict[dt.date, int] = dict.fromkeys(weeks, 0)
    last_scheduled = min(date_to, today)
    for timeline in timelines:
        per_week: dict[dt.date, Fraction] = defaultdict(Fraction)
        for day in _days(date_from, last_scheduled):
            state = timeline.state_at(local_midnight(day + dt.timedelta(days=1), tz))
            per_week[week_start(day)] += state.weight(day)
        for week, amount in per_week.items():
            scheduled[week] += _round_half_up(amount)

    done: dict[dt.date, int] = dict.fromkeys(weeks, 0)
    before: dict[dt.date, list[int]] = defaultdict(list)
    after: dict[dt.date, list[int]] = defaultdict(list)
    with_pain: dict[dt.date, int] = dict.fromkeys(weeks, 0)
    for started_at, pain_before, pain_after in sessions:
        day = started_at.astimezone(tz).date()
        if not date_from <= day <= date_to:
            continue
        week = week_start(day)
        done[week] += 1
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
    return Session.objects.filter(
        patient_id__in=patient_ids,
        deleted_at__isnull=True,
        started_at__gte=start,
        started_at__lt=end,
    ).values_list("patient_id", "started_at", "pain_before", "pain_after")


def progress_get(
    *,
    patient: User,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Progress:
    """``patient``'s progress over [date_from, date_to] (defaults: the last 8 weeks).

    Three queries (plans, plan history, sessions). Raises ValidationError for a bad range.
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
        sessions=[row[1:] for row in rows],
    )
    return Progress(
        patient_id=patient.pk,
        timezone=patient.timezone,
        date_from=date_from,
        date_to=date_to,
        weeks=weeks,
        summary=summary,
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
    for patient_id, *row in _session_rows(
        patient_ids=ids,
        start=now - dt.timedelta(days=days + 1),
        end=now + dt.timedelta(days=1),
    ):
        sessions[patient_id].append(tuple(row))
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
