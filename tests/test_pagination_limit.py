"""One pagination vocabulary: every list takes ``limit``; ``page_size`` is a deprecated alias."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.factories import SessionFactory

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/sessions/"


@pytest.fixture
def five_sessions(patient):
    return SessionFactory.create_batch(5, patient=patient)


@pytest.mark.usefixtures("five_sessions")
@pytest.mark.parametrize(
    "query", [{"limit": 2}, {"page_size": 2}, {"limit": 2, "page_size": 4}]
)
def test_sessions_take_limit_and_the_old_page_size(patient_client, query):
    first = patient_client.get(SESSIONS, query).json()

    assert len(first["results"]) == 2
    # The next link keeps the page size, so page two is as long.
    assert parse_qs(urlparse(first["next"]).query).keys() >= query.keys()
    second = patient_client.get(first["next"]).json()
    assert len(second["results"]) == 2


@pytest.mark.usefixtures("five_sessions")
def test_sessions_limit_is_capped_not_refused(patient_client):
    response = patient_client.get(SESSIONS, {"limit": 100_000})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 5


@pytest.mark.parametrize("value", ["0", "-1", "abc", ""])
@pytest.mark.parametrize("name", ["limit", "page_size"])
def test_a_malformed_limit_is_a_400_naming_it(patient_client, name, value):
    response = patient_client.get(SESSIONS, {name: value})

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [name]


def test_every_list_in_the_schema_takes_limit():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    lists = {
        path: operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method == "get"
        and "$ref" in str(operation["responses"]["200"])
        and "Paginated" in str(operation["responses"]["200"])
    }

    assert "/api/v1/sessions/" in lists
    assert "/api/v1/exercises/" in lists
    for path, operation in lists.items():
        params = {p["name"]: p for p in operation["parameters"]}
        assert params["limit"]["schema"]["minimum"] == 1, path
    page_size = {p["name"]: p for p in lists[SESSIONS]["parameters"]}["page_size"]
    assert page_size["deprecated"] is True
