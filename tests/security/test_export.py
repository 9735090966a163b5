"""Issue 10, findings 6 (export throttled) and 10 (the export holds all the data kept)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from tests.conftest import client_for
from tests.factories import PlanFactory, PlanItemFactory
from tests.factories.users import PASSWORD

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/me/export/"


def test_the_export_holds_plan_history_login_records_and_devices(patient):
    plan = PlanFactory(patient=patient)
    item = PlanItemFactory(plan=plan, reps=8)
    item.reps = 12
    item.save()
    plan.title = "Knees, second week"
    plan.save()
    # A failed login from one device (kept for the lockout), a login from another.
    stranger = APIClient(
        REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Rehabit/2.3 (iPhone)"
    )
    stranger.post(
        "/api/v1/auth/token/",
        {"email": patient.email, "password": "wrong"},
        format="json",
    )
    login = {"email": patient.email, "password": PASSWORD}
    tokens = APIClient().post("/api/v1/auth/token/", login, format="json").json()

    body = client_for(patient).get(EXPORT).json()

    titles = [version["title"] for version in body["plan_history"]]
    assert titles[-1] == "Knees, second week"
    assert len(titles) >= 2
    reps = [v["reps"] for v in body["plan_item_history"] if v["id"] == item.pk]
    assert reps[0] == 8
    assert reps[-1] == 12
    assert any(
        record["ip_address"] == "203.0.113.7"
        and record["user_agent"] == "Rehabit/2.3 (iPhone)"
        for record in body["login_records"]
    )
    (only_device,) = body["devices"]
    assert set(only_device) == {"jti", "created_at", "expires_at"}
    assert tokens["refresh"] not in str(body)


def test_a_logged_out_device_is_not_listed(patient):
    api = APIClient()
    tokens = api.post(
        "/api/v1/auth/token/",
        {"email": patient.email, "password": PASSWORD},
        format="json",
    ).json()
    api.post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]}, format="json")

    assert client_for(patient).get(EXPORT).json()["devices"] == []


def test_the_export_is_throttled(patient, monkeypatch):
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "export": "2/hour"},
    )
    client = client_for(patient)
    statuses = [client.get(EXPORT).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
