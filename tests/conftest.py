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
