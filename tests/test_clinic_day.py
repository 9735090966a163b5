"""A clinic day over HTTP (issue 11's "Done means"), end to end, with real tokens.

A solo clinician writes a private exercise (over the API), builds a plan from scratch,
invites a patient; the patient registers with the code and sees the plan (with the
regression the app may offer), logs a session with a regression swap, per-direction
sets, difficulty and RPE; the clinician advances the dosage from next week and the
patient's past progress does not change; the clinician then shares the exercise
(submits it for review). Every call goes through the URL router, authentication,
throttles and serializers, as the mobile app and the admin's users would make them.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from common.models import Status
from exercises.models import ExerciseLink
from tests.factories import ClinicianFactory, ExerciseFactory, ExerciseLinkFactory
from users.models import PatientAccessLog

API = "/api/v1"
PASSWORD = "knee-bends-at-dawn-42"
TZ = "Europe/London"


def login(email: str, password: str) -> APIClient:
    client = APIClient()
    response = client.post(
        f"{API}/auth/token/", {"email": email, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json() if response.content else {}


@pytest.mark.django_db(transaction=False)
def test_a_clinic_day(django_capture_on_commit_callbacks):
    clinician_user = ClinicianFactory(email="solo@clinic.example", name="Dr. Solo")
    clinician_user.set_password(PASSWORD)
    clinician_user.save()
    # The library: a published lateral walk with its short-step regression.
    walk = ExerciseFactory(
        status=Status.PUBLISHED, name="Lateral band walk", reps=None, steps=5
    )
    short = ExerciseFactory(
        status=Status.PUBLISHED,
        name="Lateral band walk, short steps",
        reps=None,
        steps=5,
    )
    ExerciseLinkFactory(
        exercise=walk,
        target=short,
        kind=ExerciseLink.Kind.REGRESSION,
        note="If you cannot keep your trunk from leaning, make the steps smaller.",
    )
    clinician = login(clinician_user.email, PASSWORD)

    # -- the clinician writes their own exercise: private, usable at once -------------
    bridge = ok(
        clinician.post(
            f"{API}/exercises/",
            {
                "name": "Dr. Solo's bridge",
                "education": "Strong glutes take the work off your lower back.",
                "instructions": [
                    {"kind": "setup", "text": "Lie on your back, knees bent."},
                    {"kind": "step", "text": "Lift your hips; hold two seconds."},
                ],
            },
            format="json",
        ),
        201,
    )
    assert (bridge["status"], bridge["private"]) == ("draft", True)
    assert (
        ok(clinician.get(f"{API}/exercises/{bridge['id']}/"))["name"] == bridge["name"]
    )
    assert APIClient().get(f"{API}/exercises/{bridge['id']}/").status_code == 404
    public = ok(APIClient().get(f"{API}/exercises/"))["results"]
    assert bridge["id"] not in {row["id"] for row in public}

    # -- an invitation, emailed ------------------------------------------------------
    with django_capture_on_commit_callbacks(execute=True):
        invitation = ok(
            clinician.post(
                f"{API}/invitations/",
                {"email": "ana@example.org", "note": "Welcome!"},
                format="json",
            ),
            201,
        )
    code = invitation["code"]
    assert code in mail.outbox[0].body

    # -- the patient registers with the code ------------------------------------------
    anonymous = APIClient()
    account = ok(
        anonymous.post(
            f"{API}/auth/register/",
            {
                "email": "ana@example.org",
                "password": PASSWORD,
                "name": "Ana",
                "timezone": TZ,
                "invite_code": code.lower(),
            },
            format="json",
        ),
        201,
    )
    patient = login("ana@example.org", PASSWORD)
    assert ok(patient.get(f"{API}/me/"))["in_care"] is True
    assert [p["id"] for p in ok(clinician.get(f"{API}/patients/"))["results"]] == [
        account["id"]
    ]

    # -- a plan from scratch: the private exercise and the walk, per direction ---------
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(TZ)).date()
    monday = today - dt.timedelta(days=today.weekday())
    start = monday - dt.timedelta(weeks=1)
    plan = ok(
        clinician.post(
            f"{API}/plans/",
            {
                "patient": account["id"],
                "title": "Hips, weeks 1-4",
                "start_date": start.isoformat(),
                "days_of_week": [1, 2, 3, 4, 5, 6, 7],
                "items": [
                    {"exercise": bridge["id"], "sets": 2, "reps": 10},
                    {
                        "exercise": str(walk.pk),
                        "sets": 3,
                        "steps": 5,
                        "direction": "sideways",
                        "band": "light",
                    },
                ],
            },
            format="json",
        ),
        201,
    )
    bridge_item, walk_item = plan["items"]

    # -- the patient sees it, with the regression the app may offer --------------------
    seen = ok(patient.get(f"{API}/plans/{plan['id']}/"))
    assert [i["exercise"]["name"] for i in seen["items"]] == [bridge["name"], walk.name]
    assert seen["items"][1]["direction"] == "sideways"
    assert seen["items"][1]["regressions"] == [
        {
            "exercise": {"id": str(short.pk), "slug": short.slug, "name": short.name},
            "note": "If you cannot keep your trunk from leaning, make the steps smaller.",
        }
    ]

    # -- a session last week: the short-step swap, a row each way, feedback ------------
    started = dt.datetime.combine(
        start + dt.timedelta(days=1), dt.time(8), tzinfo=zoneinfo.ZoneInfo(TZ)
    )
    each_way = [
        {"side": side, "reps": 5, "band": "light"}
        for _ in range(3)
        for side in ("right", "left")
    ]
    session = ok(
        patient.post(
            f"{API}/sessions/",
            {
                "id": str(uuid.uuid4()),
                "plan": plan["id"],
                "started_at": started.isoformat(),
                "pain_before": 4,
                "pain_after": 2,
                "exercises": [
                    {
                        "exercise": bridge["id"],
                        "plan_item": bridge_item["id"],
                        "difficulty": "just_right",
                        "rpe": 4,
                        "sets": [{"reps": 10}, {"reps": 10}],
                    },
                    {
                        "exercise": str(short.pk),
                        "plan_item": walk_item["id"],
                        "substitution": "regression",
                        "difficulty": "too_hard",
                        "rpe": 7,
                        "pain_during": 3,
                        "notes": "Trunk leaned, took smaller steps.",
                        "sets": each_way,
                    },
                ],
            },
            format="json",
        ),
        201,
    )
    swap = session["exercises"][1]
    assert (swap["substitution"], swap["difficulty"], swap["rpe"]) == (
        "regression",
        "too_hard",
        7,
    )
    assert [s["side"] for s in swap["sets"]] == ["right", "left"] * 3

    progress_query = {"from": start.isoformat(), "to": (monday - dt.timedelta(days=1))}
    before = ok(patient.get(f"{API}/progress/", progress_query))
    by_item = {row["plan_item"]: row for row in before["items"]}
    assert (
        by_item[walk_item["id"]]["sets_done"],
        before["summary"]["sessions_done"],
    ) == (
        3,
        1,
    )

    # -- the clinician advances the walk from next week --------------------------------
    next_monday = monday + dt.timedelta(weeks=1)
    ok(
        clinician.patch(
            f"{API}/plans/{plan['id']}/",
            {
                "effective_from": next_monday.isoformat(),
                "items": [{"id": walk_item["id"], "sets": 4}],
            },
            format="json",
        )
    )
    assert [
        i["sets"] for i in ok(patient.get(f"{API}/plans/{plan['id']}/"))["items"]
    ] == [
        2,
        3,
    ]
    later = ok(
        patient.get(f"{API}/plans/{plan['id']}/", {"on": next_monday.isoformat()})
    )
    assert [i["sets"] for i in later["items"]] == [2, 4]

    # -- the patient's past progress is unchanged ---------------------------------------
    after = ok(patient.get(f"{API}/progress/", progress_query))
    assert after["weeks"] == before["weeks"]

    def measured(rows: list[dict]) -> list[tuple]:
        return [
            (r["plan_item"], r["sets_done"], r["sets_prescribed"], r["weeks"])
            for r in rows
            if r["plan_item"] in by_item
        ]

    assert measured(after["items"]) == measured(before["items"])

    # -- the clinician's reads of the patient's data are in the access log ------------
    ok(clinician.get(f"{API}/progress/", {**progress_query, "patient": account["id"]}))
    assert PatientAccessLog.objects.filter(
        actor=clinician_user, patient_id=account["id"]
    ).exists()

    # -- later, the clinician shares the exercise: a second clinician reviews it -------
    shared = ok(clinician.post(f"{API}/exercises/{bridge['id']}/submit/"))
    assert (shared["status"], shared["private"]) == ("in_review", True)
    assert APIClient().get(f"{API}/exercises/{bridge['id']}/").status_code == 404
