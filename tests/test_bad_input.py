"""What the contract fuzzer (tests/contract, docs/testing.md) found, fixed at the cause.

Each test pins one finding: bad input must get a documented 4xx problem document, and
the schema must say what the API does (status codes, bounds, links).
"""

import base64
import threading
import time
import uuid
from unittest import mock

import pytest
from django.test import RequestFactory
from drf_spectacular.generators import SchemaGenerator

from config.api.exceptions import PROBLEM_CONTENT_TYPE
from config.api.pagination import MAX_OFFSET
from config.api.schema import NO_NUL_PATTERN
from config.api.validation import json_type_errors
from config.api.views import SchemaView
from sessions.api.serializers import SessionCreateSerializer
from sessions.models import Session
from tests.conftest import client_for
from tests.factories import (
    CareRelationshipFactory,
    ExerciseFactory,
    PlanFactory,
    PlanItemFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db

UPLOAD_TIME = "2026-01-05T08:00:00Z"


def assert_invalid(response, field, code=None):
    """A 400 problem document whose errors name ``field`` (with ``code`` if given)."""
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    errors = {error["field"]: error["code"] for error in response.json()["errors"]}
    assert field in errors, errors
    if code is not None:
        assert errors[field] == code


@pytest.fixture
def care(patient, clinician):
    CareRelationshipFactory(clinician=clinician, patient=patient)
    return patient, clinician


# ---------------------------------------------------------------------------
# Blank query parameters: ?patient= was read as "not sent"
# ---------------------------------------------------------------------------
LIBRARY_BLANKS = [
    ("/api/v1/exercises/", "updated_since"),
    ("/api/v1/exercises/", "difficulty"),
    ("/api/v1/exercises/", "laterality"),
    ("/api/v1/exercises/", "status"),
    ("/api/v1/exercises/", "limit"),
    ("/api/v1/exercises/", "offset"),
    ("/api/v1/muscles/", "body_region"),
    ("/api/v1/routines/", "status"),
]
PATIENT_BLANKS = [
    ("/api/v1/plans/", "patient"),
    ("/api/v1/plans/", "status"),
    ("/api/v1/sessions/", "patient"),
    ("/api/v1/sessions/", "updated_since"),
    ("/api/v1/sessions/", "page_size"),
    ("/api/v1/sessions/", "cursor"),
    ("/api/v1/progress/", "from"),
    ("/api/v1/progress/", "to"),
    ("/api/v1/progress/", "patient"),
]


@pytest.mark.parametrize(("url", "param"), LIBRARY_BLANKS)
def test_blank_typed_library_parameter_is_a_400_naming_it(api_client, url, param):
    assert_invalid(api_client.get(url, {param: ""}), param)


@pytest.mark.parametrize(("url", "param"), PATIENT_BLANKS)
def test_blank_typed_parameter_is_a_400_naming_it(patient_client, url, param):
    assert_invalid(patient_client.get(url, {param: ""}), param)


def test_blank_text_parameters_still_mean_no_filter(api_client):
    ExerciseFactory(status="published")
    response = api_client.get(
        "/api/v1/exercises/", {"q": "", "muscle": "", "ordering": ""}
    )
    assert response.status_code == 200
    assert response.json()["count"] == 1


# ---------------------------------------------------------------------------
# JSON types: DRF coerced 0 to "0", 5 to a UUID, "3" to 3, 1 to True
# ---------------------------------------------------------------------------
def test_number_for_a_text_field_is_a_400_and_changes_nothing(patient_client, patient):
    response = patient_client.patch("/api/v1/me/", {"name": 0}, format="json")
    assert_invalid(response, "name", "invalid_type")
    assert (
        response.json()["errors"][0]["message"] == "Must be a JSON string, not number."
    )
    patient.refresh_from_db()
    assert patient.name != "0"


def test_every_wrongly_typed_field_is_listed(patient_client):
    response = patient_client.patch(
        "/api/v1/me/", {"name": 0, "timezone": ["UTC"]}, format="json"
    )
    assert response.status_code == 400
    assert {error["field"] for error in response.json()["errors"]} == {
        "name",
        "timezone",
    }


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        (
            "/api/v1/auth/register/",
            {"email": "new@example.com", "password": "knee-bends-at-dawn", "name": 7},
            "name",
        ),
        ("/api/v1/auth/token/", {"email": 5, "password": "secret"}, "email"),
        ("/api/v1/auth/token/refresh/", {"refresh": 1}, "refresh"),
        ("/api/v1/auth/logout/", {"refresh": True}, "refresh"),
    ],
)
def test_wrong_type_in_an_auth_body_is_a_400(api_client, url, body, field):
    assert_invalid(api_client.post(url, body, format="json"), field, "invalid_type")


