"""The daily alert digest: opt-in, once a day per clinician, local hour, access log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from outcomes.models import AlertDigest, AlertStatus
from outcomes.services.alerts import alert_acknowledge
from outcomes.services.digests import (
    alert_digest_send,
    alert_digests_send,
    alert_settings_update,
)
from outcomes.tasks import alert_digests_send_task
from tests.factories import CareRelationshipFactory, ClinicianFactory, PatientFactory
from tests.factories.outcomes import AlertFactory
from users.models import PatientAccessLog

pytestmark = pytest.mark.django_db

# 08:30 UTC: 08:30 for a UTC clinician (after 07:00), 00:30 in Los Angeles (before).
NOW = dt.datetime(2026, 11, 30, 8, 30, tzinfo=dt.UTC)


@pytest.fixture
def opted_in(clinician, patient, care):
    alert_settings_update(clinician=clinician, daily_digest=True)
    return clinician


def test_nothing_is_sent_to_clinicians_who_did_not_opt_in(clinician, patient, care):
    AlertFactory(patient=patient)

    assert alert_digests_send(now=NOW) == []
    assert mail.outbox == []


def test_the_digest_lists_unresolved_alerts_of_the_clinicians_patients(
    opted_in, patient
):
    flare = AlertFactory(
        patient=patient, message="Pain flare: 3/10 before, 8/10 after."
    )
    acknowledged = alert_acknowledge(
        alert=AlertFactory(patient=patient, message="No session for 9 days."),
        by=opted_in,
    )
    AlertFactory(
        patient=patient,
        message="Resolved already.",
        status=AlertStatus.RESOLVED,
        resolved_at=NOW,
    )
    stranger = PatientFactory()
    CareRelationshipFactory(clinician=ClinicianFactory(), patient=stranger)
    AlertFactory(patient=stranger, message="Someone else's patient.")

    sent = alert_digests_send(now=NOW)

    assert [(d.clinician, d.day, d.alert_count) for d in sent] == [
        (opted_in, dt.date(2026, 11, 30), 2)
    ]
    [message] = mail.outbox
    assert message.to == [opted_in.email]
    assert message.subject == "Rehabit: 2 alerts need your attention"
    assert flare.message in message.body
    assert acknowledged.message in message.body
    assert f"acknowledged by {opted_in.name}" in message.body
    assert "Resolved already." not in message.body
    assert "Someone else's patient." not in message.body


def test_a_rerun_the_same_day_sends_nothing_more(opted_in, patient):
    AlertFactory(patient=patient)

    alert_digests_send(now=NOW)
    again = alert_digests_send(now=NOW + dt.timedelta(hours=3))

    assert again == []
    assert len(mail.outbox) == 1
    assert AlertDigest.objects.count() == 1


def test_the_next_day_sends_again(opted_in, patient):
    AlertFactory(patient=patient)

    alert_digests_send(now=NOW)
    alert_digests_send(now=NOW + dt.timedelta(days=1))

    assert len(mail.outbox) == 2


def test_no_alerts_no_email(opted_in):
    assert alert_digest_send(clinician=opted_in, day=NOW.date()) is None
    assert mail.outbox == []
    assert not AlertDigest.objects.exists()


def test_the_hour_is_the_clinicians_local_hour(opted_in, patient):
    opted_in.timezone = "America/Los_Angeles"
    opted_in.save()
    AlertFactory(patient=patient)

    assert alert_digests_send(now=NOW) == []  # 00:30 there
    sent = alert_digests_send(now=NOW + dt.timedelta(hours=8))  # 08:30 there

    assert [digest.day for digest in sent] == [dt.date(2026, 11, 30)]


def test_a_failed_send_leaves_no_record_so_the_retry_sends(
    opted_in, patient, monkeypatch
):
    AlertFactory(patient=patient)

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("outcomes.services.digests.send_mail", broken)
    with pytest.raises(ConnectionRefusedError):
        alert_digests_send(now=NOW)
    monkeypatch.undo()

    assert not AlertDigest.objects.exists()
    assert len(alert_digests_send(now=NOW)) == 1


def test_the_patients_in_the_digest_are_in_the_access_log(opted_in, patient):
    AlertFactory(patient=patient)
    AlertFactory(patient=patient)

    alert_digests_send(now=NOW)

    assert list(PatientAccessLog.objects.values_list("actor", "patient", "action")) == [
        (opted_in.pk, patient.pk, "alerts.digest")
    ]


def test_the_task_sends_the_due_digests(opted_in, patient, settings):
    settings.OUTCOMES_DIGEST_HOUR = 0  # due at any time of the real day
    AlertFactory(patient=patient)

    assert alert_digests_send_task.delay().get() == 1
    assert alert_digests_send_task.delay().get() == 0
    assert len(mail.outbox) == 1
