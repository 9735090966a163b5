"""OpenAPI documentation of ``me/``: examples and the schema of each view."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)

from config.api.schema import (
    THROTTLE_PARAMETERS,
    problem_example,
    problem_response,
    problem_responses,
)
from users.api.export_serializers import ExportSerializer
from users.api.openapi.auth import EXAMPLE_ACCOUNT, throttled_response
from users.api.serializers import (
    AccountSerializer,
    EraseSerializer,
    PasswordChangeSerializer,
)
from users.services import ERASURE_PATIENTS_ONLY, WRONG_CURRENT_PASSWORD

ME = ["me"]


def not_authenticated(path: str) -> Any:
    return problem_responses(
        s401=problem_response(
            401,
            "No access token, or it expired (5 minutes) or is invalid: refresh it with "
            "`auth/token/refresh/` and retry.",
            problem_example(
                "Not authenticated",
                401,
                "not_authenticated",
                "Authentication credentials were not provided.",
                instance=path,
            ),
            problem_example(
                "Expired access token",
                401,
                "token_not_valid",
                "Given token not valid for any token type",
                instance=path,
            ),
        )
    )


me_schema = extend_schema_view(
    get=extend_schema(
        operation_id="me_retrieve",
        tags=ME,
        summary="Read my account",
        description=(
            "The signed-in account: id, email, name, time zone and role. Use `role` to "
            "pick the app's patient or clinician experience."
        ),
        responses={
            200: AccountSerializer,
            **not_authenticated("/api/v1/me/"),
        },
        examples=[OpenApiExample("Me", value=EXAMPLE_ACCOUNT, response_only=True)],
    ),
    patch=extend_schema(
        operation_id="me_partial_update",
        tags=ME,
        summary="Edit my name or time zone",
        description=(
            "Send only what changes: `name` and/or `timezone` (an IANA name such as "
            '"Europe/Paris"; progress weeks are counted in it). `email`, `role` and '
            "`id` are read-only: sent values are ignored (so you may send back the "
            "whole object you read). The answer is the updated account."
        ),
        request=AccountSerializer,
        responses={
            200: AccountSerializer,
            **problem_responses(
                s400=problem_response(
                    400,
                    "Unknown time zone or empty name.",
                    problem_example(
                        "Unknown time zone",
                        400,
                        "invalid",
                        "'Mars/Olympus' is not a known IANA time zone.",
                        instance="/api/v1/me/",
                        errors=[
                            {
                                "field": "timezone",
                                "code": "invalid_timezone",
                                "message": "'Mars/Olympus' is not a known IANA time zone.",
                            }
                        ],
                    ),
                )
            ),
            **not_authenticated("/api/v1/me/"),
        },
        examples=[
            OpenApiExample(
                "Move to Paris",
                value={"timezone": "Europe/Paris"},
                request_only=True,
            ),
            OpenApiExample(
                "Updated",
                value={**EXAMPLE_ACCOUNT, "timezone": "Europe/Paris"},
                response_only=True,
            ),
        ],
    ),
    delete=extend_schema(
        operation_id="me_destroy",
        tags=ME,
        summary="Erase my account and my data",
        description=(
            "Permanently deletes the signed-in **patient** account with its plans, "
            "session logs (with exercises and sets), care-team links and login records, "
            "and revokes every refresh token. Kept: the log of staff reads of your data, "
            "with the link to you removed (so staff stay accountable). There is no undo; "
            "download `me/export/` first if you want a copy. The body carries the "
            "account's current `password` (a token alone cannot erase an account). "
            "Clinician and administrator accounts get 403 (an administrator closes "
            "them). Throttled like logins (scope `auth`)."
        ),
        request=EraseSerializer,
        parameters=THROTTLE_PARAMETERS,
        examples=[
            OpenApiExample(
                "Confirm", value={"password": "knee-bends-at-dawn"}, request_only=True
            )
        ],
        responses={
            204: OpenApiResponse(description="Erased. Discard your tokens."),
            **not_authenticated("/api/v1/me/"),
            **throttled_response("/api/v1/me/"),
            **problem_responses(
                s400=problem_response(
                    400,
                    "Missing or wrong current password: nothing was erased.",
                    problem_example(
                        "Wrong password",
                        400,
                        "invalid",
                        WRONG_CURRENT_PASSWORD,
                        instance="/api/v1/me/",
                        errors=[
                            {
                                "field": "password",
                                "code": "wrong_password",
                                "message": WRONG_CURRENT_PASSWORD,
                            }
                        ],
                    ),
                ),
                s403=problem_response(
                    403,
                    "Staff accounts cannot erase themselves.",
                    problem_example(
                        "Staff account",
                        403,
                        "permission_denied",
                        ERASURE_PATIENTS_ONLY,
                        instance="/api/v1/me/",
                    ),
                ),
            ),
        },
    ),
)

password_schema = extend_schema_view(
    post=extend_schema(
        operation_id="me_password",
        tags=ME,
        summary="Change my password",
        description=(
            "Checks `current_password`, sets `new_password` (same rules as at "
            "registration) and revokes **all** your refresh tokens: every device, this "
            "one included, must log in again with the new password (access tokens "
            "already issued stay valid until they expire, at most 5 minutes). "
            "Throttled like logins (scope `auth`)."
        ),
        request=PasswordChangeSerializer,
        responses={
            204: OpenApiResponse(
                description="Changed. Log in again with the new password."
            ),
            **problem_responses(
                s400=problem_response(
                    400,
                    "Wrong current password or too weak new password.",
                    problem_example(
                        "Wrong current password",
                        400,
                        "invalid",
                        WRONG_CURRENT_PASSWORD,
                        instance="/api/v1/me/password/",
                        errors=[
                            {
                                "field": "current_password",
                                "code": "wrong_password",
                                "message": WRONG_CURRENT_PASSWORD,
                            }
                        ],
                    ),
                )
            ),
            **not_authenticated("/api/v1/me/password/"),
            **throttled_response("/api/v1/me/password/"),
        },
        parameters=THROTTLE_PARAMETERS,
        examples=[
            OpenApiExample(
                "Change",
                value={
                    "current_password": "knee-bends-at-dawn",
                    "new_password": "lunges-before-lunch",
                },
                request_only=True,
            )
        ],
    )
)


EXAMPLE_EXPORT = {
    "format_version": 1,
    "exported_at": "2026-03-02T10:00:00Z",
    "profile": {
        **EXAMPLE_ACCOUNT,
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
            "created_at": "2026-03-01T08:26:00Z",
            "updated_at": "2026-03-01T08:26:00Z",
            "deleted_at": None,
            "exercises": [
                {
                    "exercise": {
                        "id": "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e",
                        "slug": "lateral-band-walk",
                        "name": "Lateral band walk",
                    },
                    "plan_item": 41,
                    "order": 0,
                    "status": "done",
                    "pain_during": 3,
                    "notes": "",
                    "sets": [
                        {
                            "order": 0,
                            "side": "both",
                            "reps": 10,
                            "seconds": None,
                            "load": "light loop band",
                            "completed": True,
                        }
                    ],
                }
            ],
        }
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
}

export_schema = extend_schema_view(
    get=extend_schema(
        operation_id="me_export",
        tags=ME,
        summary="Export all my data",
        description=(
            "Everything stored about you, as one JSON document: the profile, your care "
            "team (names), every plan with its exercises and dosage, every session you "
            "logged with its exercises and sets (deleted sessions appear as tombstones "
            "with `deleted_at`), every read of your data by staff (who, when, "
            "what), every saved version of your plans and their exercises, the login "
            "records kept for the lockout (address, device) and your logged-in devices. "
            "Served as an attachment (`Content-Disposition`), so a browser saves it as a "
            "file. Throttled (scope `export`, a few an hour)."
        ),
        parameters=THROTTLE_PARAMETERS,
        responses={
            200: ExportSerializer,
            **not_authenticated("/api/v1/me/export/"),
            **throttled_response("/api/v1/me/export/"),
        },
        examples=[OpenApiExample("Export", value=EXAMPLE_EXPORT, response_only=True)],
    )
)
