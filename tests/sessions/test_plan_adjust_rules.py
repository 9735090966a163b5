"""Adjusting a plan's items in place: details mutation testing found unchecked
(docs/testing.md): duplicates, where an item's errors are keyed, the history's reason, and
how an older client's ``per_side`` and a newer one's ``direction`` set each other."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from common.models import Direction
from sessions.services.plans import DUPLICATE_ITEM, plan_update
from tests.factories import CareRelationshipFactory, PlanFactory, PlanItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(clinician, patient):
    CareRelationshipFactory(clinician=clinician, patient=patient)
    plan = PlanFactory(patient=patient, prescribed_by=clinician)
    return PlanItemFactory(plan=plan, reps=10, direction=Direction.NONE)


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        # The same item twice: refused at its second place.
        ([{"reps": 8}, {"reps": 9}], {"items.1.id": [DUPLICATE_ITEM]}),
        # An item's dosage and range errors: keyed under its place.
        ([{"reps": 8, "seconds": 30}], {"items.0.reps", "items.0.seconds"}),
        ([{"sets": 0}], {"items.0.sets"}),
    ],
)
def test_item_errors_are_keyed_by_their_place(clinician, item, changes, errors):
    with pytest.raises(ValidationError) as excinfo:
        plan_update(
            plan=item.plan,
            actor=clinician,
            changes={},
            items=[{"id": item.pk, **change} for change in changes],
        )

    found = excinfo.value.message_dict
    assert (found if isinstance(errors, dict) else set(found)) == errors


def test_a_dosage_change_is_in_the_history_with_who_and_why(clinician, item):
    plan_update(
        plan=item.plan, actor=clinician, changes={}, items=[{"id": item.pk, "reps": 8}]
    )

    record = item.history.order_by("-history_date", "-history_id").first()
    assert (record.reps, record.history_change_reason) == (8, "Dosage adjusted")
    assert record.history_user == clinician


@pytest.mark.parametrize(
    ("before", "changes", "after"),
    [
        # An older client's per_side alone: true on an item without a direction...
        (Direction.NONE, {"per_side": True}, (Direction.PER_SIDE, True)),
        # ...keeps a finer direction already set; false clears it.
        (Direction.SIDEWAYS, {"per_side": True}, (Direction.SIDEWAYS, True)),
        (Direction.SIDEWAYS, {"per_side": False}, (Direction.NONE, False)),
        # A direction sets per_side, whatever per_side says beside it.
        (Direction.NONE, {"direction": Direction.SIDEWAYS}, (Direction.SIDEWAYS, True)),
        (
            Direction.PER_SIDE,
            {"direction": Direction.NONE, "per_side": True},
            (Direction.NONE, False),
        ),
    ],
)
def test_per_side_and_direction_set_each_other(clinician, item, before, changes, after):
    item.direction = before
    item.per_side = before != Direction.NONE
    item.save()

    plan_update(
        plan=item.plan, actor=clinician, changes={}, items=[{"id": item.pk, **changes}]
    )

    item.refresh_from_db()
    assert (item.direction, item.per_side) == after
