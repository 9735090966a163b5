import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from common.models import Status
from exercises.models import ExerciseLink, Muscle
from exercises.selectors import (
    can_see_unpublished,
    condition_list,
    equipment_list,
    exercise_get,
    exercise_list,
    muscle_list,
    routine_get,
    routine_list,
)
from tests.factories import (
    ConditionFactory,
    EquipmentFactory,
    ExerciseFactory,
    ExerciseInstructionFactory,
    ExerciseLinkFactory,
    MuscleFactory,
    RoutineFactory,
    RoutineItemFactory,
)

pytestmark = pytest.mark.django_db

ANONYMOUS = AnonymousUser()
UNPUBLISHED = [Status.DRAFT, Status.IN_REVIEW, Status.ARCHIVED]


@pytest.fixture
def every_status():
    """One exercise and one routine in each workflow status, keyed by status."""
    return {
        status: (ExerciseFactory(status=status), RoutineFactory(status=status))
        for status in Status.values
    }


def test_can_see_unpublished_only_for_staff(patient, clinician, admin_user):
    assert can_see_unpublished(None) is False
    assert can_see_unpublished(ANONYMOUS) is False
    assert can_see_unpublished(patient) is False
    assert can_see_unpublished(clinician) is True
    assert can_see_unpublished(admin_user) is True


@pytest.mark.parametrize("user_fixture", ["anonymous", "patient"])
def test_exercise_and_routine_lists_show_non_staff_only_published(
    request, every_status, user_fixture
):
    user = (
        ANONYMOUS
        if user_fixture == "anonymous"
        else request.getfixturevalue(user_fixture)
    )
    published_exercise, published_routine = every_status[Status.PUBLISHED]

    assert list(exercise_list(user=user)) == [published_exercise]
    assert list(routine_list(user=user)) == [published_routine]


def test_exercise_and_routine_lists_show_staff_every_status(every_status, clinician):
    assert {e.status for e in exercise_list(user=clinician)} == set(Status.values)
    assert {r.status for r in routine_list(user=clinician)} == set(Status.values)


def test_status_filter_narrows_staff_lists(every_status, clinician):
    drafts = exercise_list(user=clinician, filters={"status": Status.DRAFT})

    assert list(drafts) == [every_status[Status.DRAFT][0]]


def test_status_filter_cannot_reveal_drafts_to_patients(every_status, patient):
    assert list(exercise_list(user=patient, filters={"status": Status.DRAFT})) == []
    assert list(routine_list(user=patient, filters={"status": Status.DRAFT})) == []


def test_exercise_list_orders_by_name_by_default():
    ExerciseFactory(name="Wall sit")
    ExerciseFactory(name="Banded squat")
    ExerciseFactory(name="Lateral band walk")

    names = [e.name for e in exercise_list(user=ANONYMOUS)]

    assert names == ["Banded squat", "Lateral band walk", "Wall sit"]


def test_exercise_list_raises_validation_error_naming_each_bad_filter():
    with pytest.raises(ValidationError) as excinfo:
        list(
            exercise_list(
                user=ANONYMOUS, filters={"difficulty": "expert", "muscle": "nope"}
            )
        )

    assert set(excinfo.value.error_dict) == {"difficulty", "muscle"}
    assert excinfo.value.error_dict["difficulty"][0].code == "invalid_choice"


def test_exercise_get_returns_published_exercise_with_ordered_instructions():
    exercise = ExerciseFactory()
    ExerciseInstructionFactory(exercise=exercise, text="Second", order=2)
    ExerciseInstructionFactory(exercise=exercise, text="First", order=1)

    found = exercise_get(user=ANONYMOUS, exercise_id=str(exercise.pk))

    assert found == exercise
    assert [i.text for i in found.instructions.all()] == ["First", "Second"]


@pytest.mark.parametrize("status", UNPUBLISHED)
def test_exercise_get_hides_unpublished_from_patients_but_not_staff(
    status, patient, clinician
):
    exercise = ExerciseFactory(status=status)

    assert exercise_get(user=patient, exercise_id=exercise.pk) is None
    assert exercise_get(user=clinician, exercise_id=exercise.pk) == exercise


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "", "123", "../etc"])
def test_exercise_get_treats_malformed_id_as_unknown(bad_id):
    ExerciseFactory()

    assert exercise_get(user=ANONYMOUS, exercise_id=bad_id) is None


def test_exercise_detail_links_skip_unpublished_targets_for_non_staff(
    patient, clinician
):
    exercise = ExerciseFactory()
    public = ExerciseLinkFactory(exercise=exercise, target=ExerciseFactory())
    hidden = ExerciseLinkFactory(
        exercise=exercise,
        target=ExerciseFactory(status=Status.DRAFT),
        kind=ExerciseLink.Kind.PROGRESSION,
    )

    for_patient = exercise_get(user=patient, exercise_id=exercise.pk)
    for_staff = exercise_get(user=clinician, exercise_id=exercise.pk)

    assert for_patient.visible_links == [public]
    assert set(for_staff.visible_links) == {public, hidden}


def test_routine_get_keeps_items_whose_exercise_was_archived(patient):
    routine = RoutineFactory()
    first = RoutineItemFactory(routine=routine, order=1)
    archived = RoutineItemFactory(
        routine=routine, order=2, exercise=ExerciseFactory(status=Status.ARCHIVED)
    )

    found = routine_get(user=patient, routine_id=routine.pk)

    assert list(found.items.all()) == [first, archived]


def test_routine_get_hides_drafts_from_patients_and_malformed_ids(patient, clinician):
    draft = RoutineFactory(status=Status.DRAFT)

    assert routine_get(user=patient, routine_id=draft.pk) is None
    assert routine_get(user=clinician, routine_id=draft.pk) == draft
    assert routine_get(user=clinician, routine_id="nope") is None


def test_taxonomy_lists_are_ordered_by_name_and_filterable():
    MuscleFactory(
        name="Gluteus medius", slug="gluteus-medius", body_region=Muscle.BodyRegion.HIPS
    )
    MuscleFactory(
        name="Erector spinae", slug="erector-spinae", body_region=Muscle.BodyRegion.BACK
    )
    EquipmentFactory(name="Loop band", slug="loop-band")
    EquipmentFactory(name="Chair", slug="chair")
    ConditionFactory(name="Lower back pain", slug="lower-back-pain")

    assert [m.slug for m in muscle_list()] == ["erector-spinae", "gluteus-medius"]
    assert [m.slug for m in muscle_list(filters={"body_region": "hips"})] == [
        "gluteus-medius"
    ]
    assert [e.slug for e in equipment_list(filters={"q": "band"})] == ["loop-band"]
    assert [c.slug for c in condition_list(filters={"q": "back"})] == [
        "lower-back-pain"
    ]
