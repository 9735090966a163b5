"""The admin front page: a clinician's dashboard of patients needing attention and
content waiting for their review."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.models import Status
from outcomes.models import QuestionnaireAssignment
from outcomes.selectors.dashboard import clinician_dashboard
from tests.factories import (
    CareRelationshipFactory,
    ClinicianFactory,
    ExerciseFactory,
    PatientFactory,
    PlanFactory,
    RoutineFactory,
    SessionFactory,
)
from tests.factories.outcomes import AlertFactory, shipped
from users.models import PatientAccessLog

pytestmark = pytest.mark.django_db

INDEX = "/admin/"


@pytest.fixture
def desk(client, clinician):
    client.force_login(clinician)
    return client


def in_care(clinician, name: str, **kwargs):
    patient = PatientFactory(name=name, timezone="Europe/London", **kwargs)
    CareRelationshipFactory(clinician=clinician, patient=patient)
    return patient


def daily_plan(patient, clinician, days: int = 60):
    return PlanFactory(
        patient=patient,
        prescribed_by=clinician,
        start_date=timezone.localdate() - dt.timedelta(days=days),
        days_of_week=[1, 2, 3, 4, 5, 6, 7],
    )


def flagged(clinician):
    """Alerted (2 open), Faded (adherence fell), Late (questionnaire overdue), Calm."""
    now = timezone.now()
    alerted = in_care(clinician, "Alice Alerted")
    AlertFactory(patient=alerted)
    AlertFactory(patient=alerted)
    faded = in_care(clinician, "Fred Faded")
    daily_plan(faded, clinician)
    for days in range(14, 28):  # every day of the 14 days before, none since
        SessionFactory(patient=faded, started_at=now - dt.timedelta(days=days))
    late = in_care(clinician, "Lou Late")
    plan = daily_plan(late, clinician)
    for days in range(0, 28):
        SessionFactory(patient=late, started_at=now - dt.timedelta(days=days, hours=1))
    QuestionnaireAssignment.objects.create(
        plan=plan,
        questionnaire=shipped("nprs"),
        start_date=timezone.localdate() - dt.timedelta(days=10),
    )
    in_care(clinician, "Cal Calm")
    return alerted, faded, late


def rows(html: str) -> list[str]:
    return re.findall(
        r'<tr class="attention-row">\s*<th scope="row"><a [^>]*>([^<]+)', html
    )


def test_the_dashboard_lists_who_needs_attention_and_why(desk, clinician):
    flagged(clinician)
    stranger = PatientFactory(name="Sam Stranger")
    CareRelationshipFactory(clinician=ClinicianFactory(), patient=stranger)
    AlertFactory(patient=stranger)

    html = desk.get(INDEX).content.decode()

    assert rows(html) == ["Alice Alerted", "Fred Faded", "Lou Late"]
    assert "Sam Stranger" not in html
    assert html.count('class="alerts-count"') == 1
    [falling] = re.findall(r'class="num falling">(.*?)<span', html, re.S)
    assert " ".join(falling.split()) == "0 % (100 %)"  # Fred: none since, all before
    assert "Numeric Pain Rating Scale (NPRS) (due" in html
    # The sections stay below.
    assert "Patients and care teams" in html


def test_showing_a_patient_on_the_dashboard_is_logged(desk, clinician):
    flagged(clinician)

    desk.get(INDEX)

    assert sorted(
        PatientAccessLog.objects.filter(actor=clinician).values_list(
            "patient__name", "action"
        )
    ) == [
        ("Alice Alerted", "admin.dashboard.view"),
        ("Fred Faded", "admin.dashboard.view"),
        ("Lou Late", "admin.dashboard.view"),
    ]


def test_content_waiting_for_review_by_others(desk, clinician, other_clinician):
    ExerciseFactory(status=Status.IN_REVIEW, submitted_by=other_clinician)
    ExerciseFactory(status=Status.IN_REVIEW, submitted_by=other_clinician)
    ExerciseFactory(status=Status.IN_REVIEW, submitted_by=clinician)  # mine
    RoutineFactory(status=Status.IN_REVIEW, submitted_by=other_clinician)
    ExerciseFactory(status=Status.DRAFT)

    data = clinician_dashboard(user=clinician)
    html = desk.get(INDEX).content.decode()

    assert (data.exercises_in_review, data.routines_in_review) == (2, 1)
    assert data.revisions_pending == 0
    review = re.findall(
        r'<tr class="review-row">\s*<th scope="row">(?:<a href="([^"]*)">)?([^<]+)'
        r"(?:</a>)?</th>\s*<td class=\"num\">(\d+)",
        html,
    )
    assert review[:2] == [
        (
            "/admin/exercises/exercise/?status__exact=in_review",
            "Exercises in review",
            "2",
        ),
        (
            "/admin/exercises/routine/?status__exact=in_review",
            "Routines in review",
            "1",
        ),
    ]
    assert review[2][1:] == ("Proposed changes to review", "0")


def test_a_quiet_day_says_so(desk, clinician):
    in_care(clinician, "Cal Calm")

    html = desk.get(INDEX).content.decode()

    assert rows(html) == []
    assert "Nobody right now" in html


def test_the_dashboard_query_count_is_flat_as_patients_grow(desk, clinician):
    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert desk.get(INDEX).status_code == 200
        return len(context)

    flagged(clinician)
    few = count()
    for index in range(6):
        patient = in_care(clinician, f"More {index}")
        AlertFactory(patient=patient)
        daily_plan(patient, clinician)
    many = count()

    # session, savepoint pair, user; patients with open alerts, adherence now and 14
    # days before (plans, history, sessions: 3 each), assignments, their latest
    # answers, exercises, routines, revisions in review; the access-log INSERT;
    # permissions (user, group); the recent actions box (admin log).
    assert few == many == 20
