"""OpenAPI documentation of ``me/export/`` (the view: ``sessions/api/export.py``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view

from config.api.schema import THROTTLE_PARAMETERS, problem_responses
from sessions.api.serializers.export import ExportSerializer

EXAMPLE_EXPORT = {
    "format_version": 2,
    "exported_at": "2026-03-02T10:00:00Z",
    "profile": {
        "id": "3f2c8a9e-5b7d-4e1f-9a6c-2d8b7e4f1a0c",
        "email": "ana@example.com",
        "name": "Ana Silva",
        "timezone": "Europe/Lisbon",
        "role": "patient",
        "date_joined": "2026-01-04T18:12:00Z",
        "last_login": "2026-03-02T09:58:00Z",
    },
    "care_team": [{"name": "Dr. Rui Costa", "since": "2026-01-05T09:00:00Z"}],
    "plans": [
        {
            "id": "0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c",
            "title": "Hip strength, weeks 1-6",
            "status": "active",
            "prescribed_by": "Dr. Rui Costa",
            "routine": "Hip strength basics",
            "start_date": "2026-01-05",
            "end_date": None,
            "days_of_week": [1, 3, 5],
            "times_per_week": None,
            "note": "Stop if the pain goes above 5.",
            "created_at": "2026-01-05T09:10:00Z",
            "updated_at": "2026-01-19T09:10:00Z",
            "items": [
                {
                    "id": 41,
                    "order": 0,
                    "block": "main",
                    "exercise": {
                        "id": "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e",
                        "slug": "lateral-band-walk",
                        "name": "Lateral band walk",
                    },
                    "sets": 3,
                    "reps": None,
                    "steps": 10,
                    "seconds": None,
                    "per_side": True,
                    "hold_seconds": None,
                    "rest_seconds": 45,
                    "load": "light loop band",
                    "tempo": "",
                    "note": "",
                }
            ],
        }
    ],
    "sessions": [
        {
            "id": "c3d4e5f6-a7b8-4c9d-8e0f-112233445566",
            "plan": "0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c",
            "started_at": "2026-03-01T08:00:00Z",
            "ended_at": "2026-03-01T08:25:00Z",
            "pain_before": 4,
            "pain_after": 2,
            "effort": 6,
            "notes": "Felt good.",
            "version": 1,
            "revision": 12,
            "deleted": False,
            "created_at": "2026-03-01T08:26:00Z",
            "updated_at": "2026-03-01T08:26:00Z",
            "exercises": [
                {
                    "id": 907,
                    "exercise": {
                        "id": "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e",
                        "slug": "lateral-band-walk",
                        "name": "Lateral band walk",
                    },
                    "plan_item": 41,
                    "substitution": "",
                    "order": 0,
                    "status": "done",
                    "pain_during": 3,
                    "difficulty": "just_right",
                    "rpe": 5,
                    "notes": "",
                    "sets": [
                        {
                            "order": 0,
                            "side": "both",
                            "reps": 10,
                            "seconds": None,
                            "load": "light loop band",
                            "band": "",
                            "completed": True,
                        }
                    ],
                }
            ],
        },
        {
            "id": "d4e5f6a7-b8c9-4d0e-8f1a-223344556677",
            "deleted": True,
            "revision": 14,
            "deleted_at": "2026-03-01T19:02:00Z",
        },
    ],
    "access_log": [
        {
            "at": "2026-03-01T12:00:00Z",
            "reader": "Dr. Rui Costa",
            "action": "sessions.list",
            "path": "/api/v1/sessions/",
        }
    ],
    "plan_history": [
        {
            "id": "0b7e8f52-3f3e-4c55-9d8e-2f1b6a1c9d40",
            "history_date": "2026-02-01T09:30:00Z",
            "history_type": "+",
            "history_change_reason": None,
            "title": "Glute activation for lower back pain",
            "status": "active",
            "start_date": "2026-02-02",
            "end_date": None,
            "days_of_week": [1, 3, 5],
            "times_per_week": None,
            "note": "",
        }
    ],
    "plan_item_history": [
        {
            "id": 41,
            "plan_id": "0b7e8f52-3f3e-4c55-9d8e-2f1b6a1c9d40",
            "history_date": "2026-02-01T09:30:00Z",
            "history_type": "+",
            "history_change_reason": None,
            "exercise_id": "9a0c1e7d-52f4-4b8e-8d1a-5f0b2c3d4e5f",
            "order": 0,
            "sets": 2,
            "reps": 10,
            "steps": None,
            "seconds": None,
            "per_side": False,
            "hold_seconds": 3,
            "rest_seconds": 30,
            "load": "light loop band",
            "tempo": "",
            "block": "main",
            "note": "",
        }
    ],
    "login_records": [
        {
            "kind": "failed",
            "attempt_time": "2026-02-28T07:59:00Z",
            "ip_address": "203.0.113.7",
            "user_agent": "Rehabit/2.3 (iPhone; iOS 19.1)",
            "path_info": "/api/v1/auth/token/",
        }
    ],
    "devices": [
        {
            "jti": "5c1f0d0b6a5e4e8f9a7b3c2d1e0f9a8b",
            "created_at": "2026-03-01T08:00:00Z",
            "expires_at": "2026-03-31T08:00:00Z",
        }
    ],
    "alerts": [
        {
            "id": "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d",
            "kind": "pain_flare",
            "status": "acknowledged",
            "message": "Pain rose from 3 to 8 during the session.",
            "evidence": {"pain_before": 3, "pain_after": 8},
            "session": "c3d4e5f6-a7b8-4c9d-8e0f-112233445566",
            "plan": "0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c",
            "created_at": "2026-03-01T08:26:01Z",
            "acknowledged_at": "2026-03-01T10:00:00Z",
            "acknowledged_by": "Dr. Rui Costa",
            "resolved_at": None,
            "resolved_by": None,
            "note": "",
        }
    ],
    "questionnaire_responses": [
        {
            "id": "8c9d0e1f-2a3b-4c4d-8e5f-6a7b8c9d0e1f",
            "questionnaire": {
                "url": "urn:rehabit:questionnaire:nprs",
                "version": "1.0.0",
                "title": "Numeric Pain Rating Scale",
            },
            "assignment": "9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a",
            "authored": "2026-01-05T08:00:00Z",
            "items": [{"linkId": "pain", "answer": [{"valueInteger": 6}]}],
            "score": 6.0,
            "created_at": "2026-01-05T08:00:02Z",
        }
    ],
    "questionnaire_assignments": [
        {
            "id": "9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a",
            "plan": "0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c",
            "questionnaire": {
                "url": "urn:rehabit:questionnaire:nprs",
                "version": "1.0.0",
                "title": "Numeric Pain Rating Scale",
            },
            "start_date": "2026-01-05",
            "every_weeks": 2,
            "assigned_by": "Dr. Rui Costa",
            "created_at": "2026-01-05T09:12:00Z",
        }
    ],
    "calendar_feed": {"exists": True, "rotated_at": "2026-01-06T20:00:00Z"},
}


export_schema = extend_schema_view(
    get=extend_schema(
        operation_id="me_export",
        tags=["me"],
        summary="Export all my data",
        description=(
            "Everything stored about you, as one JSON document: the profile, your care "
            "team (names), every plan with its exercises and dosage, every session you "
            "logged with its exercises and sets (deleted sessions appear as tombstones "
            "with `deleted_at`), every read of your data by staff (who, when, "
            "what), every saved version of your plans and their exercises, the login "
            "records kept for the lockout (address, device), your logged-in devices, "
            "the alerts raised about you, the questionnaires assigned to you and your "
            "answers with their scores, and whether you have a calendar feed (never its "
            "secret URL). Sessions have the same shape as in `sessions/` (format 2).\n\n"
            "Served as an attachment (`Content-Disposition`), so a browser saves it as a "
            "file, and **streamed**: the answer starts at once and has no `ETag` or "
            "`Content-Length`; an error after the first bytes ends the connection "
            "before the closing brace, so a file that is not valid JSON is incomplete "
            "(download it again). Throttled (scope `export`, a few an hour)."
        ),
        parameters=THROTTLE_PARAMETERS,
        responses={
            200: ExportSerializer,
            **problem_responses(401, 429),
        },
        examples=[OpenApiExample("Export", value=EXAMPLE_EXPORT, response_only=True)],
    )
)
