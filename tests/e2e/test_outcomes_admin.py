"""The outcomes admin in Chromium: the dashboard flags a flared patient, whose page
draws its charts (server-side SVG) readably at 1,440 px. Screenshots 20- and 21-.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from outcomes.models import QuestionnaireResponse
from outcomes.services.alerts import alerts_session_rules_run
from tests.e2e.admin_pages import login
from tests.factories import (
    CareRelationshipFactory,
    ClinicianFactory,
    PatientFactory,
    PlanFactory,
    SessionFactory,
)
from tests.factories.outcomes import shipped

pytestmark = pytest.mark.xdist_group("e2e")


def flared_patient(clinician):
    """Dana, 5 weeks of sessions, the last a flare (its alert raised by the rules), and
    an NPRS baseline and follow-up."""
    patient = PatientFactory(name="Dana Flare", timezone="Europe/London")
    CareRelationshipFactory(clinician=clinician, patient=patient)
    PlanFactory(
        patient=patient,
        prescribed_by=clinician,
        start_date=timezone.localdate() - dt.timedelta(days=40),
        days_of_week=[1, 3, 5],
    )
    now = timezone.now()
    for index in range(12):
        SessionFactory(
            patient=patient,
            started_at=now - dt.timedelta(days=35 - 3 * index),
            pain_before=3,
            pain_after=2 + index % 3,
        )
    flare = SessionFactory(
        patient=patient,
        started_at=now - dt.timedelta(hours=3),
        pain_before=3,
        pain_after=8,
    )
    alerts_session_rules_run(session_id=flare.pk)
    nprs = shipped("nprs")
    for days, score in [(30, 6), (2, 3)]:
        QuestionnaireResponse.objects.create(
            id=uuid.uuid4(),
            patient=patient,
            questionnaire=nprs,
            authored=now - dt.timedelta(days=days),
            items=[],
            score=score,
            upload_hash=uuid.uuid4().hex * 2,
        )
    return patient


def test_the_dashboard_flags_the_patient_and_the_charts_render(browser):
    clinician = ClinicianFactory(name="Cleo Clinician")
    patient = flared_patient(clinician)

    page = browser.new_page()
    login(page, clinician)
    browser.screenshot(page, "20-dashboard-flared-patient")

    row = page.locator("#needs-attention tr.attention-row", has_text="Dana Flare")
    assert row.count() == 1
    assert row.locator(".alerts-count").inner_text() == "1"
    row.get_by_role("link", name="Dana Flare").click()
    page.wait_for_url(f"**/admin/training_sessions/patient/{patient.pk}/change/")

    charts = page.locator("#patient-charts figure")
    assert charts.count() == 3  # pain, adherence, NPRS
    pain = page.locator("#chart-pain svg")
    assert pain.locator("circle.chart-point").count() == 26  # before and after x 13
    assert pain.locator("g.chart-marker").count() == 1  # the flare
    assert page.locator("#chart-adherence svg rect.chart-bar").count() >= 5
    assert page.locator("#chart-measure-nprs svg rect.chart-band").count() == 1
    # Readable at 1,440 px: each chart spans most of the content column, so its 12 px
    # labels are drawn at 12 px or more, and nothing scrolls sideways.
    box = pain.bounding_box()
    assert box is not None
    assert box["width"] >= 960
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1]
    page.locator("#patient-charts").scroll_into_view_if_needed()
    browser.screenshot(page, "21-patient-charts")
