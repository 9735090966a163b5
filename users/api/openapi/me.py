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
