from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from exercises.filters import ExerciseFilterSet, RoutineFilterSet, search_q
from exercises.models import Exercise, Routine
from exercises.selectors import exercise_list
from tests.factories import (
    ConditionFactory,
    EquipmentFactory,
    ExerciseFactory,
    MuscleFactory,
    RoutineFactory,
    RoutineItemFactory,
)

pytestmark = pytest.mark.django_db


def exercise_slugs(data):
    filterset = ExerciseFilterSet(data=data, queryset=Exercise.objects.order_by("slug"))
    assert filterset.is_valid(), filterset.errors
    return [e.slug for e in filterset.qs]


def routine_slugs(data):
    filterset = RoutineFilterSet(data=data, queryset=Routine.objects.order_by("slug"))
    assert filterset.is_valid(), filterset.errors
    return [r.slug for r in filterset.qs]


def exercise_errors(data):
    filterset = ExerciseFilterSet(data=data, queryset=Exercise.objects.all())
    assert not filterset.is_valid()
    return {
        field: [e.code for e in errors]
        for field, errors in filterset.errors.as_data().items()
    }


def test_search_q_requires_every_word_in_some_field():
    condition = search_q("band walk", ("name", "summary"))

    assert str(condition).count("icontains") == 4


def test_q_matches_name_aliases_and_summary_case_insensitively():
    ExerciseFactory(slug="by-name", name="Lateral BAND walk")
    ExerciseFactory(
        slug="by-alias", name="Side steps", aliases="Monster walk\nBand shuffle"
    )
    ExerciseFactory(slug="by-summary", name="Clam", summary="A band around the knees.")
    ExerciseFactory(slug="no-match", name="Wall sit", summary="Hold a squat.")

    assert exercise_slugs({"q": "band"}) == ["by-alias", "by-name", "by-summary"]


def test_q_needs_all_words_but_each_may_be_in_another_field():
    ExerciseFactory(slug="both", name="Band walk", summary="Lateral steps.")
    ExerciseFactory(slug="one-word", name="Band squat", summary="Squat.")

    assert exercise_slugs({"q": "band lateral"}) == ["both"]


def test_muscle_matches_primary_or_secondary_once_each():
    glute = MuscleFactory(slug="gluteus-medius")
    primary = ExerciseFactory(slug="primary")
    primary.primary_muscles.add(glute, MuscleFactory(), MuscleFactory())
    secondary = ExerciseFactory(slug="secondary")
    secondary.secondary_muscles.add(glute, MuscleFactory())
    both = ExerciseFactory(slug="both")
    both.primary_muscles.add(glute)
    both.secondary_muscles.add(glute)
    ExerciseFactory(slug="other").primary_muscles.add(MuscleFactory())

    assert exercise_slugs({"muscle": "gluteus-medius"}) == [
        "both",
        "primary",
        "secondary",
    ]


def test_equipment_and_condition_filter_by_slug():
    band = EquipmentFactory(slug="loop-band")
    back = ConditionFactory(slug="lower-back-pain")
    banded = ExerciseFactory(slug="banded")
    banded.equipment.add(band, EquipmentFactory())
    banded.conditions.add(back)
    ExerciseFactory(slug="plain").equipment.add(EquipmentFactory())

    assert exercise_slugs({"equipment": "loop-band"}) == ["banded"]
    assert exercise_slugs({"condition": "lower-back-pain"}) == ["banded"]
    assert exercise_slugs(
        {"equipment": "loop-band", "condition": "lower-back-pain"}
    ) == ["banded"]


def test_difficulty_and_laterality_filter_by_value():
    ExerciseFactory(slug="easy-both", difficulty="beginner", laterality="bilateral")
    ExerciseFactory(slug="hard-one", difficulty="advanced", laterality="unilateral")

    assert exercise_slugs({"difficulty": "advanced"}) == ["hard-one"]
    assert exercise_slugs({"laterality": "bilateral"}) == ["easy-both"]


