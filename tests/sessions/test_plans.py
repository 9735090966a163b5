"""Plans: prescribing copies the routine, adjustments stay in the plan, scoping, schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from common.models import Status
from sessions.models import Plan, PlanItem
from sessions.selectors.plans import plan_list
from sessions.services.plans import (
    DAYS_INVALID,
    END_BEFORE_START,
    NOT_PLAN_ITEM,
    NOT_ROUTINE_ITEM,
    NOT_YOUR_PATIENT,
    PLAN_ENDED,
    ROUTINE_NOT_PUBLISHED,
    SCHEDULE_BOTH,
    SCHEDULE_MISSING,
    plan_prescribe,
    plan_update,
)
from tests.conftest import client_for
from tests.factories import (
    CareRelationshipFactory,
    ClinicianFactory,
    EquipmentFactory,
    ExerciseFactory,
    ExerciseInstructionFactory,
    ExerciseLinkFactory,
    ExerciseMediaFactory,
    PatientFactory,
    PlanFactory,
    PlanItemFactory,
    RoutineFactory,
    RoutineItemFactory,
)
from users.models import PatientAccessLog

LIST_URL = reverse("api:sessions-api:plan-list")
START = dt.date(2026, 11, 23)


def detail_url(plan: Plan) -> str:
    return reverse("api:sessions-api:plan-detail", kwargs={"pk": plan.pk})


def error_fields(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


@pytest.fixture
def routine(db):
    """A published routine: a band walk (steps, per side) then a bridge (reps, hold)."""
    routine = RoutineFactory(title="Glute activation", slug="glute-activation")
    walk = ExerciseFactory(name="Lateral band walk", slug="lateral-band-walk")
    walk.equipment.add(EquipmentFactory(name="Loop band", slug="loop-band"))
    ExerciseInstructionFactory(
        exercise=walk, kind="setup", text="Band above the knees.", order=1
    )
    ExerciseInstructionFactory(
        exercise=walk, kind="cue", text="Trunk upright.", order=2
    )
    ExerciseMediaFactory(
        exercise=walk, url="https://media.example.com/walk.jpg", alt_text="Side steps."
    )
    bridge = ExerciseFactory(name="Glute bridge", slug="glute-bridge")
    RoutineItemFactory(
        routine=routine,
        exercise=walk,
        order=1,
        sets=2,
        reps=None,
        steps=10,
        per_side=True,
        load="light loop band",
        note="Small steps.",
        block="warm_up",
    )
    RoutineItemFactory(
        routine=routine,
        exercise=bridge,
        order=2,
        sets=3,
        reps=12,
        hold_seconds=2,
        rest_seconds=45,
    )
    return routine


@pytest.fixture
def care(clinician, patient):
    return CareRelationshipFactory(clinician=clinician, patient=patient)


def prescribe(clinician, patient, routine, **kwargs) -> Plan:
    kwargs.setdefault("start_date", START)
    kwargs.setdefault("days_of_week", [1, 3, 5])
    return plan_prescribe(
        prescriber=clinician, patient=patient, routine=routine, **kwargs
    )


def dosage(item) -> tuple:
    return (
        item.sets,
        item.reps,
        item.steps,
        item.seconds,
        item.per_side,
        item.hold_seconds,
        item.rest_seconds,
        item.load,
        item.tempo,
        item.note,
    )


# ---------------------------------------------------------------------------
# Services: prescribing copies the routine
# ---------------------------------------------------------------------------
def test_prescribe_copies_every_routine_item_with_its_dosage(
    clinician, patient, care, routine
):
    plan = prescribe(clinician, patient, routine, note="Before walks.")

    routine_items = list(routine.items.order_by("order"))
    plan_items = list(plan.items.order_by("order"))
    assert [dosage(i) for i in plan_items] == [dosage(i) for i in routine_items]
    assert [
        (i.exercise_id, i.block, i.order, i.routine_item_id) for i in plan_items
    ] == [(i.exercise_id, i.block, i.order, i.pk) for i in routine_items]
    assert plan.title == "Glute activation"
    assert plan.status == Plan.Status.ACTIVE
    assert plan.prescribed_by == clinician
    assert plan.days_of_week == [1, 3, 5]
    assert plan.times_per_week is None


def test_editing_the_routine_afterwards_does_not_change_the_plan(
    clinician, patient, care, routine
):
    plan = prescribe(clinician, patient, routine)
    before = [dosage(i) for i in plan.items.order_by("order")]
    walk_item, bridge_item = routine.items.order_by("order")

    bridge_item.reps = 20
    bridge_item.sets = 5
    bridge_item.save()
    walk_item.delete()
    RoutineItemFactory(routine=routine, exercise=ExerciseFactory(), order=3)

    items = list(plan.items.order_by("order"))
    assert [dosage(i) for i in items] == before
    assert len(items) == 2
    # The deleted template item is forgotten as a source, not as a prescription.
    assert items[0].routine_item_id is None
    assert items[1].reps == 12


def test_adjusting_a_plan_changes_neither_the_routine_nor_another_patients_plan(
    clinician, patient, other_patient, care, routine
):
    CareRelationshipFactory(clinician=clinician, patient=other_patient)
    mine = prescribe(clinician, patient, routine)
    theirs = prescribe(clinician, other_patient, routine)
    bridge = mine.items.get(order=2)

    plan_update(
        plan=mine,
        actor=clinician,
        changes={},
        items=[{"id": bridge.pk, "reps": 8, "sets": 2, "note": "Easier this week."}],
    )

    bridge.refresh_from_db()
    assert (bridge.sets, bridge.reps, bridge.note) == (2, 8, "Easier this week.")
    template = routine.items.get(order=2)
    assert (template.sets, template.reps, template.note) == (3, 12, "")
    other = theirs.items.get(order=2)
    assert (other.sets, other.reps, other.note) == (3, 12, "")


def test_prescribe_applies_dosage_overrides_by_routine_item(
    clinician, patient, care, routine
):
    walk_item = routine.items.get(order=1)

    plan = prescribe(
        clinician,
        patient,
        routine,
        items=[
            {"routine_item": walk_item.pk, "seconds": 40, "load": "medium loop band"}
        ],
    )

    item = plan.items.get(order=1)
    # An amount replaces the copied one: steps become seconds.
    assert (item.reps, item.steps, item.seconds, item.load) == (
        None,
        None,
        40,
        "medium loop band",
    )
    assert routine.items.get(order=1).steps == 10


def test_prescribe_with_an_invalid_override_writes_nothing(
    clinician, patient, care, routine
):
    bridge_item = routine.items.get(order=2)

    with pytest.raises(ValidationError) as exc:
        prescribe(
            clinician,
            patient,
            routine,
            items=[{"routine_item": bridge_item.pk, "sets": 500}],
        )

    assert "items.0.sets" in exc.value.message_dict
    assert not Plan.objects.exists()
    assert not PlanItem.objects.exists()


def test_prescribe_rejects_an_item_of_another_routine(
    clinician, patient, care, routine
):
    stranger = RoutineItemFactory()

    with pytest.raises(ValidationError) as exc:
        prescribe(
            clinician,
            patient,
            routine,
            items=[{"routine_item": stranger.pk, "reps": 5}],
        )

    assert exc.value.message_dict == {"items.0.routine_item": [NOT_ROUTINE_ITEM]}


def test_prescribe_refuses_a_patient_outside_the_clinicians_care(
    clinician, patient, routine
):
    with pytest.raises(ValidationError) as exc:
        prescribe(clinician, patient, routine)

    assert exc.value.message_dict == {"patient": [NOT_YOUR_PATIENT]}
    assert not Plan.objects.exists()


def test_admin_may_prescribe_to_any_patient(admin_user, patient, routine):
    plan = prescribe(admin_user, patient, routine)

    assert plan.items.count() == 2


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW, Status.ARCHIVED])
def test_prescribe_refuses_an_unpublished_routine(
    clinician, patient, care, routine, status
):
    routine.status = status
    routine.save()

    with pytest.raises(ValidationError) as exc:
        prescribe(clinician, patient, routine)

    assert exc.value.message_dict == {"routine": [ROUTINE_NOT_PUBLISHED]}


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (
            {"days_of_week": [], "times_per_week": None},
            {"days_of_week": [SCHEDULE_MISSING]},
        ),
        (
            {"days_of_week": [1], "times_per_week": 3},
            {"times_per_week": [SCHEDULE_BOTH]},
        ),
        ({"days_of_week": [1, 1]}, {"days_of_week": [DAYS_INVALID]}),
        ({"days_of_week": [0, 8]}, {"days_of_week": [DAYS_INVALID]}),
        (
            {"days_of_week": [2], "end_date": START - dt.timedelta(days=1)},
            {"end_date": [END_BEFORE_START]},
        ),
    ],
)
def test_prescribe_validates_the_schedule(
    clinician, patient, care, routine, schedule, expected
):
    with pytest.raises(ValidationError) as exc:
        prescribe(clinician, patient, routine, **schedule)

    assert exc.value.message_dict == expected


def test_prescribe_with_times_per_week(clinician, patient, care, routine):
    plan = prescribe(clinician, patient, routine, days_of_week=None, times_per_week=4)

    assert (plan.days_of_week, plan.times_per_week) == ([], 4)


# ---------------------------------------------------------------------------
# Services: adjustments and status
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("current", "new"),
    [
        (Plan.Status.ACTIVE, Plan.Status.PAUSED),
        (Plan.Status.PAUSED, Plan.Status.ACTIVE),
        (Plan.Status.ACTIVE, Plan.Status.ENDED),
        (Plan.Status.PAUSED, Plan.Status.ENDED),
    ],
)
def test_update_allows_status_transitions(clinician, patient, care, current, new):
    plan = PlanFactory(patient=patient, status=current)

    plan_update(plan=plan, actor=clinician, changes={"status": new})

    plan.refresh_from_db()
    assert plan.status == new


@pytest.mark.parametrize("new", [Plan.Status.ACTIVE, Plan.Status.PAUSED])
def test_an_ended_plan_cannot_be_reopened(clinician, patient, care, new):
    plan = PlanFactory(patient=patient, status=Plan.Status.ENDED)

    with pytest.raises(ValidationError) as exc:
        plan_update(plan=plan, actor=clinician, changes={"status": new})

    assert exc.value.message_dict == {"status": [PLAN_ENDED]}
    plan.refresh_from_db()
    assert plan.status == Plan.Status.ENDED


def test_an_ended_plan_cannot_be_adjusted(clinician, patient, care):
    plan = PlanFactory(patient=patient, status=Plan.Status.ENDED, note="")
    item = PlanItemFactory(plan=plan)

    with pytest.raises(ValidationError) as note_error:
        plan_update(plan=plan, actor=clinician, changes={"note": "More"})
    with pytest.raises(ValidationError) as items_error:
        plan_update(
            plan=plan, actor=clinician, changes={}, items=[{"id": item.pk, "reps": 3}]
        )

    assert note_error.value.message_dict == {"note": [PLAN_ENDED]}
    assert items_error.value.message_dict == {"items": [PLAN_ENDED]}
    item.refresh_from_db()
    plan.refresh_from_db()
    assert (item.reps, plan.note) == (10, "")


def test_an_ended_plan_accepts_a_request_that_changes_nothing(clinician, patient, care):
    plan = PlanFactory(patient=patient, status=Plan.Status.ENDED)

    plan_update(plan=plan, actor=clinician, changes={"status": Plan.Status.ENDED})

    plan.refresh_from_db()
    assert plan.status == Plan.Status.ENDED


def test_update_switches_schedule_kind(clinician, patient, care):
    plan = PlanFactory(patient=patient, days_of_week=[1, 3, 5])

    plan_update(plan=plan, actor=clinician, changes={"times_per_week": 2})
    plan.refresh_from_db()
    assert (plan.days_of_week, plan.times_per_week) == ([], 2)

    plan_update(plan=plan, actor=clinician, changes={"days_of_week": [7, 2]})
    plan.refresh_from_db()
    assert (plan.days_of_week, plan.times_per_week) == ([2, 7], None)


def test_update_rejects_an_item_of_another_plan(clinician, patient, care):
    plan = PlanFactory(patient=patient)
    stranger = PlanItemFactory()

    with pytest.raises(ValidationError) as exc:
        plan_update(
            plan=plan,
            actor=clinician,
            changes={},
            items=[{"id": stranger.pk, "reps": 3}],
        )

    assert exc.value.message_dict == {"items.0.id": [NOT_PLAN_ITEM]}
    stranger.refresh_from_db()
    assert stranger.reps == 10


def test_update_by_a_clinician_of_someone_else_is_refused(
    other_clinician, patient, care
):
    plan = PlanFactory(patient=patient)

    with pytest.raises(PermissionDenied):
        plan_update(plan=plan, actor=other_clinician, changes={"status": "paused"})


def test_dosage_tweaks_are_kept_in_the_history_with_who_made_them(
    clinician, patient, care, routine
):
    plan = prescribe(clinician, patient, routine)
    item = plan.items.get(order=2)

    plan_update(
        plan=plan, actor=clinician, changes={}, items=[{"id": item.pk, "reps": 8}]
    )

    history = list(
        item.history.order_by("history_date").values_list("reps", "history_user")
    )
    assert history == [(12, clinician.pk), (8, clinician.pk)]


# ---------------------------------------------------------------------------
# Selectors
# ---------------------------------------------------------------------------
def test_plan_list_scopes_each_role(
    patient, other_patient, clinician, other_clinician, admin_user, care
):
    mine = PlanFactory(patient=patient)
    theirs = PlanFactory(patient=other_patient)

    assert list(plan_list(user=patient)) == [mine]
    assert list(plan_list(user=clinician)) == [mine]
    assert list(plan_list(user=other_clinician)) == []
    assert set(plan_list(user=admin_user)) == {mine, theirs}


# ---------------------------------------------------------------------------
# API: reads
# ---------------------------------------------------------------------------
def test_patient_lists_only_their_own_plans(patient_client, patient, other_patient):
    mine = PlanFactory(patient=patient)
    PlanFactory(patient=other_patient)

    response = patient_client.get(LIST_URL)

    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == [str(mine.pk)]


def test_patient_reads_their_plan_with_exercises_expanded(
    patient_client, patient, care, clinician, routine
):
    plan = prescribe(clinician, patient, routine)

    response = patient_client.get(detail_url(plan))

    assert response.status_code == 200
    body = response.json()
    assert body["patient"] == str(patient.pk)
    assert body["prescribed_by"] == {"id": str(clinician.pk), "name": clinician.name}
    assert body["routine"] == str(routine.pk)
    assert body["status"] == "active"
    assert body["days_of_week"] == [1, 3, 5]
    walk = body["items"][0]
    assert (walk["block"], walk["steps"], walk["per_side"], walk["load"]) == (
        "warm_up",
        10,
        True,
        "light loop band",
    )
    assert walk["estimated_seconds"] == plan.items.get(order=1).estimated_seconds
    assert walk["exercise"]["slug"] == "lateral-band-walk"
    assert walk["exercise"]["instructions"] == [
        {"kind": "setup", "text": "Band above the knees.", "order": 1},
        {"kind": "cue", "text": "Trunk upright.", "order": 2},
    ]
    assert walk["exercise"]["media"][0]["url"] == "https://media.example.com/walk.jpg"
    assert walk["exercise"]["equipment"] == [{"slug": "loop-band", "name": "Loop band"}]


def test_patient_gets_404_for_another_patients_plan(patient_client, other_patient):
    plan = PlanFactory(patient=other_patient)

    response = patient_client.get(detail_url(plan))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_malformed_plan_id_is_404(patient_client):
    response = patient_client.get("/api/v1/plans/not-a-uuid/")

    assert response.status_code == 404


def test_clinician_of_nobody_sees_no_plans(other_clinician, patient):
    PlanFactory(patient=patient)

    response = client_for(other_clinician).get(LIST_URL)

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_clinician_lists_their_patients_plans_filtered(
    clinician_client, clinician, patient, care
):
    other_mine = PatientFactory()
    CareRelationshipFactory(clinician=clinician, patient=other_mine)
    active = PlanFactory(patient=patient)
    PlanFactory(patient=patient, status=Plan.Status.PAUSED)
    PlanFactory(patient=other_mine)
    PlanFactory()  # someone else's patient

    everything = clinician_client.get(LIST_URL)
    narrowed = clinician_client.get(
        LIST_URL, {"patient": str(patient.pk), "status": "active"}
    )

    assert everything.json()["count"] == 3
    assert [p["id"] for p in narrowed.json()["results"]] == [str(active.pk)]


@pytest.mark.parametrize("query", [{"patient": "nope"}, {"status": "finished"}])
def test_bad_list_filters_answer_400(clinician_client, care, query):
    response = clinician_client.get(LIST_URL, query)

    assert response.status_code == 400
    assert list(error_fields(response)) == list(query)


def test_admin_lists_every_plan(admin_client_api):
    PlanFactory()
    PlanFactory()

    response = admin_client_api.get(LIST_URL)

    assert response.json()["count"] == 2


def test_anonymous_gets_401(db, api_client):
    assert api_client.get(LIST_URL).status_code == 401


def test_clinician_reads_are_logged_once_per_patient(
    clinician_client, clinician, patient, care
):
    other_mine = PatientFactory()
    CareRelationshipFactory(clinician=clinician, patient=other_mine)
    plan = PlanFactory(patient=patient)
    PlanFactory(patient=patient)
    PlanFactory(patient=other_mine)

    clinician_client.get(LIST_URL)
    clinician_client.get(detail_url(plan))

    logs = PatientAccessLog.objects.filter(actor=clinician)
    assert sorted((log.action, log.patient_id == patient.pk) for log in logs) == [
        ("plans.list", False),
        ("plans.list", True),
        ("plans.retrieve", True),
    ]
    assert logs.get(action="plans.retrieve").path == detail_url(plan)


def test_patient_reading_own_plans_is_not_logged(patient_client, patient):
    plan = PlanFactory(patient=patient)

    patient_client.get(LIST_URL)
    patient_client.get(detail_url(plan))

    assert not PatientAccessLog.objects.exists()


def _plans_with_items(patient, count: int) -> None:
    for _ in range(count):
        plan = PlanFactory(patient=patient)
        exercise = ExerciseFactory()
        exercise.equipment.add(EquipmentFactory())
        ExerciseInstructionFactory(exercise=exercise)
        ExerciseMediaFactory(exercise=exercise)
        ExerciseLinkFactory(exercise=exercise, kind="regression")
        PlanItemFactory(plan=plan, exercise=exercise)
        PlanItemFactory(plan=plan)


@pytest.mark.parametrize("count", [2, 20])
def test_plan_list_query_count_is_fixed(
    clinician_client, patient, care, count, django_assert_num_queries
):
    _plans_with_items(patient, count)

    # count + plans (prescriber and patient joined) + items (exercise joined)
    # + instructions + media + equipment + swap links (targets joined)
    # + access-log insert (plan reads run outside ATOMIC_REQUESTS: no savepoint)
    with django_assert_num_queries(8):
        response = clinician_client.get(LIST_URL)

    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("count", [2, 20])
def test_plan_detail_query_count_is_fixed(
    clinician_client, patient, care, count, django_assert_num_queries
):
    plan = PlanFactory(patient=patient)
    for _ in range(count):
        exercise = ExerciseFactory()
        exercise.equipment.add(EquipmentFactory())
        ExerciseInstructionFactory(exercise=exercise)
        ExerciseMediaFactory(exercise=exercise)
        ExerciseLinkFactory(exercise=exercise, kind="progression")
        PlanItemFactory(plan=plan, exercise=exercise)

    # plan (prescriber and patient joined) + items (exercise joined)
    # + instructions + media + equipment + swap links (targets joined)
    # + access-log insert (outside ATOMIC_REQUESTS: no savepoint)
    with django_assert_num_queries(7):
        response = clinician_client.get(detail_url(plan))

    assert len(response.json()["items"]) == count
    assert all(len(item["progressions"]) == 1 for item in response.json()["items"])


# ---------------------------------------------------------------------------
# API: prescribing
# ---------------------------------------------------------------------------
def create_body(patient, routine, /, **extra) -> dict:
    return {
        "patient": str(patient.pk),
        "routine": str(routine.pk),
        "start_date": "2026-11-23",
        "days_of_week": [5, 1, 3],
        **extra,
    }


def test_clinician_prescribes_to_their_patient(
    clinician_client, clinician, patient, care, routine
):
    walk_item = routine.items.get(order=1)

    response = clinician_client.post(
        LIST_URL,
        create_body(
            patient,
            routine,
            note="Before walks.",
            items=[{"routine_item": walk_item.pk, "steps": 12}],
        ),
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["days_of_week"] == [1, 3, 5]
    assert body["note"] == "Before walks."
    assert body["prescribed_by"]["id"] == str(clinician.pk)
    assert [i["steps"] for i in body["items"]] == [12, None]
    assert Plan.objects.get(pk=body["id"]).patient == patient


def test_patient_cannot_prescribe(patient_client, patient, routine):
    response = patient_client.post(
        LIST_URL, create_body(patient, routine), format="json"
    )

    assert response.status_code == 403
    assert not Plan.objects.exists()


@pytest.mark.parametrize("who", ["outside_care", "unknown", "clinician"])
def test_prescribing_to_someone_not_in_care_is_a_400_on_patient(
    clinician_client, clinician, other_clinician, routine, who
):
    target = {
        "outside_care": PatientFactory(),
        "unknown": PatientFactory.build(),
        "clinician": other_clinician,
    }[who]

    response = clinician_client.post(
        LIST_URL, create_body(target, routine), format="json"
    )

    assert response.status_code == 400
    # The same message whoever it is: the answer never reveals who has an account.
    assert error_fields(response) == {"patient": NOT_YOUR_PATIENT}


def test_prescribing_a_draft_routine_is_a_400(clinician_client, patient, care, routine):
    routine.status = Status.DRAFT
    routine.save()

    response = clinician_client.post(
        LIST_URL, create_body(patient, routine), format="json"
    )

    assert response.status_code == 400
    assert error_fields(response) == {"routine": ROUTINE_NOT_PUBLISHED}


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"days_of_week": [1, 1]}, "days_of_week"),
        ({"days_of_week": [9]}, "days_of_week.0"),
        ({"times_per_week": 3}, "times_per_week"),
        ({"days_of_week": [], "times_per_week": 0}, "times_per_week"),
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"end_date": "2026-11-01"}, "end_date"),
        ({"note": "x" * 2001}, "note"),
        ({"items": [{"routine_item": 999999, "reps": 3}]}, "items.0.routine_item"),
        ({"items": [{"reps": 3}]}, "items.0.routine_item"),
        ({"routine": "not-a-uuid"}, "routine"),
    ],
)
def test_prescription_input_errors_are_400_with_field(
    clinician_client, patient, care, routine, extra, field
):
    response = clinician_client.post(
        LIST_URL, create_body(patient, routine, **extra), format="json"
    )

    assert response.status_code == 400
    assert field in error_fields(response)
    assert not Plan.objects.exists()


def test_prescription_with_two_amounts_in_one_override_is_a_400(
    clinician_client, patient, care, routine
):
    item = routine.items.get(order=2)

    response = clinician_client.post(
        LIST_URL,
        create_body(
            patient,
            routine,
            items=[{"routine_item": item.pk, "reps": 3, "seconds": 30}],
        ),
        format="json",
    )

    assert response.status_code == 400
    assert "items.0.seconds" in error_fields(response)


# ---------------------------------------------------------------------------
# API: adjusting
# ---------------------------------------------------------------------------
def test_clinician_adjusts_dosage_and_pauses(
    clinician_client, clinician, patient, care, routine
):
    plan = prescribe(clinician, patient, routine)
    item = plan.items.get(order=2)

    response = clinician_client.patch(
        detail_url(plan),
        {
            "status": "paused",
            "items": [{"id": item.pk, "reps": 8, "hold_seconds": None}],
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "paused"
    assert (body["items"][1]["reps"], body["items"][1]["hold_seconds"]) == (8, None)
    assert routine.items.get(order=2).reps == 12


def test_patching_an_ended_plan_is_a_400(clinician_client, patient, care):
    plan = PlanFactory(patient=patient, status=Plan.Status.ENDED)

    response = clinician_client.patch(
        detail_url(plan), {"status": "active"}, format="json"
    )

    assert response.status_code == 400
    assert error_fields(response) == {"status": PLAN_ENDED}


def test_patient_gets_403_on_own_plan_and_404_on_others(
    patient_client, patient, other_patient
):
    own = PlanFactory(patient=patient)
    other = PlanFactory(patient=other_patient)

    assert (
        patient_client.patch(
            detail_url(own), {"status": "paused"}, format="json"
        ).status_code
        == 403
    )
    assert (
        patient_client.patch(
            detail_url(other), {"status": "paused"}, format="json"
        ).status_code
        == 404
    )
    own.refresh_from_db()
    assert own.status == Plan.Status.ACTIVE


def test_clinician_of_someone_else_gets_404_on_patch(patient):
    plan = PlanFactory(patient=patient)

    response = client_for(ClinicianFactory()).patch(
        detail_url(plan), {"status": "paused"}, format="json"
    )

    assert response.status_code == 404


def test_put_is_not_allowed(clinician_client, patient, care):
    plan = PlanFactory(patient=patient)

    response = clinician_client.put(
        detail_url(plan), {"status": "paused"}, format="json"
    )

    assert response.status_code == 405


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "done"}, "status"),
        ({"items": [{"id": 0, "reps": 3}]}, "items.0.id"),
        ({"items": [{"id": 1, "reps": 0}]}, "items.0.reps"),
        ({"times_per_week": 22}, "times_per_week"),
        ({"end_date": "2020-01-01"}, "end_date"),
    ],
)
def test_adjustment_errors_are_400_with_field(
    clinician_client, patient, care, body, field
):
    plan = PlanFactory(patient=patient)

    response = clinician_client.patch(detail_url(plan), body, format="json")

    assert response.status_code == 400
    assert field in error_fields(response)
