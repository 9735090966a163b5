"""alerts/ and me/alert-settings/: scoping, filters, states, access log, query counts."""

from __future__ import annotations

import uuid

import pytest

from outcomes.models import Alert, AlertKind, AlertStatus, ClinicianAlertSettings
from tests.conftest import client_for
from tests.factories import CareRelationshipFactory, PatientFactory
from tests.factories.outcomes import AlertFactory
from tests.outcomes.conftest import ALERTS_URL
from users.models import PatientAccessLog

pytestmark = pytest.mark.django_db
SETTINGS_URL = "/api/v1/me/alert-settings/"


def action_url(alert: Alert, name: str) -> str:
    return f"{ALERTS_URL}{alert.pk}/{name}/"


@pytest.fixture
def mine(clinician, patient, care):
    return AlertFactory(patient=patient)


@pytest.fixture
def theirs(other_patient, other_clinician):
    CareRelationshipFactory(clinician=other_clinician, patient=other_patient)
    return AlertFactory(patient=other_patient)


def ids(response) -> list[str]:
    return [item["id"] for item in response.json()["results"]]


def test_clinicians_list_their_patients_alerts_only(clinician, mine, theirs):
    response = client_for(clinician).get(ALERTS_URL)

    assert response.status_code == 200
    assert ids(response) == [str(mine.pk)]
    body = response.json()["results"][0]
    assert body["patient"] == {"id": str(mine.patient_id), "name": mine.patient.name}
    assert (body["kind"], body["status"], body["acknowledged_by"]) == (
        "pain_flare",
        "open",
        None,
    )
    assert body["evidence"] == {"pain_before": 3, "pain_after": 8}


def test_admins_list_every_alert(admin_user, mine, theirs):
    assert set(ids(client_for(admin_user).get(ALERTS_URL))) == {
        str(mine.pk),
        str(theirs.pk),
    }


def test_patients_get_403(patient, mine):
    response = client_for(patient).get(ALERTS_URL)

    assert response.status_code == 403
    assert client_for(patient).get(f"{ALERTS_URL}{mine.pk}/").status_code == 403


def test_filters_by_patient_status_and_kind(clinician, patient, care, mine):
    second = PatientFactory()
    CareRelationshipFactory(clinician=clinician, patient=second)
    other_kind = AlertFactory(patient=second, kind=AlertKind.INACTIVITY)
    resolved = AlertFactory(
        patient=patient, status=AlertStatus.RESOLVED, resolved_at="2026-11-30T10:00Z"
    )
    client = client_for(clinician)

    assert set(ids(client.get(ALERTS_URL, {"patient": patient.pk}))) == {
        str(mine.pk),
        str(resolved.pk),
    }
    assert ids(client.get(ALERTS_URL, {"status": "open", "patient": patient.pk})) == [
        str(mine.pk)
    ]
    assert ids(client.get(ALERTS_URL, {"kind": "inactivity"})) == [str(other_kind.pk)]


def test_another_clinicians_patient_filter_gives_an_empty_list(clinician, theirs, mine):
    response = client_for(clinician).get(ALERTS_URL, {"patient": theirs.patient_id})

    assert (response.status_code, response.json()["results"]) == (200, [])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"patient": ""}, "patient"),
        ({"patient": "not-a-uuid"}, "patient"),
        ({"status": "closed"}, "status"),
        ({"status": ""}, "status"),
        ({"kind": "anything"}, "kind"),
    ],
)
def test_bad_filters_are_a_400_naming_the_parameter(clinician, care, params, field):
    response = client_for(clinician).get(ALERTS_URL, params)

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_reads_are_in_the_access_log(clinician, mine):
    client = client_for(clinician)
    client.get(ALERTS_URL)
    client.get(f"{ALERTS_URL}{mine.pk}/")

    assert list(
        PatientAccessLog.objects.order_by("created_at", "id").values_list(
            "actor", "patient", "action"
        )
    ) == [
        (clinician.pk, mine.patient_id, "alerts.list"),
        (clinician.pk, mine.patient_id, "alerts.retrieve"),
    ]


