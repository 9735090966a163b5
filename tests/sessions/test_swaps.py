"""Session logs say what the patient did: swaps, per-direction sets, difficulty and RPE."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from common.models import Direction
from sessions.models import SessionExercise, SessionSet
from sessions.services.logs import session_update, session_upload, upload_hash
from sessions.services.swaps import (
    PLAN_ITEM_MISMATCH,
    SUBSTITUTION_NOT_A_SWAP,
    SUBSTITUTION_NOT_LINKED,
    SUBSTITUTION_WITHOUT_PLAN_ITEM,
)
from tests.factories import (
    ExerciseFactory,
    ExerciseLinkFactory,
    PlanFactory,
    PlanItemFactory,
)
from tests.sessions.test_logs_services import data_for


@pytest.fixture
def started() -> dt.datetime:
    return (timezone.now() - dt.timedelta(hours=1)).replace(microsecond=0)


@pytest.fixture
def walk_item(patient):
    return PlanItemFactory(
        plan=PlanFactory(patient=patient),
        reps=None,
        steps=5,
        direction=Direction.SIDEWAYS,
    )


@pytest.fixture
def short_steps(walk_item):
    """An unpublished (draft) regression of the item's exercise: usable through the link."""
    easier = ExerciseFactory(status="draft")
    ExerciseLinkFactory(exercise=walk_item.exercise, target=easier, kind="regression")
    return easier


def swap_of(item, started, exercise, **entry):
    data = data_for(item, started)
    data["exercises"][0].update(exercise=exercise.pk, **entry)
    return data


def errors_of(excinfo) -> dict[str, list[str]]:
    return {
        key: [error.code for error in errors]
        for key, errors in excinfo.value.error_dict.items()
    }


def test_a_regression_swap_is_stored_with_its_kind(
    patient, walk_item, short_steps, started
):
    session, _ = session_upload(
        patient=patient,
        data=swap_of(walk_item, started, short_steps, substitution="regression"),
    )

    entry = session.exercises.get()
    assert (entry.exercise_id, entry.plan_item_id, entry.substitution) == (
        short_steps.pk,
        walk_item.pk,
        SessionExercise.Substitution.REGRESSION,
    )


def test_the_kind_is_taken_from_the_link_when_not_sent(
    patient, walk_item, short_steps, started
):
    session, _ = session_upload(
        patient=patient, data=swap_of(walk_item, started, short_steps)
    )

    assert session.exercises.get().substitution == "regression"


def test_the_items_own_exercise_has_no_substitution(patient, walk_item, started):
    session, _ = session_upload(patient=patient, data=data_for(walk_item, started))

    assert session.exercises.get().substitution == ""


@pytest.mark.parametrize(
    ("linked", "entry", "field", "code", "message"),
    [
        # Not linked at all: the old mismatch, with a message that names the links.
        (False, {}, "plan_item", "plan_item_mismatch", PLAN_ITEM_MISMATCH),
        # Linked as a regression, sent as a progression.
        (
            True,
            {"substitution": "progression"},
            "substitution",
            "substitution_not_linked",
            SUBSTITUTION_NOT_LINKED,
        ),
    ],
)
def test_a_swap_must_follow_the_librarys_links(
    patient, walk_item, started, linked, entry, field, code, message
):
    other = ExerciseFactory()
    if linked:
        ExerciseLinkFactory(
            exercise=walk_item.exercise, target=other, kind="regression"
        )

    with pytest.raises(ValidationError) as excinfo:
        session_upload(
            patient=patient, data=swap_of(walk_item, started, other, **entry)
        )

    assert errors_of(excinfo) == {f"exercises.0.{field}": [code]}
    assert excinfo.value.error_dict[f"exercises.0.{field}"][0].message == message
    assert not SessionExercise.objects.exists()


def test_a_link_in_the_other_direction_is_not_a_swap(patient, walk_item, started):
    """Links are one-way: B -> A as a progression does not make B a swap for A."""
    other = ExerciseFactory()
    ExerciseLinkFactory(exercise=other, target=walk_item.exercise, kind="progression")

    with pytest.raises(ValidationError) as excinfo:
        session_upload(patient=patient, data=swap_of(walk_item, started, other))

    assert errors_of(excinfo) == {"exercises.0.plan_item": ["plan_item_mismatch"]}


