"""Account services' details that mutation testing found unchecked (docs/testing.md): what
erasure scrubs from the access and admin logs, and which refresh tokens a revocation
counts."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import (
    CareRelationshipFactory,
    ClinicianFactory,
    PatientFactory,
)
from users.models import CareRelationship, PatientAccessLog, User
from users.services import (
    ERASED_ID,
    ERASED_REPR,
    admin_log_scrub,
    user_erase,
    user_refresh_tokens_revoke,
)

pytestmark = pytest.mark.django_db


def test_erasure_takes_the_patients_id_out_of_the_access_log_paths(clinician):
    patient, other = PatientFactory(), PatientFactory()
    paths = [
        f"/api/v1/patients/{patient.pk}/sessions/?q={patient.email}",
        f"/admin/users/user/{patient.pk.hex}/change/",
    ]
    for path in paths:
        PatientAccessLog.objects.create(
            actor=clinician, patient=patient, action="read", path=path
        )
    kept = PatientAccessLog.objects.create(
        actor=clinician, patient=other, action="read", path=f"/x/{other.pk}/"
    )

    user_erase(user=patient)

    scrubbed = sorted(
        PatientAccessLog.objects.exclude(pk=kept.pk).values_list("path", flat=True)
    )
    assert scrubbed == [
        f"/admin/users/user/{ERASED_ID}/change/",
        f"/api/v1/patients/{ERASED_ID}/sessions/",
    ]
    kept.refresh_from_db()
    assert kept.path == f"/x/{other.pk}/"


def _log_entry(actor, obj, message="") -> LogEntry:
    return LogEntry.objects.create(
        user=actor,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj),
        action_flag=CHANGE,
        change_message=message,
    )


def test_admin_log_scrub_empties_the_entries_about_each_object_and_text():
    admin = ClinicianFactory(is_staff=True)
    patient = PatientFactory(email="ana.erased@example.com")
    care = CareRelationshipFactory(patient=patient)
    about_patient = _log_entry(admin, patient)
    about_care = _log_entry(admin, care)
    mentioning = _log_entry(admin, admin, message="Wrote to ana.erased@example.com")
    short_name = _log_entry(admin, admin, message="Called Zed")
    unrelated = _log_entry(admin, PatientFactory(), message="Relabelled")

    count = admin_log_scrub(
        about=[(User, [str(patient.pk)]), (CareRelationship, [str(care.pk)])],
        # Three characters are enough to match; two are too few ("ab" matches nothing).
        mentions=[patient.email, "Zed", "ab", ""],
    )

    assert count == 4
    for entry in (about_patient, about_care, mentioning, short_name):
        entry.refresh_from_db()
        assert (entry.object_id, entry.object_repr, entry.change_message) == (
            None,
            ERASED_REPR,
            "",
        )
        assert entry.user == admin
        assert entry.action_flag == CHANGE
    unrelated.refresh_from_db()
    assert unrelated.change_message == "Relabelled"


def test_revoking_counts_only_the_live_tokens_not_yet_revoked(patient):
    live = [RefreshToken.for_user(patient) for _ in range(2)]
    revoked = RefreshToken.for_user(patient)
    revoked.blacklist()
    OutstandingToken.objects.create(
        user=patient,
        jti=uuid.uuid4().hex,
        token="expired",
        expires_at=timezone.now() - dt.timedelta(days=1),
    )

    assert user_refresh_tokens_revoke(user=patient) == len(live)
    assert BlacklistedToken.objects.filter(token__user=patient).count() == 3
    assert user_refresh_tokens_revoke(user=patient) == 0
