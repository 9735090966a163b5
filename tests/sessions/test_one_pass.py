"""Session writes report every broken field in one answer: the serializer's type and
bound errors together with the service's rules on the fields it could read
(config.api.validation.fields_read, sessions.services.log_rules)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.utils import timezone

from sessions.models import Session
from sessions.services.log_rules import (
    ENDED_BEFORE_STARTED,
    SET_AMOUNT_REQUIRED,
    UNKNOWN_EXERCISE,
    UNKNOWN_PLAN,
    session_update_errors,
    session_upload_errors,
)
from tests.conftest import errors_by_field
from tests.factories import ExerciseFactory, PatientFactory, PlanFactory, SessionFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/sessions/"


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def started() -> dt.datetime:
    return (timezone.now() - dt.timedelta(hours=3)).replace(microsecond=0)


@pytest.fixture
def exercise():
    return ExerciseFactory()


def test_upload_lists_a_wrong_type_with_the_broken_rules(
    patient, patient_client, started, exercise
):
    other_plan = PlanFactory(patient=PatientFactory())
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "plan": str(other_plan.pk),  # not this patient's: a rule
        "started_at": iso(started),
        "ended_at": iso(started - dt.timedelta(minutes=5)),  # before the start: a rule
        "pain_before": "5",  # a string: a JSON type error
        "effort": 11,  # out of bounds
        "exercises": [{"exercise": str(exercise.pk), "sets": [{"completed": True}]}],
    }

    found = errors_by_field(patient_client.post(URL, body, format="json"))

    assert found == {
        "pain_before": [("invalid_type", "Must be a JSON integer, not string.")],
        "effort": [("max_value", found["effort"][0][1])],
        "plan": [("unknown_plan", UNKNOWN_PLAN)],
        "ended_at": [("ended_before_started", ENDED_BEFORE_STARTED)],
        "exercises.0.sets.0.reps": [("amount_required", SET_AMOUNT_REQUIRED)],
    }
    assert not Session.objects.exists()


def test_upload_checks_no_rule_on_a_field_it_could_not_read(
    patient, patient_client, started
):
    body = {
        "id": str(uuid.uuid4()),
        "started_at": iso(started),
        "ended_at": 7,  # unreadable: the time-order rule is not checked
        "exercises": [{"exercise": str(uuid.uuid4()), "sets": [{"reps": "x"}]}],
    }

    found = errors_by_field(patient_client.post(URL, body, format="json"))

    # The exercise's type error hides its rules (an unknown exercise), not the others'.
    assert set(found) == {"ended_at", "exercises.0.sets.0.reps"}
    assert found["ended_at"][0][0] == "invalid_type"
    assert found["exercises.0.sets.0.reps"][0][0] == "invalid_type"


def test_upload_lists_every_broken_rule_of_a_well_typed_body(
    patient, patient_client, started
):
    body = {
        "id": str(uuid.uuid4()),
        "started_at": iso(started),
        "ended_at": iso(started - dt.timedelta(minutes=1)),
        "exercises": [{"exercise": str(uuid.uuid4()), "sets": [{"seconds": None}]}],
    }

    found = errors_by_field(patient_client.post(URL, body, format="json"))

    assert found == {
        "exercises.0.exercise": [("unknown_exercise", UNKNOWN_EXERCISE)],
        "ended_at": [("ended_before_started", ENDED_BEFORE_STARTED)],
        "exercises.0.sets.0.reps": [("amount_required", SET_AMOUNT_REQUIRED)],
    }


def test_edit_lists_a_wrong_type_with_the_broken_rules(patient, patient_client):
    session = SessionFactory(patient=patient)
    etag = patient_client.get(f"{URL}{session.pk}/")["ETag"]
    body = {
        "notes": 5,  # a number: a JSON type error
        # Before the stored start: a rule checked against the stored time.
        "ended_at": iso(session.started_at - dt.timedelta(minutes=1)),
        "plan": str(uuid.uuid4()),  # unknown: a rule
    }

    found = errors_by_field(
        patient_client.patch(
            f"{URL}{session.pk}/", body, format="json", headers={"If-Match": etag}
        )
    )

    assert found == {
        "notes": [("invalid_type", "Must be a JSON string, not number.")],
        "plan": [("unknown_plan", UNKNOWN_PLAN)],
        "ended_at": [("ended_before_started", ENDED_BEFORE_STARTED)],
    }
    session.refresh_from_db()
    assert session.version == 1


def test_edit_with_a_bound_error_still_reports_the_sets_rule(patient, patient_client):
    session = SessionFactory(patient=patient)
    exercise = ExerciseFactory()
    etag = patient_client.get(f"{URL}{session.pk}/")["ETag"]
    body = {
        "pain_after": -1,
        "exercises": [{"exercise": str(exercise.pk), "sets": [{"reps": None}]}],
    }

    found = errors_by_field(
        patient_client.patch(
            f"{URL}{session.pk}/", body, format="json", headers={"If-Match": etag}
        )
    )

    assert set(found) == {"pain_after", "exercises.0.sets.0.reps"}
    assert found["pain_after"][0][0] == "min_value"
    assert found["exercises.0.sets.0.reps"] == [
        ("amount_required", SET_AMOUNT_REQUIRED)
    ]


def test_the_error_functions_skip_the_unread_fields(patient, started):
    data = {
        "plan": uuid.uuid4(),
        "started_at": started,
        "ended_at": started - dt.timedelta(minutes=1),
        "exercises": [{"exercise": uuid.uuid4(), "sets": [{}]}],
    }

    every = session_upload_errors(patient=patient, data=data)
    assert set(every) == {
        "plan",
        "exercises.0.exercise",
        "ended_at",
        "exercises.0.sets.0.reps",
    }
    assert (
        session_upload_errors(
            patient=patient, data=data, unread={"plan", "ended_at", "exercises"}
        )
        == {}
    )
    session = SessionFactory(patient=patient)
    assert set(session_update_errors(session=session, data=data, unread={"plan"})) == {
        "ended_at",
        "exercises.0.sets.0.reps",
    }
