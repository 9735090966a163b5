"""A patient's copy of their data (right of access): composed above users and sessions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.timezone import now

from sessions.models import Plan, PlanItem, Session, SessionExercise, SessionSet
from users.models import CareRelationship, PatientAccessLog, User
from users.selectors import access_log_about, care_team_of


@dataclass
class PatientExport:
    """Everything stored about one patient, loaded with a fixed number of queries."""

    user: User
    exported_at: dt.datetime
    care_team: list[CareRelationship] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    access_log: list[PatientAccessLog] = field(default_factory=list)


def patient_export(*, user: User) -> PatientExport:
    """Load all of ``user``'s data for a copy (read only; 7 queries whatever the volume).

    Includes session tombstones (a deleted session keeps its id and times) and every
    access-log entry about the user (who read what, when).
    """
    plans = (
        Plan.objects.filter(patient=user)
        .select_related("prescribed_by", "routine")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=PlanItem.objects.select_related("exercise").order_by(
                    "order", "id"
                ),
            )
        )
        .order_by("start_date", "created_at")
    )
    sets = Prefetch("sets", queryset=SessionSet.objects.order_by("order", "id"))
    exercises = Prefetch(
        "exercises",
        queryset=SessionExercise.objects.select_related("exercise")
        .prefetch_related(sets)
        .order_by("order", "id"),
    )
    sessions = (
        Session.objects.filter(patient=user)
        .prefetch_related(exercises)
        .order_by("started_at", "id")
    )
    return PatientExport(
        user=user,
        exported_at=now(),
        care_team=list(care_team_of(patient=user)),
        plans=list(plans),
        sessions=list(sessions),
        access_log=list(access_log_about(patient=user)),
    )
