"""A clinician's cached alert list (outcomes/cache.py): hits still logged, every change
visible on the next read, one clinician's page never another's, nothing of an erased
patient left in the cache."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import update_last_login
from django.core.cache import cache
from django.test import override_settings

from outcomes.models import AlertStatus
from outcomes.services.alerts import alert_resolve
from sessions.services.privacy import patient_erase
from tests.conftest import client_for
from tests.factories import CareRelationshipFactory, PatientFactory
from tests.factories.outcomes import AlertFactory
from tests.outcomes.conftest import ALERTS_URL
from tests.sessions.test_patient_cache import token_client
from tests.test_throttling import RedisCommands, needs_redis, on_redis, stored_in_redis
from users.models import CareRelationship, PatientAccessLog

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def mine(clinician, patient, care):
    return AlertFactory(patient=patient)


def listed(response: Any) -> list[tuple[str, str, str]]:
    """(alert id, status, patient name) of each alert of the page."""
    assert response.status_code == 200, response.content
    return [
        (item["id"], item["status"], item["patient"]["name"])
        for item in response.json()["results"]
    ]


def logged(clinician: Any) -> list[tuple[Any, str]]:
    return list(
        PatientAccessLog.objects.filter(actor=clinician)
        .order_by("created_at", "id")
        .values_list("patient", "action")
    )


def pickled_values() -> list[bytes]:
    """Every value in the LocMemCache (its own dict, pickled as stored)."""
    return list(cache._cache.values())  # type: ignore[attr-defined]


def test_a_hit_is_the_same_answer_in_one_statement_and_still_logged(
    clinician, patient, mine, django_assert_num_queries
):
    client = client_for(clinician)
    first = client.get(ALERTS_URL)

    # The access log's INSERT only: no count, no page.
    with django_assert_num_queries(1) as captured:
        again = client.get(ALERTS_URL)

    assert "users_patientaccesslog" in captured.captured_queries[0]["sql"]
    assert again.status_code == 200
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == "no-store"
    assert logged(clinician) == [
        (patient.pk, "alerts.list"),
        (patient.pk, "alerts.list"),
    ]


def test_a_hit_logs_every_patient_of_its_page(clinician, patient, mine):
    other = PatientFactory()
    CareRelationshipFactory(clinician=clinician, patient=other)
    AlertFactory(patient=other)
    client = client_for(clinician)
    client.get(ALERTS_URL)
    PatientAccessLog.objects.all().delete()

    client.get(ALERTS_URL)  # a hit

    assert sorted(p for p, _ in logged(clinician)) == sorted([patient.pk, other.pk])


def test_a_hit_answers_304_to_its_etag(clinician, mine, django_assert_num_queries):
    client = client_for(clinician)
    etag = client.get(ALERTS_URL)["ETag"]

    with django_assert_num_queries(1):  # still logged
        response = client.get(ALERTS_URL, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304


def _raise(clinician: Any, patient: Any, alert: Any) -> None:
    AlertFactory(patient=patient)


def _acknowledge(clinician: Any, patient: Any, alert: Any) -> None:
    url = f"{ALERTS_URL}{alert.pk}/acknowledge/"
    assert client_for(clinician).post(url, {}, format="json").status_code == 200


def _resolve(clinician: Any, patient: Any, alert: Any) -> None:
    alert_resolve(alert=alert, by=clinician)


def _rename(clinician: Any, patient: Any, alert: Any) -> None:
    patient.name = "Renamed Patient"
    patient.save()


def _deactivate(clinician: Any, patient: Any, alert: Any) -> None:
    patient.is_active = False
    patient.save()


def _end_care(clinician: Any, patient: Any, alert: Any) -> None:
    CareRelationship.objects.filter(clinician=clinician, patient=patient).delete()


def _take_on(clinician: Any, patient: Any, alert: Any) -> None:
    newcomer = PatientFactory(name="New Patient")
    AlertFactory(patient=newcomer)
    CareRelationshipFactory(clinician=clinician, patient=newcomer)


def _delete(clinician: Any, patient: Any, alert: Any) -> None:
    alert.delete()


@pytest.mark.parametrize(
    "change",
    [
        _raise,
        _acknowledge,
        _resolve,
        _rename,
        _deactivate,
        _end_care,
        _take_on,
        _delete,
    ],
)
def test_a_change_is_visible_on_the_next_read(clinician, patient, mine, change):
    client = client_for(clinician)
    before = listed(client.get(ALERTS_URL))
    assert listed(client.get(ALERTS_URL)) == before  # cached

    change(clinician, patient, mine)
    after = listed(client.get(ALERTS_URL))

    assert after != before


def test_a_login_leaves_the_cached_lists_alone(
    clinician, patient, mine, django_assert_num_queries
):
    """Every token obtained saves the account's last_login, which no list shows."""
    client = client_for(clinician)
    client.get(ALERTS_URL)
    update_last_login(None, patient)
    update_last_login(None, clinician)

    with django_assert_num_queries(1):  # a hit: the access log only
        assert client.get(ALERTS_URL).status_code == 200


