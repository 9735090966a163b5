"""Who may do what on every endpoint: a role x object matrix (extend it with each new endpoint).

Library reads are public for published content; drafts, content in review and archived
content are readable by staff only (404 for everyone else, as if they did not exist).
Library endpoints are read-only for everyone through the API (curation is in the admin).
"""

import pytest
from rest_framework.test import APIClient

from common.models import Status
from tests.conftest import client_for
from tests.factories import (
    AdminFactory,
    ClinicianFactory,
    ExerciseFactory,
    PatientFactory,
    RoutineFactory,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "patient", "clinician", "admin"]
STAFF = {"clinician", "admin"}
UNPUBLISHED = [Status.DRAFT, Status.IN_REVIEW, Status.ARCHIVED]


@pytest.fixture
def cast():
    """One user per role; the clinician authored the content below, the admin did not."""
    return {
        "anonymous": None,
        "patient": PatientFactory(),
        "clinician": ClinicianFactory(),
        "admin": AdminFactory(),
    }


def client_as(cast, role) -> APIClient:
    user = cast[role]
    return APIClient() if user is None else client_for(user)


@pytest.fixture
def content(cast):
    """An exercise and a routine in every status, authored by the clinician."""
    author = cast["clinician"]
    return {
        status: {
            "exercise": ExerciseFactory(status=status, author=author),
            "routine": RoutineFactory(status=status, author=author),
        }
        for status in Status.values
    }


# (role, status) -> expected status code of GET on the detail.
DETAIL_MATRIX = [
    (role, status, 200 if status == Status.PUBLISHED or role in STAFF else 404)
    for role in ROLES
    for status in Status.values
]


@pytest.mark.parametrize("kind", ["exercise", "routine"])
@pytest.mark.parametrize(("role", "status", "expected"), DETAIL_MATRIX)
def test_detail_read_matrix(cast, content, kind, role, status, expected):
    obj = content[status][kind]

    response = client_as(cast, role).get(f"/api/v1/{kind}s/{obj.pk}/")

    assert response.status_code == expected
    if expected == 200:
        assert response.json()["status"] == status


@pytest.mark.parametrize("kind", ["exercise", "routine"])
@pytest.mark.parametrize("role", ROLES)
def test_list_read_matrix(cast, content, kind, role):
    response = client_as(cast, role).get(f"/api/v1/{kind}s/")

    assert response.status_code == 200
    listed = {item["id"] for item in response.json()["results"]}
    visible = Status.values if role in STAFF else [Status.PUBLISHED]
    assert listed == {str(content[status][kind].pk) for status in visible}


@pytest.mark.parametrize("path", ["muscles/", "equipment/", "conditions/"])
@pytest.mark.parametrize("role", ROLES)
def test_taxonomies_are_public(cast, role, path):
    assert client_as(cast, role).get(f"/api/v1/{path}").status_code == 200


WRITES = [
    ("post", "exercises/"),
    ("put", "exercises/{exercise}/"),
    ("patch", "exercises/{exercise}/"),
    ("delete", "exercises/{exercise}/"),
    ("post", "routines/"),
    ("put", "routines/{routine}/"),
    ("patch", "routines/{routine}/"),
    ("delete", "routines/{routine}/"),
    ("post", "muscles/"),
    ("post", "equipment/"),
    ("post", "conditions/"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("role", ROLES)
def test_library_is_read_only_through_the_api(cast, content, role, method, path):
    published = content[Status.PUBLISHED]
    url = "/api/v1/" + path.format(
        exercise=published["exercise"].pk, routine=published["routine"].pk
    )

    response = getattr(client_as(cast, role), method)(url, {}, format="json")

    assert response.status_code == 405
    published["exercise"].refresh_from_db()
    assert published["exercise"].status == Status.PUBLISHED


@pytest.mark.parametrize("status", UNPUBLISHED)
def test_patient_cannot_reach_unpublished_content_through_filters(
    cast, content, status
):
    client = client_as(cast, "patient")

    exercises = client.get("/api/v1/exercises/", {"status": status}).json()
    routines = client.get("/api/v1/routines/", {"status": status}).json()

    assert exercises["count"] == 0
    assert routines["count"] == 0
