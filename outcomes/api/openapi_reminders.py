"""OpenAPI documentation of the reminder endpoints (the day, the calendar feed)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)

from config.api.schema import (
    problem_responses,
)
from outcomes.api.openapi_proms import NPRS
from outcomes.api.serializers import CalendarFeedSerializer, TodaySerializer

PLAN_ID = "2e4c6a8b-1d3f-4a5b-9c7d-0e1f2a3b4c5d"
TODAY = {
    "date": "2026-12-01",
    "timezone": "Europe/Berlin",
    "plans": [
        {
            "plan": PLAN_ID,
            "title": "Glute activation for lower back pain",
            "status": "due",
            "scheduled_today": True,
            "times_per_week": None,
            "done_today": 0,
            "done_this_week": 1,
        }
    ],
    "sessions": [],
    "questionnaires": [
        {
            "assignment": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
            "plan": PLAN_ID,
            "due_date": "2026-11-30",
            "occurrence": 2,
            "questionnaire": NPRS,
        }
    ],
}
FEED_URL = {
    "url": "https://rehabit.example/api/v1/calendar/"
    "q3v9bX2mJ0Lr8sT1wY5zK7nP4cA6dF0gH2jE8uI1oQw.ics"
}
ICS = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Rehabit//Exercise plan//EN",
        "BEGIN:VEVENT",
        "SUMMARY:Exercises: Glute activation for lower back pain",
        "DTSTART;TZID=Europe/Berlin:20261102T180000",
        "DURATION:PT30M",
        "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR",
        f"UID:plan-{PLAN_ID}@rehabit",
        "END:VEVENT",
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Berlin",
        "...",
        "END:VTIMEZONE",
        "END:VCALENDAR",
    ]
)
PATIENTS_ONLY = "Patients only (others get 403)."

TODAY_SCHEMA = extend_schema_view(
    get=extend_schema(
        summary="My day",
        description=(
            "Today in the patient's time zone: each active plan with its status "
            "(`due`: scheduled today, or a flexible plan still short this week; `done`; "
            "`rest`), the sessions logged today and the questionnaires due, so the app "
            "can schedule its own local notifications. " + PATIENTS_ONLY
        ),
        tags=["reminders"],
        responses={
            200: TodaySerializer,
            **problem_responses(401, 403),
        },
        examples=[
            OpenApiExample(
                "A plan day", value=TODAY, response_only=True, status_codes=["200"]
            )
        ],
    )
)

FEED_EXAMPLE = OpenApiExample(
    "Feed URL", value=FEED_URL, response_only=True, status_codes=["200"]
)
CALENDAR_SCHEMA = extend_schema_view(
    get=extend_schema(
        summary="My calendar feed URL",
        description=(
            "The secret URL of the patient's iCalendar feed (null until created with "
            "`POST me/calendar/rotate/`). Anyone with the URL can read the schedule: "
            "rotate it if it leaked. " + PATIENTS_ONLY
        ),
        tags=["reminders"],
        responses={
            200: CalendarFeedSerializer,
            **problem_responses(401, 403),
        },
        examples=[FEED_EXAMPLE],
    )
)
CALENDAR_ROTATE_SCHEMA = extend_schema_view(
    post=extend_schema(
        summary="Create or rotate my calendar feed URL",
        description=(
            "Creates the feed's secret URL, or replaces it: the old URL answers 404 "
            "at once. No body. " + PATIENTS_ONLY
        ),
        tags=["reminders"],
        request=None,
        responses={200: CalendarFeedSerializer, **problem_responses(401, 403)},
        examples=[FEED_EXAMPLE],
    )
)
CALENDAR_FEED_SCHEMA = extend_schema_view(
    get=extend_schema(
        summary="Calendar feed (iCalendar)",
        description=(
            "The patient's plans and questionnaires as an RFC 5545 calendar: recurring "
            "events (RRULE) in the patient's time zone (with its VTIMEZONE), a reminder "
            "at the event, 18:00 local by default. The secret in the URL is the "
            "credential (no login: calendar apps cannot send one); unknown or rotated "
            "secrets answer 404."
        ),
        tags=["reminders"],
        auth=[],
        parameters=[
            OpenApiParameter(
                "token",
                str,
                OpenApiParameter.PATH,
                description="The feed's secret (from `me/calendar/`).",
            )
        ],
        responses={
            (200, "text/calendar"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The calendar.",
                examples=[
                    OpenApiExample(
                        "Weekly plan",
                        value=ICS,
                        response_only=True,
                        status_codes=["200"],
                    )
                ],
            ),
            **problem_responses(404),
        },
    )
)
