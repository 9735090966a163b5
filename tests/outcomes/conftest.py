"""Shared pieces of the outcomes tests: a patient in care with a plan, session uploads."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import client_for
from tests.factories import (
    CareRelationshipFactory,
    ExerciseFactory,
    PlanFactory,
    PlanItemFactory,
)

SESSIONS_URL = "/api/v1/sessions/"
ALERTS_URL = "/api/v1/alerts/"


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def care(clinician, patient):
    return CareRelationshipFactory(clinician=clinician, patient=patient)


@pytest.fixture
def plan(patient, clinician, care):
    plan = PlanFactory(
        patient=patient,
        prescribed_by=clinician,
        start_date=timezone.localdate() - dt.timedelta(days=30),
        days_of_week=[1, 3, 5],
    )
    PlanItemFactory(plan=plan, exercise=ExerciseFactory(name="Clamshell"))
    return plan


def session_body(
    plan: Any,
    *,
    pain_before: int | None = 3,
    pain_after: int | None = 8,
    pain_during: int | None = None,
    started: dt.datetime | None = None,
    session_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """An upload of one session of ``plan`` (its first item, one set)."""
    item = plan.items.first()
    started = started or (timezone.now() - dt.timedelta(hours=1)).replace(microsecond=0)
    return {
        "id": str(session_id or uuid.uuid4()),
        "plan": str(plan.pk),
        "started_at": iso(started),
        "ended_at": iso(started + dt.timedelta(minutes=20)),
        "pain_before": pain_before,
        "pain_after": pain_after,
        "notes": "Sharp pain down my leg.",
        "exercises": [
            {
                "exercise": str(item.exercise_id),
                "plan_item": item.pk,
                "status": "done",
                "pain_during": pain_during,
                "sets": [{"side": "both", "reps": 10}],
            }
        ],
    }


@pytest.fixture
def upload(patient, django_capture_on_commit_callbacks):
    """POST a session as the patient, running what it queues after the commit."""
    client = client_for(patient)

    def send(body: dict[str, Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(SESSIONS_URL, body, format="json")

    return send
