"""The demo patient: a login in the demo clinician's care, a plan and weeks of logs."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from io import StringIO

import pytest
from django.core.management import call_command

from sessions import demo as patient_demo
from sessions.models import Plan, Session, SessionExercise, SessionSet
from sessions.progress import local_today, progress_get
from sessions.selectors.logs import patient_sync_revision
from tests.exercises.test_demo import database_state
from users.models import CareRelationship, User

pytestmark = pytest.mark.django_db

EMAIL = "patient@rehabit.dev"


def load_demo(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def debug(settings):
    settings.DEBUG = True
    return settings


@pytest.fixture
def loaded(debug) -> str:
    return load_demo()


def demo_patient() -> User:
    return User.objects.get(email=EMAIL)


def test_demo_patient_logs_in_and_is_in_the_demo_clinicians_care(loaded):
    patient = demo_patient()

    assert patient.check_password("rehabit-patient")
    assert (patient.name, patient.role, patient.timezone) == (
        "Demo Patient",
        User.Role.PATIENT,
        "Europe/London",
    )
    assert (patient.is_staff, patient.is_superuser) == (False, False)
    clinicians = CareRelationship.objects.filter(patient=patient).values_list(
        "clinician__email", flat=True
    )
    assert list(clinicians) == ["clinician@rehabit.dev"]
    assert EMAIL in loaded
    assert "rehabit-patient" in loaded


def test_demo_plan_is_the_demo_routine_on_monday_wednesday_friday(loaded):
    plan = Plan.objects.get(patient=demo_patient())
    today = dt.datetime.now(zoneinfo.ZoneInfo("Europe/London")).date()

    assert plan.routine.slug == "glute-activation-lower-back"
    assert plan.prescribed_by.email == "clinician@rehabit.dev"
    assert plan.status == Plan.Status.ACTIVE
    assert plan.days_of_week == [1, 3, 5]
    assert plan.start_date == today - dt.timedelta(weeks=4)
    # Copied by plan_prescribe: the routine's three items, in order.
    assert [i.exercise.slug for i in plan.items.select_related("exercise")] == [
        "banded-squat",
        "lateral-band-walk",
        "forward-backward-band-walk",
    ]
    assert plan.history.count() == 1


def test_demo_sessions_cover_the_weeks_with_a_couple_missed(loaded):
    patient = demo_patient()
    plan = Plan.objects.get(patient=patient)
    sessions = list(Session.objects.filter(patient=patient).order_by("started_at"))
    today = dt.datetime.now(zoneinfo.ZoneInfo("Europe/London")).date()

    # 4 weeks of Mondays, Wednesdays and Fridays: 12 scheduled, 2 missed.
    assert len(sessions) == 10
    local_days = [
        s.started_at.astimezone(zoneinfo.ZoneInfo("Europe/London")).date()
        for s in sessions
    ]
    assert all(day.isoweekday() in (1, 3, 5) for day in local_days)
    assert plan.start_date <= local_days[0]
    assert local_days[-1] < today
    assert all(s.plan_id == plan.pk for s in sessions)
    # Uploaded through the sync service: revisions 1..10, one per upload.
    assert [s.revision for s in sessions] == list(range(1, 11))
    assert patient_sync_revision(patient_id=patient.pk) == 10
    assert all(s.upload_hash and s.ended_at > s.started_at for s in sessions)


def test_demo_pain_eases_over_the_weeks(loaded):
    sessions = list(
        Session.objects.filter(patient=demo_patient()).order_by("started_at")
    )
    first, last = sessions[:3], sessions[-3:]

    def mean(values):
        return sum(values) / len(values)

    assert mean([s.pain_after for s in last]) < mean([s.pain_after for s in first])
    assert mean([s.pain_before for s in last]) < mean([s.pain_before for s in first])
    patient = demo_patient()
    progress = progress_get(patient=patient)
    assert progress.summary.trend.direction == "improving"
    # 10 sessions over the plan's scheduled days so far, today included (on a Monday,
    # Wednesday or Friday, today is scheduled and not yet logged).
    start = Plan.objects.get(patient=patient).start_date
    today = local_today(tz_name=patient.timezone)
    scheduled = sum(
        (start + dt.timedelta(days=n)).isoweekday() in patient_demo.PLAN_DAYS
        for n in range((today - start).days + 1)
    )
    assert scheduled in (12, 13)
    assert progress.summary.adherence == round(10 / scheduled, 2)


def test_demo_sessions_have_partial_and_skipped_exercises_and_sided_walk_sets(loaded):
    entries = SessionExercise.objects.filter(session__patient=demo_patient())
    statuses = set(entries.values_list("status", flat=True))
    walk_sets = SessionSet.objects.filter(
        session_exercise__in=entries.filter(exercise__slug="lateral-band-walk")
    )

    assert statuses == {"done", "partial", "skipped"}
    assert entries.filter(status="skipped").get().sets.count() == 0
    assert set(walk_sets.values_list("side", flat=True)) == {"left", "right"}
    # Every entry points at the plan item it performs.
    assert not entries.filter(plan_item__isnull=True).exists()


def test_demo_logs_the_articles_dose_each_way_with_the_band_strength(loaded):
    """3 x 10 squats; 3 sets of 5 steps right then left; 3 of 5 forward then back."""
    entries = SessionExercise.objects.filter(
        session__patient=demo_patient(), status="done", substitution=""
    )
    first = entries.order_by("session__started_at", "order")[:3]
    shapes = [
        (
            entry.exercise.slug,
            list(entry.sets.values_list("side", "reps")),
            entry.plan_item.direction,
        )
        for entry in first
    ]

    assert shapes[1:] == [
        ("lateral-band-walk", [("right", 5), ("left", 5)] * 3, "sideways"),
        (
            "forward-backward-band-walk",
            [("forward", 5), ("backward", 5)] * 3,
            "forward_backward",
        ),
    ]
    assert shapes[0][0] == "banded-squat"
    assert [side for side, _ in shapes[0][1]] == ["both"] * 3
    assert set(SessionSet.objects.values_list("band", flat=True)) == {"light", "medium"}
    assert not SessionSet.objects.exclude(load="").exists()
    assert set(entries.values_list("difficulty", flat=True)) <= {
        "just_right",
        "too_hard",
    }
    assert not entries.filter(rpe__isnull=True).exists()


def test_the_bad_day_swaps_the_lateral_walk_for_its_short_step_regression(loaded):
    swap = SessionExercise.objects.get(
        session__patient=demo_patient(), substitution="regression"
    )

    assert swap.exercise.slug == "lateral-band-walk-short-steps"
    assert swap.plan_item.exercise.slug == "lateral-band-walk"
    assert "smaller steps" in swap.notes


def test_second_load_changes_no_row_including_history(loaded):
    before = database_state()

    output = load_demo()

    assert database_state() == before
    assert "nothing changed" in output
    assert EMAIL in output


def test_patient_with_sessions_gets_nothing_more_even_weeks_later(loaded):
    patient = demo_patient()
    Session.objects.filter(patient=patient).exclude(
        pk=Session.objects.filter(patient=patient).order_by("started_at").first().pk
    ).delete()

    load_demo()

    assert Session.objects.filter(patient=patient).count() == 1
    assert Plan.objects.filter(patient=patient).count() == 1


def test_reset_restores_the_login_but_never_rewrites_the_logs(loaded):
    patient = demo_patient()
    patient.set_password("changed")
    patient.timezone = "UTC"
    patient.save()
    CareRelationship.objects.filter(patient=patient).delete()
    Session.objects.filter(patient=patient).update(notes="edited by the patient")

    output = load_demo("--reset")

    patient.refresh_from_db()
    assert patient.check_password("rehabit-patient")
    assert patient.timezone == "Europe/London"
    assert CareRelationship.objects.filter(patient=patient).exists()
    assert Session.objects.filter(patient=patient).count() == 10
    assert set(
        Session.objects.filter(patient=patient).values_list("notes", flat=True)
    ) == {"edited by the patient"}
    assert "restored" in output
    before = database_state()
    load_demo("--reset")
    assert database_state() == before


def test_no_demo_patient_without_debug(settings):
    settings.DEBUG = False

    load_demo()

    assert not User.objects.filter(email=EMAIL).exists()
    assert not Session.objects.exists()
    assert not Plan.objects.exists()


def test_no_demo_patient_with_no_logins(debug):
    output = load_demo("--no-logins")

    assert not User.objects.exists()
    assert EMAIL not in output


def test_existing_patient_without_sessions_gets_plan_and_sessions(debug):
    User.objects.create_user(EMAIL, "own-password", name="Mine", role="patient")

    load_demo()

    patient = demo_patient()
    assert patient.check_password("own-password")  # kept: not a reset
    assert Session.objects.filter(patient=patient).count() == 10
    assert Plan.objects.filter(patient=patient).count() == 1


def test_demo_patient_is_idle_when_the_clinician_is_missing(debug):
    report = patient_demo.DemoReport()

    patient_demo.demo_patient_load(report=report, logins=True, reset=False)

    assert not User.objects.filter(email=EMAIL).exists()
    assert report.logins_note == patient_demo.NO_CLINICIAN
