"""Progress: weekly done vs scheduled and pain, in the patient's time zone, on known data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions.models import Plan
from sessions.progress import (
    RANGE_REVERSED,
    RANGE_TOO_LONG,
    Direction,
    compute_progress,
    pain_trend,
    progress_get,
    progress_range,
)
from tests.conftest import client_for
from tests.factories import (
    CareRelationshipFactory,
    ClinicianFactory,
    ExerciseFactory,
    PatientFactory,
    PlanFactory,
    PlanItemFactory,
    SessionExerciseFactory,
    SessionFactory,
    SessionSetFactory,
)
from users.models import PatientAccessLog

URL = reverse("api:sessions-api:progress")
UTC = dt.UTC
# "Now" for service tests: Friday 2026-11-20, after the two weeks under test.
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WEEK1 = dt.date(2026, 11, 2)  # Monday
WEEK2 = dt.date(2026, 11, 9)  # Monday
FROM, TO = WEEK1, dt.date(2026, 11, 15)  # Sunday


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def history_at(plan: Plan, when: dt.datetime) -> None:
    """Date the plan's latest history row (simple-history stamps the real clock)."""
    record = plan.history.order_by("-history_date", "-history_id").first()
    plan.history.filter(history_id=record.history_id).update(history_date=when)


def set_status(plan: Plan, status: str, when: dt.datetime) -> None:
    plan.status = status
    plan.save()
    history_at(plan, when)


@pytest.fixture
def berliner(db):
    return PatientFactory(timezone="Europe/Berlin")


@pytest.fixture
def known_weeks(berliner):
    """Two weeks of a Mon/Wed/Fri plan and sessions around midnight (Berlin is UTC+1).

    Week of Nov 2: three sessions (one on Sunday 23:30 UTC Nov 1 = Monday 00:30 in
    Berlin, one without pain), pain before 6 and 6, after 5 and 4.
    Week of Nov 9: two sessions (one on Sunday 23:30 UTC Nov 8 = Monday 00:30 in
    Berlin), pain before 4 and 5, after 3 and 2. Excluded: a deleted session, and one
    on Sunday 23:30 UTC Nov 15 (= Monday Nov 16 in Berlin, after the range).
    """
    PlanFactory(
        patient=berliner, start_date=dt.date(2026, 10, 1), days_of_week=[1, 3, 5]
    )
    make = SessionFactory
    make(
        patient=berliner,
        started_at=utc(2026, 11, 1, 23, 30),
        pain_before=6,
        pain_after=5,
    )
    make(
        patient=berliner, started_at=utc(2026, 11, 2, 8, 0), pain_before=6, pain_after=4
    )
    make(
        patient=berliner,
        started_at=utc(2026, 11, 8, 22, 30),
        pain_before=None,
        pain_after=None,
    )
    make(
        patient=berliner,
        started_at=utc(2026, 11, 8, 23, 30),
        pain_before=4,
        pain_after=3,
    )
    make(
        patient=berliner,
        started_at=utc(2026, 11, 11, 10, 0),
        pain_before=5,
        pain_after=2,
    )
    make(
        patient=berliner,
        started_at=utc(2026, 11, 12, 10, 0),
        pain_before=9,
        pain_after=9,
        deleted_at=utc(2026, 11, 12, 11, 0),
    )
    make(
        patient=berliner,
        started_at=utc(2026, 11, 15, 23, 30),
        pain_before=9,
        pain_after=9,
    )
    return berliner


def weeks_as_tuples(progress) -> list[tuple]:
    return [
        (
            w.week_start,
            w.sessions_done,
            w.sessions_scheduled,
            w.adherence,
            w.pain_before_avg,
            w.pain_after_avg,
            w.sessions_with_pain,
        )
        for w in progress.weeks
    ]


# ---------------------------------------------------------------------------
# Service: known data
# ---------------------------------------------------------------------------
def test_progress_groups_by_iso_week_in_the_patients_time_zone(known_weeks):
    progress = progress_get(patient=known_weeks, date_from=FROM, date_to=TO, now=NOW)

    assert weeks_as_tuples(progress) == [
        (WEEK1, 3, 3, 1.0, 6.0, 4.5, 2),
        (WEEK2, 2, 3, 0.67, 4.5, 2.5, 2),
    ]
    summary = progress.summary
    assert (summary.sessions_done, summary.sessions_scheduled, summary.adherence) == (
        5,
        6,
        0.83,
    )
    assert (summary.pain_before_avg, summary.pain_after_avg) == (5.25, 3.5)
    assert summary.trend.pain_after_change_per_week == -2.0
    assert summary.trend.direction == Direction.IMPROVING
    assert (progress.date_from, progress.date_to, progress.timezone) == (
        FROM,
        TO,
        "Europe/Berlin",
    )


