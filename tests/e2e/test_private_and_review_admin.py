"""A solo clinician's custom content and a governed edit, in a real browser.

A clinician ticks "private" on a new exercise and puts it in a patient's plan from the
plan page, ending another item there; a colleague does not see the private exercise.
A clinician's edit of a published exercise waits as a revision; a second clinician
opens it from "Edits waiting for review", reads the diff and approves it.
"""

from __future__ import annotations

import datetime as dt

import pytest

from common.models import Status
from exercises.models import ContentRevision, Exercise
from sessions.schedules import local_today
from tests.e2e.admin_pages import click_and_wait, login, save, success_message
from tests.factories import (
    CareRelationshipFactory,
    ClinicianFactory,
    ExerciseFactory,
    PatientFactory,
    PlanFactory,
    PlanItemFactory,
)

pytestmark = pytest.mark.xdist_group("e2e")


def test_a_private_exercise_goes_into_a_plan_from_the_plan_page(browser):
    clinician = ClinicianFactory(name="Dr. Solo")
    colleague = ClinicianFactory(name="Dr. Other")
    # UTC-12, the last zone to leave a day: the plan page lists the items that end
    # today anywhere on Earth, so for this patient "ended yesterday" is gone at any hour.
    patient = PatientFactory(name="Ana Patient", timezone="Etc/GMT+12")
    CareRelationshipFactory(clinician=clinician, patient=patient)
    today = local_today(tz_name=patient.timezone)
    plan = PlanFactory(
        patient=patient,
        prescribed_by=clinician,
        routine=None,
        title="Hips",
        start_date=today - dt.timedelta(weeks=2),
    )
    squat = PlanItemFactory(plan=plan, exercise=ExerciseFactory(name="Banded squat"))

    # -- the clinician writes a private exercise -----------------------------------
    page = browser.new_page()
    login(page, clinician)
    page.goto("/admin/exercises/exercise/add/")
    page.fill("#id_name", "Dr. Solo's bridge")
    page.fill("#id_reps", "10")
    page.check("#id_private")
    save(page, "_continue")
    assert "was added successfully" in success_message(page)
    browser.screenshot(page, "30-private-exercise-saved")
    bridge = Exercise.objects.get(name="Dr. Solo's bridge")
    assert (bridge.private, bridge.status, bridge.author) == (
        True,
        Status.DRAFT,
        clinician,
    )

    # -- the plan page: add it, end the squat from today ----------------------------
    page.goto(f"/admin/training_sessions/plan/{plan.pk}/change/")
    page.select_option("#id_items-2-0-exercise", label="Dr. Solo's bridge")
    page.fill("#id_items-2-0-sets", "2")
    page.check("#id_items-0-DELETE")
    browser.screenshot(page, "31-plan-add-and-end-items")
    save(page, "_continue")
    assert "was changed successfully" in success_message(page)
    browser.screenshot(page, "32-plan-items-changed")

    added = plan.items.get(exercise=bridge)
    assert (added.sets, added.reps, added.starts_on) == (2, 10, today)
    squat.refresh_from_db()
    assert squat.ends_on == today - dt.timedelta(days=1)  # its past weeks stay
    current = page.locator("#items-group").inner_text()
    assert "Dr. Solo's bridge" in current
    assert "Banded squat" not in current

    # -- a colleague does not see it ------------------------------------------------
    other = browser.new_page()
    login(other, colleague)
    other.goto("/admin/exercises/exercise/")
    assert "Dr. Solo's bridge" not in other.locator("#result_list").inner_text()


def test_a_second_clinician_approves_an_edit_from_its_diff(browser, live_server):
    proposer = ClinicianFactory(name="Ada Author")
    reviewer = ClinicianFactory(name="Rex Reviewer")
    walk = ExerciseFactory(
        name="Lateral band walk",
        slug="lateral-band-walk",
        summary="Small steps sideways.",
        status=Status.PUBLISHED,
    )

    # -- the proposer edits the published exercise: it waits --------------------------
    page = browser.new_page()
    login(page, proposer)
    page.goto(f"/admin/exercises/exercise/{walk.pk}/change/")
    page.fill("#id_summary", "Shorter steps, same band.")
    save(page, "_continue")
    assert "pending revision" in success_message(page)
    browser.screenshot(page, "33-revision-proposed")
    walk.refresh_from_db()
    assert walk.summary == "Small steps sideways."
    revision = ContentRevision.objects.get(exercise=walk)

    # -- the reviewer opens the queue, reads the diff, approves -------------------------
    review = browser.new_page()
    login(review, reviewer)
    review.goto("/admin/exercises/contentrevision/?awaiting=me")
    browser.screenshot(review, "34-review-queue")
    click_and_wait(
        review, review.locator("#result_list a", has_text="Lateral band walk")
    )
    diff = review.locator("table.revision-diff").inner_text()
    assert "Small steps sideways." in diff
    assert "Shorter steps, same band." in diff
    browser.screenshot(review, "35-revision-diff")
    review.fill("#review-note", "Clearer, thanks.")
    click_and_wait(review, review.get_by_role("button", name="Approve"))
    assert "Approved" in success_message(review)
    browser.screenshot(review, "36-revision-approved")

    revision.refresh_from_db()
    walk.refresh_from_db()
    assert (revision.state, revision.reviewed_by, revision.review_note) == (
        ContentRevision.State.APPROVED,
        reviewer,
        "Clearer, thanks.",
    )
    assert (walk.summary, walk.status) == (
        "Shorter steps, same band.",
        Status.PUBLISHED,
    )
