"""Schema documentation of `progress/`."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)

from config.api.schema import problem_responses
from sessions.api.openapi import response_example
from sessions.api.serializers.progress import ProgressSerializer

PROGRESS_EXAMPLE = {
    "patient": "5b2a7e0c-8f7d-4c1e-b3a9-2d6e1f0a9c33",
    "timezone": "Europe/Berlin",
    "to": "2026-11-15",
    "weeks": [
        {
            "week_start": "2026-11-02",
            "sessions_done": 2,
            "sessions_scheduled": 3,
            "adherence": 0.67,
            "pain_before_avg": 5.0,
            "pain_after_avg": 4.0,
            "sessions_with_pain": 2,
        },
        {
            "week_start": "2026-11-09",
            "sessions_done": 3,
            "sessions_scheduled": 3,
            "adherence": 1.0,
            "pain_before_avg": 4.0,
            "pain_after_avg": 3.0,
            "sessions_with_pain": 3,
        },
    ],
    "items": [
        {
            "plan": "7d1f6c1e-3b0f-4d8e-9a55-0c3f2b9e4a11",
            "plan_item": 41,
            "exercise": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c55",
            "exercise_name": "Lateral band walk",
            "starts_on": None,
            "ends_on": None,
            "replaces": None,
            "sets_done": 15,
            "sets_prescribed": 18,
            "adherence": 0.83,
            "weeks": [
                {
                    "week_start": "2026-11-02",
                    "sets_done": 6,
                    "sets_prescribed": 9,
                    "adherence": 0.67,
                },
                {
                    "week_start": "2026-11-09",
                    "sets_done": 9,
                    "sets_prescribed": 9,
                    "adherence": 1.0,
                },
            ],
        }
    ],
    "summary": {
        "sessions_done": 5,
        "sessions_scheduled": 6,
        "adherence": 0.83,
        "pain_before_avg": 4.4,
        "pain_after_avg": 3.4,
        "trend": {"pain_after_change_per_week": -1.0, "direction": "improving"},
    },
    "measures": [
        {
            "questionnaire": "3f0c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a090",
            "name": "nprs",
            "title": "Numeric Pain Rating Scale (NPRS)",
            "responses": 2,
            "baseline": 6.0,
            "baseline_at": "2026-11-02T08:30:00Z",
            "latest": 3.0,
            "latest_at": "2026-11-16T08:30:00Z",
            "change": -3.0,
            "mcid": 2.0,
            "mcid_source": "Farrar et al. 2001 (Pain 94:149-158): a change of 2 points.",
            "higher_is_better": False,
            "important": True,
            "worse": False,
        }
    ],
    "from": "2026-11-02",
}


PROGRESS_SCHEMA = extend_schema_view(
    get=extend_schema(
        operation_id="progress_retrieve",
        summary="Read weekly progress",
        description=(
            "Per ISO week (Monday start, in the patient's time zone): sessions done vs "
            "scheduled by the patient's plans (adherence), mean pain before and after, "
            "and a summary with the pain trend. Range: `from` and `to` (YYYY-MM-DD, "
            "inclusive); defaults to the last 8 weeks up to today; at most 366 days; a "
            "malformed date or `to` before `from` answers 400. Patients read their own "
            "progress. Clinicians and admins must name the patient with `patient` "
            "(missing: 400; not one of theirs: 404); their reads are recorded in the "
            "patient's access log. Rules: docs/plans-and-progress.md."
        ),
        tags=["progress"],
        parameters=[
            OpenApiParameter(
                "from",
                OpenApiTypes.DATE,
                description=(
                    "First day (YYYY-MM-DD); default the Monday 7 weeks before `to`'s week."
                ),
            ),
            OpenApiParameter(
                "to",
                OpenApiTypes.DATE,
                description="Last day (YYYY-MM-DD); default the patient's today.",
            ),
            OpenApiParameter(
                "patient",
                OpenApiTypes.UUID,
                description="The patient; required for clinicians and admins.",
            ),
        ],
        responses={200: ProgressSerializer, **problem_responses(400, 401, 403, 404)},
        examples=[response_example("Two weeks", PROGRESS_EXAMPLE)],
    )
)
