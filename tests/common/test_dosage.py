"""The one-amount rule of a dosage (common.models.Dosage): one method, one message,
used by model validation (so by every admin form) and by the plan service."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from common.models import ONE_AMOUNT, Dosage
from exercises.models import Exercise, RoutineItem
from sessions.models import PlanItem
from sessions.services.plans import plan_update
from tests.factories import (
    CareRelationshipFactory,
    ExerciseFactory,
    PlanFactory,
    PlanItemFactory,
    RoutineItemFactory,
)


@pytest.mark.parametrize(
    "values", [{"reps": 10}, {"steps": 5, "reps": None}, {"seconds": 30}]
)
def test_one_amount_passes(values):
    Dosage.check_amounts(values, required=True)


@pytest.mark.parametrize(
    ("values", "keys"),
    [
        ({"reps": 10, "seconds": 30}, {"reps", "seconds"}),
        ({"reps": 10, "steps": 5, "seconds": 30}, {"reps", "steps", "seconds"}),
    ],
)
def test_two_amounts_are_refused_on_each_field_given(values, keys):
    with pytest.raises(ValidationError) as caught:
        Dosage.check_amounts(values, required=False)

    assert caught.value.message_dict == {key: [ONE_AMOUNT] for key in keys}


def test_no_amount_is_refused_only_where_one_is_required():
    Dosage.check_amounts({"reps": None}, required=False)
    with pytest.raises(ValidationError) as caught:
        Dosage.check_amounts({"reps": None}, required=True)

    assert caught.value.message_dict == {"reps": [ONE_AMOUNT]}


def test_an_exercise_may_have_no_default_amount_but_not_two():
    assert (Exercise.amount_required, RoutineItem.amount_required) == (False, True)
    assert PlanItem.amount_required is True
    exercise = ExerciseFactory.build(reps=None, steps=None, seconds=None)
    exercise.clean()

    exercise.reps, exercise.seconds = 10, 30
    with pytest.raises(ValidationError) as caught:
        exercise.clean()

    assert caught.value.message_dict == {"reps": [ONE_AMOUNT], "seconds": [ONE_AMOUNT]}


@pytest.mark.django_db
def test_full_clean_says_the_rule_instead_of_the_constraint():
    item = RoutineItemFactory(reps=10)
    item.reps = None

    with pytest.raises(ValidationError) as caught:
        item.full_clean()

    # The check constraint, which says the same thing generically, is not reported.
    assert caught.value.message_dict == {"reps": [ONE_AMOUNT]}


@pytest.mark.django_db
def test_the_plan_service_refuses_two_amounts_with_the_same_message(clinician):
    plan = PlanFactory(prescribed_by=clinician)
    CareRelationshipFactory(clinician=clinician, patient=plan.patient)
    item = PlanItemFactory(plan=plan, reps=10)

    with pytest.raises(ValidationError) as caught:
        plan_update(
            plan=plan,
            actor=clinician,
            changes={},
            items=[{"id": item.pk, "reps": 8, "seconds": 30}],
        )

    assert caught.value.message_dict == {
        "items.0.reps": [ONE_AMOUNT],
        "items.0.seconds": [ONE_AMOUNT],
    }
    item.refresh_from_db()
    assert (item.reps, item.seconds) == (10, None)
