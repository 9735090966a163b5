"""Requests that are too large or too deep are refused cleanly, before any view work.

A problem document (413, 400), never a 500. In-process, on any database; the live
counterparts (through gunicorn) are in .ci/smoke, too slow is in test_slow_requests.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from config.api.parsers import MAX_JSON_DEPTH, json_depth_exceeds
from tests.resilience.live import upload_body

TOKEN_URL = "/api/v1/auth/token/"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.fixture
def client() -> Client:
    # Server errors become 500 answers (as in production) instead of test exceptions.
    return Client(raise_request_exception=False)


def post_json(client: Client, url: str, text: str | bytes, **extra):
    return client.post(url, text, content_type="application/json", **extra)


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    return body


# ---------------------------------------------------------------------------
# Too large
# ---------------------------------------------------------------------------
def test_a_body_over_the_limit_is_a_413_problem(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"email": "a" * 1000, "password": "x"})

    response = post_json(client, TOKEN_URL, body)

    problem = assert_problem(response, 413, "too_large")
    assert "1000" in problem["detail"]
    assert response["X-Request-ID"]


def test_a_body_at_the_limit_is_parsed(client, settings, db):
    body = json.dumps({"email": "nobody@example.com", "password": "wrong"})
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body)

    response = post_json(client, TOKEN_URL, body)

    assert response.status_code == 401


def test_the_default_limit_is_one_mebibyte(client, db):
    over = json.dumps({"email": "a" * (1024 * 1024), "password": "x"})

    response = post_json(client, TOKEN_URL, over)

    assert_problem(response, 413, "too_large")


def test_a_session_upload_of_maximal_size_fits_under_the_limit(settings):
    notes = "\u00e9" * 1000  # non-ASCII: JSON clients may escape it as \\u00e9
    body = {
        **upload_body("0b7c1d2e-3f40-4a51-8b62-7c8d9e0f1a2b"),
        "notes": "\u00e9" * 2000,
        "exercises": [
            {
                "exercise": "0b7c1d2e-3f40-4a51-8b62-7c8d9e0f1a2b",
                "notes": notes,
                "sets": [{"reps": 1000, "seconds": 3600, "load": "x" * 100}] * 50,
            }
        ]
        * 50,
    }

    size = len(json.dumps(body, ensure_ascii=True).encode())

    assert size < settings.DATA_UPLOAD_MAX_MEMORY_SIZE


# ---------------------------------------------------------------------------
# Too deep
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5_000, 100_000])
def test_json_nested_too_deep_is_a_400_problem_not_a_recursion_error(client, db, depth):
    response = post_json(client, TOKEN_URL, nested(depth))

    problem = assert_problem(response, 400, "parse_error")
    assert "nested deeper" in problem["detail"]


def test_deep_objects_inside_a_valid_body_are_refused(client, db):
    value: object = 1
    for _ in range(MAX_JSON_DEPTH + 1):
        value = {"a": value}

    response = post_json(
        client, TOKEN_URL, json.dumps({"email": "x@example.com", "password": value})
    )

    assert_problem(response, 400, "parse_error")


def test_json_at_the_depth_limit_is_parsed(client, db):
    value: object = "x"
    for _ in range(MAX_JSON_DEPTH - 1):
        value = [value]

    response = post_json(
        client, TOKEN_URL, json.dumps({"email": "x@example.com", "password": value})
    )

    assert_problem(response, 400, "invalid")  # a field error, so it was parsed


@pytest.mark.parametrize(
    ("data", "exceeds"),
    [
        (1, False),
        ({"a": [1, "b"]}, False),
        ({"a": [1, {"b": 2}]}, True),
        ([[[]]], True),
        ({"a": {"b": {"c": 1}}}, True),
        ([1, 2, 3, {"a": 1}], False),
    ],
)
def test_json_depth_counts_containers_only(data, exceeds):
    assert json_depth_exceeds(data, limit=2) is exceeds
