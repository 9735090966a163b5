"""Invitations: single-use codes, 14-day expiry, register or redeem into care."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from users.invitations import (
    ALPHABET,
    CODE_EXPIRED,
    CODE_INVALID,
    CODE_REVOKED,
    CODE_USED,
    code_normalize,
    invitation_create,
    invitation_list,
    invitation_redeem,
    invitation_revoke,
)
from users.models import CareRelationship, Invitation, User
from users.services import user_register

PASSWORD = "a-long-enough-passphrase-42"


def codes_of(excinfo) -> list[str]:
    return [error.code for error in excinfo.value.error_dict["invite_code"]]


@pytest.fixture
def invited(clinician, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return invitation_create(
            clinician=clinician,
            email=" New.Patient@Example.org ",
            note="See you Monday.",
        )


def test_the_code_is_short_typeable_and_stored_only_as_a_hash(invited):
    invitation, code = invited

    assert re.fullmatch(f"[{ALPHABET}]{{5}}-[{ALPHABET}]{{5}}", code)
    assert code_normalize(code) not in invitation.code_hash
    assert invitation.email == "new.patient@example.org"
    expires_in = invitation.expires_at - timezone.now()
    assert dt.timedelta(days=13, hours=23) < expires_in <= dt.timedelta(days=14)


def test_the_invitation_is_emailed_with_the_code_and_note(clinician, invited):
    _, code = invited

    [message] = mail.outbox
    assert message.to == ["new.patient@example.org"]
    assert code in message.body
    assert "See you Monday." in message.body
    assert clinician.name in message.subject


def test_registering_with_the_code_puts_the_patient_in_care(clinician, invited):
    _, code = invited

    user = user_register(
        email="new.patient@example.org",
        password=PASSWORD,
        name="New",
        invite_code=code.lower().replace("-", " "),
    )

    assert CareRelationship.objects.filter(clinician=clinician, patient=user).exists()
    invitation = Invitation.objects.get()
    assert (invitation.redeemed_by, invitation.status_at(timezone.now())) == (
        user,
        "redeemed",
    )


def test_a_code_is_used_once(patient, other_patient, invited):
    _, code = invited
    invitation_redeem(patient=patient, code=code)

    with pytest.raises(ValidationError) as excinfo:
        invitation_redeem(patient=other_patient, code=code)

    assert codes_of(excinfo) == ["invite_code_used"]
    assert excinfo.value.messages == [CODE_USED]


@pytest.mark.parametrize(
    ("spoil", "code", "message"),
    [
        (lambda i: None, "invite_code_invalid", CODE_INVALID),
        (
            lambda i: Invitation.objects.filter(pk=i.pk).update(
                expires_at=timezone.now() - dt.timedelta(seconds=1)
            ),
            "invite_code_expired",
            CODE_EXPIRED,
        ),
        (
            lambda i: Invitation.objects.filter(pk=i.pk).update(
                revoked_at=timezone.now()
            ),
            "invite_code_revoked",
            CODE_REVOKED,
        ),
    ],
)
def test_wrong_expired_and_revoked_codes_create_nothing(invited, spoil, code, message):
    invitation, good = invited
    spoil(invitation)
    typed = "ZZZZZ-ZZZZZ" if code == "invite_code_invalid" else good

    with pytest.raises(ValidationError) as excinfo:
        user_register(
            email="new.patient@example.org",
            password=PASSWORD,
            name="N",
            invite_code=typed,
        )

    assert codes_of(excinfo) == [code]
    assert excinfo.value.messages == [message]
    assert not User.objects.filter(email="new.patient@example.org").exists()


def test_only_clinicians_invite_and_only_patients_redeem(patient, clinician, invited):
    _, code = invited
    with pytest.raises(PermissionDenied):
        invitation_create(clinician=patient, email="x@example.org")
    with pytest.raises(PermissionDenied):
        invitation_redeem(patient=clinician, code=code)


def test_clinicians_list_and_revoke_their_own(clinician, other_clinician, invited):
    invitation, _ = invited

    assert list(invitation_list(clinician=other_clinician)) == []
    with pytest.raises(Invitation.DoesNotExist):
        invitation_revoke(clinician=other_clinician, invitation_id=invitation.pk)

    invitation_revoke(clinician=clinician, invitation_id=invitation.pk)

    assert [
        i.status_at(timezone.now()) for i in invitation_list(clinician=clinician)
    ] == ["revoked"]
    with pytest.raises(ValidationError) as excinfo:
        invitation_revoke(clinician=clinician, invitation_id=invitation.pk)
    assert excinfo.value.code == "invitation_closed"


def test_the_email_is_not_sent_for_an_invitation_revoked_before_delivery(clinician):
    from users.tasks import invitation_email_send

    invitation, code = invitation_create(clinician=clinician, email="a@example.org")
    invitation_revoke(clinician=clinician, invitation_id=invitation.pk)

    assert invitation_email_send(invitation_id=invitation.pk, code=code) is False
    assert mail.outbox == []


def test_in_care_says_whether_a_clinician_has_taken_the_patient_on(patient, invited):
    from users.selectors import user_in_care

    assert user_in_care(user=patient) is False
    invitation_redeem(patient=patient, code=invited[1])
    assert user_in_care(user=patient) is True
