"""Alert services: rules on uploads and edits, periodic rules, one alert per cause, states."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from outcomes import rules
from outcomes.models import Alert, AlertKind, AlertStatus
from outcomes.services.alerts import (
    ALERT_RESOLVED,
    AlertStateConflict,
    alert_acknowledge,
    alert_raise,
    alert_resolve,
    alerts_session_rules_run,
    alerts_time_rules_run,
)
from outcomes.signals import alert_created
from sessions.models import Plan
from tests.conftest import client_for
from tests.factories import PlanFactory, SessionFactory
from tests.factories.outcomes import AlertFactory
from tests.outcomes.conftest import session_body

pytestmark = pytest.mark.django_db


def test_a_flare_upload_raises_one_alert_after_the_commit(plan, upload, patient):
    response = upload(session_body(plan, pain_before=3, pain_after=8))

    assert response.status_code == 201
    alert = Alert.objects.get()
    assert (alert.patient, alert.kind, alert.status) == (
        patient,
        AlertKind.PAIN_FLARE,
        AlertStatus.OPEN,
    )
    assert str(alert.session_id) == response.json()["id"]
    assert alert.plan == plan
    assert alert.evidence == {"pain_before": 3, "pain_after": 8}


def test_a_retried_upload_raises_no_second_alert(plan, upload):
    body = session_body(plan, pain_before=3, pain_after=8)

    first, retry = upload(body), upload(body)

    assert (first.status_code, retry.status_code) == (201, 200)
    assert Alert.objects.count() == 1


def test_rerunning_the_rules_on_a_session_changes_nothing(plan, upload):
    session_id = upload(session_body(plan, pain_after=8))
    session_id = session_id.json()["id"]

    again = alerts_session_rules_run(session_id=session_id)

    assert again == []
    assert Alert.objects.count() == 1


def test_a_calm_session_raises_nothing(plan, upload):
    upload(session_body(plan, pain_before=3, pain_after=3, pain_during=4))

    assert not Alert.objects.exists()


def test_high_pain_during_an_exercise_raises_its_own_alert(plan, upload):
    upload(session_body(plan, pain_before=2, pain_after=2, pain_during=8))

    alert = Alert.objects.get()
    assert alert.kind == AlertKind.PAIN_DURING
    assert alert.message == "High pain during Clamshell: 8/10."


def test_an_edit_into_a_flare_raises_the_alert(
    plan, upload, patient, django_capture_on_commit_callbacks
):
    created = upload(session_body(plan, pain_before=3, pain_after=3)).json()
    client = client_for(patient)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(
            f"/api/v1/sessions/{created['id']}/",
            {"pain_after": 9},
            format="json",
            headers={"If-Match": f'"{created["id"]}-1"'},
        )

    assert response.status_code == 200, response.content
    assert list(Alert.objects.values_list("kind", flat=True)) == [AlertKind.PAIN_FLARE]


def test_a_deleted_session_raises_nothing():
    session = SessionFactory(pain_before=1, pain_after=9, deleted_at=timezone.now())

    assert alerts_session_rules_run(session_id=session.pk) == []


def test_a_rising_trend_raises_one_alert_and_waits_while_it_is_unresolved(patient):
    now = timezone.now()
    sessions = [
        SessionFactory(
            patient=patient,
            started_at=now - dt.timedelta(days=12 - 3 * index),
            pain_before=pain,
            pain_after=pain,
        )
        for index, pain in enumerate([1, 2, 3, 4, 5])
    ]

    raised = alerts_session_rules_run(session_id=sessions[-1].pk)
    later = SessionFactory(patient=patient, started_at=now, pain_before=6, pain_after=6)
    raised_later = alerts_session_rules_run(session_id=later.pk)

    assert [alert.kind for alert in raised] == [AlertKind.PAIN_TREND]
    assert raised[0].evidence["sessions"] == 5
    assert raised_later == []


def test_the_trend_ignores_deleted_sessions_and_other_patients(patient, other_patient):
    now = timezone.now()
    for index, pain in enumerate([1, 2, 3]):
        SessionFactory(
            patient=patient,
            started_at=now - dt.timedelta(days=12 - 4 * index),
            pain_before=pain,
            pain_after=pain,
        )
    SessionFactory(
        patient=patient,
        started_at=now - dt.timedelta(days=2),
        pain_after=4,
        pain_before=4,
        deleted_at=now,
    )
    SessionFactory(
        patient=other_patient, started_at=now - dt.timedelta(days=1), pain_after=5
    )
    last = SessionFactory(patient=patient, started_at=now, pain_before=4, pain_after=4)

    # The patient's own live sessions only: 1, 2, 3 then 4 over 12 days.
    raised = alerts_session_rules_run(session_id=last.pk)

    assert [alert.evidence["sessions"] for alert in raised] == [4]


def test_alert_created_is_sent_once_inside_the_transaction(patient):
    received = []

    def receiver(sender, *, alert, **kwargs):
        received.append((alert.key, Alert.objects.filter(pk=alert.pk).exists()))

    alert_created.connect(receiver)
    try:
        finding = rules.Finding(
            kind=AlertKind.PAIN_FLARE, key="pain_flare:x", message="m"
        )
        alert_raise(patient_id=patient.pk, finding=finding)
        alert_raise(patient_id=patient.pk, finding=finding)
    finally:
        alert_created.disconnect(receiver)

    assert received == [("pain_flare:x", True)]


def test_a_failing_alert_created_receiver_rolls_the_alert_back(patient):
    def receiver(sender, **kwargs):
        raise RuntimeError("outbox down")

    alert_created.connect(receiver)
    finding = rules.Finding(kind=AlertKind.PAIN_FLARE, key="pain_flare:y", message="m")
    try:
        with pytest.raises(RuntimeError):
            alert_raise(patient_id=patient.pk, finding=finding)
    finally:
        alert_created.disconnect(receiver)

    assert not Alert.objects.exists()


# -- periodic rules ------------------------------------------------------------
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def test_inactivity_on_an_active_plan_raises_one_alert_per_gap(patient):
    plan = PlanFactory(patient=patient, start_date=dt.date(2026, 11, 1), title="Back")
    SessionFactory(
        patient=patient, started_at=dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
    )

    raised = alerts_time_rules_run(now=NOW)
    rerun = alerts_time_rules_run(now=NOW + dt.timedelta(hours=1))

    assert [(a.kind, a.key, a.plan_id) for a in raised] == [
        (AlertKind.INACTIVITY, f"inactivity:{plan.pk}:2026-11-20", plan.pk)
    ]
    assert raised[0].evidence == {"since": "2026-11-20", "days_without_session": 10}
    assert rerun == []


def test_inactivity_counts_from_the_plan_start_without_sessions(patient):
    PlanFactory(patient=patient, start_date=dt.date(2026, 11, 25))
    late = PlanFactory(patient=patient, start_date=dt.date(2026, 11, 10))

    raised = alerts_time_rules_run(now=NOW)

    assert [alert.plan_id for alert in raised] == [late.pk]


@pytest.mark.parametrize(
    "changes",
    [
        {"status": Plan.Status.PAUSED},
        {"status": Plan.Status.ENDED},
        {"end_date": dt.date(2026, 11, 28)},
        {"start_date": dt.date(2026, 12, 5)},
    ],
)
def test_inactivity_ignores_plans_not_active_today(patient, changes):
    PlanFactory(patient=patient, **{"start_date": dt.date(2026, 11, 1), **changes})

    assert alerts_time_rules_run(now=NOW) == []


def test_inactivity_uses_the_patients_local_date(patient):
    patient.timezone = "Pacific/Auckland"  # UTC+13 in November
    patient.save()
    PlanFactory(patient=patient, start_date=dt.date(2026, 11, 1))
    # 23 Nov 20:00 UTC is 24 Nov 09:00 in Auckland; 30 Nov 12:00 UTC is 1 Dec there.
    SessionFactory(
        patient=patient, started_at=dt.datetime(2026, 11, 23, 20, tzinfo=dt.UTC)
    )

    raised = alerts_time_rules_run(now=NOW)

    assert raised[0].evidence == {"since": "2026-11-24", "days_without_session": 7}


# -- acknowledge and resolve -----------------------------------------------------
def test_acknowledge_records_who_and_when_and_is_idempotent(clinician):
    alert = AlertFactory()

    first = alert_acknowledge(alert=alert, by=clinician, note="Called her.")
    again = alert_acknowledge(alert=alert, by=clinician)

    assert (first.status, first.acknowledged_by, first.note) == (
        AlertStatus.ACKNOWLEDGED,
        clinician,
        "Called her.",
    )
    assert again.acknowledged_at == first.acknowledged_at


def test_resolve_acknowledges_too_and_a_resolved_alert_cannot_be_acknowledged(
    clinician,
):
    alert = alert_resolve(alert=AlertFactory(), by=clinician)

    assert alert.status == AlertStatus.RESOLVED
    assert alert.resolved_by == alert.acknowledged_by == clinician
    assert alert.resolved_at == alert.acknowledged_at
    with pytest.raises(AlertStateConflict, match=ALERT_RESOLVED):
        alert_acknowledge(alert=alert, by=clinician)
    assert alert_resolve(alert=alert, by=clinician).resolved_at == alert.resolved_at


def test_a_flare_does_not_also_raise_a_trend(patient):
    now = timezone.now()
    for index, pain in enumerate([3, 3, 3, 3]):
        SessionFactory(
            patient=patient,
            started_at=now - dt.timedelta(days=12 - 3 * index),
            pain_before=pain,
            pain_after=pain,
        )
    flare = SessionFactory(patient=patient, started_at=now, pain_before=3, pain_after=9)

    raised = alerts_session_rules_run(session_id=flare.pk)

    assert [alert.kind for alert in raised] == [AlertKind.PAIN_FLARE]
