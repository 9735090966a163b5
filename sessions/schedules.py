"""Plan schedules: dates in the patient's time zone and each plan's states over time.

A plan's schedule (status, start/end dates, weekdays or times per week) is read through
its edit history, so a past day is scheduled as the plan stood at the end of that day.
Used by sessions.progress (sessions scheduled) and sessions.progress_items (sets).
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.db.models import Subquery
from django.utils import timezone

from sessions.models import Plan


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s ISO week."""
    return day - dt.timedelta(days=day.weekday())


def local_today(*, tz_name: str, now: dt.datetime | None = None) -> dt.date:
    """Today's date in the time zone ``tz_name`` (IANA)."""
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(tz_name)).date()


def local_midnight(day: dt.date, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """The instant ``day`` begins in ``tz`` (aware)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


def _days(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


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
    plan_id: Any = None

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
        out[patient_id].append(PlanTimeline(states=states, plan_id=plan_id))
    return out


def scheduled_per_week(
    timeline: PlanTimeline,
    *,
    tz: zoneinfo.ZoneInfo,
    date_from: dt.date,
    last_scheduled: dt.date,
) -> dict[dt.date, int]:
    """Sessions one plan scheduled per week over [date_from, last_scheduled] (rounded)."""
    per_week: dict[dt.date, Fraction] = defaultdict(Fraction)
    for day, weight in daily_weights(
        timeline, tz=tz, date_from=date_from, last_scheduled=last_scheduled
    ).items():
        per_week[week_start(day)] += weight
    return {week: round_half_up(amount) for week, amount in per_week.items()}


def daily_weights(
    timeline: PlanTimeline,
    *,
    tz: zoneinfo.ZoneInfo,
    date_from: dt.date,
    last_scheduled: dt.date,
) -> dict[dt.date, Fraction]:
    """Sessions one plan scheduled on each day of [date_from, last_scheduled]."""
    return {
        day: timeline.state_at(local_midnight(day + dt.timedelta(days=1), tz)).weight(
            day
        )
        for day in _days(date_from, last_scheduled)
    }
