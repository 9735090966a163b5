"""Schema documentation of `plans/`: examples and the per-action docs."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)

from config.api.schema import (
    problem_example,
    problem_response,
    problem_responses,
)
from sessions.api.openapi import response_example
from sessions.api.serializers.plans import (
    PlanCreateSerializer,
    PlanSerializer,
    PlanUpdateSerializer,
)
from sessions.services.plans import NOT_YOUR_PATIENT

PLANS = ["plans"]
ON_PARAMETER = OpenApiParameter(
    "on",
    OpenApiTypes.DATE,
    description="The day to answer the plan for (YYYY-MM-DD, 1900-01-01..2999-12-31); "
    "default the patient's today. Malformed: 400.",
)

PLAN_EXAMPLE = {
    "id": "7d1f6c1e-3b0f-4d8e-9a55-0c3f2b9e4a11",
    "patient": "5b2a7e0c-8f7d-4c1e-b3a9-2d6e1f0a9c33",
    "prescribed_by": {
        "id": "0e9c1b2a-6d4f-4a8b-9c7e-1f2d3a4b5c66",
        "name": "Dr. Jo Kim",
    },
    "routine": "3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e77",
    "title": "Glute activation for lower back pain",
    "status": "active",
    "start_date": "2026-11-23",
    "end_date": None,
    "days_of_week": [1, 3, 5],
    "times_per_week": None,
    "note": "Before your walks. Stop if the pain goes above 5.",
    "created_at": "2026-11-20T09:15:00Z",
    "updated_at": "2026-11-20T09:15:00Z",
    "items": [
        {
            "id": 41,
            "order": 1,
            "block": "main",
            "note": "Keep the knees over the toes.",
            "sets": 2,
            "reps": None,
            "steps": 10,
            "seconds": None,
            "per_side": True,
            "direction": "sideways",
            "hold_seconds": None,
            "rest_seconds": 30,
            "load": "",
            "band": "light",
            "tempo": "",
            "starts_on": None,
            "ends_on": None,
            "replaces": None,
            "regressions": [
                {
                    "exercise": {
                        "id": "2b3c4d5e-6f70-4819-8b2c-3d4e5f6a7b8c",
                        "slug": "lateral-band-walk-short-steps",
                        "name": "Lateral band walk, short steps",
                    },
                    "note": "If you cannot keep your trunk from leaning, make the "
                    "steps smaller.",
                }
            ],
            "progressions": [],
            "alternatives": [],
            "estimated_seconds": 110,
            "exercise": {
                "id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c55",
                "slug": "lateral-band-walk",
                "name": "Lateral band walk",
                "summary": "Side steps against a loop band to wake up the gluteus medius.",
                "education": "When your glutes do too little, your lower back muscles "
                "make up for them. Let your glutes do the work.",
                "laterality": "alternating",
                "difficulty": "beginner",
                "instructions": [
                    {
                        "kind": "setup",
                        "text": "Put the band just above the knees.",
                        "order": 1,
                    },
                    {
                        "kind": "step",
                        "text": "Step sideways, keeping tension on the band.",
                        "order": 2,
                    },
                    {"kind": "cue", "text": "Keep the trunk upright.", "order": 3},
                ],
                "media": [
                    {
                        "kind": "image",
                        "url": "https://media.example.com/lateral-band-walk.jpg",
                        "alt_text": "A person side-stepping with a band above the knees.",
                        "credit": "Rehabit",
                        "licence": "CC BY 4.0",
                    }
                ],
                "equipment": [{"slug": "loop-band", "name": "Loop resistance band"}],
            },
        }
    ],
}

CREATE_REQUEST = {
    "patient": PLAN_EXAMPLE["patient"],
    "routine": PLAN_EXAMPLE["routine"],
    "start_date": "2026-11-23",
    "days_of_week": [1, 3, 5],
    "note": "Before your walks. Stop if the pain goes above 5.",
    "items": [{"routine_item": 12, "steps": 10, "band": "light"}],
}
COMPOSE_REQUEST = {
    "patient": PLAN_EXAMPLE["patient"],
    "title": "Hips, weeks 1-4",
    "start_date": "2026-11-23",
    "days_of_week": [1, 3, 5],
    "items": [
        {"exercise": "4f5e6d7c-8b9a-4c1d-9e2f-3a4b5c6d7e88", "sets": 2, "reps": 10},
        {
            "exercise": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c55",
            "sets": 3,
            "steps": 5,
            "direction": "sideways",
            "band": "light",
        },
    ],
}
FROM_WEEK_3_REQUEST = {
    "effective_from": "2026-12-07",
    "items": [{"id": 41, "sets": 3}],
    "add_items": [{"exercise": "4f5e6d7c-8b9a-4c1d-9e2f-3a4b5c6d7e88", "reps": 12}],
}

UPDATE_REQUEST = {"items": [{"id": 41, "sets": 3, "note": "Add a set: you are ready."}]}
PAUSE_REQUEST = {"status": "paused", "note": "Paused while the knee settles."}


CREATE_400 = problem_response(
    400,
    "Invalid input, a patient outside your care, an unpublished routine or a bad schedule.",
    problem_example(
        "Not your patient",
        400,
        "invalid",
        NOT_YOUR_PATIENT,
        instance="/api/v1/plans/",
        errors=[{"field": "patient", "code": "invalid", "message": NOT_YOUR_PATIENT}],
    ),
    problem_example(
        "Two schedules",
        400,
        "invalid",
        "Give either days_of_week or times_per_week, not both.",
        instance="/api/v1/plans/",
        errors=[
            {
                "field": "times_per_week",
                "code": "invalid",
                "message": "Give either days_of_week or times_per_week, not both.",
            }
        ],
    ),
)
UPDATE_400 = problem_response(
    400,
    (
        "Invalid input, a forbidden status change (an ended plan is final) or "
        "an item not in this plan."
    ),
    problem_example(
        "Ended plan",
        400,
        "invalid",
        "This plan has ended and can no longer be changed.",
        instance="/api/v1/plans/",
        errors=[
            {
                "field": "status",
                "code": "invalid",
                "message": "This plan has ended and can no longer be changed.",
            }
        ],
    ),
    problem_example(
        "Unknown item",
        400,
        "invalid",
        "Not an item of this plan.",
        instance="/api/v1/plans/",
        errors=[
            {
                "field": "items.0.id",
                "code": "invalid",
                "message": "Not an item of this plan.",
            }
        ],
    ),
)

SCOPE = (
    "Patients see their own plans; clinicians the plans of the patients in their care; "
    "admins every plan. Anything else answers 404. Reads by anyone but the patient are "
    "recorded in the patient's access log."
)


PLAN_SCHEMA = extend_schema_view(
    list=extend_schema(
        summary="List plans",
        description=(
            "Plans newest start first, each with its items and their exercises expanded "
            "(instructions, media, equipment) so the app can work offline. Filters: "
            "`patient` (a patient id) and `status`. Paginated with `limit` and `offset`. "
            + SCOPE
        ),
        tags=PLANS,
        parameters=[ON_PARAMETER],
        responses={
            200: PlanSerializer,
            **problem_responses(400, 401),
        },
        examples=[response_example("Plans", PLAN_EXAMPLE)],
    ),
    retrieve=extend_schema(
        summary="Read a plan",
        description="One plan with its items and exercises expanded, as it stands "
        "today or, with `on`, as it stood (or will stand) that day: the items "
        "prescribed then, with their dosage then. Each item lists its regressions, "
        "progressions and alternatives with their notes. " + SCOPE,
        tags=PLANS,
        parameters=[ON_PARAMETER],
        responses={
            200: PlanSerializer,
            **problem_responses(400, 401, 404),
        },
        examples=[response_example("A plan", PLAN_EXAMPLE)],
    ),
    create=extend_schema(
        summary="Prescribe a routine",
        description=(
            "Clinicians (for patients in their care) and admins prescribe a published "
            "routine with a schedule: `start_date`, optional `end_date`, and either "
            "`days_of_week` or `times_per_week`. The routine's items are copied into the "
            "plan (exercise, block, dosage, note, order), optionally with dosage tweaks "
            "in `items`; later edits of the routine never change the plan. A patient id "
            "that is unknown or not yours answers 400 on `patient` (the same message "
            "either way). Patients get 403.\n\n"
            "**From scratch**: omit `routine` and give `items`, each with `exercise` "
            "(published, or one of your private exercises) and its dosage, plus a "
            "`title`."
        ),
        tags=PLANS,
        request=PlanCreateSerializer,
        responses={201: PlanSerializer, **problem_responses(401, 403, s400=CREATE_400)},
        examples=[
            OpenApiExample("Prescription", value=CREATE_REQUEST, request_only=True),
            OpenApiExample("From scratch", value=COMPOSE_REQUEST, request_only=True),
            response_example("Created plan", PLAN_EXAMPLE, 201),
        ],
    ),
    partial_update=extend_schema(
        summary="Adjust, pause, resume or end a plan",
        description=(
            "Clinicians of the patient and admins change the status (active <-> "
            "paused, either -> ended; an ended plan is final), the end date, the "
            "schedule (sending `days_of_week` clears `times_per_week` and vice versa), "
            "the note, and the dosage of this plan's own items (`items`, by plan item "
            "id; an amount such as `reps` replaces `steps`/`seconds`). The routine "
            "template and other patients' plans are never touched; every change is kept "
            "in the plan's history. The patient gets 403 on their own plan; other plans "
            "answer 404.\n\n"
            "**From a date**: with `effective_from`, `items` changes apply from that "
            "day (earlier days keep their dosage: the item ends the day before and a "
            "new item continues it), `add_items` start and `end_items` stop then. "
            "`GET plans/{id}/?on=` shows any day."
        ),
        tags=PLANS,
        request=PlanUpdateSerializer,
        responses={
            200: PlanSerializer,
            **problem_responses(401, 403, 404, s400=UPDATE_400),
        },
        examples=[
            OpenApiExample("Dosage tweak", value=UPDATE_REQUEST, request_only=True),
            OpenApiExample("Pause", value=PAUSE_REQUEST, request_only=True),
            OpenApiExample("From week 3", value=FROM_WEEK_3_REQUEST, request_only=True),
            response_example("Adjusted plan", PLAN_EXAMPLE),
        ],
    ),
)
