"""Plan writes report every broken field in one answer: the serializer's type and bound
errors together with the service's rules on the fields it could read
(plan_create_errors, plan_adjust_errors)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from common.models import Status
from sessions.models import Plan
from sessions.services.plan_changes import BEFORE_PLAN_START, plan_adjust_errors
from sessions.services.plan_compose import (
    PLAN_SOURCE_MISSING,
    TITLE_REQUIRED,
    plan_create_errors,
)
from sessions.services.plans import (
    DAYS_INVALID,
    END_BEFORE_START,
    NOT_YOUR_PATIENT,
    PLAN_ENDED,
    ROUTINE_NOT_PUBLISHED,
    SCHEDULE_BOTH,
    SCHEDULE_MISSING,
)
from tests.conftest import errors_by_field
from tests.factories import (
    CareRelationshipFactory,
    PatientFactory,
    PlanFactory,
    RoutineFactory,
    RoutineItemFactory,
)

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api:sessions-api:plan-list")


def detail_url(plan: Plan) -> str:
    return reverse("api:sessions-api:plan-detail", kwargs={"pk": plan.pk})


@pytest.fixture
def care(clinician, patient):
    return CareRelationshipFactory(clinician=clinician, patient=patient)


@pytest.fixture
def routine(db):
    routine = RoutineFactory()
    RoutineItemFactory(routine=routine)
    return routine


def test_prescribing_lists_a_wrong_type_with_the_broken_rules(
    clinician_client, clinician, routine
):
    routine.status = Status.DRAFT
    routine.save()
    body = {
        "patient": str(PatientFactory().pk),  # not in the clinician's care: a rule
        "routine": str(routine.pk),  # a draft: a rule
        "start_date": "2026-11-23",
        "end_date": "2026-11-01",  # before the start: a rule
        "days_of_week": [1, 1],  # twice the same day: a rule
        "note": 7,  # a number: a JSON type error
    }

    found = errors_by_field(clinician_client.post(LIST_URL, body, format="json"))

    assert found == {
        "note": [("invalid_type", "Must be a JSON string, not number.")],
        "patient": [("invalid", NOT_YOUR_PATIENT)],
        "routine": [("invalid", ROUTINE_NOT_PUBLISHED)],
        "days_of_week": [("invalid", DAYS_INVALID)],
        "end_date": [("invalid", END_BEFORE_START)],
    }
    assert not Plan.objects.exists()


def test_composing_lists_a_bound_error_with_the_broken_rules(
    clinician_client, patient, care
):
    body = {
        "patient": str(patient.pk),
        "title": " ",  # blank without a routine: a rule
        "start_date": "2026-11-23",
        "days_of_week": [1],
        "times_per_week": 30,  # out of bounds (1-21)
        "items": [],  # no routine and no items: a rule
    }

    found = errors_by_field(clinician_client.post(LIST_URL, body, format="json"))

    # times_per_week could not be read: "not both" with days_of_week is not judged.
    assert set(found) == {"times_per_week", "title", "routine"}
    assert found["times_per_week"][0][0] == "max_value"
    assert found["title"] == [("invalid", TITLE_REQUIRED)]
    assert found["routine"] == [("invalid", PLAN_SOURCE_MISSING)]


def test_a_well_typed_prescription_gets_every_broken_rule_at_once(
    clinician_client, routine
):
    body = {
        "patient": str(PatientFactory().pk),
        "routine": str(routine.pk),
        "start_date": "2026-11-23",
        "days_of_week": [2],
        "times_per_week": 3,
    }

    found = errors_by_field(clinician_client.post(LIST_URL, body, format="json"))

    assert found == {
        "patient": [("invalid", NOT_YOUR_PATIENT)],
        "times_per_week": [("invalid", SCHEDULE_BOTH)],
    }


def test_adjusting_lists_a_wrong_type_with_the_broken_rules(
    clinician_client, patient, care
):
    plan = PlanFactory(patient=patient, start_date=dt.date(2026, 11, 23))
    body = {
        "note": ["not", "text"],  # an array: a JSON type error
        "end_date": "2026-11-01",  # before the plan's start: a rule
        "days_of_week": [8],  # out of bounds
        "effective_from": "2026-11-01",  # before the plan's start: a rule
        "add_items": [],
    }

    found = errors_by_field(
        clinician_client.patch(detail_url(plan), body, format="json")
    )

    assert set(found) == {"note", "end_date", "days_of_week.0", "effective_from"}
    assert found["note"][0][0] == "invalid_type"
    assert found["end_date"] == [("invalid", END_BEFORE_START)]
    assert found["effective_from"] == [("invalid", BEFORE_PLAN_START)]
    plan.refresh_from_db()
    assert plan.end_date is None


def test_adjusting_reports_the_start_rule_of_effective_from(
    clinician_client, patient, care
):
    plan = PlanFactory(patient=patient, start_date=dt.date(2026, 11, 23))
    body = {"note": 1, "effective_from": "2026-11-01", "end_items": [1]}

    found = errors_by_field(
        clinician_client.patch(detail_url(plan), body, format="json")
    )

    assert set(found) == {"note", "effective_from"}
    assert found["effective_from"] == [("invalid", BEFORE_PLAN_START)]


def test_adjusting_an_ended_plan_with_a_bound_error(clinician_client, patient, care):
    plan = PlanFactory(patient=patient, status=Plan.Status.ENDED)

    found = errors_by_field(
        clinician_client.patch(
            detail_url(plan), {"status": "paused", "note": "x" * 2001}, format="json"
        )
    )

    assert set(found) == {"note", "status"}
    assert found["note"][0][0] == "max_length"
    assert found["status"] == [("invalid", PLAN_ENDED)]


def test_the_error_functions_skip_the_unread_fields(clinician, patient, care):
    data = {"patient_id": patient.pk, "start_date": dt.date(2026, 11, 23)}

    assert plan_create_errors(prescriber=clinician, data=data) == {
        "routine": [PLAN_SOURCE_MISSING],
        "title": [TITLE_REQUIRED],
        "days_of_week": [SCHEDULE_MISSING],
    }
    assert (
        plan_create_errors(
            prescriber=clinician,
            data=data,
            unread={"routine_id", "days_of_week"},
        )
        == {}
    )
    plan = PlanFactory(patient=patient, status=Plan.Status.ENDED)
    assert plan_adjust_errors(plan=plan, actor=clinician, data={"note": "x"}) == {
        "note": [PLAN_ENDED]
    }
    # Someone who may not change the plan gets its 403 from the service, not a 400.
    outsider = PatientFactory()
    assert plan_adjust_errors(plan=plan, actor=outsider, data={"note": "x"}) == {}