def test_the_same_sessions_fall_in_other_weeks_for_a_utc_patient(known_weeks):
    known_weeks.timezone = "UTC"
    known_weeks.save()

    progress = progress_get(patient=known_weeks, date_from=FROM, date_to=TO, now=NOW)

    # In UTC, Nov 1 23:30 is before the range, Nov 8 23:30 is in the first week and
    # Nov 15 23:30 is the last day of the second week.
    assert [(w.week_start, w.sessions_done) for w in progress.weeks] == [
        (WEEK1, 3),
        (WEEK2, 2),
    ]
    assert [w.pain_after_avg for w in progress.weeks] == [3.5, 5.5]


def test_sunday_night_utc_is_next_monday_in_berlin_summer_time(berliner):
    PlanFactory(patient=berliner, start_date=dt.date(2026, 6, 1), days_of_week=[1])
    # Sunday 2026-06-14 23:30 UTC is Monday 2026-06-15 01:30 in Berlin (UTC+2).
    SessionFactory(patient=berliner, started_at=utc(2026, 6, 14, 23, 30), pain_after=3)

    progress = progress_get(
        patient=berliner,
        date_from=dt.date(2026, 6, 8),
        date_to=dt.date(2026, 6, 21),
        now=NOW,
    )

    assert [
        (w.week_start, w.sessions_done, w.sessions_scheduled) for w in progress.weeks
    ] == [
        (dt.date(2026, 6, 8), 0, 1),
        (dt.date(2026, 6, 15), 1, 1),
    ]


def test_adherence_is_not_capped_and_null_without_a_schedule(berliner):
    for day in (2, 3, 4, 5):
        SessionFactory(patient=berliner, started_at=utc(2026, 11, day, 9, 0))

    no_plan = progress_get(patient=berliner, date_from=FROM, date_to=TO, now=NOW)
    PlanFactory(patient=berliner, start_date=WEEK1, days_of_week=[1, 4])
    with_plan = progress_get(patient=berliner, date_from=FROM, date_to=TO, now=NOW)

    assert (no_plan.weeks[0].sessions_scheduled, no_plan.weeks[0].adherence) == (
        0,
        None,
    )
    assert no_plan.summary.adherence is None
    assert (with_plan.weeks[0].sessions_done, with_plan.weeks[0].adherence) == (4, 2.0)
    assert with_plan.summary.adherence == 1.0  # 4 done / (2 + 2) scheduled


def test_times_per_week_is_prorated_over_the_days_in_range(berliner):
    # Starts on Wednesday: 5 days of the first week -> 3 * 5 / 7 = 2.14 -> 2.
    PlanFactory(
        patient=berliner,
        start_date=dt.date(2026, 11, 4),
        days_of_week=[],
        times_per_week=3,
    )

    progress = progress_get(patient=berliner, date_from=FROM, date_to=TO, now=NOW)
    partial = progress_get(
        patient=berliner, date_from=dt.date(2026, 11, 12), date_to=TO, now=NOW
    )

    assert [w.sessions_scheduled for w in progress.weeks] == [2, 3]
    # Thursday to Sunday: 3 * 4 / 7 = 1.71 -> 2.
    assert [w.sessions_scheduled for w in partial.weeks] == [2]


def test_schedule_respects_start_and_end_dates(berliner):
    PlanFactory(
        patient=berliner,
        start_date=dt.date(2026, 11, 4),
        end_date=dt.date(2026, 11, 10),
        days_of_week=[1, 2, 3, 4, 5, 6, 7],
    )

    progress = progress_get(patient=berliner, date_from=FROM, date_to=TO, now=NOW)

    assert [w.sessions_scheduled for w in progress.weeks] == [5, 2]


def test_nothing_is_scheduled_after_today(berliner):
    PlanFactory(patient=berliner, start_date=WEEK1, days_of_week=[1, 2, 3, 4, 5, 6, 7])
    wednesday_noon = utc(2026, 11, 11, 12, 0)

    progress = progress_get(
        patient=berliner, date_from=FROM, date_to=TO, now=wednesday_noon
    )

    assert [w.sessions_scheduled for w in progress.weeks] == [7, 3]


