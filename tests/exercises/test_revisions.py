"""Governed content: edits of published content wait for a second clinician."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from common.models import Status
from exercises.models import ContentRevision
from exercises.revisions import (
    NOT_PENDING,
    OWN_REVISION,
    revision_approve,
    revision_diff,
    revision_propose,
    revision_reject,
    revisions_waiting_for,
)
from exercises.selectors import exercise_get
from tests.factories import ExerciseFactory, RoutineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(clinician):
    return ExerciseFactory(
        status=Status.PUBLISHED, name="Banded squat", sets=3, reps=10
    )


def test_an_edit_of_published_content_waits_and_shows_its_diff(
    clinician, other_clinician, published
):
    revision = revision_propose(
        content=published, user=clinician, changes={"name": "Band squat", "sets": 3}
    )

    # Unchanged fields are dropped; the public still sees the published values.
    assert revision.changes == {"name": "Band squat"}
    assert exercise_get(user=None, exercise_id=published.pk).name == "Banded squat"
    [line] = revision_diff(revision)
    assert (line.field, line.published, line.proposed) == (
        "name",
        "Banded squat",
        "Band squat",
    )
    assert list(revisions_waiting_for(user=other_clinician)) == [revision]
    assert list(revisions_waiting_for(user=clinician)) == []


def test_a_second_clinician_approves_same_id_history_kept(
    clinician, other_clinician, published
):
    revision = revision_propose(content=published, user=clinician, changes={"reps": 12})

    revision_approve(revision=revision, user=other_clinician)

    published.refresh_from_db()
    assert (published.reps, published.status) == (12, Status.PUBLISHED)
    record = published.history.order_by("-history_date").first()
    assert record.history_user == other_clinician
    assert clinician.email in record.history_change_reason
    revision.refresh_from_db()
    assert (revision.state, revision.reviewed_by) == ("approved", other_clinician)
    with pytest.raises(ValidationError) as excinfo:
        revision_reject(revision=revision, user=other_clinician)
    assert excinfo.value.messages == [NOT_PENDING]


def test_the_proposer_and_patients_cannot_review(clinician, patient, published):
    revision = revision_propose(content=published, user=clinician, changes={"reps": 12})

    with pytest.raises(PermissionDenied, match=OWN_REVISION):
        revision_approve(revision=revision, user=clinician)
    with pytest.raises(PermissionDenied):
        revision_approve(revision=revision, user=patient)
    published.refresh_from_db()
    assert published.reps == 10


def test_rejecting_leaves_the_content(clinician, other_clinician, published):
    revision = revision_propose(content=published, user=clinician, changes={"reps": 12})

    revision_reject(revision=revision, user=other_clinician, note="Keep 10.")

    published.refresh_from_db()
    assert published.reps == 10
    assert ContentRevision.objects.get().review_note == "Keep 10."


@pytest.mark.parametrize(
    ("changes", "keys"),
    [
        ({"sets": 0}, ["sets"]),
        ({"status": "draft"}, ["status"]),
    ],
)
def test_invalid_revisions_are_refused(clinician, published, changes, keys):
    with pytest.raises(ValidationError) as excinfo:
        revision_propose(content=published, user=clinician, changes=changes)

    assert sorted(excinfo.value.message_dict) == keys
    assert not ContentRevision.objects.exists()


def test_drafts_are_edited_directly_and_routines_get_revisions_too(clinician):
    with pytest.raises(ValidationError):
        revision_propose(
            content=ExerciseFactory(status=Status.DRAFT), user=clinician, changes={}
        )
    routine = RoutineFactory(status=Status.PUBLISHED)
    revision = revision_propose(
        content=routine, user=clinician, changes={"goal": "New"}
    )
    assert revision.routine == routine