@pytest.mark.parametrize("rows", [1, 6])
def test_list_query_count_is_fixed(
    clinician, care, patient, rows, django_assert_num_queries
):
    for _ in range(rows):
        AlertFactory(patient=patient)
        other = PatientFactory()
        CareRelationshipFactory(clinician=clinician, patient=other)
        AlertFactory(
            patient=other,
            status=AlertStatus.ACKNOWLEDGED,
            acknowledged_by=clinician,
            acknowledged_at="2026-11-30T10:00Z",
        )
    client = client_for(clinician)

    # The count, the page (alerts joined with their patient and handlers), the
    # access-log insert; no transaction (a read is outside ATOMIC_REQUESTS).
    with django_assert_num_queries(3) as captured:
        response = client.get(ALERTS_URL)

    assert len(response.json()["results"]) == 2 * rows
    assert "SAVEPOINT" not in str(captured.captured_queries)


def test_an_empty_list_is_one_statement_and_logs_nothing(
    clinician, care, theirs, django_assert_num_queries
):
    client = client_for(clinician)

    # The count (0: no page to read, no one's data to log).
    with django_assert_num_queries(1):
        response = client.get(ALERTS_URL)

    assert response.json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
    assert not PatientAccessLog.objects.exists()


def test_the_list_shows_only_active_patients_in_care_each_alert_once(
    clinician, other_clinician, patient, care, mine
):
    # The patient in the care of two clinicians: their alert is listed once.
    CareRelationshipFactory(clinician=other_clinician, patient=patient)
    former = PatientFactory()
    AlertFactory(patient=former)  # no longer in this clinician's care
    left = PatientFactory()
    CareRelationshipFactory(clinician=clinician, patient=left)
    AlertFactory(patient=left)
    left.is_active = False  # a deactivated account
    left.save()

    response = client_for(clinician).get(ALERTS_URL)

    assert ids(response) == [str(mine.pk)]
    assert response.json()["count"] == 1


def test_a_state_change_is_one_transaction_with_its_access_log(
    clinician, mine, monkeypatch
):
    def fail(**_: object) -> None:
        raise RuntimeError("the access log is down")

    monkeypatch.setattr("outcomes.api.views.access_log_record_many", fail)
    with pytest.raises(RuntimeError):
        client_for(clinician).post(action_url(mine, "acknowledge"), {}, format="json")

    # Not logged, so not done: the acknowledgement was rolled back with the request.
    mine.refresh_from_db()
    assert (mine.status, mine.acknowledged_by) == (AlertStatus.OPEN, None)


def test_detail_query_count(clinician, mine, django_assert_num_queries):
    client = client_for(clinician)

    # The alert (joined), the access-log insert.
    with django_assert_num_queries(2):
        assert client.get(f"{ALERTS_URL}{mine.pk}/").status_code == 200


@pytest.mark.parametrize("target", ["theirs", "missing", "malformed"])
@pytest.mark.parametrize("name", ["acknowledge", "resolve"])
def test_actions_on_others_or_unknown_alerts_are_404(clinician, theirs, target, name):
    alert_id = {"theirs": theirs.pk, "missing": uuid.uuid4(), "malformed": "nope"}[
        target
    ]

    response = client_for(clinician).post(
        f"{ALERTS_URL}{alert_id}/{name}/", {}, format="json"
    )

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == AlertStatus.OPEN


def test_acknowledge_then_resolve_with_who_and_when(clinician, mine):
    client = client_for(clinician)

    acknowledged = client.post(
        action_url(mine, "acknowledge"), {"note": "Called."}, format="json"
    )
    resolved = client.post(action_url(mine, "resolve"), {}, format="json")

    assert acknowledged.status_code == 200
    body = acknowledged.json()
    assert (body["status"], body["note"]) == ("acknowledged", "Called.")
    assert body["acknowledged_by"] == {"id": str(clinician.pk), "name": clinician.name}
    assert body["acknowledged_at"] is not None
    assert resolved.status_code == 200
    final = resolved.json()
    assert (final["status"], final["note"]) == ("resolved", "Called.")
    assert final["resolved_by"]["id"] == str(clinician.pk)
    assert final["acknowledged_at"] == body["acknowledged_at"]