def test_paused_days_are_not_scheduled(berliner):
    plan = PlanFactory(
        patient=berliner, start_date=WEEK1, days_of_week=[1, 2, 3, 4, 5, 6, 7]
    )
    history_at(plan, utc(2026, 10, 1, 9, 0))
    # Paused on Wednesday (Berlin 11:00), resumed on Friday (Berlin 09:00): the plan
    # as it stood at the end of Wed and Thu was paused.
    set_status(plan, Plan.Status.PAUSED, utc(2026, 11, 4, 10, 0))
    set_status(plan, Plan.Status.ACTIVE, utc(2026, 11, 6, 8, 0))

    progress = progress_get(patient=berliner, date_from=FROM, date_to=TO, now=NOW)

    assert [w.sessions_scheduled for w in progress.weeks] == [5, 7]


def test_an_ended_plan_stops_scheduling_from_the_day_it_ended(berliner):
    plan = PlanFactory(patient=berliner, start_date=WEEK1, days_of_week=[1, 3, 5])
    history_at(plan, utc(2026, 10, 1, 9, 0))
    set_status(plan, Plan.Status.ENDED, utc(2026, 11, 9, 12, 0))

    progress = progress_get(patient=berliner, date_from=FROM, date_to=TO, now=NOW)

    assert [w.sessions_scheduled for w in progress.weeks] == [3, 0]


def test_schedule_changes_do_not_rewrite_past_weeks(berliner):
    plan = PlanFactory(patient=berliner, start_date=WEEK1, days_of_week=[1, 3, 5])
    history_at(plan, utc(2026, 10, 1, 9, 0))
    plan.days_of_week = [2]
    plan.save()
    history_at(plan, utc(2026, 11, 8, 12, 0))

    progress = progress_get(patient=berliner, date_from=FROM, date_to=TO, now=NOW)

    assert [w.sessions_scheduled for w in progress.weeks] == [3, 1]


def test_several_plans_add_up(berliner):
    PlanFactory(patient=berliner, start_date=WEEK1, days_of_week=[1, 3, 5])
    PlanFactory(patient=berliner, start_date=WEEK1, days_of_week=[], times_per_week=2)

    progress = progress_get(patient=berliner, date_from=FROM, date_to=TO, now=NOW)

    assert [w.sessions_scheduled for w in progress.weeks] == [5, 5]


def test_compute_progress_uses_the_current_state_of_plans_without_history():
    from sessions.schedules import PlanState, PlanTimeline

    timeline = PlanTimeline(
        states=[PlanState(None, "active", WEEK1, None, frozenset({1}), None)]
    )

    weeks, summary = compute_progress(
        tz_name="UTC",
        date_from=FROM,
        date_to=TO,
        today=TO,
        timelines=[timeline],
        sessions=[(utc(2026, 11, 3, 9, 0), None, 1, True)],
    )

    assert [(w.sessions_done, w.sessions_scheduled) for w in weeks] == [(1, 1), (0, 1)]
    assert summary.trend.direction == Direction.INSUFFICIENT_DATA


@pytest.mark.parametrize(
    ("points", "slope", "direction"),
    [
        ([(0, 5.0), (1, 4.0), (2, 4.0)], -0.5, Direction.IMPROVING),
        ([(0, 2.0), (3, 3.5)], 0.5, Direction.WORSENING),
        ([(0, 3.0), (1, 3.2), (2, 3.0)], 0.0, Direction.STABLE),
        ([(0, 3.0), (1, 3.2)], 0.2, Direction.STABLE),
        ([(4, 3.0)], None, Direction.INSUFFICIENT_DATA),
        ([], None, Direction.INSUFFICIENT_DATA),
    ],
)
def test_pain_trend_is_the_least_squares_slope(points, slope, direction):
    trend = pain_trend(points)

    assert (trend.pain_after_change_per_week, trend.direction) == (slope, direction)


def test_default_range_is_eight_weeks_up_to_today():
    today = dt.date(2026, 11, 19)  # Thursday

    assert progress_range(date_from=None, date_to=None, today=today) == (
        dt.date(2026, 9, 28),
        today,
    )


# ---------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------
def test_patient_reads_own_progress(known_weeks):
    response = client_for(known_weeks).get(
        URL, {"from": "2026-11-02", "to": "2026-11-15"}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"], body["timezone"]) == (
        "2026-11-02",
        "2026-11-15",
        "Europe/Berlin",
    )
    assert body["weeks"] == [
        {
            "week_start": "2026-11-02",
            "sessions_done": 3,
            "sessions_scheduled": 3,
            "adherence": 1.0,
            "pain_before_avg": 6.0,
            "pain_after_avg": 4.5,
            "sessions_with_pain": 2,
        },
        {
            "week_start": "2026-11-09",
            "sessions_done": 2,
            "sessions_scheduled": 3,
            "adherence": 0.67,
            "pain_before_avg": 4.5,
            "pain_after_avg": 2.5,
            "sessions_with_pain": 2,
        },
    ]
    assert body["summary"] == {
        "sessions_done": 5,
        "sessions_scheduled": 6,
        "adherence": 0.83,
        "pain_before_avg": 5.25,
        "pain_after_avg": 3.5,
        "trend": {"pain_after_change_per_week": -2.0, "direction": "improving"},
    }
    assert not PatientAccessLog.objects.exists()


