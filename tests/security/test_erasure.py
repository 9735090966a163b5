"""Issue 10, findings 5 and 13: erasure asks for the password and leaves nothing behind.

The walk reads every table of the database after an erasure (whatever app created it)
and looks for the patient's email, name and id in every column, JSON Web Tokens decoded.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from integrations.models import WebhookEndpoint, WebhookMessage
from outcomes.models import CalendarFeed, QuestionnaireAssignment
from tests.conftest import client_for
from tests.factories import (
    AdminFactory,
    ClinicianFactory,
    PatientFactory,
    PlanFactory,
    PlanItemFactory,
)
from tests.factories.outcomes import AlertFactory, answered, shipped
from tests.factories.users import PASSWORD
from users.models import PatientAccessLog, User

pytestmark = pytest.mark.django_db(transaction=False)

ME = "/api/v1/me/"
JWT = re.compile(r"eyJ[\w-]+\.(eyJ[\w-]+)\.[\w-]+")
EMAIL = "zephyrine.quoddy@example.com"
NAME = "Zephyrine Quoddy-Vale"


def jwt_payloads(text: str) -> str:
    decoded = []
    for payload in JWT.findall(text):
        try:
            decoded.append(
                base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            )
        except (binascii.Error, ValueError):
            continue
    return " ".join(part.decode("utf-8", "replace") for part in decoded)


def every_value():
    """(table, column, text) for every non-null cell of every table."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {quote(table)}")
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    if isinstance(value, bytes | memoryview):
                        text = bytes(value).decode("latin-1")
                    else:
                        text = str(value)
                    yield table, column, f"{text} {jwt_payloads(text)}"


def traces_of(patient_id: uuid.UUID) -> list[tuple[str, str, str]]:
    needles = [EMAIL, NAME, str(patient_id), patient_id.hex]
    return [
        (table, column, needle)
        for table, column, text in every_value()
        for needle in needles
        if needle.lower() in text.lower()
    ]


def admin_web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def lived_in_account():
    """A patient with a history: care, plans, sessions, logins, staff reads, admin edits."""
    patient = PatientFactory(email=EMAIL, name=NAME)
    clinician, admin = ClinicianFactory(), AdminFactory()
    admin_browser, clinician_browser = admin_web(admin), admin_web(clinician)
    # The admin puts the patient in the clinician's care (an admin change-log entry).
    added = admin_browser.post(
        "/admin/users/carerelationship/add/",
        {"clinician": clinician.pk, "patient": patient.pk},
    )
    assert added.status_code == 302, added.content[:500]
    plan = PlanFactory(patient=patient, prescribed_by=clinician)
    PlanItemFactory(plan=plan)
    plan.title = f"Knees for {NAME}"
    plan.save()  # a second history row
    # Staff read the patient's data, one with the email in the query string.
    assert (
        clinician_browser.get(
            f"/admin/training_sessions/patient/{patient.pk}/change/?_changelist_filters=q%3D{EMAIL}"
        ).status_code
        == 200
    )
    assert (
        client_for(clinician)
        .get(f"/api/v1/patients/{patient.pk}/?q={EMAIL}")
        .status_code
        == 200
    )
    assert (
        admin_browser.get(f"/admin/users/user/{patient.pk}/change/").status_code == 200
    )
    # The patient's own API life: a failed login, a login, a refresh, an upload.
    api = APIClient()
    api.post(
        "/api/v1/auth/token/", {"email": EMAIL, "password": "wrong"}, format="json"
    )
    tokens = api.post(
        "/api/v1/auth/token/", {"email": EMAIL, "password": PASSWORD}, format="json"
    ).json()
    tokens = api.post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    ).json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    # The layers above (added after this walk was written): a webhook endpoint of the
    # administrator receives the upload's event (its outbox body carries the patient's
    # id); an alert, a questionnaire assigned, answered, and a calendar feed.
    WebhookEndpoint.objects.create(
        url="https://receiver.example.org/hooks",
        events=["session.created"],
        owner=admin,
        secret="whsec_" + "a" * 32,
    )
    upload = api.post(
        "/api/v1/sessions/",
        {
            "id": str(uuid.uuid4()),
            "started_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
            "notes": NAME,
        },
        format="json",
    )
    assert upload.status_code == 201, upload.content
    assert WebhookMessage.objects.filter(body__contains=str(patient.pk)).exists()
    AlertFactory(patient=patient, message=f"Pain flare for {NAME}")
    nprs = shipped("nprs")
    assignment = QuestionnaireAssignment.objects.create(
        plan=plan, questionnaire=nprs, start_date=timezone.localdate()
    )
    answered(patient, nprs, assignment=assignment, value=4)
    CalendarFeed.objects.create(patient=patient)
    return patient, api, tokens


def test_the_walk_finds_a_living_account(lived_in_account):
    patient, _, _ = lived_in_account

    tables = {table for table, _, _ in traces_of(patient.pk)}

    # The walk sees what it must: the account, tokens (decoded), the logs, the history.
    assert {
        "users_user",
        "token_blacklist_outstandingtoken",
        "django_admin_log",
    } <= tables
    assert "users_patientaccesslog" in tables
    assert {
        "integrations_webhookmessage",
        "outcomes_alert",
        "outcomes_questionnaireresponse",
        "outcomes_calendarfeed",
    } <= tables


def test_after_erasure_no_table_holds_the_email_the_name_or_the_id(lived_in_account):
    patient, api, tokens = lived_in_account
    reads_before = PatientAccessLog.objects.count()

    response = api.delete(ME, {"password": PASSWORD}, format="json")

    assert response.status_code == 204
    assert traces_of(patient.pk) == []
    # What is kept, kept without the patient: staff reads stay accountable.
    assert PatientAccessLog.objects.count() == reads_before
    assert not PatientAccessLog.objects.filter(path__contains="?").exists()
    # A copy of either token names no account any more.
    replay = APIClient().post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert replay.status_code == 401
    assert api.get(ME).status_code == 401


def test_access_log_paths_are_stored_without_query_strings(patient, clinician):
    from tests.factories import CareRelationshipFactory

    CareRelationshipFactory(clinician=clinician, patient=patient)
    client_for(clinician).get(f"/api/v1/patients/{patient.pk}/?q={patient.email}")

    paths = list(PatientAccessLog.objects.values_list("path", flat=True))
    assert paths == [f"/api/v1/patients/{patient.pk}/"]


# ---------------------------------------------------------------------------
# 13. Erasure asks for the current password
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("body", [None, {}, {"password": "not-my-password"}])
def test_erasure_without_the_current_password_erases_nothing(patient, body):
    response = client_for(patient).delete(ME, body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "password"
    assert User.objects.filter(pk=patient.pk).exists()


def test_erasure_with_the_current_password_erases(patient):
    response = client_for(patient).delete(ME, {"password": PASSWORD}, format="json")

    assert response.status_code == 204
    assert not User.objects.filter(pk=patient.pk).exists()


def test_guessing_the_password_through_erasure_is_throttled(patient, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "auth": "2/min"},
    )
    client = client_for(patient)
    statuses = [
        client.delete(ME, {"password": f"guess-{n}"}, format="json").status_code
        for n in range(3)
    ]

    assert statuses == [400, 400, 429]
