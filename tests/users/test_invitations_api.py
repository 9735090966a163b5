"""Invitations over HTTP: problem codes, the code shown once, query counts, throttles."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.throttling import ScopedRateThrottle

from tests.conftest import client_for
from tests.factories import ClinicianFactory, PatientFactory
from users.invitations import CODE_INVALID, CODE_USED, invitation_create

LIST = reverse("api:users-api:invitation-list")
REDEEM = reverse("api:users-api:me-invitations-redeem")
REGISTER = reverse("api:users-api:auth-register")


def test_register_with_a_used_code_is_its_own_problem(db, api_client, clinician):
    _, code = invitation_create(clinician=clinician, email="a@example.org")
    body = {"email": "a@example.org", "password": "knee-bends-at-dawn-9", "name": "A"}

    first = api_client.post(REGISTER, {**body, "invite_code": code}, format="json")
    second = api_client.post(
        REGISTER, {**body, "email": "b@example.org", "invite_code": code}, format="json"
    )
    wrong = api_client.post(
        REGISTER,
        {**body, "email": "c@example.org", "invite_code": "nope"},
        format="json",
    )

    assert (first.status_code, first.json()["in_care"]) == (201, True)
    assert (second.status_code, second.json()["code"]) == (400, "invite_code_used")
    assert second.json()["detail"] == CODE_USED
    assert (wrong.status_code, wrong.json()["code"]) == (400, "invite_code_invalid")
    assert wrong.json()["detail"] == CODE_INVALID


def test_me_says_whether_the_patient_is_in_care(patient_client, clinician, patient):
    assert patient_client.get(reverse("api:users-api:me")).json()["in_care"] is False
    _, code = invitation_create(clinician=clinician, email=patient.email)

    response = patient_client.post(REDEEM, {"code": code}, format="json")

    assert response.status_code == 200
    assert patient_client.get(reverse("api:users-api:me")).json()["in_care"] is True


def test_the_code_is_in_the_create_answer_only(clinician_client):
    created = clinician_client.post(LIST, {"email": "x@example.org"}, format="json")

    assert created.status_code == 201
    assert len(created.json()["code"]) == 11
    [listed] = clinician_client.get(LIST).json()["results"]
    assert "code" not in listed
    assert listed["status"] == "pending"


def test_redeeming_is_tightly_throttled(monkeypatch, patient_client):
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "invite_redeem": "2/hour"},
    )
    statuses = [
        patient_client.post(REDEEM, {"code": "AAAAA-AAAAA"}, format="json").status_code
        for _ in range(3)
    ]

    assert statuses == [400, 400, 429]


@pytest.mark.parametrize("count", [2, 20])
def test_invitation_list_query_count_is_fixed(db, count, django_assert_num_queries):
    clinician = ClinicianFactory()
    for n in range(count):
        invitation, _ = invitation_create(
            clinician=clinician, email=f"p{n}@example.org"
        )
        if n % 2:
            invitation.redeemed_by = PatientFactory()
            invitation.save()
    client = client_for(clinician)

    # savepoint + count + page (redeemed_by joined) + release savepoint
    with django_assert_num_queries(4):
        response = client.get(LIST, {"limit": 50})

    assert len(response.json()["results"]) == count
