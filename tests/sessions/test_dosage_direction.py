"""Dosage direction: per side, per direction or neither; per_side follows it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from common.models import Direction
from sessions.models import PlanItem
from sessions.services.plans import plan_update
from tests.factories import (
    CareRelationshipFactory,
    ExerciseFactory,
    PlanFactory,
    PlanItemFactory,
    RoutineItemFactory,
)


@pytest.fixture
def item(clinician, patient):
    CareRelationshipFactory(clinician=clinician, patient=patient)
    return PlanItemFactory(plan=PlanFactory(patient=patient), reps=None, steps=5)


@pytest.mark.parametrize(
    ("direction", "per_side"),
    [
        (Direction.NONE, False),
        (Direction.PER_SIDE, True),
        (Direction.SIDEWAYS, True),
        (Direction.FORWARD_BACKWARD, True),
    ],
)
def test_saving_derives_per_side_from_the_direction(db, direction, per_side):
    exercise = ExerciseFactory(direction=direction)
    routine_item = RoutineItemFactory(direction=direction)

    assert (exercise.per_side, routine_item.per_side) == (per_side, per_side)


def test_an_older_writer_setting_only_per_side_gets_per_side_direction(db):
    assert RoutineItemFactory(per_side=True).direction == Direction.PER_SIDE


def test_the_database_refuses_a_direction_without_per_side(item):
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanItem.objects.filter(pk=item.pk).update(
            direction=Direction.SIDEWAYS, per_side=False
        )


def test_a_plan_item_gets_a_direction_from_the_clinician(clinician, item):
    plan_update(
        plan=item.plan,
        actor=clinician,
        changes={},
        items=[{"id": item.pk, "direction": "forward_backward"}],
    )

    item.refresh_from_db()
    assert (item.direction, item.per_side) == ("forward_backward", True)


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (False, (Direction.NONE, False)),
        # true keeps the finer direction already set
        (True, (Direction.SIDEWAYS, True)),
    ],
)
def test_per_side_alone_from_an_older_client(clinician, item, sent, expected):
    item.direction = Direction.SIDEWAYS
    item.save()

    plan_update(
        plan=item.plan,
        actor=clinician,
        changes={},
        items=[{"id": item.pk, "per_side": sent}],
    )

    item.refresh_from_db()
    assert (item.direction, item.per_side) == expected


def test_band_strength_is_its_own_field(clinician, item):
    plan_update(
        plan=item.plan,
        actor=clinician,
        changes={},
        items=[{"id": item.pk, "band": "medium", "load": ""}],
    )

    item.refresh_from_db()
    assert (item.band, item.load) == ("medium", "")
