"""Adherence per plan item: sets done against sets prescribed, per week.

Rules (docs/plans-and-progress.md):

- Prescribed: the sessions the item's plan schedules on the days in range up to today
  on which the item itself is prescribed (its ``starts_on``..``ends_on``: an item
  re-dosed from a date is two items, the old one ending the day before), summed per
  ISO week and rounded half up, times the item's ``sets``.
- Done: the sets of the session entries that name the item (swaps included: a
  regression done instead still works the item), in non-deleted sessions on a date of
  the week. An entry's sets are counted from its logged set rows, completed ones only:
  for a per-side or per-direction dosage one set is one row each way, so the count is
  the smaller of the two sides' rows (5 right + 5 left = 1 set; a set that stopped
  half-way on the way back does not count; left/right or forward/backward, whichever
  pair counts more), plus completed rows without a side
  (``both``, from clients that log a set as one row). An entry with no set rows counts
  the item's sets when ``done`` and none when ``partial``. Skipped entries count none.
- Adherence: done / prescribed, 2 decimals, not capped; null when nothing was
  prescribed.

Three queries (items, entries, sets), whatever the number of sessions. The entries are
found from the patient's sessions in range (the ``(patient, started_at)`` index), not from
the plan items: an item's entries span the patient's whole history, and reading them all
to keep the range's made the cost grow with every session logged (docs/performance.md,
issue 14).
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from common.models import Direction
from sessions.models import PlanItem, SessionExercise, SessionSet
from sessions.schedules import (
    PlanTimeline,
    daily_weights,
    local_midnight,
    round_half_up,
    week_start,
)

__all__ = ["ItemProgress", "ItemWeek", "entry_sets_done", "items_progress"]

Side = SessionSet.Side
SIDE_PAIRS = ((Side.LEFT, Side.RIGHT), (Side.FORWARD, Side.BACKWARD))


@dataclass(frozen=True)
class ItemWeek:
    week_start: dt.date
    sets_done: int
    sets_prescribed: int
    adherence: float | None


@dataclass(frozen=True)
class ItemProgress:
    plan_id: uuid.UUID
    plan_item_id: int
    starts_on: dt.date | None
    ends_on: dt.date | None
    replaces_id: int | None
    exercise_id: uuid.UUID
    exercise_name: str
    sets_done: int
    sets_prescribed: int
    adherence: float | None
    weeks: list[ItemWeek]


def _ratio(done: int, prescribed: int) -> float | None:
    return round(done / prescribed, 2) if prescribed else None


def entry_sets_done(
    *, status: str, direction: str, prescribed_sets: int, sides: Sequence[str]
) -> int:
    """Sets one session entry counts (see the module doc); ``sides`` of completed rows."""
    if status == SessionExercise.Status.SKIPPED:
        return 0
    if not sides:
        return prescribed_sets if status == SessionExercise.Status.DONE else 0
    if direction == Direction.NONE:
        return len(sides)
    unsided = sides.count(SessionSet.Side.BOTH)
    # Either pair counts, whatever the dosage's own: a client that logs the walks'
    # directions as left/right still gets its sets counted.
    return unsided + max(
        min(sides.count(first), sides.count(second)) for first, second in SIDE_PAIRS
    )


def items_progress(
    *,
    patient_id: uuid.UUID,
    tz: zoneinfo.ZoneInfo,
    date_from: dt.date,
    date_to: dt.date,
    today: dt.date,
    timelines: Sequence[PlanTimeline],
) -> list[ItemProgress]:
    """Each plan item's weekly sets done vs prescribed over [date_from, date_to]."""
    plans = {timeline.plan_id: timeline for timeline in timelines}
    items = list(
        PlanItem.objects.filter(plan_id__in=list(plans))
        .select_related("exercise")
        .order_by("plan__start_date", "plan_id", "order", "id")
        .only(
            "id",
            "plan_id",
            "sets",
            "direction",
            "starts_on",
            "ends_on",
            "replaces_id",
            "exercise__id",
            "exercise__name",
        )
    )
    if not items:
        return []
    weeks = [
        week_start(date_from) + dt.timedelta(weeks=n)
        for n in range((week_start(date_to) - week_start(date_from)).days // 7 + 1)
    ]
    last_scheduled = min(date_to, today)
    daily = {
        plan_id: daily_weights(
            timeline, tz=tz, date_from=date_from, last_scheduled=last_scheduled
        )
        for plan_id, timeline in plans.items()
    }
    done = _sets_done_per_week(
        patient_id=patient_id,
        items=items,
        start=local_midnight(date_from, tz),
        end=local_midnight(date_to + dt.timedelta(days=1), tz),
        tz=tz,
    )

    out: list[ItemProgress] = []
    for item in items:
        sessions_per_week: dict[dt.date, Fraction] = defaultdict(Fraction)
        for day, weight in daily[item.plan_id].items():
            if item.is_active_on(day):
                sessions_per_week[week_start(day)] += weight
        rows = []
        for week in weeks:
            prescribed = item.sets * round_half_up(sessions_per_week[week])
            sets_done = done[item.pk].get(week, 0)
            rows.append(
                ItemWeek(
                    week_start=week,
                    sets_done=sets_done,
                    sets_prescribed=prescribed,
                    adherence=_ratio(sets_done, prescribed),
                )
            )
        total_done = sum(row.sets_done for row in rows)
        total_prescribed = sum(row.sets_prescribed for row in rows)
        out.append(
            ItemProgress(
                plan_id=item.plan_id,
                plan_item_id=item.pk,
                starts_on=item.starts_on,
                ends_on=item.ends_on,
                replaces_id=item.replaces_id,
                exercise_id=item.exercise.pk,
                exercise_name=item.exercise.name,
                sets_done=total_done,
                sets_prescribed=total_prescribed,
                adherence=_ratio(total_done, total_prescribed),
                weeks=rows,
            )
        )
    return out


def _sets_done_per_week(
    *,
    patient_id: uuid.UUID,
    items: Sequence[PlanItem],
    start: dt.datetime,
    end: dt.datetime,
    tz: zoneinfo.ZoneInfo,
) -> dict[int, dict[dt.date, int]]:
    """plan item id -> week -> sets done (two queries: entries, completed set rows)."""
    by_id = {item.pk: item for item in items}
    entries = list(
        SessionExercise.objects.filter(
            session__patient_id=patient_id,
            session__started_at__gte=start,
            session__started_at__lt=end,
            session__deleted_at__isnull=True,
            plan_item_id__in=list(by_id),
        )
        .order_by()
        .values_list("id", "plan_item_id", "status", "session__started_at")
    )
    sides: dict[int, list[str]] = defaultdict(list)
    for entry_id, side in (
        SessionSet.objects.filter(
            session_exercise_id__in=[entry[0] for entry in entries], completed=True
        )
        .order_by()
        .values_list("session_exercise_id", "side")
    ):
        sides[entry_id].append(side)

    out: dict[int, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for entry_id, item_id, status, started_at in entries:
        item = by_id[item_id]
        week = week_start(started_at.astimezone(tz).date())
        out[item_id][week] += entry_sets_done(
            status=status,
            direction=item.direction,
            prescribed_sets=item.sets,
            sides=sides[entry_id],
        )
    return out
