"""The outcomes admin: a clinician's patients' alerts only, bulk acknowledge, access log."""

from __future__ import annotations

import pytest

from outcomes.models import AlertStatus
from tests.factories import CareRelationshipFactory, PatientFactory
from tests.factories.outcomes import AlertFactory
from users.models import PatientAccessLog

pytestmark = pytest.mark.django_db

ALERTS = "/admin/outcomes/alert/"


@pytest.fixture
def desk(client, clinician):
    client.force_login(clinician)
    return client


@pytest.fixture
def mine(clinician, patient):
    CareRelationshipFactory(clinician=clinician, patient=patient)
    return AlertFactory(patient=patient, message="Mine: pain flare.")


@pytest.fixture
def theirs(other_clinician):
    stranger = PatientFactory()
    CareRelationshipFactory(clinician=other_clinician, patient=stranger)
    return AlertFactory(patient=stranger, message="Theirs: pain flare.")


def test_clinicians_see_their_patients_alerts_only_and_it_is_logged(
    desk, clinician, mine, theirs
):
    page = desk.get(ALERTS)

    assert page.status_code == 200
    assert "Mine: pain flare." in page.content.decode()
    assert "Theirs: pain flare." not in page.content.decode()
    assert desk.get(f"{ALERTS}{theirs.pk}/change/").status_code == 404
    assert desk.get(f"{ALERTS}{mine.pk}/change/").status_code == 200
    assert list(
        PatientAccessLog.objects.order_by("id").values_list("patient", "action")
    ) == [
        (mine.patient_id, "admin.alerts.list"),
        (mine.patient_id, "admin.alerts.view"),
    ]


def test_the_acknowledge_action_records_who(desk, clinician, mine, theirs):
    response = desk.post(
        ALERTS,
        {"action": "acknowledge", "_selected_action": [str(mine.pk), str(theirs.pk)]},
    )

    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, mine.acknowledged_by) == (AlertStatus.ACKNOWLEDGED, clinician)
    assert theirs.status == AlertStatus.OPEN


def test_the_digest_setting_is_the_clinicians_own(desk, clinician, other_clinician):
    response = desk.post(
        "/admin/outcomes/clinicianalertsettings/add/",
        {"clinician": str(other_clinician.pk), "daily_digest": "on"},
    )

    assert response.status_code == 302
    assert clinician.alert_settings.daily_digest is True
    assert not hasattr(other_clinician, "alert_settings")
