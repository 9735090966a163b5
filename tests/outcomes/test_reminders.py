"""me/today/ and the calendar feed (RFC 5545, checked by parsing it with icalendar)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import icalendar
import pytest
from django.utils import timezone

from outcomes.models import CalendarFeed, QuestionnaireAssignment
from outcomes.selectors.reminders import today_get
from tests.conftest import client_for
from tests.factories import PlanFactory, SessionFactory
from tests.factories.outcomes import shipped

pytestmark = pytest.mark.django_db

TODAY_URL = "/api/v1/me/today/"
CALENDAR_URL = "/api/v1/me/calendar/"
ROTATE_URL = "/api/v1/me/calendar/rotate/"
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
# Wednesday 2 December 2026, 10:00 in Berlin.
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=BERLIN)


@pytest.fixture
def berliner(patient):
    patient.timezone = "Europe/Berlin"
    patient.save()
    return patient


def test_today_lists_plans_sessions_and_questionnaires(berliner):
    fixed = PlanFactory(
        patient=berliner,
        title="Back",
        start_date=dt.date(2026, 11, 2),
        days_of_week=[1, 3, 5],
    )
    flexible = PlanFactory(
        patient=berliner,
        title="Walks",
        start_date=dt.date(2026, 11, 2),
        days_of_week=[],
        times_per_week=2,
    )
    resting = PlanFactory(
        patient=berliner,
        title="Hips",
        start_date=dt.date(2026, 11, 2),
        days_of_week=[2],
    )
    PlanFactory(patient=berliner, status="paused", start_date=dt.date(2026, 11, 2))
    # 00:30 in Berlin on Wednesday is 23:30 UTC on Tuesday: it counts as today.
    done = SessionFactory(
        patient=berliner,
        plan=fixed,
        started_at=dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC),
    )
    SessionFactory(
        patient=berliner,
        plan=flexible,
        started_at=dt.datetime(2026, 11, 30, 9, tzinfo=BERLIN),
    )
    SessionFactory(
        patient=berliner,
        plan=flexible,
        started_at=dt.datetime(2026, 11, 29, 9, tzinfo=BERLIN),
    )
    QuestionnaireAssignment.objects.create(
        plan=fixed,
        questionnaire=shipped("nprs"),
        start_date=dt.date(2026, 11, 2),
        every_weeks=4,
    )

    day = today_get(patient=berliner, now=NOW)

    assert day.date == dt.date(2026, 12, 2)
    status = {
        entry.plan.title: (entry.status, entry.done_today, entry.done_this_week)
        for entry in day.plans
    }
    assert status == {
        "Back": ("done", 1, 1),
        "Walks": ("due", 0, 1),  # Sunday's session was last week
        "Hips": ("rest", 0, 0),
    }
    assert [session.pk for session in day.sessions] == [done.pk]
    assert [(due.occurrence, due.due_date) for due in day.questionnaires] == [
        (1, dt.date(2026, 11, 30))
    ]
    assert resting.pk in {entry.plan.pk for entry in day.plans}


def test_today_over_http(berliner):
    PlanFactory(
        patient=berliner, start_date=timezone.localdate() - dt.timedelta(days=3)
    )

    body = client_for(berliner).get(TODAY_URL).json()

    assert body["timezone"] == "Europe/Berlin"
    assert [plan["status"] in {"due", "rest", "done"} for plan in body["plans"]] == [
        True
    ]
    assert body["sessions"] == []
    assert body["questionnaires"] == []


@pytest.mark.parametrize("who", ["clinician", "admin_user"])
def test_today_and_the_calendar_are_for_patients(request, who):
    client = client_for(request.getfixturevalue(who))

    assert client.get(TODAY_URL).status_code == 403
    assert client.get(CALENDAR_URL).status_code == 403
    assert client.post(ROTATE_URL).status_code == 403


def test_today_query_count(berliner, django_assert_num_queries):
    for _ in range(3):
        plan = PlanFactory(patient=berliner, start_date=dt.date(2026, 1, 5))
        SessionFactory(patient=berliner, plan=plan, started_at=timezone.now())
        QuestionnaireAssignment.objects.create(
            plan=plan, questionnaire=shipped("nprs"), start_date=dt.date(2026, 1, 5)
        )
    client = client_for(berliner)

    # Plans, sessions this week, assignments, their answers (outside ATOMIC_REQUESTS:
    # no savepoint).
    with django_assert_num_queries(4):
        client.get(TODAY_URL)


def feed(client) -> str:
    return client.post(ROTATE_URL).json()["url"]


def test_the_feed_is_a_valid_calendar_of_recurring_events_in_the_patients_zone(
    berliner, api_client
):
    plan = PlanFactory(
        patient=berliner,
        title="Back",
        start_date=dt.date(2026, 11, 3),  # a Tuesday: the first event is Wednesday
        end_date=dt.date(2027, 1, 31),
        days_of_week=[3, 5],
        note="Light band.",
    )
    PlanFactory(
        patient=berliner,
        title="Walks",
        start_date=dt.date(2026, 11, 4),
        days_of_week=[],
        times_per_week=3,
    )
    PlanFactory(patient=berliner, title="Old", status="ended")
    QuestionnaireAssignment.objects.create(
        plan=plan,
        questionnaire=shipped("nprs"),
        start_date=dt.date(2026, 11, 3),
        every_weeks=4,
    )
    url = feed(client_for(berliner))

    response = api_client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar["VERSION"] == "2.0"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    events = {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {
        "Exercises: Back",
        "Exercises this week (3x): Walks",
        "Questionnaire: Numeric Pain Rating Scale (NPRS)",
    }
    back = events["Exercises: Back"]
    start = back.decoded("DTSTART")
    assert start == dt.datetime(2026, 11, 4, 18, 0, tzinfo=BERLIN)
    assert str(start.tzinfo) == "Europe/Berlin"
    rule = back["RRULE"]
    assert (rule["FREQ"], rule["BYDAY"]) == (["WEEKLY"], ["WE", "FR"])
    assert rule["UNTIL"][0] == dt.datetime(2027, 1, 31, 22, 59, 59, tzinfo=dt.UTC)
    assert str(back["DESCRIPTION"]) == "Light band."
    assert back.walk("VALARM")
    walks = events["Exercises this week (3x): Walks"]
    assert walks.decoded("DTSTART").date() == dt.date(2026, 11, 2)  # that week's Monday
    questionnaire = events["Questionnaire: Numeric Pain Rating Scale (NPRS)"]
    assert questionnaire["RRULE"]["INTERVAL"] == [4]
    assert len({str(event["UID"]) for event in calendar.walk("VEVENT")}) == 3


def test_rotating_the_feed_kills_the_old_url(berliner, api_client):
    client = client_for(berliner)
    assert client.get(CALENDAR_URL).json() == {"url": None}
    old = feed(client)

    new = feed(client)

    assert old != new
    assert client.get(CALENDAR_URL).json() == {"url": new}
    assert api_client.get(old).status_code == 404
    assert api_client.get(new).status_code == 200
    assert CalendarFeed.objects.count() == 1


def test_an_unknown_feed_is_a_404_problem(api_client):
    response = api_client.get("/api/v1/calendar/not-a-real-secret.ics")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_a_deactivated_patients_feed_is_gone(berliner, api_client):
    url = feed(client_for(berliner))
    berliner.is_active = False
    berliner.save()

    assert api_client.get(url).status_code == 404


def test_feed_query_count(berliner, api_client, django_assert_num_queries):
    for _ in range(3):
        plan = PlanFactory(patient=berliner)
        QuestionnaireAssignment.objects.create(
            plan=plan, questionnaire=shipped("nprs"), start_date=dt.date(2026, 1, 5)
        )
    url = feed(client_for(berliner))

    # Savepoint, the feed (patient joined), plans, assignments (questionnaire), release.
    with django_assert_num_queries(5):
        assert api_client.get(url).status_code == 200
