"""The sync protocol: two devices, tombstones, server cursors and cursor pagination."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any

import pytest
from django.utils import timezone

from sessions.api.pagination import INVALID_CURSOR
from tests.conftest import client_for
from tests.factories import CareRelationshipFactory, ExerciseFactory, SessionFactory

URL = "/api/v1/sessions/"


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def new_body(exercise, minutes_ago: int, **fields: Any) -> dict[str, Any]:
    started = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return {
        "id": str(uuid.uuid4()),
        "started_at": iso(started),
        "ended_at": iso(started + dt.timedelta(minutes=15)),
        "pain_before": 5,
        "pain_after": 3,
        "exercises": [{"exercise": str(exercise.pk), "sets": [{"reps": 10}]}],
        **fields,
    }


def pull(client, **params: Any) -> dict[str, Any]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def pull_all(
    client, since: int, page_size: int
) -> tuple[list[dict[str, Any]], int, int]:
    """Follow `next` to the end like a device: (rows, last sync_cursor, pages)."""
    page = pull(client, updated_since=since, page_size=page_size)
    rows, pages = list(page["results"]), 1
    while page["next"]:
        response = client.get(page["next"])
        assert response.status_code == 200
        page = response.json()
        rows.extend(page["results"])
        pages += 1
    return rows, page["sync_cursor"], pages


@pytest.fixture
def exercise(db):
    return ExerciseFactory()


def test_two_devices_stay_in_sync_with_edits_and_tombstones(patient, exercise):
    device_a, device_b = client_for(patient), client_for(patient)
    first = new_body(exercise, 120, notes="first")
    second = new_body(exercise, 60, notes="second")

    # Device A uploads two sessions.
    assert device_a.post(URL, first, format="json").status_code == 201
    created = device_a.post(URL, second, format="json")
    assert created.status_code == 201

    # Device B has never synced: it gets both, newest first, and a cursor.
    initial = pull(device_b)
    assert [row["id"] for row in initial["results"]] == [second["id"], first["id"]]
    cursor = initial["sync_cursor"]
    assert cursor == 2

    # Device A edits the first and deletes the second.
    etag = device_a.get(f"{URL}{first['id']}/")["ETag"]
    edited = device_a.patch(
        f"{URL}{first['id']}/",
        {"pain_after": 1},
        format="json",
        headers={"If-Match": etag},
    )
    assert edited.status_code == 200
    assert device_a.delete(f"{URL}{second['id']}/").status_code == 204

    # Device B syncs from its cursor: the edit and the tombstone, in change order.
    changes = pull(device_b, updated_since=cursor)
    edit, tombstone = changes["results"]
    assert edit["id"] == first["id"]
    assert (edit["pain_after"], edit["version"], edit["revision"]) == (1, 2, 3)
    assert edit["deleted"] is False
    assert set(tombstone) == {"id", "deleted", "revision", "deleted_at"}
    assert tombstone["id"] == second["id"]
    assert (tombstone["deleted"], tombstone["revision"]) == (True, 4)
    assert changes["sync_cursor"] == 4
    assert changes["next"] is None

    # Nothing new since: an empty page that keeps the cursor.
    quiet = pull(device_b, updated_since=changes["sync_cursor"])
    assert quiet["results"] == []
    assert quiet["sync_cursor"] == 4

    # The browse listing no longer shows the deleted session.
    assert [row["id"] for row in pull(device_b)["results"]] == [first["id"]]


def test_a_retried_upload_is_not_a_change(patient, exercise):
    client = client_for(patient)
    body = new_body(exercise, 30)
    client.post(URL, body, format="json")
    cursor = pull(client)["sync_cursor"]

    assert client.post(URL, body, format="json").status_code == 200

    assert pull(client, updated_since=cursor)["results"] == []


def test_full_sync_from_zero_pages_through_every_change(patient, exercise):
    client = client_for(patient)
    bodies = [new_body(exercise, 300 - minute) for minute in range(7)]
    for body in bodies:
        client.post(URL, body, format="json")
    client.delete(f"{URL}{bodies[0]['id']}/")  # revision 8: a tombstone

    rows, cursor, pages = pull_all(client, since=0, page_size=3)

    assert pages == 3
    assert [row["revision"] for row in rows] == [2, 3, 4, 5, 6, 7, 8]
    assert rows[-1] == {
        "id": bodies[0]["id"],
        "deleted": True,
        "revision": 8,
        "deleted_at": rows[-1]["deleted_at"],
    }
    assert cursor == 8


def test_each_page_cursor_is_the_latest_change_on_that_page(patient, exercise):
    client = client_for(patient)
    for minute in range(5):
        client.post(URL, new_body(exercise, 100 - minute), format="json")

    first = pull(client, updated_since=0, page_size=2)
    second = client.get(first["next"]).json()

    assert first["sync_cursor"] == 2
    assert second["sync_cursor"] == 4


def test_changes_made_while_paging_are_not_lost(patient, exercise):
    client = client_for(patient)
    bodies = [new_body(exercise, 100 - minute) for minute in range(4)]
    for body in bodies:
        client.post(URL, body, format="json")

    first = pull(client, updated_since=0, page_size=2)  # revisions 1, 2
    # Another device edits a session already read and one not read yet.
    for body in (bodies[0], bodies[3]):
        client.patch(
            f"{URL}{body['id']}/",
            {"effort": 9},
            format="json",
            headers={"If-Match": "*"},
        )
    rows, url = [], first["next"]
    while url:
        page = client.get(url).json()
        rows.extend(page["results"])
        url = page["next"]

    assert [row["revision"] for row in rows] == [3, 5, 6]
    assert page["sync_cursor"] == 6
    assert {row["id"] for row in rows if row["revision"] > 4} == {
        bodies[0]["id"],
        bodies[3]["id"],
    }


def test_browse_listing_gives_the_cursor_on_its_first_page_only(patient, exercise):
    client = client_for(patient)
    for minute in range(3):
        client.post(URL, new_body(exercise, 100 - minute), format="json")

    first = pull(client, page_size=2)
    second = client.get(first["next"]).json()

    assert first["sync_cursor"] == 3
    assert len(second["results"]) == 1
    assert second["sync_cursor"] is None


def test_page_size_is_capped_at_200(patient):
    # One row more than the cap: without it the page would hold all 201.
    SessionFactory.create_batch(201, patient=patient)
    client = client_for(patient)

    page = pull(client, updated_since=0, page_size=100000)

    assert len(page["results"]) == 200
    assert page["next"] is not None
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 1


def test_clinician_syncs_one_patient(patient, clinician, exercise):
    CareRelationshipFactory(clinician=clinician, patient=patient)
    device = client_for(patient)
    body = new_body(exercise, 20)
    device.post(URL, body, format="json")
    device.delete(f"{URL}{body['id']}/")

    page = pull(client_for(clinician), updated_since=0, patient=str(patient.pk))

    assert [row["deleted"] for row in page["results"]] == [True]
    assert page["sync_cursor"] == 2


def _cursor(**tokens: str) -> str:
    querystring = "&".join(f"{key}={value}" for key, value in tokens.items())
    return base64.b64encode(querystring.encode()).decode()


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not base64!"},
        {"cursor": _cursor(o="-3")},
        {"cursor": _cursor(p="not-a-revision"), "updated_since": "0"},
        {"cursor": _cursor(p="2026-01-05 10:00:00+00:00"), "updated_since": "0"},
        {"cursor": _cursor(p="12")},  # a sync cursor reused in the browse listing
    ],
    ids=[
        "garbage",
        "negative-offset",
        "text-position",
        "date-in-sync",
        "number-in-browse",
    ],
)
def test_bad_page_cursor_is_400(patient, exercise, params):
    client = client_for(patient)
    client.post(URL, new_body(exercise, 10), format="json")

    response = client.get(URL, params)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "cursor", "code": "invalid", "message": INVALID_CURSOR}
    ]


@pytest.mark.parametrize("value", ["yesterday", "2026-01-05T10:00:00Z", "-1", "3"])
def test_bad_updated_since_is_400(patient, exercise, value):
    client = client_for(patient)
    client.post(URL, new_body(exercise, 10), format="json")  # latest change: 1

    response = client.get(URL, {"updated_since": value})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "updated_since"
