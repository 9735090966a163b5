"""One rule for problem types: ``type`` is ``urn:rehabit:problem:<code>``, for every code.

The codes a problem can carry come from three places, all checked here: every DRF
``APIException`` the service can raise (DRF's own, simplejwt's, the project's), the
problems written outside DRF (404 and 500/503 handlers, the catch-all under /api/, the
413 middleware), and the examples in the OpenAPI schema.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import pkgutil
import re
import uuid

import pytest
from django.db.utils import OperationalError
from django.test import RequestFactory
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.exceptions import APIException

from config.api.exceptions import (
    PROBLEM_CONTENT_TYPE,
    problem_exception_handler,
    server_error_view,
)

PREFIX = "urn:rehabit:problem:"
# A code is safe as the last part of a URN (RFC 8141) and reads the same in both places.
CODE = re.compile(r"[a-z][a-z0-9_]*")
PACKAGES = ("config", "common", "users", "exercises", "sessions")
# Not importable in a test process (other settings, servers, workers) or no code.
SKIPPED = re.compile(r"^config\.(settings|wsgi|asgi|celery)|\.migrations(\.|$)")


def assert_type_follows_code(body: dict) -> None:
    assert CODE.fullmatch(body["code"]), body
    assert body["type"] == f"{PREFIX}{body['code']}", body


def _import_everything() -> None:
    """Import every module of the project, so every exception class is defined."""
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if not SKIPPED.search(module.name):
                importlib.import_module(module.name)


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def api_exception_classes() -> list[type[APIException]]:
    _import_everything()
    return sorted(_subclasses(APIException), key=lambda cls: cls.__qualname__)


def test_the_project_raises_exceptions_of_its_own():
    names = {cls.__name__ for cls in api_exception_classes()}

    # DRF's, simplejwt's and the project's (a login lockout, a stale If-Match...).
    assert {"NotFound", "Throttled", "InvalidToken", "LoginLockedOut"} <= names


@pytest.mark.parametrize(
    "exception_class", api_exception_classes(), ids=lambda cls: cls.__qualname__
)
def test_every_api_exception_becomes_a_problem_of_its_code(exception_class):
    # Constructed as APIException does, whatever the subclass's own arguments (e.g. wait).
    exc = exception_class.__new__(exception_class)
    APIException.__init__(exc)

    response = problem_exception_handler(exc, {"request": None, "view": None})

    assert response is not None
    assert response.status_code == exc.status_code
    assert response.content_type == PROBLEM_CONTENT_TYPE
    assert_type_follows_code(response.data)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/api/v1/no-such-thing/", 404, "not_found"),
        (
            "get",
            "/api/v1/exercises/1b1e8c3a-0000-4000-8000-000000000000/",
            404,
            "not_found",
        ),
        ("get", "/api/v1/me/", 401, "not_authenticated"),
        ("put", "/api/v1/exercises/", 405, "method_not_allowed"),
    ],
)
def test_problems_on_the_wire_follow_the_rule(api_client, method, path, status, code):
    response = getattr(api_client, method)(path)

    assert response.status_code == status
    assert response.json()["code"] == code
    assert_type_follows_code(response.json())


@pytest.mark.django_db
def test_a_body_over_the_limit_is_a_problem_of_its_code(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10

    response = api_client.post(
        "/api/v1/auth/token/", {"email": "a" * 50}, format="json"
    )

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert_type_follows_code(response.json())


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (RuntimeError("boom"), 500, "server_error"),
        (OperationalError("the database went away"), 503, "service_unavailable"),
    ],
)
def test_server_errors_are_problems_of_their_code(error, status, code):
    request = RequestFactory().get("/api/v1/sessions/")
    try:
        raise error
    except Exception:
        # Django calls the handler inside its own `except` block.
        response = server_error_view(request)

    assert response.status_code == status
    body = json.loads(response.content)
    assert body["code"] == code
    assert_type_follows_code(body)


def test_every_problem_example_of_the_schema_follows_the_rule():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    examples = [
        example["value"]
        for item in schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for response in operation.get("responses", {}).values()
        for media_type, media in response.get("content", {}).items()
        if media_type == PROBLEM_CONTENT_TYPE
        for example in media.get("examples", {}).values()
    ]

    assert len(examples) > 50
    for body in examples:
        assert_type_follows_code(body)


@pytest.mark.django_db
def test_codes_given_by_domain_errors_follow_the_rule(patient_client):
    """A domain conflict names its own code (here ``session_deleted``), not the class's."""
    started = (timezone.now() - dt.timedelta(hours=1)).replace(microsecond=0)
    body = {"id": str(uuid.uuid4()), "started_at": started.isoformat(), "exercises": []}
    assert (
        patient_client.post("/api/v1/sessions/", body, format="json").status_code == 201
    )
    assert patient_client.delete(f"/api/v1/sessions/{body['id']}/").status_code == 204

    response = patient_client.post("/api/v1/sessions/", body, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "session_deleted"
    assert_type_follows_code(response.json())