def test_wrong_type_in_a_password_change_is_a_400(patient_client):
    response = patient_client.post(
        "/api/v1/me/password/",
        {"current_password": 1234, "new_password": "knee-bends-at-dawn"},
        format="json",
    )
    assert_invalid(response, "current_password", "invalid_type")


def test_integer_session_id_is_a_400_not_a_uuid(patient_client):
    response = patient_client.post(
        "/api/v1/sessions/", {"id": 5, "started_at": UPLOAD_TIME}, format="json"
    )
    assert_invalid(response, "id", "invalid_type")
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"pain_before": "3"}, "pain_before"),
        ({"started_at": 1767600000}, "started_at"),
        ({"exercises": [{"exercise": "x", "plan_item": "1"}]}, "exercises.0.plan_item"),
        (
            {"exercises": [{"exercise": "x", "sets": [{"reps": 5, "completed": 1}]}]},
            "exercises.0.sets.0.completed",
        ),
        ({"exercises": [{"exercise": "x", "notes": ["a"]}]}, "exercises.0.notes"),
    ],
)
def test_wrong_type_in_a_session_upload_is_a_400_naming_its_path(
    patient_client, change, field
):
    body = {"id": str(uuid.uuid4()), "started_at": UPLOAD_TIME, **change}
    response = patient_client.post("/api/v1/sessions/", body, format="json")
    assert_invalid(response, field, "invalid_type")


def test_wrong_type_in_a_session_edit_is_a_400(patient_client, patient):
    session = SessionFactory(patient=patient)
    response = patient_client.patch(
        f"/api/v1/sessions/{session.pk}/",
        {"effort": True},
        format="json",
        HTTP_IF_MATCH=session.etag,
    )
    assert_invalid(response, "effort", "invalid_type")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"days_of_week": ["1"]}, "days_of_week.0"),
        ({"times_per_week": "3"}, "times_per_week"),
    ],
)
def test_wrong_type_in_a_prescription_is_a_400(care, change, field):
    patient, clinician = care
    body = {
        "patient": str(patient.pk),
        "routine": str(uuid.uuid4()),
        "start_date": "2026-01-05",
        **change,
    }
    response = client_for(clinician).post("/api/v1/plans/", body, format="json")
    assert_invalid(response, field, "invalid_type")


def test_wrong_type_in_a_plan_adjustment_is_a_400(care):
    patient, clinician = care
    item = PlanItemFactory(plan=PlanFactory(patient=patient, prescribed_by=clinician))
    response = client_for(clinician).patch(
        f"/api/v1/plans/{item.plan_id}/",
        {"items": [{"id": item.pk, "sets": "2", "per_side": "yes"}]},
        format="json",
    )
    assert_invalid(response, "items.0.sets", "invalid_type")
    assert_invalid(response, "items.0.per_side", "invalid_type")


def test_type_check_walks_nested_lists_and_leaves_nulls_to_the_fields():
    errors = json_type_errors(
        SessionCreateSerializer(),
        {
            "id": None,
            "pain_after": None,
            "exercises": [
                {"exercise": "x"},
                {"exercise": 3, "sets": [{}, {"side": 1}]},
            ],
        },
        "",
    )
    assert set(errors) == {"exercises.1.exercise", "exercises.1.sets.1.side"}


