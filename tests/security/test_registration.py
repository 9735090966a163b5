"""Issue 10, finding 8: registration does not tell whether an email has an account.

A taken email used to answer ``400 email_taken``: a list of staff emails for the
brute-force. Now both answers are a 201 with an account-shaped body; the owner of the
taken email is told by email instead.
"""

from __future__ import annotations

import pytest
from django.core import mail
from rest_framework.test import APIClient

from tests.factories import ClinicianFactory, PatientFactory
from tests.factories.users import PASSWORD
from users.models import CareRelationship, Invitation, User
from users.tasks import EXISTS_SUBJECT

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
STRONG = "knee-bends-at-dawn-42"


def register(email: str, **extra):
    body = {"email": email, "password": STRONG, "name": "Ana Silva", **extra}
    return APIClient().post(REGISTER, body, format="json")


def shape(response) -> tuple[int, str, set[str], dict]:
    """What an observer can compare: status, content type, keys, values but the id."""
    body = response.json()
    return (
        response.status_code,
        response["Content-Type"],
        set(body),
        {key: value for key, value in body.items() if key != "id"},
    )


@pytest.mark.parametrize("owner", [PatientFactory, ClinicianFactory])
def test_a_taken_email_answers_like_a_new_one(
    owner, django_capture_on_commit_callbacks
):
    owner(email="taken@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        taken = register("Taken@example.com")
    new = register("fresh@example.com")

    assert taken.status_code == 201
    status, content_type, keys, values = shape(taken)
    assert (status, content_type, keys) == shape(new)[:3]
    assert values == {**shape(new)[3], "email": "taken@example.com"}
    # Nothing was created; the stand-in's id names no account.
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    assert not User.objects.filter(pk=taken.json()["id"]).exists()


def test_the_owner_of_a_taken_email_is_told_by_email(
    django_capture_on_commit_callbacks,
):
    PatientFactory(email="taken@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        register("taken@example.com")

    (message,) = mail.outbox
    assert message.to == ["taken@example.com"]
    assert message.subject == EXISTS_SUBJECT


def test_a_new_email_sends_no_notice(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        register("fresh@example.com")

    assert mail.outbox == []


def test_a_weak_password_is_reported_alike_for_taken_and_new_emails():
    PatientFactory(email="taken@example.com")
    body = {"password": "short", "name": "Ana"}

    taken = APIClient().post(
        REGISTER, {**body, "email": "taken@example.com"}, format="json"
    )
    new = APIClient().post(
        REGISTER, {**body, "email": "fresh@example.com"}, format="json"
    )

    assert taken.status_code == new.status_code == 400
    assert taken.json()["errors"] == new.json()["errors"]
    assert {error["field"] for error in taken.json()["errors"]} == {"password"}


def test_the_owner_logs_in_with_their_own_password_after_either_answer():
    PatientFactory(email="taken@example.com")
    register("taken@example.com")

    mine = APIClient().post(
        "/api/v1/auth/token/",
        {"email": "taken@example.com", "password": PASSWORD},
        format="json",
    )
    theirs = APIClient().post(
        "/api/v1/auth/token/",
        {"email": "taken@example.com", "password": STRONG},
        format="json",
    )

    assert mine.status_code == 200
    assert theirs.status_code == 401


def test_an_invitation_code_still_puts_a_new_patient_in_care(clinician):
    from users.invitations import invitation_create

    _, code = invitation_create(clinician=clinician, email="new@example.com")

    response = register("new@example.com", invite_code=code)

    assert response.status_code == 201
    assert response.json()["in_care"] is True
    assert CareRelationship.objects.filter(
        clinician=clinician, patient__email="new@example.com"
    ).exists()


def test_an_invitation_for_a_taken_email_is_not_spent_and_looks_alike(clinician):
    from users.invitations import invitation_create

    PatientFactory(email="taken@example.com")
    invitation, code = invitation_create(clinician=clinician, email="taken@example.com")

    response = register("taken@example.com", invite_code=code)

    assert response.status_code == 201
    assert response.json()["in_care"] is True
    invitation.refresh_from_db()
    assert invitation.redeemed_at is None
    assert not Invitation.objects.filter(redeemed_at__isnull=False).exists()