def test_default_range_has_eight_weekly_rows(patient_client):
    response = patient_client.get(URL)

    assert response.status_code == 200
    weeks = response.json()["weeks"]
    assert len(weeks) == 8
    today = timezone.now().date()  # the patient fixture is in UTC
    assert weeks[-1]["week_start"] == str(today - dt.timedelta(days=today.weekday()))
    assert response.json()["to"] == str(today)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"from": "2026-13-01"}, "from", None),
        ({"to": "yesterday"}, "to", None),
        ({"from": "2026-11-10", "to": "2026-11-09"}, "to", RANGE_REVERSED),
        ({"from": "2025-01-01", "to": "2026-01-03"}, "to", RANGE_TOO_LONG),
        ({"patient": "nope"}, "patient", None),
    ],
)
def test_bad_range_is_a_400(patient_client, query, field, message):
    response = patient_client.get(URL, query)

    assert response.status_code == 400
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert field in errors
    if message:
        assert errors[field] == message


def test_a_366_day_range_is_accepted(patient_client):
    response = patient_client.get(URL, {"from": "2025-01-01", "to": "2026-01-02"})

    assert response.status_code == 200


def test_clinician_reads_their_patients_progress_and_it_is_logged(known_weeks):
    clinician = ClinicianFactory()
    CareRelationshipFactory(clinician=clinician, patient=known_weeks)

    response = client_for(clinician).get(
        URL, {"patient": str(known_weeks.pk), "from": "2026-11-02", "to": "2026-11-15"}
    )

    assert response.status_code == 200
    assert response.json()["summary"]["sessions_done"] == 5
    log = PatientAccessLog.objects.get()
    assert (log.actor, log.patient, log.action) == (
        clinician,
        known_weeks,
        "progress.retrieve",
    )


def test_clinician_must_name_the_patient(clinician_client):
    response = clinician_client.get(URL)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "patient"


def test_clinician_gets_404_for_a_patient_outside_their_care(clinician_client, patient):
    response = clinician_client.get(URL, {"patient": str(patient.pk)})

    assert response.status_code == 404
    assert not PatientAccessLog.objects.exists()


def test_patient_gets_404_for_another_patients_progress(patient_client, other_patient):
    response = patient_client.get(URL, {"patient": str(other_patient.pk)})

    assert response.status_code == 404


def test_admin_reads_any_patients_progress(admin_client_api, patient):
    response = admin_client_api.get(URL, {"patient": str(patient.pk)})

    assert response.status_code == 200
    assert response.json()["patient"] == str(patient.pk)


def test_anonymous_gets_401(db, api_client):
    assert api_client.get(URL).status_code == 401


@pytest.mark.parametrize("count", [2, 20])
def test_progress_query_count_is_fixed(
    clinician_client, clinician, patient, count, django_assert_num_queries
):
    CareRelationshipFactory(clinician=clinician, patient=patient)
    plan = PlanFactory(patient=patient, start_date=dt.date(2026, 9, 1))
    PlanFactory(
        patient=patient,
        start_date=dt.date(2026, 9, 1),
        days_of_week=[],
        times_per_week=2,
    )
    items = [PlanItemFactory(plan=plan), PlanItemFactory(plan=plan)]
    for n in range(count):
        session = SessionFactory(
            patient=patient,
            plan=plan,
            started_at=utc(2026, 10, 1, 9, 0) + dt.timedelta(days=n),
        )
        for item in items:
            entry = SessionExerciseFactory(
                session=session, exercise=item.exercise, plan_item=item
            )
            SessionSetFactory(session_exercise=entry)

    # patient lookup + plans + plan history + sessions + plan items + their entries
    # + their sets + access-log insert + outcome measures (outcomes.selectors.proms);
    # outside ATOMIC_REQUESTS: no savepoint
    with django_assert_num_queries(9):
        response = clinician_client.get(
            URL, {"patient": str(patient.pk), "from": "2026-09-28", "to": "2026-11-01"}
        )

    assert response.json()["summary"]["sessions_done"] == count


