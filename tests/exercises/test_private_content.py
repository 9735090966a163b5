"""Private exercises and routines: their author's until a second clinician publishes them."""

from __future__ import annotations

import pytest

from common.models import Status
from exercises.selectors import exercise_get, exercise_list, routine_list
from exercises.services import content_publish, content_submit
from tests.factories import ExerciseFactory, ExerciseLinkFactory, RoutineFactory

pytestmark = pytest.mark.django_db


def test_private_content_is_seen_only_by_its_author_among_clinicians(
    clinician, other_clinician, admin_user, patient
):
    mine = ExerciseFactory(status=Status.DRAFT, private=True, author=clinician)
    routine = RoutineFactory(status=Status.DRAFT, private=True, author=clinician)

    def visible(user):
        return (
            mine in exercise_list(user=user),
            routine in routine_list(user=user),
        )

    assert visible(clinician) == (True, True)
    assert visible(admin_user) == (True, True)
    assert visible(other_clinician) == (False, False)
    assert visible(patient) == (False, False)
    assert visible(None) == (False, False)


def test_sharing_goes_through_review_and_publishing_clears_private(
    clinician, other_clinician
):
    mine = ExerciseFactory(status=Status.DRAFT, private=True, author=clinician)

    content_submit(content=mine, user=clinician)
    # In review: the reviewer sees it.
    assert mine in exercise_list(user=other_clinician)
    content_publish(content=mine, user=other_clinician)

    mine.refresh_from_db()
    assert (mine.status, mine.private) == (Status.PUBLISHED, False)
    assert mine in exercise_list(user=None)


def test_a_published_exercise_never_links_others_to_a_private_one(
    clinician, other_clinician
):
    public = ExerciseFactory(status=Status.PUBLISHED)
    private = ExerciseFactory(status=Status.DRAFT, private=True, author=clinician)
    ExerciseLinkFactory(exercise=public, target=private, kind="regression")

    assert len(exercise_get(user=clinician, exercise_id=public.pk).visible_links) == 1
    assert exercise_get(user=other_clinician, exercise_id=public.pk).visible_links == []
    assert exercise_get(user=None, exercise_id=public.pk).visible_links == []
