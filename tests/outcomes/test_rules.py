"""The alert rules as pure functions: thresholds, cause keys, messages."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from outcomes import rules

LIMITS = rules.Thresholds()
SESSION = uuid.UUID("0f6d7c1a-2b3c-4d5e-8f90-a1b2c3d4e5f6")


@pytest.mark.parametrize(
    ("before", "after", "fires"),
    [
        (3, 5, True),  # rise of 2
        (3, 4, False),  # rise of 1
        (0, 7, True),  # 7 or more whatever the rise
        (7, 7, True),
        (8, 6, False),  # falling
        (None, 6, False),  # no before: only the absolute threshold applies
        (None, 7, True),
        (5, None, False),  # no after: nothing to judge
    ],
)
def test_pain_flare_thresholds(before, after, fires):
    finding = rules.pain_flare(
        session_id=SESSION, pain_before=before, pain_after=after, limits=LIMITS
    )

    assert (finding is not None) is fires
    if fires:
        assert finding.key == f"pain_flare:{SESSION}"
        assert finding.evidence == {"pain_before": before, "pain_after": after}


def test_pain_flare_message_names_both_scores():
    finding = rules.pain_flare(
        session_id=SESSION, pain_before=3, pain_after=8, limits=LIMITS
    )

    assert finding.message == "Pain flare: 3/10 before the session, 8/10 after."


def test_pain_flare_thresholds_come_from_the_limits():
    strict = rules.Thresholds(flare_rise=4, flare_pain=9)

    assert (
        rules.pain_flare(session_id=SESSION, pain_before=3, pain_after=6, limits=strict)
        is None
    )
    assert rules.pain_flare(
        session_id=SESSION, pain_before=3, pain_after=7, limits=strict
    )


def test_pain_during_reports_the_worst_exercise():
    finding = rules.pain_during(
        session_id=SESSION,
        exercises=[("Clamshell", 7), ("Bridge", 9), ("Band walk", None), ("Squat", 3)],
        limits=LIMITS,
    )

    assert finding.key == f"pain_during:{SESSION}"
    assert finding.message == "High pain during Bridge: 9/10 (and 1 more)."
    assert finding.evidence == {
        "exercises": [
            {"exercise": "Clamshell", "pain_during": 7},
            {"exercise": "Bridge", "pain_during": 9},
        ]
    }


def test_pain_during_below_the_threshold_is_quiet():
    assert (
        rules.pain_during(
            session_id=SESSION,
            exercises=[("Bridge", 6), ("Clamshell", None)],
            limits=LIMITS,
        )
        is None
    )


START = dt.datetime(2026, 11, 16, 8, 0, tzinfo=dt.UTC)  # a Monday


def points(*values: int, every_days: float = 3) -> list[tuple[dt.datetime, int]]:
    return [
        (START + dt.timedelta(days=index * every_days), value)
        for index, value in enumerate(values)
    ]


def test_slope_is_in_points_per_week():
    assert rules.slope_per_week(points(1, 2, 3, every_days=7)) == pytest.approx(1.0)
    assert rules.slope_per_week(points(4, 4, 4)) == pytest.approx(0.0)


def test_pain_trend_fires_on_a_steady_rise_and_names_the_week():
    finding = rules.pain_trend(points=points(2, 3, 4, 5, 6), limits=LIMITS)

    # 1 point every 3 days: 2.33 points a week.
    assert finding.key == "pain_trend:2026-W48"
    assert finding.evidence == {
        "slope_per_week": 2.33,
        "sessions": 5,
        "first_pain_after": 2,
        "last_pain_after": 6,
    }


@pytest.mark.parametrize(
    "series",
    [
        points(2, 3, 4),  # too few sessions
        points(2, 3, 4, 6, every_days=1),  # spans 3 days, less than a week
        points(3, 3, 4, 3, 4),  # a slope under 1 point a week
        points(6, 5, 4, 3),  # improving
    ],
)
def test_pain_trend_needs_enough_sessions_a_week_and_a_real_rise(series):
    assert rules.pain_trend(points=series, limits=LIMITS) is None


def test_inactivity_fires_after_the_configured_days_keyed_by_the_gap_start():
    plan = uuid.UUID("2e4c6a8b-1d3f-4a5b-9c7d-0e1f2a3b4c5d")
    since = dt.date(2026, 11, 20)

    quiet = rules.inactivity(
        plan_id=plan,
        plan_title="Back",
        since=since,
        today=dt.date(2026, 11, 26),
        limits=LIMITS,
    )
    finding = rules.inactivity(
        plan_id=plan,
        plan_title="Back",
        since=since,
        today=dt.date(2026, 11, 27),
        limits=LIMITS,
    )

    assert quiet is None
    assert finding.key == f"inactivity:{plan}:2026-11-20"
    assert finding.message == "No session for 7 days on the active plan “Back”."


def test_thresholds_are_read_from_settings(settings):
    settings.OUTCOMES_ALERTS = {**settings.OUTCOMES_ALERTS, "FLARE_PAIN": 9}

    assert rules.Thresholds.from_settings().flare_pain == 9


EXERCISE = uuid.UUID("5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d")


def too_hard(marks, limits=LIMITS):
    return rules.too_hard(
        session_id=SESSION,
        exercise_id=EXERCISE,
        exercise_name="Clamshell",
        started_at=dt.datetime(2026, 11, 30, 7, 30, tzinfo=dt.UTC),
        marks=marks,
        limits=limits,
    )


@pytest.mark.parametrize(
    ("marks", "fires"),
    [
        ([True, True], True),  # 2 of the last 2
        ([True, False, True], True),  # 2 of the last 3
        ([True, False, False, True], False),  # the 4th is outside the window
        ([True], False),
        ([True, False, False], False),
        ([], False),
    ],
)
def test_too_hard_counts_marks_in_the_last_sessions(marks, fires):
    assert (too_hard(marks) is not None) is fires


def test_too_hard_names_the_exercise_and_keys_by_exercise_and_session():
    finding = too_hard([True, False, True])

    assert finding.kind == "too_hard"
    assert finding.key == f"too_hard:{EXERCISE}:{SESSION}"
    assert finding.message == (
        "Clamshell marked too hard in 2 of the last 3 sessions that included it."
    )
    assert finding.evidence == {
        "exercise": "Clamshell",
        "exercise_id": str(EXERCISE),
        "too_hard": 2,
        "sessions": 3,
        "started_at": "2026-11-30T07:30:00+00:00",
    }


def test_too_hard_thresholds_come_from_the_limits():
    strict = rules.Thresholds(too_hard_count=3, too_hard_sessions=5)

    assert too_hard([True, True, False, False], strict) is None
    assert too_hard([True, True, False, False, True], strict) is not None


def test_too_hard_thresholds_are_read_from_settings(settings):
    settings.OUTCOMES_ALERTS = {
        **settings.OUTCOMES_ALERTS,
        "TOO_HARD_COUNT": 4,
        "TOO_HARD_SESSIONS": 6,
    }

    limits = rules.Thresholds.from_settings()

    assert (limits.too_hard_count, limits.too_hard_sessions) == (4, 6)
