"""Plans built item by item, from published and the clinician's own private exercises."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from common.models import Status
from sessions.models import Plan, PlanItem
from sessions.services.plan_compose import (
    AMOUNT_REQUIRED,
    EXERCISE_NOT_USABLE,
    ITEMS_REQUIRED,
    plan_compose,
)
from sessions.services.plans import (
    NOT_YOUR_PATIENT,
    ROUTINE_NOT_PUBLISHED,
    plan_prescribe,
)
from tests.factories import (
    CareRelationshipFactory,
    ExerciseFactory,
    RoutineFactory,
    RoutineItemFactory,
)

START = dt.date(2026, 11, 2)


@pytest.fixture
def care(clinician, patient):
    return CareRelationshipFactory(clinician=clinician, patient=patient)


def compose(clinician, patient, items, **extra):
    return plan_compose(
        prescriber=clinician,
        patient=patient,
        title="Knee course",
        items=items,
        start_date=START,
        days_of_week=[1, 4],
        **extra,
    )


def test_a_plan_from_scratch_with_a_private_exercise(clinician, patient, care):
    mine = ExerciseFactory(status=Status.DRAFT, private=True, author=clinician)
    public = ExerciseFactory(status=Status.PUBLISHED, sets=2, reps=12, band="light")

    plan = compose(
        clinician,
        patient,
        [
            {"exercise": mine.pk, "sets": 3, "steps": 5, "direction": "sideways"},
            # No dosage given: the exercise's default dosage, one field replaced.
            {"exercise": public.pk, "reps": 8, "note": "Slowly."},
        ],
    )

    rows = list(
        plan.items.values_list(
            "exercise_id", "order", "sets", "reps", "steps", "direction", "band", "note"
        )
    )
    assert rows == [
        (mine.pk, 0, 3, None, 5, "sideways", "", ""),
        (public.pk, 1, 2, 8, None, "none", "light", "Slowly."),
    ]
    assert (plan.routine, plan.title, plan.prescribed_by) == (
        None,
        "Knee course",
        clinician,
    )
    assert plan.history.get().history_change_reason == "Prescribed item by item"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda other: ExerciseFactory(status=Status.DRAFT), id="draft"),
        pytest.param(
            lambda other: ExerciseFactory(
                status=Status.DRAFT, private=True, author=other
            ),
            id="another-clinicians-private",
        ),
        pytest.param(
            lambda other: ExerciseFactory(status=Status.ARCHIVED), id="archived"
        ),
    ],
)
def test_only_published_or_own_private_exercises(
    clinician, other_clinician, patient, care, make
):
    exercise = make(other_clinician)

    with pytest.raises(ValidationError) as excinfo:
        compose(clinician, patient, [{"exercise": exercise.pk, "reps": 5}])

    assert excinfo.value.message_dict == {"items.0.exercise": [EXERCISE_NOT_USABLE]}
    assert not Plan.objects.exists()


def test_an_exercise_without_default_dosage_needs_an_amount(clinician, patient, care):
    exercise = ExerciseFactory(status=Status.PUBLISHED, reps=None)

    with pytest.raises(ValidationError) as excinfo:
        compose(clinician, patient, [{"exercise": exercise.pk, "sets": 2}])

    assert excinfo.value.message_dict == {"items.0.reps": [AMOUNT_REQUIRED]}
    assert not PlanItem.objects.exists()


def test_no_items_is_refused(clinician, patient, care):
    with pytest.raises(ValidationError) as excinfo:
        compose(clinician, patient, [])

    assert excinfo.value.message_dict == {"items": [ITEMS_REQUIRED]}


def test_not_your_patient(clinician, other_patient):
    exercise = ExerciseFactory(status=Status.PUBLISHED)

    with pytest.raises(ValidationError) as excinfo:
        compose(clinician, other_patient, [{"exercise": exercise.pk, "reps": 5}])

    assert excinfo.value.message_dict == {"patient": [NOT_YOUR_PATIENT]}


def test_a_private_routine_is_prescribed_by_its_author_only(
    clinician, other_clinician, patient, care
):
    routine = RoutineFactory(status=Status.DRAFT, private=True, author=clinician)
    RoutineItemFactory(routine=routine)
    CareRelationshipFactory(clinician=other_clinician, patient=patient)

    plan = plan_prescribe(
        prescriber=clinician,
        patient=patient,
        routine=routine,
        start_date=START,
        days_of_week=[1],
    )
    assert plan.items.count() == 1

    with pytest.raises(ValidationError) as excinfo:
        plan_prescribe(
            prescriber=other_clinician,
            patient=patient,
            routine=routine,
            start_date=START,
            days_of_week=[1],
        )
    assert excinfo.value.message_dict == {"routine": [ROUTINE_NOT_PUBLISHED]}
