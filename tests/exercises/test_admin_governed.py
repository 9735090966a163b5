"""The admin's private flag, governed edits of published content and the review queue."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from common.models import Status
from exercises.admin.workflow import PROPOSED
from exercises.models import ContentRevision, Exercise
from exercises.revisions import revision_propose
from exercises.services import ROUTINE_HAS_UNPUBLISHED, content_submit
from tests.exercises.test_admin import _messages, exercise_form_data
from tests.factories import ExerciseFactory, RoutineFactory, RoutineItemFactory

pytestmark = pytest.mark.django_db

EXERCISES_URL = "/admin/exercises/exercise/"
REVISIONS_URL = "/admin/exercises/contentrevision/"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_author_ticks_private_and_others_do_not_see_it(clinician, other_clinician):
    response = logged_in(clinician).post(
        f"{EXERCISES_URL}add/", exercise_form_data(private="on")
    )

    assert response.status_code == 302
    exercise = Exercise.objects.get(slug="banded-clamshell")
    assert (exercise.private, exercise.author) == (True, clinician)
    assert (
        logged_in(other_clinician)
        .get(f"{EXERCISES_URL}{exercise.pk}/change/")
        .status_code
        == 302
    )
    listed = logged_in(other_clinician).get(EXERCISES_URL)
    assert "Banded clamshell" not in listed.content.decode()
    assert (
        "Banded clamshell" in logged_in(clinician).get(EXERCISES_URL).content.decode()
    )


def test_only_the_author_may_change_the_private_flag(clinician, other_clinician):
    shared = ExerciseFactory(status=Status.DRAFT, author=clinician)

    form = logged_in(other_clinician).get(f"{EXERCISES_URL}{shared.pk}/change/")
    own = logged_in(clinician).get(f"{EXERCISES_URL}{shared.pk}/change/")

    assert "private" not in form.context["adminform"].form.fields
    assert "private" in own.context["adminform"].form.fields


def test_an_admin_edit_of_published_content_is_a_pending_revision(clinician):
    exercise = ExerciseFactory(
        status=Status.PUBLISHED, name="Banded clamshell", slug="banded-clamshell"
    )
    before = exercise.summary

    response = logged_in(clinician).post(
        f"{EXERCISES_URL}{exercise.pk}/change/",
        exercise_form_data(summary="A clearer summary.", name=exercise.name),
    )

    assert response.status_code == 302
    assert PROPOSED in _messages(response)
    exercise.refresh_from_db()
    assert exercise.summary == before
    revision = ContentRevision.objects.get(exercise=exercise)
    assert revision.changes["summary"] == "A clearer summary."
    # Only the revisable fields are editable on a published exercise's page.
    form = logged_in(clinician).get(f"{EXERCISES_URL}{exercise.pk}/change/")
    fields = set(form.context["adminform"].form.fields)
    assert "summary" in fields
    assert "slug" not in fields
    assert "private" not in fields


def test_a_published_routines_items_are_read_only(clinician):
    routine = RoutineFactory(status=Status.PUBLISHED)
    RoutineItemFactory(routine=routine)

    page = logged_in(clinician).get(f"/admin/exercises/routine/{routine.pk}/change/")

    formset = page.context["inline_admin_formsets"][0]
    assert not formset.has_add_permission
    assert not formset.has_change_permission


@pytest.fixture
def pending(clinician):
    exercise = ExerciseFactory(status=Status.PUBLISHED, summary="Small steps.")
    return revision_propose(
        content=exercise, user=clinician, changes={"summary": "Shorter steps."}
    )


def test_the_queue_opens_on_waiting_for_my_review(clinician, other_clinician, pending):
    # The proposer's queue does not hold their own proposal; the reviewer's does.
    mine = logged_in(clinician).get(REVISIONS_URL)
    theirs = logged_in(other_clinician).get(f"{REVISIONS_URL}?awaiting=me")
    everything = logged_in(clinician).get(f"{REVISIONS_URL}?awaiting=all")

    assert list(mine.context["cl"].result_list) == []
    assert list(theirs.context["cl"].result_list) == [pending]
    assert list(everything.context["cl"].result_list) == [pending]
    assert "Waiting for my review" in theirs.content.decode()


def test_the_diff_page_and_approve(clinician, other_clinician, pending):
    reviewer = logged_in(other_clinician)
    page = reviewer.get(f"{REVISIONS_URL}{pending.pk}/change/")
    html = page.content.decode()
    assert "Small steps." in html
    assert "Shorter steps." in html
    assert "Approve" in html
    assert "Reject" in html

    response = reviewer.post(
        f"{REVISIONS_URL}{pending.pk}/review/approve/", {"note": "Clearer."}
    )

    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.state, pending.reviewed_by, pending.review_note) == (
        "approved",
        other_clinician,
        "Clearer.",
    )
    assert pending.exercise.summary == "Shorter steps."


def test_the_proposer_cannot_approve_their_own(clinician, pending):
    response = logged_in(clinician).post(f"{REVISIONS_URL}{pending.pk}/review/approve/")

    assert any("own revision" in m for m in _messages(response))
    pending.refresh_from_db()
    assert pending.state == "pending"
    assert pending.exercise.summary == "Small steps."


def test_reject_leaves_the_content_and_get_is_refused(other_clinician, pending):
    reviewer = logged_in(other_clinician)
    assert (
        reviewer.get(f"{REVISIONS_URL}{pending.pk}/review/reject/").status_code == 405
    )

    reviewer.post(f"{REVISIONS_URL}{pending.pk}/review/reject/")

    pending.refresh_from_db()
    assert pending.state == "rejected"
    assert pending.exercise.summary == "Small steps."


def test_publishing_a_routine_naming_an_unpublished_exercise_is_refused_in_the_admin(
    clinician, other_clinician
):
    routine = RoutineFactory(status=Status.DRAFT, author=clinician)
    draft = ExerciseFactory(status=Status.DRAFT, private=True, author=clinician)
    draft.name = "Private bridge"
    draft.save()
    RoutineItemFactory(routine=routine, exercise=draft)
    content_submit(content=routine, user=clinician)
    reviewer = logged_in(other_clinician)

    button = reviewer.post(
        f"/admin/exercises/routine/{routine.pk}/workflow/publish/", follow=True
    )
    action = reviewer.post(
        "/admin/exercises/routine/",
        {"action": "publish_selected", "_selected_action": [str(routine.pk)]},
        follow=True,
    )

    refusal = ROUTINE_HAS_UNPUBLISHED.format(names="Private bridge")
    assert any(refusal in m for m in _messages(button))
    assert any(refusal in m for m in _messages(action))
    routine.refresh_from_db()
    assert routine.status == Status.IN_REVIEW


def test_the_queue_page_reads_a_flat_number_of_queries(clinician, other_clinician):
    reviewer = logged_in(other_clinician)

    def propose(n: int) -> None:
        for _ in range(n):
            exercise = ExerciseFactory(status=Status.PUBLISHED)
            revision_propose(
                content=exercise, user=clinician, changes={"summary": "New"}
            )

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = reviewer.get(f"{REVISIONS_URL}?awaiting=me")
        assert response.status_code == 200
        return len(queries)

    propose(1)
    few = count()
    propose(6)
    # Content, proposer and reviewer joined; each row's diff reads no more.
    assert count() == few