def test_updated_since_keeps_changes_at_or_after_the_instant():
    old = ExerciseFactory(slug="old")
    edge = ExerciseFactory(slug="edge")
    new = ExerciseFactory(slug="new")
    Exercise.objects.filter(pk=old.pk).update(
        updated_at=datetime(2025, 1, 1, tzinfo=UTC)
    )
    Exercise.objects.filter(pk=edge.pk).update(
        updated_at=datetime(2025, 2, 1, tzinfo=UTC)
    )
    Exercise.objects.filter(pk=new.pk).update(
        updated_at=datetime(2025, 3, 1, tzinfo=UTC)
    )

    assert exercise_slugs({"updated_since": "2025-02-01T00:00:00Z"}) == ["edge", "new"]
    assert exercise_slugs({"updated_since": "2025-02-01T01:00:00+01:00"}) == [
        "edge",
        "new",
    ]
    # No offset: read as UTC (TIME_ZONE).
    assert exercise_slugs({"updated_since": "2025-02-01T00:00:01"}) == ["new"]


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"difficulty": "expert"}, "difficulty", "invalid_choice"),
        ({"laterality": "left"}, "laterality", "invalid_choice"),
        ({"muscle": "no-such-muscle"}, "muscle", "invalid_choice"),
        ({"equipment": "no-such-thing"}, "equipment", "invalid_choice"),
        ({"condition": "no-such-condition"}, "condition", "invalid_choice"),
        ({"updated_since": "yesterday"}, "updated_since", "invalid"),
        ({"updated_since": "2025-13-01T00:00:00Z"}, "updated_since", "invalid"),
        ({"status": "deleted"}, "status", "invalid_choice"),
        ({"ordering": "summary"}, "ordering", "invalid_choice"),
        ({"q": "x" * 201}, "q", "max_length"),
    ],
)
def test_invalid_values_are_errors_named_after_the_parameter(data, field, code):
    assert exercise_errors(data) == {field: [code]}


def test_ordering_by_difficulty_follows_level_not_alphabet():
    ExerciseFactory(name="A", difficulty="intermediate")
    ExerciseFactory(name="B", difficulty="advanced")
    ExerciseFactory(name="C", difficulty="beginner")

    ascending = exercise_list(user=AnonymousUser(), filters={"ordering": "difficulty"})
    descending = exercise_list(
        user=AnonymousUser(), filters={"ordering": "-difficulty"}
    )

    assert [e.difficulty for e in ascending] == ["beginner", "intermediate", "advanced"]
    assert [e.difficulty for e in descending] == [
        "advanced",
        "intermediate",
        "beginner",
    ]


def test_ordering_takes_several_keys_and_breaks_ties_by_id():
    first = ExerciseFactory(name="Same", difficulty="beginner")
    second = ExerciseFactory(name="Same", difficulty="beginner")
    ExerciseFactory(name="Other", difficulty="advanced")

    ordered = exercise_list(
        user=AnonymousUser(), filters={"ordering": "difficulty,-name"}
    )

    same = sorted([first, second], key=lambda e: e.pk)
    assert list(ordered)[:2] == same


def test_routine_equipment_lists_each_routine_once():
    band = EquipmentFactory(slug="loop-band")
    banded = RoutineFactory(slug="banded")
    for _ in range(3):
        exercise = ExerciseFactory()
        exercise.equipment.add(band)
        RoutineItemFactory(routine=banded, exercise=exercise)
    RoutineItemFactory(routine=RoutineFactory(slug="no-band"))

    assert routine_slugs({"equipment": "loop-band"}) == ["banded"]


def test_routine_condition_and_q_filters():
    back = ConditionFactory(slug="lower-back-pain")
    glutes = RoutineFactory(
        slug="glutes", title="Glute activation", when_to_use="Before walks or hikes."
    )
    glutes.conditions.add(back)
    RoutineFactory(slug="neck", title="Neck mobility")

    assert routine_slugs({"condition": "lower-back-pain"}) == ["glutes"]
    assert routine_slugs({"q": "HIKES"}) == ["glutes"]
    assert routine_slugs({"q": "glute neck"}) == []


def test_routine_unknown_slugs_are_errors():
    filterset = RoutineFilterSet(
        data={"equipment": "nope", "condition": "nope"}, queryset=Routine.objects.all()
    )

    assert not filterset.is_valid()
    assert set(filterset.errors) == {"equipment", "condition"}
