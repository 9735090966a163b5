"""The repeated "too hard" rule on uploads: once per run of marks, after the commit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from outcomes.models import Alert, AlertKind
from outcomes.services.alerts import alert_resolve, alerts_session_rules_run
from tests.factories import ExerciseFactory, PlanItemFactory
from tests.outcomes.conftest import session_body

pytestmark = pytest.mark.django_db


def calm_session(plan, days_ago: int, difficulty: str = "too_hard", **kwargs):
    """A calm session (no flare) days_ago, its exercise marked ``difficulty``."""
    started = (timezone.now() - dt.timedelta(days=days_ago)).replace(microsecond=0)
    body = session_body(plan, pain_before=2, pain_after=2, started=started, **kwargs)
    body["exercises"][0]["difficulty"] = difficulty
    return body


def too_hard_alerts():
    return list(Alert.objects.filter(kind=AlertKind.TOO_HARD))


def test_the_second_too_hard_in_three_sessions_raises_one_alert(plan, upload):
    assert upload(calm_session(plan, 5)).status_code == 201
    assert too_hard_alerts() == []
    assert upload(calm_session(plan, 4, "just_right")).status_code == 201
    third = calm_session(plan, 3)

    assert upload(third).status_code == 201

    [alert] = too_hard_alerts()
    assert str(alert.session_id) == third["id"]
    assert alert.plan == plan
    assert alert.message == (
        "Clamshell marked too hard in 2 of the last 3 sessions that included it."
    )
    assert (alert.evidence["too_hard"], alert.evidence["sessions"]) == (2, 3)


def test_a_retried_upload_raises_no_second_alert(plan, upload):
    upload(calm_session(plan, 4))
    body = calm_session(plan, 3)

    first, retry = upload(body), upload(body)

    assert (first.status_code, retry.status_code) == (201, 200)
    assert len(too_hard_alerts()) == 1
    assert alerts_session_rules_run(session_id=body["id"]) == []
    assert len(too_hard_alerts()) == 1


def test_no_second_alert_while_unresolved_then_a_fresh_run(plan, upload, clinician):
    upload(calm_session(plan, 7))
    upload(calm_session(plan, 6))  # the alert
    upload(calm_session(plan, 5))
    upload(calm_session(plan, 4))  # a second run, but the first alert is open
    assert len(too_hard_alerts()) == 1

    alert_resolve(alert=too_hard_alerts()[0], by=clinician)
    upload(calm_session(plan, 3))  # counts only marks after the alert's session: 3
    assert len(too_hard_alerts()) == 2
    alert_resolve(alert=Alert.objects.filter(status="open").get(), by=clinician)
    upload(calm_session(plan, 2))  # one mark since the last alert: not yet
    assert len(too_hard_alerts()) == 2
    upload(calm_session(plan, 1))

    assert len(too_hard_alerts()) == 3


def test_marks_spread_beyond_the_window_raise_nothing(plan, upload):
    upload(calm_session(plan, 6))
    upload(calm_session(plan, 5, "just_right"))
    upload(calm_session(plan, 4, "too_easy"))
    upload(calm_session(plan, 3))

    assert too_hard_alerts() == []


def test_each_exercise_is_counted_on_its_own(plan, upload):
    other = PlanItemFactory(plan=plan, exercise=ExerciseFactory(name="Bridge"))
    first = calm_session(plan, 4)
    second = calm_session(plan, 3, "just_right")
    second["exercises"].append(
        {
            "exercise": str(other.exercise_id),
            "plan_item": other.pk,
            "status": "done",
            "difficulty": "too_hard",
            "sets": [{"side": "both", "reps": 10}],
        }
    )

    upload(first)
    upload(second)

    assert too_hard_alerts() == []


def test_thresholds_come_from_settings(plan, upload, settings):
    settings.OUTCOMES_ALERTS = {**settings.OUTCOMES_ALERTS, "TOO_HARD_COUNT": 3}
    upload(calm_session(plan, 4))
    upload(calm_session(plan, 3))
    assert too_hard_alerts() == []

    upload(calm_session(plan, 2))

    assert len(too_hard_alerts()) == 1


def test_deleted_sessions_do_not_count(plan, upload, patient):
    from tests.conftest import client_for

    first = calm_session(plan, 4)
    upload(first)
    session = client_for(patient).get(f"/api/v1/sessions/{first['id']}/")
    deleted = client_for(patient).delete(
        f"/api/v1/sessions/{first['id']}/", HTTP_IF_MATCH=session["ETag"]
    )
    assert deleted.status_code == 204

    upload(calm_session(plan, 3))

    assert too_hard_alerts() == []