# ---------------------------------------------------------------------------
# Adherence counts only sessions with work done; per plan item sets
# ---------------------------------------------------------------------------
def _entry(session, item, status, sides=()):
    entry = SessionExerciseFactory(
        session=session, exercise=item.exercise, plan_item=item, status=status
    )
    for side, completed in sides:
        SessionSetFactory(session_exercise=entry, side=side, completed=completed)
    return entry


def test_a_session_with_every_exercise_skipped_is_not_done(berliner):
    plan = PlanFactory(
        patient=berliner, start_date=dt.date(2026, 10, 1), days_of_week=[1, 3, 5]
    )
    item = PlanItemFactory(plan=plan)
    skipped = SessionFactory(
        patient=berliner, plan=plan, started_at=utc(2026, 11, 2, 9)
    )
    _entry(skipped, item, "skipped")
    partial = SessionFactory(
        patient=berliner, plan=plan, started_at=utc(2026, 11, 4, 9)
    )
    _entry(partial, item, "skipped")
    _entry(partial, item, "partial", [("both", True)])
    # A session that lists no exercises (an older client's whole-session log) counts.
    SessionFactory(patient=berliner, plan=plan, started_at=utc(2026, 11, 6, 9))

    progress = progress_get(patient=berliner, date_from=FROM, date_to=TO, now=NOW)

    assert [w.sessions_done for w in progress.weeks] == [2, 0]
    # Pain is still averaged over every session (the skipped one recorded pain too).
    assert progress.weeks[0].sessions_with_pain == 3


def test_item_adherence_counts_sets_per_side_and_direction(berliner):
    """Sets done / prescribed per week; one set of a walk is one row each way."""
    plan = PlanFactory(
        patient=berliner, start_date=dt.date(2026, 10, 1), days_of_week=[1, 3, 5]
    )
    squat = PlanItemFactory(plan=plan, sets=3, reps=10)
    walk = PlanItemFactory(
        plan=plan, sets=3, reps=None, steps=5, direction="forward_backward"
    )
    monday = SessionFactory(patient=berliner, plan=plan, started_at=utc(2026, 11, 2, 9))
    _entry(monday, squat, "done", [("both", True)] * 3)
    _entry(
        monday,
        walk,
        "partial",
        [("forward", True), ("backward", True)] * 2
        + [("forward", True), ("backward", False)],
    )
    # Done without set detail: the prescribed sets; skipped: none.
    wednesday = SessionFactory(
        patient=berliner, plan=plan, started_at=utc(2026, 11, 4, 9)
    )
    _entry(wednesday, squat, "done")
    _entry(wednesday, walk, "skipped")
    # Week 2: one session, walk logged as left/right rows by an older client.
    friday = SessionFactory(
        patient=berliner, plan=plan, started_at=utc(2026, 11, 13, 9)
    )
    _entry(friday, walk, "done", [("right", True), ("left", True)] * 3)
    # A deleted session never counts.
    gone = SessionFactory(
        patient=berliner,
        plan=plan,
        started_at=utc(2026, 11, 9, 9),
        deleted_at=utc(2026, 11, 9, 10),
    )
    _entry(gone, squat, "done", [("both", True)] * 3)

    progress = progress_get(patient=berliner, date_from=FROM, date_to=TO, now=NOW)

    rows = {item.plan_item_id: item for item in progress.items}
    assert [(w.sets_done, w.sets_prescribed) for w in rows[squat.pk].weeks] == [
        (6, 9),
        (0, 9),
    ]
    assert [(w.sets_done, w.sets_prescribed) for w in rows[walk.pk].weeks] == [
        (2, 9),
        (3, 9),
    ]
    assert rows[walk.pk].sets_done == 5
    assert rows[walk.pk].adherence == round(5 / 18, 2)
    assert rows[squat.pk].weeks[0].adherence == 0.67


def test_a_swap_counts_toward_its_plan_item(berliner):
    plan = PlanFactory(
        patient=berliner, start_date=dt.date(2026, 10, 1), days_of_week=[1]
    )
    item = PlanItemFactory(plan=plan, sets=2)
    easier = ExerciseFactory()
    session = SessionFactory(
        patient=berliner, plan=plan, started_at=utc(2026, 11, 2, 9)
    )
    entry = SessionExerciseFactory(
        session=session,
        exercise=easier,
        plan_item=item,
        substitution="regression",
        status="done",
    )
    SessionSetFactory(session_exercise=entry)
    SessionSetFactory(session_exercise=entry)

    progress = progress_get(patient=berliner, date_from=FROM, date_to=TO, now=NOW)

    assert [(w.sets_done, w.sets_prescribed) for w in progress.items[0].weeks] == [
        (2, 2),
        (0, 2),
    ]
