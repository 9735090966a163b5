"""A small world for the FHIR tests: a clinician's patient with a plan and sessions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from sessions.models import Plan, PlanItem, Session
from tests.factories import (
    CareRelationshipFactory,
    ClinicianFactory,
    PatientFactory,
    PlanFactory,
    PlanItemFactory,
    SessionExerciseFactory,
    SessionFactory,
)
from users.models import User

FHIR = "/fhir/r4"
FHIR_JSON = "application/fhir+json"


def validate(resource: dict[str, Any]) -> dict[str, Any]:
    """Parse with the fhir.resources R4(B) model of its type (raises if invalid)."""
    model = get_fhir_model_class(resource["resourceType"])
    model.model_validate(resource)
    return resource


def bearer(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


@dataclass
class FhirWorld:
    patient: User
    clinician: User
    plan: Plan
    items: list[PlanItem]
    sessions: list[Session]
    tombstone: Session
    other_patient: User
    other_plan: Plan
    other_session: Session


def session_for(
    patient: User, plan: Plan, item: PlanItem, hours_ago: int, **kw: Any
) -> Session:
    started = timezone.now().replace(microsecond=0) - dt.timedelta(hours=hours_ago)
    session = SessionFactory(patient=patient, plan=plan, started_at=started, **kw)
    SessionExerciseFactory(session=session, exercise=item.exercise, plan_item=item)
    return session


def build_world(sessions: int = 3) -> FhirWorld:
    patient = PatientFactory(name="Ada Patient")
    clinician = ClinicianFactory(name="Dr. Care")
    CareRelationshipFactory(clinician=clinician, patient=patient)
    plan = PlanFactory(
        patient=patient, prescribed_by=clinician, days_of_week=[2, 4], note="Go slow."
    )
    items = [
        PlanItemFactory(plan=plan, sets=3, reps=10, per_side=True, hold_seconds=2),
        PlanItemFactory(plan=plan, sets=2, reps=None, seconds=30, load="light band"),
    ]
    logged = [
        session_for(patient, plan, items[0], hours_ago=2 + n, notes="Felt fine.")
        for n in range(sessions)
    ]
    tombstone = session_for(
        patient,
        plan,
        items[0],
        hours_ago=1,
        deleted_at=timezone.now(),
        pain_before=None,
    )
    other = PatientFactory()
    other_plan = PlanFactory(patient=other)
    other_item = PlanItemFactory(plan=other_plan)
    return FhirWorld(
        patient=patient,
        clinician=clinician,
        plan=plan,
        items=items,
        sessions=logged,
        tombstone=tombstone,
        other_patient=other,
        other_plan=other_plan,
        other_session=session_for(other, other_plan, other_item, hours_ago=3),
    )
