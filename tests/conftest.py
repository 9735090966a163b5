import json
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import AdminFactory, ClinicianFactory, PatientFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters live in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_history_written_by_a_safe_method():
    """No request with a safe method saves a historical record, in any test.

    config.middleware.HistoryRequestMiddleware gives simple_history the request (the
    record's user) only for methods that can write; a GET, HEAD or OPTIONS that saved
    a plan or an exercise would record it without its author. Every request the suite
    sends is watched (request_started carries the method).
    """
    from django.core.signals import request_finished, request_started
    from simple_history.signals import pre_create_historical_record

    from config.middleware import SAFE_METHODS

    current: list[str] = []
    written: list[str] = []

    def started(sender: Any, environ: Any = None, **kwargs: Any) -> None:
        current[:] = [(environ or {}).get("REQUEST_METHOD", "")]

    def finished(sender: Any, **kwargs: Any) -> None:
        current.clear()

    def recorded(sender: Any, instance: Any = None, **kwargs: Any) -> None:
        if current and current[0] in SAFE_METHODS:
            written.append(f"{current[0]}: {type(instance).__name__}")

    request_started.connect(started, dispatch_uid="tests.history_guard.started")
    request_finished.connect(finished, dispatch_uid="tests.history_guard.finished")
    pre_create_historical_record.connect(
        recorded, dispatch_uid="tests.history_guard.recorded"
    )
    yield
    request_started.disconnect(dispatch_uid="tests.history_guard.started")
    request_finished.disconnect(dispatch_uid="tests.history_guard.finished")
    pre_create_historical_record.disconnect(dispatch_uid="tests.history_guard.recorded")
    assert not written, f"a safe method saved historical records: {written}"


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def patient(db):
    return PatientFactory()


@pytest.fixture
def other_patient(db):
    return PatientFactory()


@pytest.fixture
def clinician(db):
    return ClinicianFactory()


@pytest.fixture
def other_clinician(db):
    return ClinicianFactory()


@pytest.fixture
def admin_user(db):
    return AdminFactory()


def errors_by_field(response) -> dict[str, list[tuple[str, str]]]:
    """A 400 problem's errors as {field: [(code, message), ...]}."""
    assert response.status_code == 400, response.content
    found: dict[str, list[tuple[str, str]]] = {}
    for error in response.json()["errors"]:
        found.setdefault(error["field"], []).append((error["code"], error["message"]))
    return found


def client_for(user) -> APIClient:
    """An API client authenticated as ``user`` (force_authenticate: no token round trip)."""
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def patient_client(patient) -> APIClient:
    return client_for(patient)


@pytest.fixture
def clinician_client(clinician) -> APIClient:
    return client_for(clinician)


@pytest.fixture
def admin_client_api(admin_user) -> APIClient:
    return client_for(admin_user)


def body_bytes(response) -> bytes:
    """A response's body, read whole whether it was streamed (``me/export/``) or not."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def body_json(response) -> Any:
    """A response's JSON body, streamed or not."""
    return json.loads(body_bytes(response))
