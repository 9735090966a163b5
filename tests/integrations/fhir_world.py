"""A small world for the FHIR tests: a clinician's patient with a plan and sessions."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from outcomes.models import Alert, AlertStatus, QuestionnaireResponse
from outcomes.services.proms import questionnaire_response_submit
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
from tests.factories.outcomes import AlertFactory, shipped
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
    responses: list[QuestionnaireResponse]
    alerts: list[Alert]  # open, resolved
    other_response: QuestionnaireResponse
    other_alert: Alert


def session_for(
    patient: User, plan: Plan, item: PlanItem, hours_ago: int, **kw: Any
) -> Session:
    started = timezone.now().replace(microsecond=0) - dt.timedelta(hours=hours_ago)
    session = SessionFactory(patient=patient, plan=plan, started_at=started, **kw)
    SessionExerciseFactory(session=session, exercise=item.exercise, plan_item=item)
    return session


def answer(
    patient: User, name: str, value: dict[str, Any], days_ago: int = 1
) -> QuestionnaireResponse:
    """A patient's answers to a shipped one-item questionnaire (nprs, groc), as the app."""
    questionnaire = shipped(name)
    response, _ = questionnaire_response_submit(
        patient=patient,
        data={
            "id": uuid.uuid4(),
            "questionnaire": questionnaire.pk,
            "authored": timezone.now().replace(microsecond=0)
            - dt.timedelta(days=days_ago),
            "item": [{"linkId": questionnaire.items[0]["linkId"], "answer": [value]}],
        },
    )
    return response


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
        responses=[
            answer(patient, "nprs", {"valueInteger": 4}, days_ago=2),
            answer(patient, "groc", {"valueCoding": {"code": "3"}}),
        ],
        alerts=[
            AlertFactory(patient=patient, session=logged[0]),
            AlertFactory(
                patient=patient,
                status=AlertStatus.RESOLVED,
                resolved_at=timezone.now(),
                resolved_by=clinician,
            ),
        ],
        other_response=answer(other, "nprs", {"valueInteger": 7}),
        other_alert=AlertFactory(patient=other),
    )
