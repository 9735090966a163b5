"""The admin looks like the product: branded, sections for people, pages that fit.

At the 1,440 px of a common laptop screen (the e2e viewport), a clinician sees
"Rehabit" and sections named for what they work on, never "Axes" or "Token blacklist";
a routine's items and a plan's items fit without scrolling sideways; a plan's routine
picker offers no delete; a session reads as its patient and date. Screenshots of each
page go to artifacts/e2e/.
"""

from __future__ import annotations

from typing import Any

import pytest

from common.models import Status
from tests.e2e.admin_pages import login
from tests.factories import (
    AdminFactory,
    CareRelationshipFactory,
    ClinicianFactory,
    PlanFactory,
    PlanItemFactory,
    RoutineFactory,
    RoutineItemFactory,
    SessionFactory,
)

pytestmark = pytest.mark.xdist_group("e2e")

APP_NAMES = ("Axes", "Token blacklist", "Token Blacklist", "Training sessions")
# [page width, viewport width, the items' box: visible width, content width]
WIDTHS_JS = """(prefix) => {
  const box = document.querySelector(`#${prefix}-group .tabular`);
  const table = box.querySelector('table');
  return [document.documentElement.scrollWidth, window.innerWidth,
          box.clientWidth, table.scrollWidth];
}"""


def sections(page: Any) -> list[str]:
    return page.locator("#content-main .module caption").all_inner_texts()


def assert_fits(page: Any, prefix: str) -> None:
    page_width, viewport, box_width, table_width = page.evaluate(WIDTHS_JS, prefix)
    assert page_width <= viewport, "the page scrolls sideways"
    assert table_width <= box_width, (
        f"{prefix}: {table_width} px in a {box_width} px box"
    )


def test_the_admin_is_branded_with_sections_for_people(browser):
    clinician = ClinicianFactory(name="Cleo Clinician")
    admin_user = AdminFactory()

    page = browser.new_page()
    login(page, clinician)
    browser.screenshot(page, "12-branded-admin-clinician")

    assert page.title().endswith("| Rehabit")
    assert page.locator("#site-name").inner_text() == "Rehabit"
    assert page.locator("#content h1").inner_text() == (
        "Patients, plans and the exercise library"
    )
    assert sections(page) == ["PATIENTS AND CARE TEAMS", "EXERCISE LIBRARY"]
    text = page.locator("body").inner_text()
    assert not [name for name in APP_NAMES if name in text]
    assert "Session logs" in text

    page = browser.new_page()
    login(page, admin_user)
    browser.screenshot(page, "13-branded-admin-superuser")

    assert sections(page)[:4] == [
        "PATIENTS AND CARE TEAMS",
        "EXERCISE LIBRARY",
        "STAFF AND ACCOUNTS",
        "SIGN-IN SECURITY",
    ]
    text = page.locator("body").inner_text()
    assert not [name for name in APP_NAMES if name in text]
    # The sidebar on other pages uses the same sections.
    page.goto("/admin/exercises/exercise/")
    sidebar = page.locator("#nav-sidebar caption").all_inner_texts()
    assert sidebar[:2] == ["PATIENTS AND CARE TEAMS", "EXERCISE LIBRARY"]


def test_routine_and_plan_items_fit_1440_pixels(browser):
    clinician = ClinicianFactory()
    patient = CareRelationshipFactory(clinician=clinician).patient
    routine = RoutineFactory(status=Status.DRAFT)
    RoutineItemFactory.create_batch(4, routine=routine, note="Keep the knees out.")
    plan = PlanFactory(patient=patient, routine=routine)
    PlanItemFactory.create_batch(4, plan=plan)
    page = browser.new_page()
    login(page, clinician)

    page.goto(f"/admin/exercises/routine/{routine.pk}/change/")
    browser.screenshot(page, "14-routine-items-1440")
    assert_fits(page, "items")

    page.goto(f"/admin/training_sessions/plan/{plan.pk}/change/")
    browser.screenshot(page, "15-plan-items-1440")
    assert_fits(page, "items")
    assert_fits(page, "items-2")  # the rows that add exercises
    assert "Training sessions" not in page.locator(".breadcrumbs").inner_text()

    # Prescribing: the routine picker offers no delete (deleting a library routine is
    # never what a clinician means while prescribing it).
    page.goto("/admin/training_sessions/plan/add/")
    browser.screenshot(page, "16-plan-add-routine-picker")
    picker = page.locator(".field-routine .related-widget-wrapper")
    assert picker.count() == 1
    assert picker.locator(".delete-related").count() == 0


def test_a_session_reads_as_its_patient_and_date(browser):
    clinician = ClinicianFactory()
    patient = CareRelationshipFactory(
        clinician=clinician, patient__name="Pat Patient"
    ).patient
    session = SessionFactory(patient=patient)
    page = browser.new_page()
    login(page, clinician)

    page.goto(f"/admin/training_sessions/session/{session.pk}/change/")
    browser.screenshot(page, "17-session-title")

    heading = page.locator("#content h2").first.inner_text()
    breadcrumbs = page.locator(".breadcrumbs").inner_text()
    assert "Pat Patient" in breadcrumbs, breadcrumbs
    assert str(session.pk) not in breadcrumbs + heading
