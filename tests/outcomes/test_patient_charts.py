"""The admin's patient page: charts of pain, adherence, outcome measures and alerts;
open alerts on the patient list, sortable with adherence."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outcomes.models import QuestionnaireResponse
from outcomes.selectors.charts import patient_charts
from tests.factories import (
    CareRelationshipFactory,
    PatientFactory,
    PlanFactory,
    SessionFactory,
)
from tests.factories.outcomes import AlertFactory, shipped
from users.models import PatientAccessLog

pytestmark = pytest.mark.django_db

PATIENTS = "/admin/training_sessions/patient/"


@pytest.fixture
def desk(client, clinician):
    client.force_login(clinician)
    return client


@pytest.fixture
def mine(clinician):
    patient = PatientFactory(name="Ann Mine", timezone="Europe/London")
    CareRelationshipFactory(clinician=clinician, patient=patient)
    PlanFactory(
        patient=patient,
        prescribed_by=clinician,
        start_date=timezone.localdate() - dt.timedelta(days=60),
        days_of_week=[1, 3, 5],
    )
    return patient


def answer(patient, questionnaire, score: float, days_ago: int):
    return QuestionnaireResponse.objects.create(
        id=uuid.uuid4(),
        patient=patient,
        questionnaire=questionnaire,
        authored=timezone.now() - dt.timedelta(days=days_ago),
        items=[],
        score=score,
        upload_hash=uuid.uuid4().hex * 2,
    )


def add_rows(patient, count: int, nprs) -> None:
    """count sessions (one a flare with its alert) and count NPRS answers."""
    now = timezone.now()
    for index in range(count):
        session = SessionFactory(
            patient=patient,
            started_at=now - dt.timedelta(days=2 * index + 1),
            pain_before=3,
            pain_after=2 + index % 5,
        )
        AlertFactory(patient=patient, session=session, key=f"pain_flare:{session.pk}")
        answer(patient, nprs, score=5 - index % 3, days_ago=3 * index)


def page_of(desk, patient) -> str:
    response = desk.get(f"{PATIENTS}{patient.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_patient_page_draws_pain_adherence_measures_and_alerts(desk, mine):
    nprs = shipped("nprs")
    add_rows(mine, 3, nprs)

    html = page_of(desk, mine)

    charts = re.findall(r'<figure id="chart-([\w-]+)"', html)
    assert charts == ["pain", "adherence", "measure-nprs"]
    pain = html.split('id="chart-pain"')[1].split("</figure>")[0]
    # two lines (before, after) of three sessions; one marker per alert
    assert pain.count('class="chart-point"') == 6
    assert pain.count('class="chart-marker"') == 3
    assert "Pain flare after a session. Pain flare: 3/10 before" in pain
    adherence = html.split('id="chart-adherence"')[1].split("</figure>")[0]
    assert adherence.count('class="chart-bar"') >= 1
    measure = html.split('id="chart-measure-nprs"')[1].split("</figure>")[0]
    assert measure.count('class="chart-point"') == 3
    assert "Within the MCID (±2) of the baseline" in measure
    assert "Baseline 3" in measure  # the first answer (9 days ago) scored 5 - 2


def test_the_charts_read_is_logged_with_the_page(desk, clinician, mine):
    page_of(desk, mine)

    assert list(
        PatientAccessLog.objects.filter(actor=clinician).values_list(
            "patient", "action"
        )
    ) == [(mine.pk, "admin.patients.view")]


def test_another_clinicians_patient_page_is_404_without_charts(desk, other_clinician):
    stranger = PatientFactory()
    CareRelationshipFactory(clinician=other_clinician, patient=stranger)

    assert desk.get(f"{PATIENTS}{stranger.pk}/change/").status_code == 404


def test_the_page_query_count_is_flat_as_rows_grow(desk, mine):
    nprs, psfs = shipped("nprs"), shipped("psfs")

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            page_of(desk, mine)
        return len(context)

    add_rows(mine, 2, nprs)
    answer(mine, psfs, 5, 20)
    few = count()
    add_rows(mine, 10, nprs)
    answer(mine, psfs, 7, 1)
    many = count()

    # session, savepoint pair, user, the patient (with its open-alert count),
    # permissions (user, group); the charts: sessions, progress (plans, history,
    # sessions, plan items), answers, their questionnaires, alerts; the access-log
    # INSERT; then the page's care team and adherence (plans, history, sessions).
    assert few == many == 20


def test_the_chart_data_is_in_the_patients_time_zone(mine):
    session = SessionFactory(
        patient=mine, started_at=dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC)
    )
    now = dt.datetime(2026, 7, 10, 12, tzinfo=dt.UTC)

    data = patient_charts(patient=mine, now=now)

    [(started, _, _)] = data.sessions
    assert started == session.started_at
    assert started.utcoffset() == dt.timedelta(hours=1)  # London in summer
    assert data.start.weekday() == 0
    assert data.start.hour == 0
    assert (now - data.start).days >= 7 * 12 - 7


# ---------------------------------------------------------------------------
# The patient list: open alerts, sorting
# ---------------------------------------------------------------------------
def column(html: str, name: str) -> int:
    headers = re.findall(r'<th scope="col" class="([^"]*)"', html)
    return next(i for i, classes in enumerate(headers) if f"column-{name}" in classes)


def names(html: str) -> list[str]:
    return re.findall(r'<th class="field-patient_name"><a [^>]*>([^<]+)</a>', html)


def test_the_list_shows_open_alerts_and_sorts_by_them(desk, clinician, mine):
    calm = PatientFactory(name="Bob Calm")
    CareRelationshipFactory(clinician=clinician, patient=calm)
    AlertFactory(patient=mine)
    AlertFactory(patient=mine)
    AlertFactory(patient=calm, status="resolved", resolved_at=timezone.now())
    html = desk.get(PATIENTS).content.decode()
    index = column(html, "open_alerts")

    most_first = desk.get(PATIENTS, {"o": f"-{index}"}).content.decode()
    fewest_first = desk.get(PATIENTS, {"o": str(index)}).content.decode()

    assert names(most_first) == ["Ann Mine", "Bob Calm"]
    assert names(fewest_first) == ["Bob Calm", "Ann Mine"]
    assert f"?patient={mine.pk}&amp;status__exact=open" in most_first
    assert ">2</strong>" in most_first


def test_the_list_sorts_by_adherence(desk, clinician, mine):
    keen = PatientFactory(name="Kim Keen")
    CareRelationshipFactory(clinician=clinician, patient=keen)
    PlanFactory(
        patient=keen,
        prescribed_by=clinician,
        start_date=timezone.localdate() - dt.timedelta(days=60),
        days_of_week=[1, 2, 3, 4, 5, 6, 7],
    )
    for days in range(1, 28):
        SessionFactory(
            patient=keen, started_at=timezone.now() - dt.timedelta(days=days)
        )
    idle = PatientFactory(name="Al Idle")  # nothing scheduled
    CareRelationshipFactory(clinician=clinician, patient=idle)
    html = desk.get(PATIENTS).content.decode()
    index = column(html, "adherence")

    lowest_first = desk.get(PATIENTS, {"o": str(index)}).content.decode()
    highest_first = desk.get(PATIENTS, {"o": f"-{index}"}).content.decode()

    # Ann has a plan and no session: 0 %; nothing scheduled comes last going up.
    assert names(lowest_first) == ["Ann Mine", "Kim Keen", "Al Idle"]
    assert names(highest_first) == ["Al Idle", "Kim Keen", "Ann Mine"]
