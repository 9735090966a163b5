"""The issue's "Done means" scenario over HTTP: a flare reaches the clinician once, is
acknowledged and listed in the digest; a PROM follow-up is flagged at the MCID.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core import mail
from django.utils import timezone

from outcomes.services.digests import alert_digests_send
from tests.conftest import client_for
from tests.factories.outcomes import shipped
from tests.outcomes.conftest import ALERTS_URL, SESSIONS_URL, iso, session_body

pytestmark = pytest.mark.django_db


def test_a_flare_reaches_the_clinician_once_and_the_digest_lists_it(
    patient, clinician, plan, django_capture_on_commit_callbacks
):
    phone = client_for(patient)
    desk = client_for(clinician)
    flare = session_body(plan, pain_before=3, pain_after=8)

    with django_capture_on_commit_callbacks(execute=True):
        assert phone.post(SESSIONS_URL, flare, format="json").status_code == 201
    with django_capture_on_commit_callbacks(
        execute=True
    ):  # the network dropped the 201
        assert phone.post(SESSIONS_URL, flare, format="json").status_code == 200

    alerts = desk.get(ALERTS_URL, {"patient": patient.pk, "status": "open"}).json()
    assert alerts["count"] == 1
    [alert] = alerts["results"]
    assert (alert["kind"], alert["session"]) == ("pain_flare", flare["id"])
    assert alert["message"] == "Pain flare: 3/10 before the session, 8/10 after."

    [listed] = desk.get("/api/v1/patients/", {"ordering": "-open_alerts"}).json()[
        "results"
    ]
    assert (listed["id"], listed["open_alerts"]) == (str(patient.pk), 1)

    acknowledged = desk.post(
        f"{ALERTS_URL}{alert['id']}/acknowledge/", {"note": "Called."}, format="json"
    )
    assert acknowledged.json()["status"] == "acknowledged"
    assert desk.get(ALERTS_URL, {"status": "open"}).json()["count"] == 0
    assert desk.get(f"/api/v1/patients/{patient.pk}/").json()["open_alerts"] == 0

    desk.patch("/api/v1/me/alert-settings/", {"daily_digest": True}, format="json")
    alert_digests_send(now=timezone.now().replace(hour=12))

    [digest] = mail.outbox
    assert digest.to == [clinician.email]
    assert "Pain flare: 3/10 before the session, 8/10 after." in digest.body
    assert f"acknowledged by {clinician.name}" in digest.body


def test_a_prom_baseline_and_follow_up_are_flagged_at_the_mcid(
    patient, clinician, plan, django_capture_on_commit_callbacks
):
    nprs = shipped("nprs")
    desk = client_for(clinician)
    phone = client_for(patient)
    assigned = desk.post(
        "/api/v1/questionnaire-assignments/",
        {
            "plan": str(plan.pk),
            "questionnaire": str(nprs.pk),
            "every_weeks": 2,
            "start_date": str(timezone.localdate() - dt.timedelta(days=14)),
        },
        format="json",
    ).json()

    def answer(pain: int, days_ago: int) -> None:
        body = {
            "id": str(uuid.uuid4()),
            "questionnaire": str(nprs.pk),
            "assignment": assigned["id"],
            "authored": iso(timezone.now() - dt.timedelta(days=days_ago, minutes=1)),
            "item": [{"linkId": "pain", "answer": [{"valueInteger": pain}]}],
        }
        with django_capture_on_commit_callbacks(execute=True):
            assert (
                phone.post(
                    "/api/v1/questionnaire-responses/", body, format="json"
                ).status_code
                == 201
            )

    answer(3, days_ago=14)  # the baseline
    assert [
        d["occurrence"] for d in phone.get("/api/v1/me/questionnaires/due/").json()
    ] == [1]
    answer(6, days_ago=0)  # the follow-up: 3 points worse, MCID 2

    assert phone.get("/api/v1/me/questionnaires/due/").json() == []
    progress = desk.get("/api/v1/progress/", {"patient": patient.pk}).json()
    [measure] = progress["measures"]
    assert (measure["name"], measure["baseline"], measure["latest"]) == ("nprs", 3, 6)
    assert (measure["change"], measure["mcid"], measure["important"]) == (3, 2, True)
    assert measure["worse"] is True
    assert measure["mcid_source"].startswith("Farrar et al. 2001")
    [alert] = desk.get(ALERTS_URL, {"kind": "prom_worse"}).json()["results"]
    assert alert["evidence"] == {
        "baseline": 3.0,
        "latest": 6.0,
        "change": 3.0,
        "mcid": 2.0,
    }