def test_acknowledging_a_resolved_alert_is_a_409(clinician, mine):
    client = client_for(clinician)
    client.post(action_url(mine, "resolve"), {}, format="json")

    response = client.post(action_url(mine, "acknowledge"), {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "alert_resolved"


@pytest.mark.parametrize("body", [{"note": 5}, {"note": "x" * 1001}, {"note": None}])
def test_a_bad_note_is_a_400_and_changes_nothing(clinician, mine, body):
    response = client_for(clinician).post(
        action_url(mine, "acknowledge"), body, format="json"
    )

    assert response.status_code == 400
    mine.refresh_from_db()
    assert mine.status == AlertStatus.OPEN


# -- me/alert-settings/ --------------------------------------------------------
def test_the_digest_is_off_until_the_clinician_turns_it_on(clinician):
    client = client_for(clinician)

    before = client.get(SETTINGS_URL)
    changed = client.patch(SETTINGS_URL, {"daily_digest": True}, format="json")

    assert before.json() == {"daily_digest": False}
    assert changed.json() == {"daily_digest": True}
    assert ClinicianAlertSettings.objects.get(clinician=clinician).daily_digest is True
    assert client.get(SETTINGS_URL).json() == {"daily_digest": True}


def test_alert_settings_patch_is_a_partial_update(clinician):
    client = client_for(clinician)
    client.patch(SETTINGS_URL, {"daily_digest": True}, format="json")

    response = client.patch(SETTINGS_URL, {}, format="json")

    assert response.status_code == 200
    assert response.json() == {"daily_digest": True}
    assert ClinicianAlertSettings.objects.get(clinician=clinician).daily_digest is True


@pytest.mark.parametrize("body", [{"daily_digest": "yes"}, {"daily_digest": None}])
def test_alert_settings_reject_bad_input(clinician, body):
    response = client_for(clinician).patch(SETTINGS_URL, body, format="json")

    assert response.status_code == 400
    assert not ClinicianAlertSettings.objects.exists()


@pytest.mark.parametrize("who", ["patient", "admin_user"])
def test_alert_settings_are_for_clinicians(request, who):
    client = client_for(request.getfixturevalue(who))

    assert client.get(SETTINGS_URL).status_code == 403
    assert (
        client.patch(SETTINGS_URL, {"daily_digest": True}, format="json").status_code
        == 403
    )


# -- open_alerts on patients/ --------------------------------------------------------
PATIENTS_URL = "/api/v1/patients/"


def test_patients_show_open_alerts_and_sort_by_them(clinician, patient, care):
    quiet = PatientFactory(name="Aaron Quiet")
    CareRelationshipFactory(clinician=clinician, patient=quiet)
    patient.name = "Zoe Flare"
    patient.save()
    AlertFactory(patient=patient)
    AlertFactory(patient=patient)
    AlertFactory(
        patient=patient,
        status=AlertStatus.ACKNOWLEDGED,
        acknowledged_at="2026-11-30T10:00Z",
    )
    client = client_for(clinician)

    by_name = client.get(PATIENTS_URL).json()["results"]
    by_alerts = client.get(PATIENTS_URL, {"ordering": "-open_alerts"}).json()["results"]

    assert [(p["name"], p["open_alerts"]) for p in by_name] == [
        ("Aaron Quiet", 0),
        ("Zoe Flare", 2),
    ]
    assert [p["name"] for p in by_alerts] == ["Zoe Flare", "Aaron Quiet"]
    blank = client.get(PATIENTS_URL, {"ordering": ""}).json()["results"]
    assert [p["name"] for p in blank] == ["Aaron Quiet", "Zoe Flare"]
    [ordering] = [
        parameter
        for parameter in client.get("/api/schema/?format=json").json()["paths"][
            "/api/v1/patients/"
        ]["get"]["parameters"]
        if parameter["name"] == "ordering"
    ]
    assert "" in ordering["schema"]["enum"]  # the schema says blank is allowed
    assert "minLength" not in ordering["schema"]
    assert client.get(f"{PATIENTS_URL}{patient.pk}/").json()["open_alerts"] == 2


@pytest.mark.parametrize("value", ["adherence", "open-alerts"])
def test_an_unknown_patient_ordering_is_a_400(clinician, care, value):
    response = client_for(clinician).get(PATIENTS_URL, {"ordering": value})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "ordering"