# ---------------------------------------------------------------------------
# Values the database or Python's dates could not take (500s)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"to": "9999-12-31"}, "to"),
        ({"to": "0001-01-01"}, "to"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, "from"),
    ],
)
def test_progress_dates_outside_the_calendar_bounds_are_400(
    patient_client, params, field
):
    response = patient_client.get("/api/v1/progress/", params)
    assert_invalid(response, field, "date_out_of_range")


def test_updated_since_with_a_large_offset_is_compared_in_utc(api_client):
    # PostgreSQL refuses offsets beyond +-15:59 that Python accepts: it was a 500.
    ExerciseFactory(status="published")
    response = api_client.get(
        "/api/v1/exercises/", {"updated_since": "2000-01-01T00:00:00+20:32"}
    )
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_updated_since_that_utc_cannot_hold_is_a_400(api_client):
    response = api_client.get(
        "/api/v1/exercises/", {"updated_since": "9999-12-31T23:00:00-05:00"}
    )
    assert_invalid(response, "updated_since", "invalid")


def test_login_with_an_overlong_email_is_a_400_not_a_database_error(api_client):
    # django-axes records the attempted name in a varchar(255).
    response = api_client.post(
        "/api/v1/auth/token/",
        {"email": "a" * 300 + "@example.com", "password": "secret"},
        format="json",
    )
    assert_invalid(response, "email", "max_length")


def test_offset_beyond_the_maximum_is_a_400(api_client):
    response = api_client.get("/api/v1/exercises/", {"offset": MAX_OFFSET + 1})
    assert_invalid(response, "offset")


@pytest.mark.parametrize("size", ["abc", "0", "-1", "1.5"])
def test_malformed_page_size_is_a_400(patient_client, size):
    assert_invalid(
        patient_client.get("/api/v1/sessions/", {"page_size": size}), "page_size"
    )


def test_page_size_above_the_maximum_is_capped(patient, patient_client):
    # One session more than the cap (200): an uncapped page would hold all 201.
    SessionFactory.create_batch(201, patient=patient)

    response = patient_client.get("/api/v1/sessions/", {"page_size": 10**6})

    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 200
    assert body["next"] is not None


@pytest.mark.parametrize("cursor", ["\x00", "not a cursor!", "é"])
def test_cursor_that_is_not_base64_is_a_400(patient_client, cursor):
    assert_invalid(
        patient_client.get("/api/v1/sessions/", {"cursor": cursor}), "cursor"
    )


def test_cursor_with_a_naive_time_is_a_400(patient_client):
    # Ours carry an offset; a naive one would be compared in server time.
    forged = base64.b64encode(b"p=2026-01-01 00:00:00").decode()
    assert_invalid(
        patient_client.get("/api/v1/sessions/", {"cursor": forged}), "cursor"
    )


def test_blank_if_match_counts_as_missing(patient_client, patient):
    session = SessionFactory(patient=patient)
    response = patient_client.patch(
        f"/api/v1/sessions/{session.pk}/",
        {"effort": 3},
        format="json",
        HTTP_IF_MATCH=" ",
    )
    assert response.status_code == 428


