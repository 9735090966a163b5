"""patients/: a clinician's care list with last session, recent pain and adherence."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions.progress import adherence_recent
from tests.conftest import client_for
from tests.factories import (
    CareRelationshipFactory,
    ClinicianFactory,
    PatientFactory,
    PlanFactory,
    SessionFactory,
)
from users.models import PatientAccessLog

LIST_URL = reverse("api:users-api:patient-list")


def detail_url(user) -> str:
    return reverse("api:users-api:patient-detail", kwargs={"pk": user.pk})


@pytest.fixture
def care(clinician, patient):
    return CareRelationshipFactory(clinician=clinician, patient=patient)


@pytest.fixture
def active_patient(patient, care):
    """Every-day plan for two months; 7 sessions in the last 4 weeks (adherence 7/28).

    Pain after, newest first: none, 1, 2, 3, 4, 5, then 10 (the 6th with a value, so
    outside the last five). A deleted session is the most recent of all.
    """
    now = timezone.now()
    today = now.date()
    PlanFactory(
        patient=patient,
        start_date=today - dt.timedelta(days=60),
        days_of_week=[1, 2, 3, 4, 5, 6, 7],
    )
    newest = now - dt.timedelta(days=1)
    SessionFactory(patient=patient, started_at=newest, pain_after=None)
    for days_ago, pain in [(2, 1), (3, 2), (4, 3), (5, 4), (6, 5), (7, 10)]:
        SessionFactory(
            patient=patient,
            started_at=now - dt.timedelta(days=days_ago),
            pain_after=pain,
        )
    SessionFactory(
        patient=patient,
        started_at=now - dt.timedelta(hours=2),
        pain_after=9,
        deleted_at=now,
    )
    patient.newest_session_at = newest
    return patient


def test_clinician_lists_their_patients_with_recent_activity(
    clinician_client, active_patient
):
    PatientFactory()  # not in this clinician's care

    response = clinician_client.get(LIST_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["id"] == str(active_patient.pk)
    assert (row["name"], row["email"], row["timezone"]) == (
        active_patient.name,
        active_patient.email,
        "UTC",
    )
    assert (
        dt.datetime.fromisoformat(row["last_session_at"])
        == active_patient.newest_session_at
    )
    assert row["recent_pain_after"] == 3.0
    assert row["adherence_last_4_weeks"] == 0.25


def test_patient_without_sessions_or_plans_has_empty_figures(
    clinician_client, patient, care
):
    response = clinician_client.get(detail_url(patient))

    assert response.status_code == 200
    body = response.json()
    assert (
        body["last_session_at"],
        body["recent_pain_after"],
        body["adherence_last_4_weeks"],
    ) == (
        None,
        None,
        None,
    )


def test_detail_has_the_same_figures(clinician_client, active_patient):
    response = clinician_client.get(detail_url(active_patient))

    assert response.status_code == 200
    assert (
        response.json()["recent_pain_after"],
        response.json()["adherence_last_4_weeks"],
    ) == (3.0, 0.25)


def test_clinician_of_nobody_sees_nobody(patient):
    response = client_for(ClinicianFactory()).get(LIST_URL)

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_clinician_gets_404_for_a_patient_outside_their_care(
    clinician_client, other_patient, care
):
    assert clinician_client.get(detail_url(other_patient)).status_code == 404
    assert clinician_client.get("/api/v1/patients/not-a-uuid/").status_code == 404


def test_clinician_does_not_see_other_staff_as_patients(
    clinician_client, clinician, other_clinician, care
):
    response = clinician_client.get(LIST_URL)

    ids = [row["id"] for row in response.json()["results"]]
    assert str(other_clinician.pk) not in ids
    assert str(clinician.pk) not in ids
    assert clinician_client.get(detail_url(other_clinician)).status_code == 404


def test_admin_sees_every_patient(admin_client_api, patient, other_patient, clinician):
    response = admin_client_api.get(LIST_URL)

    assert {row["id"] for row in response.json()["results"]} == {
        str(patient.pk),
        str(other_patient.pk),
    }


def test_patients_get_403(patient_client, patient):
    assert patient_client.get(LIST_URL).status_code == 403
    response = patient_client.get(detail_url(patient))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


def test_anonymous_gets_401(db, api_client):
    assert api_client.get(LIST_URL).status_code == 401


def test_reads_are_logged_once_per_patient_per_request(
    clinician_client, clinician, patient, other_patient, care
):
    CareRelationshipFactory(clinician=clinician, patient=other_patient)

    clinician_client.get(LIST_URL)
    clinician_client.get(detail_url(patient))

    logs = PatientAccessLog.objects.filter(actor=clinician)
    assert sorted((log.action, str(log.patient_id)) for log in logs) == sorted(
        [
            ("patients.list", str(patient.pk)),
            ("patients.list", str(other_patient.pk)),
            ("patients.retrieve", str(patient.pk)),
        ]
    )


def test_adherence_recent_uses_each_patients_local_today(db):
    # 2026-11-23 23:30 UTC is already Nov 24 in Tokyo but still Nov 23 in UTC.
    now = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC)
    tokyo = PatientFactory(timezone="Asia/Tokyo")
    london = PatientFactory(timezone="Europe/London")
    for patient in (tokyo, london):
        # Only Tuesdays: Nov 24 is a Tuesday.
        PlanFactory(patient=patient, start_date=dt.date(2026, 11, 24), days_of_week=[2])
        SessionFactory(patient=patient, started_at=now - dt.timedelta(minutes=5))

    adherence = adherence_recent(patients=[tokyo, london], now=now)

    # Tokyo: Tuesday scheduled and the session was on it. London: nothing scheduled yet.
    assert adherence == {tokyo.pk: 1.0, london.pk: None}


@pytest.mark.parametrize("count", [2, 20])
def test_patient_list_query_count_is_fixed(
    clinician_client, clinician, count, django_assert_num_queries
):
    now = timezone.now()
    for _ in range(count):
        patient = PatientFactory()
        CareRelationshipFactory(clinician=clinician, patient=patient)
        PlanFactory(patient=patient, start_date=now.date() - dt.timedelta(days=30))
        for days_ago in (1, 2, 3):
            SessionFactory(
                patient=patient, started_at=now - dt.timedelta(days=days_ago)
            )

    # savepoint + count + patients (with last session and recent pain subqueries)
    # + plans + plan history + sessions + access-log insert + release savepoint
    with django_assert_num_queries(8):
        response = clinician_client.get(LIST_URL, {"limit": 100})

    assert len(response.json()["results"]) == count