def test_substitution_on_the_items_own_exercise_is_refused(patient, walk_item, started):
    data = data_for(walk_item, started)
    data["exercises"][0]["substitution"] = "regression"

    with pytest.raises(ValidationError) as excinfo:
        session_upload(patient=patient, data=data)

    assert errors_of(excinfo) == {
        "exercises.0.substitution": ["substitution_not_a_swap"]
    }
    assert excinfo.value.messages == [SUBSTITUTION_NOT_A_SWAP]


def test_substitution_needs_a_plan_item(patient, walk_item, short_steps, started):
    data = swap_of(walk_item, started, walk_item.exercise, substitution="regression")
    data["exercises"][0]["plan_item"] = None

    with pytest.raises(ValidationError) as excinfo:
        session_upload(patient=patient, data=data)

    assert errors_of(excinfo) == {
        "exercises.0.substitution": ["substitution_without_plan_item"]
    }
    assert excinfo.value.messages == [SUBSTITUTION_WITHOUT_PLAN_ITEM]


def test_a_draft_exercise_without_a_link_stays_unusable(patient, walk_item, started):
    draft = ExerciseFactory(status="draft")
    data = data_for(walk_item, started)
    data["exercises"][0].update(exercise=draft.pk, plan_item=None)

    with pytest.raises(ValidationError) as excinfo:
        session_upload(patient=patient, data=data)

    assert errors_of(excinfo) == {"exercises.0.exercise": ["unknown_exercise"]}


def test_directions_difficulty_rpe_and_band_are_stored(patient, walk_item, started):
    data = data_for(walk_item, started)
    data["exercises"][0].update(
        difficulty="too_hard",
        rpe=7,
        sets=[
            {
                "side": side,
                "reps": 5,
                "seconds": None,
                "load": "",
                "band": "light",
                "completed": True,
            }
            for side in ("right", "left")
        ],
    )

    session, _ = session_upload(patient=patient, data=data)

    entry = session.exercises.get()
    assert (entry.difficulty, entry.rpe) == ("too_hard", 7)
    assert list(entry.sets.values_list("side", "band")) == [
        ("right", "light"),
        ("left", "light"),
    ]


@pytest.mark.parametrize(
    ("field", "value"), [("rpe", 11), ("difficulty", "impossible")]
)
def test_feedback_out_of_range_is_refused(patient, walk_item, started, field, value):
    data = data_for(walk_item, started)
    data["exercises"][0][field] = value

    with pytest.raises(ValidationError) as excinfo:
        session_upload(patient=patient, data=data)

    assert list(excinfo.value.error_dict) == [f"exercises.0.{field}"]


def test_set_side_accepts_forward_and_backward(patient, walk_item, started):
    data = data_for(walk_item, started)
    data["exercises"][0]["sets"] = [
        {"side": side, "reps": 5, "seconds": None, "load": "", "completed": True}
        for side in ("forward", "backward")
    ]

    session, _ = session_upload(patient=patient, data=data)

    assert set(SessionSet.objects.values_list("side", flat=True)) == {
        "forward",
        "backward",
    }
    assert session.exercises.count() == 1


def test_hash_of_an_old_upload_is_unchanged_by_the_new_defaults(walk_item, started):
    """A retry across the upgrade: new optional fields at their defaults hash away."""
    old = data_for(walk_item, started)
    new = data_for(walk_item, started, id=old["id"])
    new["exercises"][0].update(substitution=None, difficulty=None, rpe=None)
    new["exercises"][0]["sets"][0]["band"] = None

    assert upload_hash(old) == upload_hash(new)
    new["exercises"][0]["rpe"] = 3
    assert upload_hash(old) != upload_hash(new)


def test_changing_the_plan_keeps_stored_swaps_valid(
    patient, walk_item, short_steps, started
):
    session, _ = session_upload(
        patient=patient, data=swap_of(walk_item, started, short_steps)
    )

    updated = session_update(
        session=session, if_match=[session.etag], data={"plan": walk_item.plan_id}
    )

    assert updated.exercises.get().substitution == "regression"
