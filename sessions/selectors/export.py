"""A patient's copy of their data (right of access): composed above users and sessions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.utils.timezone import now
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from common.models import DOSAGE_FIELDS
from sessions.models import Plan, PlanItem, Session, SessionExercise, SessionSet
from users.models import CareRelationship, PatientAccessLog, User
from users.selectors import (
    access_log_about,
    active_refresh_tokens_of,
    care_team_of,
    login_records_of,
)

HISTORY_FIELDS = ("history_date", "history_type", "history_change_reason")
PLAN_HISTORY_FIELDS = (
    "id",
    *HISTORY_FIELDS,
    "title",
    "status",
    "start_date",
    "end_date",
    "days_of_week",
    "times_per_week",
    "note",
)
PLAN_ITEM_HISTORY_FIELDS = (
    "id",
    "plan_id",
    *HISTORY_FIELDS,
    "exercise_id",
    "order",
    *DOSAGE_FIELDS,
    "block",
    "note",
)


@dataclass
class PatientExport:
    """Everything stored about one patient, loaded with a fixed number of queries."""

    user: User
    exported_at: dt.datetime
    care_team: list[CareRelationship] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    access_log: list[PatientAccessLog] = field(default_factory=list)
    plan_history: list[dict[str, Any]] = field(default_factory=list)
    plan_item_history: list[dict[str, Any]] = field(default_factory=list)
    login_records: list[dict[str, Any]] = field(default_factory=list)
    devices: list[OutstandingToken] = field(default_factory=list)


def patient_export(*, user: User) -> PatientExport:
    """Load all of ``user``'s data for a copy (read only; a fixed number of queries).

    Includes session tombstones (a deleted session keeps its id and times) and every
    access-log entry about the user (who read what, when).
    """
    plans_query = (
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
    plans = list(plans_query)
    plan_ids = [plan.pk for plan in plans]
    return PatientExport(
        user=user,
        exported_at=now(),
        care_team=list(care_team_of(patient=user)),
        plans=plans,
        sessions=list(sessions),
        access_log=list(access_log_about(patient=user)),
        plan_history=list(
            Plan.history.filter(id__in=plan_ids)
            .order_by("history_date", "history_id")
            .values(*PLAN_HISTORY_FIELDS)
        ),
        plan_item_history=list(
            PlanItem.history.filter(plan_id__in=plan_ids)
            .order_by("history_date", "history_id")
            .values(*PLAN_ITEM_HISTORY_FIELDS)
        ),
        login_records=login_records_of(user=user),
        devices=list(active_refresh_tokens_of(user=user)),
    )