# ---------------------------------------------------------------------------
# Content negotiation: real answers the schema did not list
# ---------------------------------------------------------------------------
def test_accept_without_json_is_a_406_problem(api_client):
    response = api_client.get("/api/v1/exercises/", HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert response.json()["code"] == "not_acceptable"


def test_body_that_is_not_json_is_a_415_problem(patient_client):
    response = patient_client.post(
        "/api/v1/sessions/", "id=1", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert response.json()["code"] == "unsupported_media_type"


def test_invalid_token_on_public_content_is_a_401_with_www_authenticate(api_client):
    response = api_client.get(
        "/api/v1/exercises/", HTTP_AUTHORIZATION="Bearer not-a-token"
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_matching_if_none_match_on_me_is_a_304(patient_client):
    etag = patient_client.get("/api/v1/me/")["ETag"]
    assert patient_client.get("/api/v1/me/", HTTP_IF_NONE_MATCH=etag).status_code == 304


# ---------------------------------------------------------------------------
# The schema says all of the above
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def test_every_operation_documents_406_429_and_its_credentials_401(schema):
    for method, path, operation in operations(schema):
        responses = operation["responses"]
        assert {"406", "429"} <= set(responses), (method, path)
        if operation.get("security"):
            assert "401" in responses, (method, path)


def test_every_operation_with_a_body_documents_413_and_415(schema):
    for method, path, operation in operations(schema):
        if "requestBody" in operation:
            assert {"413", "415"} <= set(operation["responses"]), (method, path)


def test_every_get_documents_304_and_if_none_match(schema):
    for method, path, operation in operations(schema):
        if method == "GET" and operation["operationId"] == "me_export":
            # Streamed (no ETag, never 304): documented as such.
            assert "304" not in operation["responses"], path
            names = {p["name"] for p in operation.get("parameters", [])}
            assert "If-None-Match" not in names, path
        elif method == "GET":
            assert "304" in operation["responses"], path
            names = {parameter["name"] for parameter in operation["parameters"]}
            assert "If-None-Match" in names, path


def test_schema_states_the_bounds_the_api_enforces(schema):
    def query(path, name):
        parameters = schema["paths"][path]["get"]["parameters"]
        return next(p["schema"] for p in parameters if p["name"] == name)

    assert query("/api/v1/exercises/", "limit")["minimum"] == 1
    assert query("/api/v1/exercises/", "offset") == {
        "type": "integer",
        "minimum": 0,
        "maximum": MAX_OFFSET,
    }
    assert query("/api/v1/sessions/", "page_size")["minimum"] == 1
    assert query("/api/v1/sessions/", "updated_since")["minimum"] == 0
    patch = schema["paths"]["/api/v1/sessions/{id}/"]["patch"]["parameters"]
    if_match = next(p for p in patch if p["name"] == "If-Match")
    assert if_match["schema"]["pattern"] == r"\S"


def test_text_inputs_document_that_nul_is_refused(schema, api_client):
    register = schema["components"]["schemas"]["RegisterRequest"]["properties"]
    assert register["name"]["pattern"] == NO_NUL_PATTERN
    q = next(
        p
        for p in schema["paths"]["/api/v1/exercises/"]["get"]["parameters"]
        if p["name"] == "q"
    )
    assert q["schema"]["pattern"] == NO_NUL_PATTERN
    body = {"email": "n@example.com", "password": "knee-bends-at-dawn", "name": "a\x00"}
    response = api_client.post("/api/v1/auth/register/", body, format="json")
    assert_invalid(response, "name")


def test_every_link_targets_an_operation_with_its_parameters(schema):
    by_id = {op["operationId"]: op for _, _, op in operations(schema)}
    links = [
        link
        for _, _, operation in operations(schema)
        for response in operation["responses"].values()
        for link in response.get("links", {}).values()
    ]
    assert len(links) >= 20
    for link in links:
        target = by_id[link["operationId"]]
        names = {p["name"] for p in target.get("parameters", [])}
        for key in link.get("parameters", {}):
            assert key.split(".")[-1] in names, (link, names)


# ---------------------------------------------------------------------------
# /api/schema/ under concurrency (gunicorn threads)
# ---------------------------------------------------------------------------
def test_schema_view_generates_one_schema_at_a_time():
    # drf-spectacular's lazy extension loading raced between threads (500s).
    running = 0
    most = 0
    guard = threading.Lock()

    def slow_schema(*args, **kwargs):
        nonlocal running, most
        with guard:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with guard:
            running -= 1
        return {"openapi": "3.0.3", "info": {}, "paths": {}}

    view = SchemaView.as_view()
    statuses = []
    with mock.patch.object(SchemaGenerator, "get_schema", slow_schema):
        threads = [
            threading.Thread(
                target=lambda: statuses.append(
                    view(RequestFactory().get("/api/schema/")).status_code
                )
            )
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert statuses == [200] * 4
    assert most == 1
