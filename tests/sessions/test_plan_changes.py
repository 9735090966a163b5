"""Plans that change from a date: the past keeps its dosage, history says who and when."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from common.models import Status
from sessions.models import PlanItem
from sessions.progress import progress_get
from sessions.selectors.plans import plan_get, plan_items_on
from sessions.services.plan_changes import (
    BEFORE_PLAN_START,
    ITEM_NOT_ACTIVE,
    plan_change_from,
)
from tests.factories import (
    CareRelationshipFactory,
    ExerciseFactory,
    PlanFactory,
    PlanItemFactory,
    SessionExerciseFactory,
    SessionFactory,
    SessionSetFactory,
)

START = dt.date(2026, 11, 2)  # Monday, week 1
WEEK3 = dt.date(2026, 11, 16)
NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)  # Sunday of week 4


@pytest.fixture
def plan(clinician, patient):
    CareRelationshipFactory(clinician=clinician, patient=patient)
    patient.timezone = "UTC"
    patient.save()
    return PlanFactory(patient=patient, start_date=START, days_of_week=[1, 3, 5])


@pytest.fixture
def item(plan):
    return PlanItemFactory(plan=plan, sets=2, reps=10)


def test_new_dosage_from_week_3_keeps_weeks_1_and_2(clinician, plan, item):
    plan_change_from(
        plan=plan,
        actor=clinician,
        effective_from=WEEK3,
        adjust=[{"id": item.pk, "sets": 3}],
    )

    old, new = PlanItem.objects.order_by("id")
    assert (old.pk, old.sets, old.starts_on, old.ends_on) == (
        item.pk,
        2,
        None,
        WEEK3 - dt.timedelta(days=1),
    )
    assert (new.sets, new.reps, new.starts_on, new.ends_on, new.replaces_id) == (
        3,
        10,
        WEEK3,
        None,
        item.pk,
    )
    plan = plan_get(user=clinician, plan_id=plan.pk)
    assert [i.sets for i in plan_items_on(plan=plan, day=START)] == [2]
    assert [i.sets for i in plan_items_on(plan=plan, day=WEEK3)] == [3]
    # History: who and when, with the date the change takes effect.
    record = old.history.order_by("-history_date").first()
    assert record.history_user == clinician
    assert record.history_change_reason == "From 2026-11-16: dosage changed"


def test_past_item_adherence_does_not_change(clinician, patient, plan, item):
    for day in (START, START + dt.timedelta(days=2)):
        session = SessionFactory(
            patient=patient,
            plan=plan,
            started_at=dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC),
        )
        entry = SessionExerciseFactory(
            session=session, exercise=item.exercise, plan_item=item
        )
        SessionSetFactory(session_exercise=entry)
        SessionSetFactory(session_exercise=entry)

    def weeks():
        progress = progress_get(
            patient=patient,
            date_from=START,
            date_to=WEEK3 + dt.timedelta(days=6),
            now=NOW,
        )
        return {
            row.plan_item_id: [(w.sets_done, w.sets_prescribed) for w in row.weeks]
            for row in progress.items
        }

    before = weeks()
    plan_change_from(
        plan=plan,
        actor=clinician,
        effective_from=WEEK3,
        adjust=[{"id": item.pk, "sets": 3}],
    )
    after = weeks()

    assert before == {item.pk: [(4, 6), (0, 6), (0, 6)]}
    new = PlanItem.objects.exclude(pk=item.pk).get()
    assert after == {
        item.pk: [(4, 6), (0, 6), (0, 0)],
        new.pk: [(0, 0), (0, 0), (0, 9)],
    }


def test_add_and_end_items_from_a_date(clinician, plan, item):
    second = PlanItemFactory(plan=plan)
    added = ExerciseFactory(status=Status.PUBLISHED, sets=1, reps=None, seconds=30)

    plan_change_from(
        plan=plan,
        actor=clinician,
        effective_from=WEEK3,
        add=[{"exercise": added.pk}],
        end=[second.pk],
    )

    plan = plan_get(user=clinician, plan_id=plan.pk)
    assert {i.pk for i in plan_items_on(plan=plan, day=START)} == {item.pk, second.pk}
    on_week3 = plan_items_on(plan=plan, day=WEEK3)
    assert [(i.exercise_id, i.seconds) for i in on_week3] == [
        (item.exercise_id, None),
        (added.pk, 30),
    ]


def test_a_change_on_the_first_day_edits_in_place(clinician, plan, item):
    plan_change_from(
        plan=plan,
        actor=clinician,
        effective_from=START,
        adjust=[{"id": item.pk, "reps": 12}],
    )

    assert list(PlanItem.objects.values_list("id", "reps", "ends_on")) == [
        (item.pk, 12, None)
    ]


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        (
            {"effective_from": START - dt.timedelta(days=1)},
            {"effective_from": [BEFORE_PLAN_START]},
        ),
        ({"end": [999999]}, {"end_items.0": ["Not an item of this plan."]}),
    ],
)
def test_bad_changes_write_nothing(clinician, plan, item, kwargs, errors):
    args = {"effective_from": WEEK3, "adjust": [{"id": item.pk, "sets": 3}], **kwargs}

    with pytest.raises(ValidationError) as excinfo:
        plan_change_from(plan=plan, actor=clinician, **args)

    assert excinfo.value.message_dict == errors
    assert list(PlanItem.objects.values_list("sets", "ends_on")) == [(2, None)]


def test_an_item_already_ended_cannot_change_later(clinician, plan, item):
    plan_change_from(plan=plan, actor=clinician, effective_from=WEEK3, end=[item.pk])

    with pytest.raises(ValidationError) as excinfo:
        plan_change_from(
            plan=plan,
            actor=clinician,
            effective_from=WEEK3 + dt.timedelta(days=7),
            adjust=[{"id": item.pk, "sets": 4}],
        )

    assert excinfo.value.message_dict == {"items.0.id": [ITEM_NOT_ACTIVE]}


def test_only_the_patients_clinicians_change_plans(other_clinician, plan, item):
    with pytest.raises(PermissionDenied):
        plan_change_from(
            plan=plan,
            actor=other_clinician,
            effective_from=WEEK3,
            adjust=[{"id": item.pk, "sets": 3}],
        )
