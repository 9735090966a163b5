"""Every API error is an RFC 9457 problem document (config.api.exceptions)."""

import pytest
from rest_framework.throttling import SimpleRateThrottle

from config.api.exceptions import PROBLEM_CONTENT_TYPE
from tests.factories import ExerciseFactory, RoutineFactory

pytestmark = pytest.mark.django_db

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "code"}


def assert_problem(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:rehabit:problem:{code}"
    assert body["instance"] == response.wsgi_request.path
    return body


@pytest.mark.parametrize(
    ("url", "params", "field", "code"),
    [
        (
            "/api/v1/exercises/",
            {"difficulty": "expert"},
            "difficulty",
            "invalid_choice",
        ),
        (
            "/api/v1/exercises/",
            {"laterality": "sideways"},
            "laterality",
            "invalid_choice",
        ),
        (
            "/api/v1/exercises/",
            {"muscle": "no-such-muscle"},
            "muscle",
            "invalid_choice",
        ),
        (
            "/api/v1/exercises/",
            {"equipment": "no-such-thing"},
            "equipment",
            "invalid_choice",
        ),
        ("/api/v1/exercises/", {"condition": "nope"}, "condition", "invalid_choice"),
        (
            "/api/v1/exercises/",
            {"updated_since": "last tuesday"},
            "updated_since",
            "invalid",
        ),
        ("/api/v1/exercises/", {"ordering": "password"}, "ordering", "invalid_choice"),
        ("/api/v1/exercises/", {"limit": "abc"}, "limit", "invalid"),
        ("/api/v1/exercises/", {"limit": "0"}, "limit", "invalid"),
        ("/api/v1/exercises/", {"offset": "-1"}, "offset", "invalid"),
        ("/api/v1/routines/", {"equipment": "nope"}, "equipment", "invalid_choice"),
        ("/api/v1/routines/", {"limit": "1.5"}, "limit", "invalid"),
        ("/api/v1/muscles/", {"body_region": "tail"}, "body_region", "invalid_choice"),
        ("/api/v1/equipment/", {"offset": "x"}, "offset", "invalid"),
    ],
)
def test_bad_query_parameter_is_a_400_problem_naming_it(
    api_client, url, params, field, code
):
    ExerciseFactory()

    body = assert_problem(api_client.get(url, params), 400, "invalid")

    assert body["errors"] == [{"field": field, "code": code, "message": body["detail"]}]


def test_several_bad_parameters_are_all_listed(api_client):
    response = api_client.get(
        "/api/v1/exercises/", {"difficulty": "x", "laterality": "y"}
    )

    body = assert_problem(response, 400, "invalid")
    assert {e["field"] for e in body["errors"]} == {"difficulty", "laterality"}
    assert body["detail"] == "The request has invalid fields; see errors."


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/exercises/not-a-uuid/",
        "/api/v1/exercises/00000000-0000-0000-0000-000000000000/",
        "/api/v1/routines/123/",
        "/api/v1/routines/00000000-0000-0000-0000-000000000000/",
    ],
)
def test_unknown_or_malformed_id_is_a_404_problem(api_client, path):
    assert_problem(api_client.get(path), 404, "not_found")


def test_unknown_url_under_api_is_a_404_problem(api_client):
    response = api_client.get("/api/v1/no-such-endpoint/")

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        # Library content is written with POST and PATCH (clinicians), never
        # replaced or deleted through the API.
        ("put", "/api/v1/exercises/{exercise}/"),
        ("delete", "/api/v1/exercises/{exercise}/"),
        ("put", "/api/v1/routines/{routine}/"),
        ("delete", "/api/v1/routines/{routine}/"),
        ("post", "/api/v1/muscles/"),
    ],
)
def test_writes_on_read_only_endpoints_are_405_problems(api_client, method, path):
    url = path.format(exercise=ExerciseFactory().pk, routine=RoutineFactory().pk)

    response = getattr(api_client, method)(url, {}, format="json")

    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


@pytest.fixture
def two_per_minute(monkeypatch):
    # DRF reads the rates into the class at import time, so override_settings cannot.
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/min", "user": "2/min"}
    )


@pytest.mark.usefixtures("two_per_minute")
@pytest.mark.parametrize("client_fixture", ["api_client", "patient_client"])
def test_throttled_read_is_a_429_problem_with_retry_after(request, client_fixture):
    client = request.getfixturevalue(client_fixture)
    url = "/api/v1/exercises/"

    statuses = [client.get(url).status_code for _ in range(2)]
    response = client.get(url)

    assert statuses == [200, 200]
    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60