def test_a_state_is_shown_as_changed(clinician, patient, mine):
    client = client_for(clinician)
    assert listed(client.get(ALERTS_URL))[0][1] == AlertStatus.OPEN
    _acknowledge(clinician, patient, mine)

    assert listed(client.get(ALERTS_URL))[0][1] == AlertStatus.ACKNOWLEDGED


def test_two_clinicians_reading_the_same_url_get_their_own_pages(
    clinician, other_clinician, patient, mine
):
    other_patient = PatientFactory(name="Someone Else")
    CareRelationshipFactory(clinician=other_clinician, patient=other_patient)
    theirs = AlertFactory(patient=other_patient)
    mine_client, theirs_client = client_for(clinician), client_for(other_clinician)

    for _ in range(2):  # a miss, then a hit, for each
        assert [a for a, _, _ in listed(mine_client.get(ALERTS_URL))] == [str(mine.pk)]
        assert [a for a, _, _ in listed(theirs_client.get(ALERTS_URL))] == [
            str(theirs.pk)
        ]


def test_filters_and_pages_are_answers_of_their_own(clinician, patient, mine):
    alert_resolve(alert=AlertFactory(patient=patient), by=clinician)
    client = client_for(clinician)
    for _ in range(2):
        assert {
            s for _, s, _ in listed(client.get(ALERTS_URL, {"status": "open"}))
        } == {"open"}
        assert {
            s for _, s, _ in listed(client.get(ALERTS_URL, {"status": "resolved"}))
        } == {"resolved"}
        assert len(listed(client.get(ALERTS_URL, {"limit": 1}))) == 1
        assert len(listed(client.get(ALERTS_URL))) == 2


def test_a_bad_filter_is_a_400_every_time(clinician, mine):
    client = client_for(clinician)
    for _ in range(2):
        assert client.get(ALERTS_URL, {"status": "nope"}).status_code == 400


def test_admins_always_read_from_the_database(
    admin_user, mine, django_assert_num_queries
):
    client = client_for(admin_user)
    client.get(ALERTS_URL)

    # The count, the page, the access-log insert: not cached.
    with django_assert_num_queries(3):
        assert client.get(ALERTS_URL).status_code == 200


def test_cache_off_reads_the_database_every_time(
    clinician, mine, django_assert_num_queries
):
    client = client_for(clinician)
    with override_settings(ALERT_CACHE_SECONDS=0):
        client.get(ALERTS_URL)
        with django_assert_num_queries(3):
            assert client.get(ALERTS_URL).status_code == 200


def test_erasure_leaves_no_page_naming_the_patient(clinician, patient, mine):
    patient.set_password(PASSWORD)
    patient.save()
    client = client_for(clinician)
    listed(client.get(ALERTS_URL))
    assert any(patient.name.encode() in value for value in pickled_values())

    patient_erase(user=patient, password=PASSWORD)

    assert not any(patient.name.encode() in value for value in pickled_values())
    assert not any(str(patient.pk).encode() in value for value in pickled_values())
    assert listed(client.get(ALERTS_URL)) == []


def test_the_end_of_care_deletes_the_clinicians_pages(clinician, patient, mine):
    client = client_for(clinician)
    listed(client.get(ALERTS_URL))
    assert any(patient.name.encode() in value for value in pickled_values())

    _end_care(clinician, patient, mine)

    assert not any(patient.name.encode() in value for value in pickled_values())


@needs_redis
def test_a_hit_on_redis_is_two_round_trips_and_one_statement(
    clinician, patient, mine, monkeypatch, django_assert_num_queries
):
    """The token's account (users/cache.py), then the throttles' script, which also
    reads the alert cache's keys (config/api/throttling.py); the access log's INSERT."""
    client = token_client(clinician)
    with on_redis():
        first = client.get(ALERTS_URL)  # a miss: stored
        commands = RedisCommands(monkeypatch)
        with django_assert_num_queries(1):
            again = client.get(ALERTS_URL)

        assert first.status_code == again.status_code == 200, first.content
        assert again.content == first.content
        assert commands.sent == [["MGET"], ["EVALSHA", "MGET"]]
    assert len(logged(clinician)) == 2


@needs_redis
def test_erasure_leaves_nothing_of_the_patient_in_redis(clinician, patient, mine):
    patient.set_password(PASSWORD)
    patient.save()
    client = token_client(clinician)
    with on_redis():
        listed(client.get(ALERTS_URL))
        assert any(patient.name.encode() in v for v in stored_in_redis().values())

        patient_erase(user=patient, password=PASSWORD)

        stored = stored_in_redis()
        assert not any(patient.name.encode() in v for v in stored.values())
        assert not any(str(patient.pk).encode() in v for v in stored.values())
        assert listed(client.get(ALERTS_URL)) == []
