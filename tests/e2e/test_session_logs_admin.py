"""A clinician reads a patient's session logs in the admin, in a real browser.

The patient, the care link, the plan and the sessions are made with the services the
API uses (plan_prescribe, session_upload), so the pages show what an app uploads.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from sessions.models import SessionExercise, SessionSet
from sessions.services.logs import session_upload
from sessions.services.plans import plan_prescribe
from tests.e2e.admin_pages import click_and_wait, login
from tests.factories import (
    CareRelationshipFactory,
    ClinicianFactory,
    ExerciseFactory,
    PatientFactory,
    RoutineFactory,
    RoutineItemFactory,
)
from users.models import PatientAccessLog

pytestmark = pytest.mark.xdist_group("e2e")

SESSION_NOTE = "Knee felt better on the stairs today."


def _upload(patient, plan, *, days_ago: int, exercises: list[dict]) -> uuid.UUID:
    started = timezone.now() - dt.timedelta(days=days_ago, hours=1)
    session, created = session_upload(
        patient=patient,
        data={
            "id": uuid.uuid4(),
            "plan": plan.pk if plan else None,
            "started_at": started,
            "ended_at": started + dt.timedelta(minutes=25),
            "pain_before": 4,
            "pain_after": 2,
            "effort": 6,
            "notes": SESSION_NOTE if days_ago == 0 else "",
            "exercises": exercises,
        },
    )
    assert created
    return session.pk


def test_clinician_reads_the_session_logs_of_a_patient_in_their_care(browser):
    clinician = ClinicianFactory(name="Cleo Clinician")
    patient = PatientFactory(name="Pat Patient", timezone="Europe/Paris")
    stranger = PatientFactory(name="Sam Stranger")
    CareRelationshipFactory(clinician=clinician, patient=patient)
    CareRelationshipFactory(patient=stranger)  # in another clinician's care
    routine = RoutineFactory(title="Knee basics")
    walk = ExerciseFactory(name="Lateral band walk")
    wall_sit = ExerciseFactory(name="Wall sit")
    RoutineItemFactory(
        routine=routine, exercise=walk, reps=None, steps=10, per_side=True, order=1
    )
    RoutineItemFactory(
        routine=routine, exercise=wall_sit, reps=None, seconds=30, order=2
    )
    plan = plan_prescribe(
        prescriber=clinician,
        patient=patient,
        routine=routine,
        start_date=timezone.localdate() - dt.timedelta(days=14),
        days_of_week=[1, 3, 5],
    )
    walk_item, sit_item = plan.items.order_by("order")
    latest = _upload(
        patient,
        plan,
        days_ago=0,
        exercises=[
            {
                "exercise": walk.pk,
                "plan_item": walk_item.pk,
                "sets": [
                    {"side": SessionSet.Side.LEFT, "reps": 10},
                    {"side": SessionSet.Side.RIGHT, "reps": 10},
                ],
            },
            {
                "exercise": wall_sit.pk,
                "plan_item": sit_item.pk,
                "status": SessionExercise.Status.PARTIAL,
                "pain_during": 3,
                "notes": "Stopped at 20 s.",
                "sets": [{"seconds": 20, "completed": False}],
            },
        ],
    )
    _upload(
        patient,
        plan,
        days_ago=2,
        exercises=[{"exercise": walk.pk, "plan_item": walk_item.pk, "sets": []}],
    )
    strangers_session = _upload(stranger, None, days_ago=1, exercises=[])

    page = browser.new_page()
    login(page, clinician)

    # Patients: only those in the clinician's care.
    page.goto("/admin/training_sessions/patient/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Pat Patient" in rows.first.inner_text()
    assert "Sam Stranger" not in page.locator("#result_list").inner_text()
    browser.screenshot(page, "09-patients-clinician")

    # The patient's session logs, newest first.
    click_and_wait(page, rows.first.get_by_role("link", name="session logs"))
    sessions = page.locator("#result_list tbody tr")
    assert sessions.count() == 2
    assert "Knee basics" in sessions.first.inner_text()
    browser.screenshot(page, "10-session-logs")

    # One session: the patient's words, exercises and sets.
    click_and_wait(page, sessions.first.locator("th a, td a").first)
    assert str(latest) in page.url
    content = page.locator("#content").inner_text()
    for expected in (SESSION_NOTE, "Lateral band walk", "Wall sit", "Stopped at 20 s."):
        assert expected in content
    assert page.locator('input[type="submit"]').count() == 0  # read-only
    browser.screenshot(page, "11-session-detail")

    # Each read is in the patient's access log; nothing about the other patient.
    actions = set(
        PatientAccessLog.objects.filter(actor=clinician, patient=patient).values_list(
            "action", flat=True
        )
    )
    assert {"admin.sessions.list", "admin.sessions.view"} <= actions
    assert not PatientAccessLog.objects.filter(patient=stranger).exists()

    # Someone else's patient's session: not found, however the URL is reached.
    response = page.goto(
        f"/admin/training_sessions/session/{strangers_session}/change/"
    )
    assert response is not None
    assert response.status == 404
