"""Webhooks for the outcomes app's events: alert.created, questionnaire_response.created.

One event per cause (an alert raised once per cause, answers once per id), none for a
retry, ids and links only, written in the creating transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from integrations.models import WebhookMessage
from integrations.webhooks import services
from outcomes.models import Alert
from outcomes.rules import Finding
from outcomes.services.alerts import alert_raise
from tests.conftest import client_for
from tests.factories import (
    AdminFactory,
    CareRelationshipFactory,
    ClinicianFactory,
    PatientFactory,
)
from tests.factories.outcomes import shipped
from tests.integrations.test_webhooks import item, upload_body  # noqa: F401

pytestmark = pytest.mark.django_db

OUTCOME_EVENTS = ["alert.created", "questionnaire_response.created"]
BASE = "http://127.0.0.1:8000"


def register(url: str, owner: Any = None) -> tuple:
    return services.endpoint_register(
        url=url, events=OUTCOME_EVENTS, owner=owner or AdminFactory()
    )


def answers_body(value: int = 4) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "questionnaire": str(shipped("nprs").pk),
        "authored": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "item": [{"linkId": "pain", "answer": [{"valueInteger": value}]}],
    }


def test_a_pain_flare_upload_delivers_one_signed_alert_created(
    receiver,
    item,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    _endpoint, secret = register(receiver.url)
    body = upload_body(item) | {"pain_before": 2, "pain_after": 8}
    patient = item.plan.patient

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(patient).post("/api/v1/sessions/", body)

    assert response.status_code == 201, response.content
    alert = Alert.objects.get(patient=patient)
    assert len(receiver.requests) == 1  # the session events are not subscribed
    request = receiver.requests[0]
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "alert.created"
    assert payload["data"] == {
        "id": str(alert.pk),
        "patient": str(patient.pk),
        "session": body["id"],
        "plan": str(item.plan_id),
        "links": {
            "self": f"{BASE}/api/v1/alerts/{alert.pk}/",
            "fhir": f"{BASE}/fhir/r4/Flag/{alert.pk}",
        },
    }
    assert b"flare" not in request.body  # the kind and message stay behind the API
    # The same upload again, and an edit that keeps the flare: the same cause, no event.
    with django_capture_on_commit_callbacks(execute=True):
        retry = client_for(patient).post("/api/v1/sessions/", body)
    assert retry.status_code == 200
    assert WebhookMessage.objects.filter(event_type="alert.created").count() == 1
    assert len(receiver.requests) == 1


def test_an_alert_raised_again_for_its_cause_publishes_nothing():
    patient = PatientFactory()
    register("https://hooks.example.com/rehabit")
    finding = Finding(kind="inactivity", key="inactivity:x", message="No session.")

    first, created = alert_raise(patient_id=patient.pk, finding=finding)
    again, created_again = alert_raise(patient_id=patient.pk, finding=finding)

    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    message = WebhookMessage.objects.get()
    assert message.event_type == "alert.created"
    assert str(first.pk) in message.body


def test_answers_deliver_one_questionnaire_response_created(
    receiver, django_capture_on_commit_callbacks
):
    patient = PatientFactory()
    _endpoint, secret = register(receiver.url)
    body = answers_body()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(patient).post("/api/v1/questionnaire-responses/", body)

    assert response.status_code == 201, response.content
    assert len(receiver.requests) == 1
    payload = Webhook(secret).verify(
        receiver.requests[0].body, receiver.requests[0].headers
    )
    assert payload["type"] == "questionnaire_response.created"
    assert payload["data"] == {
        "id": body["id"],
        "patient": str(patient.pk),
        "questionnaire": body["questionnaire"],
        "links": {
            "self": f"{BASE}/api/v1/questionnaire-responses/{body['id']}/",
            "fhir": f"{BASE}/fhir/r4/QuestionnaireResponse/{body['id']}",
        },
    }
    assert b"valueInteger" not in receiver.requests[0].body
    assert b"score" not in receiver.requests[0].body
    # A retry of the same answers (same id and body) is not a new event.
    with django_capture_on_commit_callbacks(execute=True):
        retry = client_for(patient).post("/api/v1/questionnaire-responses/", body)
    assert retry.status_code == 200, retry.content
    assert WebhookMessage.objects.count() == 1
    assert len(receiver.requests) == 1


def test_the_answers_event_rolls_back_with_the_answers():
    from outcomes.services.proms import questionnaire_response_submit

    patient = PatientFactory()
    register("https://hooks.example.com/rehabit")
    body = answers_body() | {"id": uuid.uuid4()}
    body["authored"] = timezone.now() - dt.timedelta(hours=1)

    written = []

    def submit_then_fail() -> None:
        with transaction.atomic():
            questionnaire_response_submit(patient=patient, data=body)
            written.append(WebhookMessage.objects.count())  # the same transaction
            raise RuntimeError("the request failed after the answers")

    with pytest.raises(RuntimeError):
        submit_then_fail()

    assert written == [1]
    assert WebhookMessage.objects.count() == 0


def test_outcome_events_follow_the_owners_view():
    patient = PatientFactory()
    carer, stranger = ClinicianFactory(), ClinicianFactory()
    CareRelationshipFactory(clinician=carer, patient=patient)
    theirs, _ = register("https://hooks.example.com/carer", owner=carer)
    register("https://hooks.example.com/stranger", owner=stranger)
    finding = Finding(kind="inactivity", key="inactivity:y", message="No session.")

    alert_raise(patient_id=patient.pk, finding=finding)

    assert list(WebhookMessage.objects.values_list("endpoint_id", flat=True)) == [
        theirs.pk
    ]
