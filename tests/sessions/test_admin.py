"""The care-side admin: clinicians see only their patients, plans and (read-only) logs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.models import Status
from sessions.admin.plan_items import ITEM_CHANGES_FAILED
from sessions.models import Plan, PlanItem, SessionExercise, SessionSet
from sessions.schedules import local_today
from tests.factories import (
    CareRelationshipFactory,
    ClinicianFactory,
    ExerciseFactory,
    PatientFactory,
    PlanFactory,
    PlanItemFactory,
    RoutineFactory,
    RoutineItemFactory,
    SessionExerciseFactory,
    SessionFactory,
    SessionSetFactory,
)
from users.models import PatientAccessLog

pytestmark = pytest.mark.django_db

PATIENTS_URL = "/admin/training_sessions/patient/"
PLANS_URL = "/admin/training_sessions/plan/"
SESSIONS_URL = "/admin/training_sessions/session/"


@pytest.fixture
def mine(clinician):
    patient = PatientFactory(name="Ann Mine", timezone="Europe/London")
    CareRelationshipFactory(clinician=clinician, patient=patient)
    return patient


@pytest.fixture
def theirs(other_clinician):
    patient = PatientFactory(name="Zed Theirs")
    CareRelationshipFactory(clinician=other_clinician, patient=patient)
    return patient


@pytest.fixture
def clinician_web(client, clinician):
    client.force_login(clinician)
    return client


@pytest.fixture
def admin_web(client, admin_user):
    client.force_login(admin_user)
    return client


def rows(response) -> list[Any]:
    return list(response.context["cl"].result_list)


def log_entries(**filters: Any) -> list[tuple[Any, str]]:
    return list(
        PatientAccessLog.objects.filter(**filters)
        .order_by("patient__name")
        .values_list("patient_id", "action")
    )


def form_data(response) -> dict[str, Any]:
    """The POST data of a change form as rendered (main form and inline formsets)."""
    data: dict[str, Any] = {}

    def add(form) -> None:
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None:
                data[key] = ""
            elif value is True:
                data[key] = "on"
            elif value is False:
                continue
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            elif hasattr(value, "pk"):
                data[key] = str(value.pk)
            else:
                data[key] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context)


# ---------------------------------------------------------------------------
# The index
# ---------------------------------------------------------------------------
def test_clinician_index_offers_patients_plans_and_sessions_but_not_users(
    clinician_web,
):
    response = clinician_web.get("/admin/")

    apps = {app["app_label"]: app for app in response.context["app_list"]}
    # The index groups models into sections for people (config/admin.py): patients,
    # plans and sessions sit with the care-team models, alerts and answers.
    models = {m["object_name"] for m in apps["training_sessions"]["models"]}
    assert {"Patient", "Plan", "Session"} <= models
    every_model = {m["object_name"] for app in apps.values() for m in app["models"]}
    assert "User" not in every_model
    assert "Group" not in every_model


# ---------------------------------------------------------------------------
# Patients
# ---------------------------------------------------------------------------
def test_patients_list_shows_only_the_clinicians_patients(clinician_web, mine, theirs):
    PatientFactory(name="Nobody's")

    response = clinician_web.get(PATIENTS_URL)

    assert response.status_code == 200
    assert [p.pk for p in rows(response)] == [mine.pk]
    assert b"Zed Theirs" not in response.content


def test_admin_sees_every_patient_in_the_patients_list(admin_web, mine, theirs):
    response = admin_web.get(PATIENTS_URL)

    assert {p.pk for p in rows(response)} == {mine.pk, theirs.pk}


def test_patients_list_shows_recent_pain_and_four_week_adherence(clinician_web, mine):
    today = timezone.now().astimezone(dt.UTC).date()
    # Every day for the last 28 days: 28 scheduled, 7 done -> 25 %.
    PlanFactory(
        patient=mine,
        start_date=today - dt.timedelta(days=40),
        days_of_week=[1, 2, 3, 4, 5, 6, 7],
    )
    now = timezone.now()
    for days_ago, pain_after in enumerate([2, 4, 3, 3, 3, 9, 9]):
        SessionFactory(
            patient=mine,
            started_at=now - dt.timedelta(days=days_ago, hours=1),
            pain_after=pain_after,
        )

    response = clinician_web.get(PATIENTS_URL)

    (row,) = rows(response)
    # The 5 most recent: 2, 4, 3, 3, 3 -> 3.0 (the two 9s are older).
    assert float(row.recent_pain_after) == 3.0
    assert row.adherence_last_4_weeks == 0.25
    content = response.content.decode()
    assert "3.0 / 10" in content
    assert "25 %" in content


def test_patient_row_links_to_their_plans_and_session_logs(clinician_web, mine):
    response = clinician_web.get(PATIENTS_URL)

    content = response.content.decode()
    assert f"{PLANS_URL}?patient={mine.pk}" in content
    assert f"{SESSIONS_URL}?patient={mine.pk}" in content
    assert f"{PLANS_URL}add/?patient={mine.pk}" in content


def test_patients_list_records_one_access_log_entry_per_patient_shown(
    clinician, clinician_web, mine
):
    second = PatientFactory(name="Bob Mine")
    CareRelationshipFactory(clinician=clinician, patient=second)

    clinician_web.get(PATIENTS_URL)

    assert log_entries(actor=clinician) == [
        (mine.pk, "admin.patients.list"),
        (second.pk, "admin.patients.list"),
    ]


def test_patients_list_query_count_does_not_grow_with_rows(clinician, clinician_web):
    def add_patients(count: int) -> None:
        for _ in range(count):
            patient = PatientFactory()
            CareRelationshipFactory(clinician=clinician, patient=patient)
            PlanFactory(patient=patient)
            SessionFactory(patient=patient)

    add_patients(2)
    few = count_queries(clinician_web, PATIENTS_URL)
    add_patients(8)
    many = count_queries(clinician_web, PATIENTS_URL)

    # savepoint pair (ATOMIC_REQUESTS), session, user, permissions (user, group),
    # COUNT, the page with its last-session and recent-pain subqueries, adherence
    # (plans, plan history, sessions), one access-log INSERT.
    assert few == many == 12


def test_patient_page_of_another_clinicians_patient_is_404(clinician_web, mine, theirs):
    assert clinician_web.get(f"{PATIENTS_URL}{theirs.pk}/change/").status_code == 404
    assert clinician_web.get(f"{PATIENTS_URL}not-a-uuid/change/").status_code == 404


def test_patient_page_is_read_only_and_logged(clinician, clinician_web, mine):
    response = clinician_web.get(f"{PATIENTS_URL}{mine.pk}/change/")

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert "Ann Mine" in response.content.decode()
    assert log_entries(actor=clinician) == [(mine.pk, "admin.patients.view")]
    assert clinician_web.get(f"{PATIENTS_URL}add/").status_code == 403
    post = clinician_web.post(f"{PATIENTS_URL}{mine.pk}/change/", {"name": "X"})
    assert post.status_code == 403


# ---------------------------------------------------------------------------
# Plans
# ---------------------------------------------------------------------------
def test_plans_list_shows_only_plans_of_the_clinicians_patients(
    clinician_web, mine, theirs
):
    own = PlanFactory(patient=mine, title="Own plan")
    PlanFactory(patient=theirs, title="Their plan")

    response = clinician_web.get(PLANS_URL)

    assert [p.pk for p in rows(response)] == [own.pk]
    assert b"Their plan" not in response.content


def test_plans_list_filtered_to_a_patient_logs_that_patient(
    clinician, clinician_web, mine
):
    other_mine = PatientFactory()
    CareRelationshipFactory(clinician=clinician, patient=other_mine)
    plan = PlanFactory(patient=mine)
    PlanFactory(patient=other_mine)

    response = clinician_web.get(PLANS_URL, {"patient": str(mine.pk)})

    assert [p.pk for p in rows(response)] == [plan.pk]
    assert log_entries(actor=clinician) == [(mine.pk, "admin.plans.list")]


def test_plans_list_filtered_to_someone_elses_patient_is_empty_and_unlogged(
    clinician, clinician_web, theirs
):
    PlanFactory(patient=theirs)

    response = clinician_web.get(PLANS_URL, {"patient": str(theirs.pk)})

    assert rows(response) == []
    assert not PatientAccessLog.objects.exists()


def test_plans_list_query_count_does_not_grow_with_rows(clinician, clinician_web):
    def add_plans(count: int) -> None:
        for _ in range(count):
            patient = PatientFactory()
            CareRelationshipFactory(clinician=clinician, patient=patient)
            PlanFactory(patient=patient)

    add_plans(2)
    few = count_queries(clinician_web, PLANS_URL)
    add_plans(8)
    many = count_queries(clinician_web, PLANS_URL)

    # savepoint pair, session, user, permissions (user, group), the patient
    # filter's choices, COUNT, the page (patient and prescriber joined), one
    # access-log INSERT.
    assert few == many == 10


def test_others_plan_pages_are_404(clinician_web, theirs):
    plan = PlanFactory(patient=theirs)

    for url in (
        f"{PLANS_URL}{plan.pk}/change/",
        f"{PLANS_URL}{plan.pk}/history/",
        f"{PLANS_URL}{plan.pk}/delete/",
    ):
        assert clinician_web.get(url).status_code == 404, url
    history_id = plan.history.latest("history_id").history_id
    response = clinician_web.get(f"{PLANS_URL}{plan.pk}/history/{history_id}/")
    assert response.status_code == 404
    response = clinician_web.post(f"{PLANS_URL}{plan.pk}/change/", {"note": "x"})
    assert response.status_code == 404
    assert not PatientAccessLog.objects.exists()


def test_plan_page_and_history_are_logged(clinician, clinician_web, mine):
    plan = PlanFactory(patient=mine)

    assert clinician_web.get(f"{PLANS_URL}{plan.pk}/change/").status_code == 200
    assert clinician_web.get(f"{PLANS_URL}{plan.pk}/history/").status_code == 200

    assert sorted(
        PatientAccessLog.objects.filter(actor=clinician).values_list(
            "patient_id", "action"
        )
    ) == [(mine.pk, "admin.plans.history"), (mine.pk, "admin.plans.view")]


@pytest.fixture
def routine(db):
    routine = RoutineFactory(title="Glute activation")
    RoutineItemFactory(
        routine=routine,
        exercise=ExerciseFactory(name="Lateral band walk"),
        order=1,
        sets=3,
        reps=None,
        steps=5,
        per_side=True,
        load="light band",
        note="Small steps.",
    )
    RoutineItemFactory(
        routine=routine, exercise=ExerciseFactory(name="Banded squat"), order=2
    )
    return routine


def prescribe_data(patient, routine, **overrides: Any) -> dict[str, Any]:
    data = {
        "patient": str(patient.pk),
        "routine": str(routine.pk),
        "title": "",
        "start_date": "2026-11-23",
        "end_date": "",
        "days_of_week": ["1", "3", "5"],
        "times_per_week": "",
        "note": "Before your walk.",
    }
    data.update(overrides)
    return data


def test_plan_prescribed_in_the_admin_copies_the_routine_items(
    clinician, clinician_web, mine, routine
):
    response = clinician_web.post(f"{PLANS_URL}add/", prescribe_data(mine, routine))

    assert response.status_code == 302
    plan = Plan.objects.get(patient=mine)
    assert (plan.title, plan.prescribed_by, plan.routine, plan.days_of_week) == (
        "Glute activation",
        clinician,
        routine,
        [1, 3, 5],
    )
    assert plan.note == "Before your walk."
    items = [
        (i.exercise.name, i.sets, i.reps, i.steps, i.per_side, i.load, i.note)
        for i in plan.items.select_related("exercise")
    ]
    assert items == [
        ("Lateral band walk", 3, None, 5, True, "light band", "Small steps."),
        ("Banded squat", 3, 10, None, False, "", ""),
    ]
    assert plan.history.latest("history_id").history_user == clinician
    assert response["Location"] == f"{PLANS_URL}"


def test_plan_add_form_offers_only_own_patients_and_published_routines(
    clinician_web, mine, theirs, routine
):
    draft = RoutineFactory(status=Status.DRAFT)

    response = clinician_web.get(f"{PLANS_URL}add/", {"patient": str(mine.pk)})

    form = response.context["adminform"].form
    assert list(form.fields["patient"].queryset) == [mine]
    routines = set(form.fields["routine"].queryset)
    assert routine in routines
    assert draft not in routines
    assert str(form.initial["patient"]) == str(mine.pk)


def test_prescribing_to_another_clinicians_patient_is_refused(
    clinician_web, theirs, routine
):
    response = clinician_web.post(f"{PLANS_URL}add/", prescribe_data(theirs, routine))

    assert response.status_code == 200
    assert "patient" in response.context["adminform"].form.errors
    assert not Plan.objects.exists()


def test_prescribing_needs_days_or_times_per_week_not_both(
    clinician_web, mine, routine
):
    neither = clinician_web.post(
        f"{PLANS_URL}add/", prescribe_data(mine, routine, days_of_week=[])
    )
    both = clinician_web.post(
        f"{PLANS_URL}add/", prescribe_data(mine, routine, times_per_week="3")
    )

    assert "days_of_week" in neither.context["adminform"].form.errors
    assert "times_per_week" in both.context["adminform"].form.errors
    assert not Plan.objects.exists()


def test_dosage_adjusted_in_the_admin_keeps_the_routine_and_records_history(
    clinician, clinician_web, mine, routine
):
    clinician_web.post(f"{PLANS_URL}add/", prescribe_data(mine, routine))
    plan = Plan.objects.get(patient=mine)
    url = f"{PLANS_URL}{plan.pk}/change/"
    data = form_data(clinician_web.get(url))
    walk = plan.items.get(exercise__name="Lateral band walk")
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.endswith("-id") and value == str(walk.pk)
    )
    data[f"items-{index}-steps"] = "8"
    data[f"items-{index}-sets"] = "2"

    response = clinician_web.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    walk.refresh_from_db()
    assert (walk.sets, walk.steps) == (2, 8)
    assert routine.items.get(order=1).steps == 5  # the template is untouched
    latest = walk.history.latest("history_id")
    assert (latest.history_user, latest.history_change_reason) == (
        clinician,
        "Dosage adjusted",
    )
    page = clinician_web.get(url).content.decode()
    assert "2 x 8 steps each side" in page  # the "dosage changes" table


def test_dosage_with_two_amounts_is_refused(clinician_web, mine, routine):
    clinician_web.post(f"{PLANS_URL}add/", prescribe_data(mine, routine))
    plan = Plan.objects.get(patient=mine)
    url = f"{PLANS_URL}{plan.pk}/change/"
    data = form_data(clinician_web.get(url))
    data["items-0-reps"] = "10"  # the walk already has steps

    response = clinician_web.post(url, data)

    assert response.status_code == 200
    assert PlanItem.objects.get(plan=plan, order=1).reps is None


def test_plan_paused_then_ended_in_the_admin_becomes_read_only(
    clinician, clinician_web, mine
):
    plan = PlanFactory(patient=mine, prescribed_by=clinician)
    PlanItemFactory(plan=plan)
    url = f"{PLANS_URL}{plan.pk}/change/"

    data = form_data(clinician_web.get(url))
    data["status"] = Plan.Status.PAUSED
    assert clinician_web.post(url, data).status_code == 302
    plan.refresh_from_db()
    assert plan.status == Plan.Status.PAUSED

    data["status"] = Plan.Status.ENDED
    assert clinician_web.post(url, data).status_code == 302
    plan.refresh_from_db()
    assert plan.status == Plan.Status.ENDED
    latest = plan.history.latest("history_id")
    assert latest.history_change_reason == "Adjusted: status"

    data["status"] = Plan.Status.ACTIVE
    assert clinician_web.post(url, data).status_code == 403
    page = clinician_web.get(url)
    assert page.context["has_change_permission"] is False
    plan.refresh_from_db()
    assert plan.status == Plan.Status.ENDED


def test_pause_action_uses_the_plan_service(clinician, clinician_web, mine):
    plan = PlanFactory(patient=mine)

    response = clinician_web.post(
        PLANS_URL, {"action": "pause_selected", "_selected_action": [str(plan.pk)]}
    )

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == Plan.Status.PAUSED
    assert plan.history.latest("history_id").history_user == clinician


def test_plan_history_cannot_be_reverted(clinician_web, mine):
    plan = PlanFactory(patient=mine)
    history_id = plan.history.latest("history_id").history_id
    url = f"{PLANS_URL}{plan.pk}/history/{history_id}/"

    assert clinician_web.get(url).status_code == 200
    response = clinician_web.post(url, {"note": "reverted"})

    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.note == ""


def test_clinician_cannot_delete_plans(clinician_web, mine):
    plan = PlanFactory(patient=mine)

    assert clinician_web.get(f"{PLANS_URL}{plan.pk}/delete/").status_code == 403
    assert Plan.objects.filter(pk=plan.pk).exists()


# ---------------------------------------------------------------------------
# Session logs
# ---------------------------------------------------------------------------
def session_with_sets(patient, **kwargs: Any):
    session = SessionFactory(patient=patient, notes="Felt good.", **kwargs)
    walk = SessionExerciseFactory(
        session=session,
        exercise=ExerciseFactory(name="Lateral band walk"),
        order=0,
        status=SessionExercise.Status.PARTIAL,
        notes="Trunk leaning.",
    )
    SessionSetFactory(
        session_exercise=walk, order=0, side=SessionSet.Side.RIGHT, reps=5
    )
    SessionSetFactory(
        session_exercise=walk,
        order=1,
        side=SessionSet.Side.LEFT,
        reps=3,
        completed=False,
    )
    return session


def test_sessions_list_shows_only_the_clinicians_patients_and_no_tombstones(
    clinician_web, mine, theirs
):
    own = SessionFactory(patient=mine)
    SessionFactory(patient=mine, deleted_at=timezone.now())
    SessionFactory(patient=theirs)

    response = clinician_web.get(SESSIONS_URL)

    assert [s.pk for s in rows(response)] == [own.pk]


def test_session_page_shows_exercises_and_sets_read_only(
    clinician, clinician_web, mine
):
    session = session_with_sets(mine)

    response = clinician_web.get(f"{SESSIONS_URL}{session.pk}/change/")

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    content = response.content.decode()
    assert "Lateral band walk" in content
    assert "right: 5 reps" in content
    assert "left: 3 reps, not completed" in content
    assert "Trunk leaning." in content
    assert "Felt good." in content
    assert 'name="notes"' not in content  # no editable field
    assert log_entries(actor=clinician) == [(mine.pk, "admin.sessions.view")]


@pytest.mark.parametrize("who", ["clinician", "admin"])
def test_session_logs_cannot_be_added_changed_or_deleted(
    who, client, clinician, admin_user, mine
):
    client.force_login(clinician if who == "clinician" else admin_user)
    session = session_with_sets(mine, pain_after=3)
    url = f"{SESSIONS_URL}{session.pk}/"

    assert client.get(f"{SESSIONS_URL}add/").status_code == 403
    assert client.post(f"{url}change/", {"pain_after": "0"}).status_code == 403
    assert client.get(f"{url}delete/").status_code == 403
    assert client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    listing = client.get(SESSIONS_URL)
    assert listing.context["action_form"] is None  # no actions: no bulk delete
    session.refresh_from_db()
    assert session.pain_after == 3
    assert session.exercises.count() == 1


def test_others_and_deleted_session_pages_are_404(clinician_web, mine, theirs):
    others = SessionFactory(patient=theirs)
    deleted = SessionFactory(patient=mine, deleted_at=timezone.now())

    assert clinician_web.get(f"{SESSIONS_URL}{others.pk}/change/").status_code == 404
    assert clinician_web.get(f"{SESSIONS_URL}{deleted.pk}/change/").status_code == 404


def test_sessions_list_logs_each_patient_once_per_request(
    clinician, clinician_web, mine
):
    second = PatientFactory(name="Bob Mine")
    CareRelationshipFactory(clinician=clinician, patient=second)
    for patient in (mine, mine, mine, second):
        SessionFactory(patient=patient)

    clinician_web.get(SESSIONS_URL)

    assert log_entries(actor=clinician) == [
        (mine.pk, "admin.sessions.list"),
        (second.pk, "admin.sessions.list"),
    ]


def test_sessions_list_query_count_does_not_grow_with_rows(clinician, clinician_web):
    def add_sessions(count: int) -> None:
        for _ in range(count):
            patient = PatientFactory()
            CareRelationshipFactory(clinician=clinician, patient=patient)
            session_with_sets(patient)

    add_sessions(2)
    few = count_queries(clinician_web, SESSIONS_URL)
    add_sessions(8)
    many = count_queries(clinician_web, SESSIONS_URL)

    # savepoint pair, session, user, permissions (user, group), the patient
    # filter's choices, COUNT, the page (patient and plan joined, exercise counts
    # aggregated), one access-log INSERT.
    assert few == many == 10


def test_admin_reads_of_session_logs_are_logged_too(admin_user, admin_web, mine):
    session = SessionFactory(patient=mine)

    admin_web.get(f"{SESSIONS_URL}{session.pk}/change/")

    assert log_entries(actor=admin_user) == [(mine.pk, "admin.sessions.view")]


def test_a_clinician_without_patients_sees_empty_lists(client):
    loner = ClinicianFactory()
    client.force_login(loner)
    SessionFactory()
    PlanFactory()

    for url in (PATIENTS_URL, PLANS_URL, SESSIONS_URL):
        response = client.get(url)
        assert response.status_code == 200
        assert rows(response) == []
    assert not PatientAccessLog.objects.exists()


# -- the plan page adds and ends items through the plan service (history kept) ---
@pytest.fixture
def two_weeks_old_plan(clinician, clinician_web, mine, routine):
    start = local_today(tz_name=mine.timezone) - dt.timedelta(days=14)
    clinician_web.post(
        f"{PLANS_URL}add/",
        prescribe_data(mine, routine, start_date=start.isoformat()),
    )
    return Plan.objects.get(patient=mine)


def _new_row_prefix(data: dict) -> str:
    """The prefix of the "add exercises" rows (the second formset of plan items)."""
    return next(
        key.removesuffix("-0-exercise") for key in data if key.endswith("-0-exercise")
    )


def test_an_exercise_is_added_from_today_with_its_default_dosage(
    clinician, clinician_web, two_weeks_old_plan
):
    plan = two_weeks_old_plan
    bridge = ExerciseFactory(name="Bridge", sets=2, reps=12, steps=None)
    url = f"{PLANS_URL}{plan.pk}/change/"
    data = form_data(clinician_web.get(url))
    prefix = _new_row_prefix(data)
    data[f"{prefix}-0-exercise"] = str(bridge.pk)

    response = clinician_web.post(url, data)

    assert response.status_code == 302
    item = plan.items.get(exercise=bridge)
    today = local_today(tz_name=plan.patient.timezone)
    assert (item.sets, item.reps, item.starts_on) == (2, 12, today)
    record = item.history.latest("history_id")
    assert record.history_user == clinician
    assert "added" in record.history_change_reason


def test_ticking_an_item_ends_it_from_today_and_keeps_its_past(
    clinician_web, two_weeks_old_plan
):
    plan = two_weeks_old_plan
    # The page lists the items that end today anywhere on Earth (UTC-12 is the last
    # zone to leave a day): a patient there makes "ended yesterday" gone at any hour.
    plan.patient.timezone = "Etc/GMT+12"
    plan.patient.save(update_fields=["timezone"])
    walk = plan.items.order_by("order").first()
    url = f"{PLANS_URL}{plan.pk}/change/"
    data = form_data(clinician_web.get(url))
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.endswith("-id") and value == str(walk.pk)
    )
    data[f"items-{index}-DELETE"] = "on"

    response = clinician_web.post(url, data)

    assert response.status_code == 302
    walk.refresh_from_db()  # not deleted: it was prescribed in the past weeks
    today = local_today(tz_name=plan.patient.timezone)
    assert walk.ends_on == today - dt.timedelta(days=1)
    page = clinician_web.get(url)
    current = page.context["inline_admin_formsets"][0].formset.queryset
    assert walk not in current


def test_someone_elses_private_exercise_is_not_offered(
    clinician_web, other_clinician, two_weeks_old_plan
):
    plan = two_weeks_old_plan
    theirs = ExerciseFactory(status=Status.DRAFT, private=True, author=other_clinician)
    page = clinician_web.get(f"{PLANS_URL}{plan.pk}/change/")
    add_rows = page.context["inline_admin_formsets"][1].formset
    choices = add_rows.forms[0].fields["exercise"].queryset

    assert theirs not in choices


def test_a_refused_item_changes_nothing_and_says_why(clinician_web, two_weeks_old_plan):
    plan = two_weeks_old_plan
    amountless = ExerciseFactory(name="Free form", reps=None, steps=None, seconds=None)
    url = f"{PLANS_URL}{plan.pk}/change/"
    data = form_data(clinician_web.get(url))
    data[f"{_new_row_prefix(data)}-0-exercise"] = str(amountless.pk)

    response = clinician_web.post(url, data, follow=True)

    said = [m.message for m in get_messages(response.wsgi_request)]
    assert any(m.startswith(ITEM_CHANGES_FAILED) for m in said)
    assert not any("changed successfully" in m for m in said)
    assert not PlanItem.objects.filter(plan=plan, exercise=amountless).exists()
