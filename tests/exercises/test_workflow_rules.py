"""The review workflow's details that mutation testing found unchecked (docs/testing.md):
who each transition records, the words of its refusals, the table's admin words, and
that publishing shares private content."""

import pytest

from common.models import Status
from exercises.services import (
    NOT_IN_STATE,
    ROUTINE_HAS_UNPUBLISHED,
    TRANSITIONS,
    WorkflowError,
    content_archive,
    content_publish,
    content_restore,
    content_submit,
)
from tests.factories import ExerciseFactory, RoutineFactory, RoutineItemFactory

pytestmark = pytest.mark.django_db


def _latest_history(content):
    return content.history.order_by("-history_date", "-history_id").first()


def test_the_table_words_the_admin_shows():
    words = {
        name: (row.label, row.action, row.done, row.reason)
        for name, row in TRANSITIONS.items()
    }

    assert words == {
        "submit": (
            "Submit for review",
            "Submit selected %(verbose_name_plural)s for review",
            "Submitted for review",
            "Submitted for review",
        ),
        "publish": (
            "Publish",
            "Publish selected %(verbose_name_plural)s",
            "Published",
            "Published",
        ),
        "reject": (
            "Send back to draft",
            "Send selected %(verbose_name_plural)s back to draft",
            "Sent back to draft",
            "Changes requested",
        ),
        "archive": (
            "Archive",
            "Archive selected %(verbose_name_plural)s",
            "Archived",
            "Archived",
        ),
        "restore": (
            "Restore to draft",
            "Restore selected %(verbose_name_plural)s to draft",
            "Restored to draft",
            "Restored to draft",
        ),
    }


def test_a_refusal_names_the_expected_and_the_actual_state(clinician):
    exercise = ExerciseFactory(status=Status.IN_REVIEW)

    with pytest.raises(WorkflowError) as excinfo:
        content_restore(content=exercise, user=clinician)

    assert str(excinfo.value) == NOT_IN_STATE.format(
        expected="archived", verb="restored", actual="in review"
    )


def test_restore_records_who_restored_in_the_history(clinician, other_clinician):
    exercise = ExerciseFactory(status=Status.ARCHIVED)

    content_restore(content=exercise, user=clinician)

    assert _latest_history(exercise).history_user == clinician


def test_publishing_shares_private_content_into_the_library(clinician, other_clinician):
    exercise = ExerciseFactory(status=Status.DRAFT, private=True, author=clinician)
    content_submit(content=exercise, user=clinician)

    content_publish(content=exercise, user=other_clinician)

    exercise.refresh_from_db()
    assert exercise.status == Status.PUBLISHED
    assert exercise.private is False


def test_a_refused_routine_lists_every_unpublished_exercise_by_name(
    clinician, other_clinician
):
    routine = RoutineFactory(status=Status.IN_REVIEW, submitted_by=clinician)
    for name in ("Wall sit", "Bridge"):
        RoutineItemFactory(
            routine=routine, exercise=ExerciseFactory(status=Status.DRAFT, name=name)
        )

    with pytest.raises(WorkflowError) as excinfo:
        content_publish(content=routine, user=other_clinician)

    assert str(excinfo.value) == ROUTINE_HAS_UNPUBLISHED.format(
        names="Bridge, Wall sit"
    )


def test_archive_records_who_archived(other_clinician):
    exercise = ExerciseFactory(status=Status.PUBLISHED)

    content_archive(content=exercise, user=other_clinician)

    assert _latest_history(exercise).history_user == other_clinician
