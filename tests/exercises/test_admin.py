"""The library admin as clinicians use it: pages, inline editing, workflow, history,
autocomplete and changelist query counts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.models import ONE_AMOUNT, Status
from exercises.admin.exercises import LINK_TO_SELF
from exercises.admin.routines import format_minutes
from exercises.admin.workflow import AWAITING_OTHER_REVIEWER
from exercises.models import (
    Exercise,
    ExerciseInstruction,
    ExerciseLink,
    Routine,
    RoutineItem,
)
from exercises.services import OWN_SUBMISSION, TRANSITIONS, content_submit
from tests.factories import (
    ConditionFactory,
    EquipmentFactory,
    ExerciseFactory,
    ExerciseInstructionFactory,
    MuscleFactory,
    RoutineFactory,
    RoutineItemFactory,
)

pytestmark = pytest.mark.django_db

EXERCISES_URL = "/admin/exercises/exercise/"
ROUTINES_URL = "/admin/exercises/routine/"


@pytest.fixture
def clinician_client(client, clinician):
    """The Django test client logged in as a clinician (shadows the API fixture)."""
    client.force_login(clinician)
    return client


def _messages(response) -> list[str]:
    return [message.message for message in get_messages(response.wsgi_request)]


def _management(prefix: str, total: int, initial: int = 0) -> dict[str, Any]:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def exercise_form_data(**fields: Any) -> dict[str, Any]:
    """POST data of the exercise add/change form, with empty inline formsets."""
    data: dict[str, Any] = {
        "name": "Banded clamshell",
        "slug": "banded-clamshell",
        "aliases": "",
        "summary": "Side-lying hip opening against a band.",
        "difficulty": Exercise.Difficulty.BEGINNER,
        "laterality": Exercise.Laterality.UNILATERAL,
        "contraindications": "",
        "sets": 3,
        "reps": 10,
        "steps": "",
        "seconds": "",
        "direction": "none",
        "hold_seconds": "",
        "rest_seconds": 30,
        "load": "",
        "band": "light",
        "tempo": "",
        "source_name": "",
        "source_id": "",
        "source_licence": "",
        **_management("instructions", 0),
        **_management("media", 0),
        **_management("links", 0),
    }
    data.update(fields)
    return data


def routine_form_data(items: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Glute activation",
        "slug": "glute-activation",
        "summary": "",
        "goal": "",
        "when_to_use": "Before walks, runs or hikes.",
        **_management("items", len(items)),
    }
    for index, item in enumerate(items):
        row = {
            "block": "main",
            "sets": 3,
            "reps": "",
            "steps": "",
            "seconds": "",
            "direction": "none",
            "hold_seconds": "",
            "rest_seconds": "",
            "load": "",
            "band": "",
            "tempo": "",
            "note": "",
            "order": index + 1,
            **item,
        }
        data.update({f"items-{index}-{key}": value for key, value in row.items()})
    data.update(fields)
    return data


def _select_action(client, url: str, action: str, objects) -> Any:
    return client.post(
        url,
        {"action": action, "_selected_action": [str(obj.pk) for obj in objects]},
    )


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------
def test_clinician_opens_the_library_pages(clinician_client):
    exercise = ExerciseFactory()
    routine = RoutineFactory()
    RoutineItemFactory(routine=routine, exercise=exercise)
    muscle = MuscleFactory()
    urls = [
        EXERCISES_URL,
        f"{EXERCISES_URL}add/",
        f"{EXERCISES_URL}{exercise.pk}/change/",
        f"{EXERCISES_URL}{exercise.pk}/history/",
        ROUTINES_URL,
        f"{ROUTINES_URL}add/",
        f"{ROUTINES_URL}{routine.pk}/change/",
        f"{ROUTINES_URL}{routine.pk}/history/",
        "/admin/exercises/muscle/",
        "/admin/exercises/muscle/add/",
        f"/admin/exercises/muscle/{muscle.pk}/change/",
        "/admin/exercises/equipment/add/",
        "/admin/exercises/condition/add/",
    ]

    for url in urls:
        assert clinician_client.get(url).status_code == 200, url


def test_clinician_sees_drafts_in_the_changelist(clinician_client):
    ExerciseFactory(name="Draft one", status=Status.DRAFT)
    ExerciseFactory(name="Archived one", status=Status.ARCHIVED)

    response = clinician_client.get(EXERCISES_URL)

    names = {exercise.name for exercise in response.context["cl"].result_list}
    assert names == {"Draft one", "Archived one"}


def test_exercise_changelist_filters_and_searches(clinician_client):
    glute = MuscleFactory(name="Gluteus medius")
    band = EquipmentFactory(name="Loop band")
    match = ExerciseFactory(name="Clamshell", aliases="Clam\nSide-lying clam")
    match.primary_muscles.add(glute)
    match.equipment.add(band)
    ExerciseFactory(name="Plank")

    by_muscle = clinician_client.get(
        EXERCISES_URL, {"primary_muscles__id__exact": glute.pk}
    )
    by_alias = clinician_client.get(EXERCISES_URL, {"q": "side-lying"})
    by_equipment = clinician_client.get(
        EXERCISES_URL, {"equipment__id__exact": band.pk}
    )

    for response in (by_muscle, by_alias, by_equipment):
        assert [e.name for e in response.context["cl"].result_list] == ["Clamshell"]
    assert "Gluteus medius" in by_muscle.content.decode()


# ---------------------------------------------------------------------------
# Creating and editing through the forms
# ---------------------------------------------------------------------------
def test_clinician_creates_an_exercise_with_ordered_instructions(
    clinician_client, clinician
):
    glute = MuscleFactory(name="Gluteus medius")
    data = exercise_form_data(
        primary_muscles=[glute.pk],
        **_management("instructions", 3),
        **{
            "instructions-0-kind": ExerciseInstruction.Kind.SETUP,
            "instructions-0-text": "Lie on your side, band above the knees.",
            "instructions-0-order": 1,
            "instructions-1-kind": ExerciseInstruction.Kind.STEP,
            "instructions-1-text": "Open the top knee, feet together.",
            "instructions-1-order": 2,
            "instructions-2-kind": ExerciseInstruction.Kind.CUE,
            "instructions-2-text": "Keep the pelvis still.",
            "instructions-2-order": 3,
        },
    )

    response = clinician_client.post(f"{EXERCISES_URL}add/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    exercise = Exercise.objects.get(slug="banded-clamshell")
    assert exercise.status == Status.DRAFT
    assert exercise.author == clinician
    assert list(exercise.primary_muscles.all()) == [glute]
    assert list(exercise.instructions.values_list("kind", "order")) == [
        ("setup", 1),
        ("step", 2),
        ("cue", 3),
    ]
    created = exercise.history.earliest("history_date")
    assert created.history_type == "+"
    assert created.history_user == clinician
    instruction_users = {
        record.history_user
        for record in ExerciseInstruction.history.filter(exercise_id=exercise.pk)
    }
    assert instruction_users == {clinician}


def test_new_instructions_without_an_order_go_last(clinician_client):
    exercise = ExerciseFactory(slug="banded-clamshell", status=Status.DRAFT)
    ExerciseInstructionFactory(exercise=exercise, order=5, text="First.")
    data = exercise_form_data(
        **_management("instructions", 1),
        **{
            "instructions-0-kind": ExerciseInstruction.Kind.STEP,
            "instructions-0-text": "Added later.",
            "instructions-0-order": "",
        },
    )

    response = clinician_client.post(f"{EXERCISES_URL}{exercise.pk}/change/", data)

    assert response.status_code == 302
    assert list(exercise.instructions.values_list("text", "order")) == [
        ("First.", 5),
        ("Added later.", 6),
    ]


def test_reordering_instructions_saves_the_new_order(clinician_client):
    exercise = ExerciseFactory(slug="banded-clamshell", status=Status.DRAFT)
    first = ExerciseInstructionFactory(exercise=exercise, order=1, text="A")
    second = ExerciseInstructionFactory(exercise=exercise, order=2, text="B")
    data = exercise_form_data(**_management("instructions", 2, initial=2))
    for index, (instruction, order) in enumerate([(first, 2), (second, 1)]):
        data.update(
            {
                f"instructions-{index}-id": instruction.pk,
                f"instructions-{index}-exercise": exercise.pk,
                f"instructions-{index}-kind": instruction.kind,
                f"instructions-{index}-text": instruction.text,
                f"instructions-{index}-order": order,
            }
        )

    response = clinician_client.post(f"{EXERCISES_URL}{exercise.pk}/change/", data)

    assert response.status_code == 302
    assert list(exercise.instructions.values_list("text", flat=True)) == ["B", "A"]


def test_exercise_form_refuses_two_amounts(clinician_client):
    response = clinician_client.post(
        f"{EXERCISES_URL}add/", exercise_form_data(reps=10, seconds=30)
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["reps"] == [ONE_AMOUNT]
    assert errors["seconds"] == [ONE_AMOUNT]
    assert not Exercise.objects.exists()


def test_exercise_link_to_itself_is_refused(clinician_client):
    exercise = ExerciseFactory(slug="banded-clamshell", status=Status.DRAFT)
    data = exercise_form_data(
        **_management("links", 1),
        **{
            "links-0-kind": ExerciseLink.Kind.REGRESSION,
            "links-0-target": exercise.pk,
            "links-0-note": "",
            "links-0-order": 1,
        },
    )

    response = clinician_client.post(f"{EXERCISES_URL}{exercise.pk}/change/", data)

    assert response.status_code == 200
    assert LINK_TO_SELF in response.content.decode()
    assert not ExerciseLink.objects.exists()


def test_exercise_links_to_its_regression(clinician_client):
    exercise = ExerciseFactory(slug="banded-clamshell", status=Status.DRAFT)
    easier = ExerciseFactory(name="Clamshell without band")
    data = exercise_form_data(
        **_management("links", 1),
        **{
            "links-0-kind": ExerciseLink.Kind.REGRESSION,
            "links-0-target": easier.pk,
            "links-0-note": "If the hips roll back.",
            "links-0-order": 1,
        },
    )

    response = clinician_client.post(f"{EXERCISES_URL}{exercise.pk}/change/", data)

    assert response.status_code == 302
    link = ExerciseLink.objects.get()
    assert (link.exercise, link.target, link.kind) == (exercise, easier, "regression")


def test_clinician_creates_a_routine_with_ordered_items(clinician_client, clinician):
    walk = ExerciseFactory(name="Monster walk")
    bridge = ExerciseFactory(name="Glute bridge")
    data = routine_form_data(
        [
            {"exercise": bridge.pk, "reps": 10, "order": 2},
            {"exercise": walk.pk, "steps": 5, "direction": "sideways", "order": 1},
        ]
    )

    response = clinician_client.post(f"{ROUTINES_URL}add/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    routine = Routine.objects.get(slug="glute-activation")
    assert routine.author == clinician
    assert routine.status == Status.DRAFT
    items = list(routine.items.all())
    assert [item.exercise for item in items] == [walk, bridge]
    assert (items[0].direction, items[0].per_side, items[0].steps) == (
        "sideways",
        True,
        5,
    )
    assert (items[1].direction, items[1].per_side) == ("none", False)


def test_clearing_a_direction_in_the_admin_clears_per_side(clinician_client):
    """The form shows the direction only; the per_side flag follows it both ways."""
    exercise = ExerciseFactory(
        status=Status.DRAFT, reps=None, steps=5, direction="forward_backward"
    )
    assert exercise.per_side is True
    data = exercise_form_data(
        name=exercise.name, slug=exercise.slug, reps="", steps=5, direction="none"
    )

    response = clinician_client.post(f"{EXERCISES_URL}{exercise.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    exercise.refresh_from_db()
    assert (exercise.direction, exercise.per_side) == ("none", False)


def test_routine_item_needs_exactly_one_amount(clinician_client):
    exercise = ExerciseFactory()
    data = routine_form_data([{"exercise": exercise.pk}])

    response = clinician_client.post(f"{ROUTINES_URL}add/", data)

    assert response.status_code == 200
    assert ONE_AMOUNT in response.content.decode()
    assert not Routine.objects.exists()


def test_routine_pages_show_the_derived_estimated_duration(clinician_client):
    routine = RoutineFactory(title="Glute activation")
    # 3 x 10 reps (3 s each) with the default 30 s rest: 3*30 + 2*30 = 150 s.
    item = RoutineItemFactory(routine=routine, sets=3, reps=10)
    # 3 x 5 steps (2 s each) per side: 3*20 + 2*30 = 120 s.
    RoutineItemFactory(routine=routine, sets=3, reps=None, steps=5, per_side=True)
    expected = format_minutes(270)

    change = clinician_client.get(f"{ROUTINES_URL}{routine.pk}/change/")
    changelist = clinician_client.get(ROUTINES_URL)

    assert expected == "5 min"
    assert "Estimated duration" in change.content.decode()
    assert re.search(r"5 min", change.content.decode())
    assert format_minutes(item.estimated_seconds) in change.content.decode()
    assert "5 min" in changelist.content.decode()


def test_format_minutes_rounds_to_whole_minutes():
    assert format_minutes(0) == "-"
    assert format_minutes(20) == "< 1 min"
    assert format_minutes(90) == "2 min"
    assert format_minutes(719) == "12 min"


# ---------------------------------------------------------------------------
# Workflow actions on the changelist
# ---------------------------------------------------------------------------
def test_submit_action_sends_selected_drafts_to_review(clinician_client, clinician):
    # Named, not numbered: "Exercise 10" sorts before "Exercise 9", and the message
    # lists them in the changelist's order (by name).
    drafts = [
        ExerciseFactory(name=name, status=Status.DRAFT)
        for name in ("Bird dog", "Clamshell")
    ]

    response = _select_action(
        clinician_client, EXERCISES_URL, "submit_selected", drafts
    )

    assert response.status_code == 302
    for exercise in drafts:
        exercise.refresh_from_db()
        assert exercise.status == Status.IN_REVIEW
        assert exercise.submitted_by == clinician
    assert _messages(response) == [
        f"Submitted for review: “{drafts[0]}”, “{drafts[1]}”."
    ]


def test_publish_action_by_a_second_clinician_publishes(
    client, clinician, other_clinician
):
    exercise = ExerciseFactory(status=Status.DRAFT)
    content_submit(content=exercise, user=clinician)
    client.force_login(other_clinician)

    response = _select_action(client, EXERCISES_URL, "publish_selected", [exercise])

    assert response.status_code == 302
    exercise.refresh_from_db()
    assert exercise.status == Status.PUBLISHED
    assert exercise.reviewed_by == other_clinician
    assert exercise.published_at is not None
    record = exercise.history.latest("history_date")
    assert record.history_user == other_clinician
    assert record.history_change_reason == "Published"


def test_publish_action_refuses_the_clinicians_own_submission(
    clinician_client, clinician
):
    exercise = ExerciseFactory(status=Status.DRAFT)
    content_submit(content=exercise, user=clinician)
    records_before = exercise.history.count()

    response = _select_action(
        clinician_client, EXERCISES_URL, "publish_selected", [exercise]
    )

    assert response.status_code == 302
    assert _messages(response) == [f"Could not publish “{exercise}”: {OWN_SUBMISSION}"]
    exercise.refresh_from_db()
    assert exercise.status == Status.IN_REVIEW
    assert exercise.reviewed_by is None
    assert exercise.history.count() == records_before


def test_an_action_reports_each_success_and_failure(client, clinician, other_clinician):
    mine = ExerciseFactory(name="Mine", status=Status.DRAFT)
    theirs = ExerciseFactory(name="Theirs", status=Status.DRAFT)
    draft = ExerciseFactory(name="Still a draft", status=Status.DRAFT)
    content_submit(content=mine, user=clinician)
    content_submit(content=theirs, user=other_clinician)
    client.force_login(clinician)

    response = _select_action(
        client, EXERCISES_URL, "publish_selected", [mine, theirs, draft]
    )

    messages = _messages(response)
    assert f"Could not publish “Mine”: {OWN_SUBMISSION}" in messages
    assert (
        "Could not publish “Still a draft”: Only in review content can be published; "
        "this is draft." in messages
    )
    assert "Published: “Theirs”." in messages
    statuses = dict(Exercise.objects.values_list("name", "status"))
    assert statuses == {
        "Mine": Status.IN_REVIEW,
        "Theirs": Status.PUBLISHED,
        "Still a draft": Status.DRAFT,
    }


def test_reject_action_sends_back_to_draft(client, clinician, other_clinician):
    exercise = ExerciseFactory(status=Status.DRAFT)
    content_submit(content=exercise, user=clinician)
    client.force_login(other_clinician)

    _select_action(client, EXERCISES_URL, "reject_selected", [exercise])

    exercise.refresh_from_db()
    assert exercise.status == Status.DRAFT
    assert exercise.reviewed_by == other_clinician


def test_archive_and_restore_actions(clinician_client):
    exercise = ExerciseFactory(status=Status.PUBLISHED)

    _select_action(clinician_client, EXERCISES_URL, "archive_selected", [exercise])
    exercise.refresh_from_db()
    assert exercise.status == Status.ARCHIVED

    _select_action(clinician_client, EXERCISES_URL, "restore_selected", [exercise])
    exercise.refresh_from_db()
    assert exercise.status == Status.DRAFT


def test_routine_workflow_actions(client, clinician, other_clinician):
    routine = RoutineFactory(status=Status.DRAFT)
    client.force_login(clinician)
    _select_action(client, ROUTINES_URL, "submit_selected", [routine])
    client.force_login(other_clinician)

    response = _select_action(client, ROUTINES_URL, "publish_selected", [routine])

    routine.refresh_from_db()
    assert routine.status == Status.PUBLISHED
    assert routine.submitted_by == clinician
    assert routine.reviewed_by == other_clinician
    assert f"Published: “{routine}”." in _messages(response)


def test_staff_without_publish_permission_is_not_offered_publish(client):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    editor = UserFactory(is_staff=True)
    editor.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="exercises",
            codename__in=["view_exercise", "change_exercise"],
        )
    )
    exercise = ExerciseFactory(status=Status.DRAFT)
    client.force_login(editor)

    changelist = client.get(EXERCISES_URL)
    response = _select_action(client, EXERCISES_URL, "publish_selected", [exercise])

    actions = [
        name for name, _ in changelist.context["action_form"].fields["action"].choices
    ]
    assert "submit_selected" in actions
    assert "publish_selected" not in actions
    assert response.status_code == 302
    assert "No action selected." in _messages(response)
    exercise.refresh_from_db()
    assert exercise.status == Status.DRAFT


@pytest.mark.parametrize("url", [EXERCISES_URL, ROUTINES_URL])
def test_actions_are_the_rows_of_the_workflow_table(client, admin_user, url):
    client.force_login(admin_user)

    changelist = client.get(url)

    choices = dict(changelist.context["action_form"].fields["action"].choices)
    # Besides the blank choice and Django's own "delete_selected":
    workflow = {
        name: label
        for name, label in choices.items()
        if name not in ("", "delete_selected")
    }
    plural = "exercises" if url == EXERCISES_URL else "routines"
    assert workflow == {
        f"{row.name}_selected": row.action % {"verbose_name_plural": plural}
        for row in TRANSITIONS.values()
    }


# ---------------------------------------------------------------------------
# Workflow buttons on the change form
# ---------------------------------------------------------------------------
def _workflow_url(content, transition: str) -> str:
    base = EXERCISES_URL if isinstance(content, Exercise) else ROUTINES_URL
    return f"{base}{content.pk}/workflow/{transition}/"


def test_change_form_offers_the_transitions_of_the_current_status(
    client, clinician, other_clinician
):
    exercise = ExerciseFactory(status=Status.DRAFT)
    content_submit(content=exercise, user=clinician)
    url = f"{EXERCISES_URL}{exercise.pk}/change/"

    client.force_login(clinician)
    own = client.get(url)
    client.force_login(other_clinician)
    reviewer = client.get(url)

    own_labels = [button["label"] for button in own.context["workflow_buttons"]]
    reviewer_labels = [b["label"] for b in reviewer.context["workflow_buttons"]]
    assert own_labels == []
    assert AWAITING_OTHER_REVIEWER in own.content.decode()
    assert reviewer_labels == ["Publish", "Send back to draft"]
    assert _workflow_url(exercise, "publish") in reviewer.content.decode()


def test_change_form_button_submits_and_returns_to_the_form(
    clinician_client, clinician
):
    exercise = ExerciseFactory(status=Status.DRAFT)

    response = clinician_client.post(_workflow_url(exercise, "submit"))

    assert response.status_code == 302
    assert response.url == f"{EXERCISES_URL}{exercise.pk}/change/"
    exercise.refresh_from_db()
    assert exercise.status == Status.IN_REVIEW
    assert exercise.submitted_by == clinician


def test_change_form_button_refuses_own_publication(clinician_client, clinician):
    routine = RoutineFactory(status=Status.DRAFT)
    content_submit(content=routine, user=clinician)

    response = clinician_client.post(_workflow_url(routine, "publish"))

    assert response.status_code == 302
    assert _messages(response) == [f"Could not publish “{routine}”: {OWN_SUBMISSION}"]
    routine.refresh_from_db()
    assert routine.status == Status.IN_REVIEW


def test_workflow_endpoint_accepts_only_post_and_known_transitions(clinician_client):
    exercise = ExerciseFactory(status=Status.DRAFT)

    get = clinician_client.get(_workflow_url(exercise, "submit"))
    unknown = clinician_client.post(_workflow_url(exercise, "teleport"))
    missing = clinician_client.post(
        f"{EXERCISES_URL}00000000-0000-0000-0000-000000000000/workflow/submit/"
    )

    assert get.status_code == 405
    assert unknown.status_code == 404
    assert missing.status_code == 404
    exercise.refresh_from_db()
    assert exercise.status == Status.DRAFT


def test_workflow_endpoint_needs_the_change_permission(client, patient):
    exercise = ExerciseFactory(status=Status.DRAFT)
    client.force_login(patient)

    response = client.post(_workflow_url(exercise, "submit"))

    assert response.status_code == 302  # not staff: to the admin login page
    assert "/admin/login/" in response.url
    exercise.refresh_from_db()
    assert exercise.status == Status.DRAFT


# ---------------------------------------------------------------------------
# History
# ---------------------------------------------------------------------------
def test_an_admin_edit_is_recorded_with_its_user_and_changed_fields(
    clinician_client, clinician
):
    exercise = ExerciseFactory(
        name="Clamshell", slug="banded-clamshell", status=Status.DRAFT
    )
    glute = MuscleFactory(name="Gluteus medius")

    response = clinician_client.post(
        f"{EXERCISES_URL}{exercise.pk}/change/",
        exercise_form_data(name="Banded clamshell", primary_muscles=[glute.pk]),
    )

    assert response.status_code == 302
    records = list(exercise.history.order_by("-history_date", "-history_id"))
    assert {record.history_user for record in records[:2]} == {clinician}
    field_change = records[1].diff_against(records[2])
    assert "name" in field_change.changed_fields
    m2m_change = records[0].diff_against(records[1])
    assert m2m_change.changed_fields == ["primary_muscles"]

    history = clinician_client.get(f"{EXERCISES_URL}{exercise.pk}/history/")

    page = history.content.decode()
    assert history.status_code == 200
    assert re.search(r"<strong>Name:</strong>\s*Clamshell", page)
    assert "Banded clamshell" in page
    assert "<strong>Primary muscles:</strong>" in page
    assert "Gluteus medius" in page
    assert clinician.name in page


def test_a_routine_edit_records_the_user_on_the_routine_and_its_items(
    clinician_client, clinician
):
    routine = RoutineFactory(
        title="Glute activation", slug="glute-activation", status=Status.DRAFT
    )
    first = RoutineItemFactory(routine=routine, order=1)
    second = RoutineItemFactory(routine=routine, order=2)
    items = [
        {"id": first.pk, "exercise": first.exercise_id, "reps": 10, "order": 2},
        {"id": second.pk, "exercise": second.exercise_id, "reps": 12, "order": 1},
    ]
    data = routine_form_data(items, title="Glute activation (band)", when_to_use="")
    data.update(_management("items", 2, initial=2))

    response = clinician_client.post(f"{ROUTINES_URL}{routine.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(routine.items.values_list("pk", flat=True)) == [second.pk, first.pk]
    latest = routine.history.latest("history_date")
    assert latest.history_user == clinician
    assert latest.diff_against(latest.prev_record).changed_fields == ["title"]
    item_records = RoutineItem.history.filter(routine_id=routine.pk, history_type="~")
    assert {record.history_user for record in item_records} == {clinician}
    assert {record.id for record in item_records} == {first.pk, second.pk}

    history = clinician_client.get(f"{ROUTINES_URL}{routine.pk}/history/")

    assert re.search(
        r"<strong>Title:</strong>\s*Glute activation\s*&nbsp;&rarr;&nbsp;&nbsp;"
        r"Glute activation \(band\)",
        history.content.decode(),
    )


def test_history_links_the_user_only_for_those_who_may_open_user_pages(
    client, clinician, admin_user
):
    exercise = ExerciseFactory(slug="banded-clamshell", status=Status.DRAFT)
    client.force_login(clinician)
    client.post(
        f"{EXERCISES_URL}{exercise.pk}/change/", exercise_form_data(name="Renamed")
    )
    user_url = f"/admin/users/user/{clinician.pk}/change/"

    as_clinician = client.get(f"{EXERCISES_URL}{exercise.pk}/history/")
    client.force_login(admin_user)
    as_admin = client.get(f"{EXERCISES_URL}{exercise.pk}/history/")

    assert clinician.name in as_clinician.content.decode()
    assert user_url not in as_clinician.content.decode()
    assert user_url in as_admin.content.decode()


def test_history_shows_workflow_changes_with_labels(clinician_client, clinician):
    exercise = ExerciseFactory(status=Status.DRAFT)
    _select_action(clinician_client, EXERCISES_URL, "submit_selected", [exercise])

    history = clinician_client.get(f"{EXERCISES_URL}{exercise.pk}/history/")

    page = history.content.decode()
    assert re.search(
        r"<strong>Status:</strong>\s*Draft\s*&nbsp;&rarr;&nbsp;&nbsp;In review", page
    )
    assert "<strong>Submitted by:</strong>" in page
    assert "Submitted for review" in page  # the change reason


# The history page of an exercise: SAVEPOINT and RELEASE (ATOMIC_REQUESTS), session,
# user, the user's own and group permissions, the exercise, COUNT(*) of its records, the
# page of records, the snapshots of its four many-to-many fields (conditions,
# equipment, primary and secondary muscles: one query each for the whole page) and its
# content type: 14 whatever the number of records.
HISTORY_PAGE_QUERIES = 14


def _assert_history_page_queries(client, exercise, django_assert_num_queries) -> None:
    # The content type is cached per process once read: empty the cache so the count
    # is the same whether this test runs alone or after others.
    ContentType.objects.clear_cache()
    with django_assert_num_queries(HISTORY_PAGE_QUERIES):
        response = client.get(f"{EXERCISES_URL}{exercise.pk}/history/")
    assert response.status_code == 200


def test_history_page_queries_do_not_grow_with_records(
    clinician_client, django_assert_num_queries
):
    muscles = MuscleFactory.create_batch(3)
    exercise = ExerciseFactory()
    exercise.primary_muscles.add(muscles[0])
    _assert_history_page_queries(clinician_client, exercise, django_assert_num_queries)

    for index in range(10):
        exercise.name = f"Renamed {index}"
        exercise.save()
        exercise.primary_muscles.set([muscles[index % 3]])

    assert exercise.history.count() > 20
    _assert_history_page_queries(clinician_client, exercise, django_assert_num_queries)


# ---------------------------------------------------------------------------
# Autocomplete
# ---------------------------------------------------------------------------
def test_muscle_autocomplete_finds_by_name(clinician_client):
    MuscleFactory(name="Gluteus medius", slug="gluteus-medius")
    MuscleFactory(name="Gluteus maximus", slug="gluteus-maximus")
    MuscleFactory(name="Biceps", slug="biceps")

    response = clinician_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "exercises",
            "model_name": "exercise",
            "field_name": "primary_muscles",
            "term": "glu",
        },
    )

    assert response.status_code == 200
    names = [result["text"] for result in response.json()["results"]]
    assert names == ["Gluteus maximus", "Gluteus medius"]


@pytest.mark.parametrize(
    ("model_name", "field_name", "factory"),
    [
        ("exercise", "equipment", EquipmentFactory),
        ("exercise", "conditions", ConditionFactory),
        ("routine", "conditions", ConditionFactory),
    ],
)
def test_taxonomy_autocompletes(clinician_client, model_name, field_name, factory):
    factory(name="Findable thing")
    factory(name="Other")

    response = clinician_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "exercises",
            "model_name": model_name,
            "field_name": field_name,
            "term": "findable",
        },
    )

    assert [r["text"] for r in response.json()["results"]] == ["Findable thing"]


@pytest.mark.parametrize(
    ("model_name", "field_name"),
    [("routineitem", "exercise"), ("exerciselink", "target")],
)
def test_exercise_autocomplete_for_routine_items_and_links(
    clinician_client, model_name, field_name
):
    ExerciseFactory(name="Monster walk", aliases="Banded lateral walk")
    ExerciseFactory(name="Plank")

    response = clinician_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "exercises",
            "model_name": model_name,
            "field_name": field_name,
            "term": "lateral",
        },
    )

    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Monster walk"]


def test_autocomplete_is_forbidden_to_non_staff(client, patient):
    client.force_login(patient)

    response = client.get(
        "/admin/autocomplete/",
        {
            "app_label": "exercises",
            "model_name": "exercise",
            "field_name": "primary_muscles",
            "term": "glu",
        },
    )

    assert response.status_code == 302  # the admin login page


# ---------------------------------------------------------------------------
# Changelist query counts
# ---------------------------------------------------------------------------
def _changelist_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _exercises_with_relations(count: int) -> None:
    muscles = MuscleFactory.create_batch(2)
    equipment = EquipmentFactory()
    condition = ConditionFactory()
    for exercise in ExerciseFactory.create_batch(count, source_name="Free Exercise DB"):
        exercise.primary_muscles.set(muscles)
        exercise.equipment.add(equipment)
        exercise.conditions.add(condition)


def test_exercise_changelist_queries_do_not_grow_with_rows(
    clinician_client, django_assert_max_num_queries
):
    _exercises_with_relations(5)
    few = _changelist_queries(clinician_client, EXERCISES_URL)
    _exercises_with_relations(45)

    # The request's SAVEPOINT and RELEASE (ATOMIC_REQUESTS), session, user, the
    # user's own and group permissions, the options of the muscle, equipment and
    # condition filters, COUNT(*), the page of rows, their primary muscles (one
    # prefetch), the distinct source names: 13 whatever the number of rows.
    with django_assert_max_num_queries(13):
        response = clinician_client.get(EXERCISES_URL)

    assert len(response.context["cl"].result_list) == 50
    assert _changelist_queries(clinician_client, EXERCISES_URL) == few


def test_routine_changelist_queries_do_not_grow_with_rows(
    clinician_client, django_assert_max_num_queries
):
    exercise = ExerciseFactory()
    condition = ConditionFactory()

    def routines(count: int) -> None:
        for routine in RoutineFactory.create_batch(count):
            routine.conditions.add(condition)
            RoutineItemFactory.create_batch(3, routine=routine, exercise=exercise)

    routines(5)
    few = _changelist_queries(clinician_client, ROUTINES_URL)
    routines(45)

    # SAVEPOINT and RELEASE, session, user, the user's own and group permissions,
    # the condition filter options, COUNT(*), the page of rows, their items (one
    # prefetch for the durations and counts): 10 whatever the number of rows.
    with django_assert_max_num_queries(10):
        response = clinician_client.get(ROUTINES_URL)

    assert len(response.context["cl"].result_list) == 50
    assert _changelist_queries(clinician_client, ROUTINES_URL) == few


def test_a_past_version_opens_from_the_history(clinician_client):
    exercise = ExerciseFactory(name="Clamshell", status=Status.DRAFT)
    exercise.name = "Banded clamshell"
    exercise.save()
    first = exercise.history.earliest("history_date")

    response = clinician_client.get(
        f"{EXERCISES_URL}{exercise.pk}/history/{first.history_id}/"
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.initial["name"] == "Clamshell"
