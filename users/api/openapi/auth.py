"""OpenAPI documentation of ``auth/``: examples and the schema of each view."""

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
from users.api.serializers import (
    AccountSerializer,
    LoginSerializer,
    LogoutSerializer,
    RefreshSerializer,
    RegisterSerializer,
    TokenPairSerializer,
)
from users.api.throttling import LOCKED_OUT
from users.invitations import CODE_EXPIRED, CODE_INVALID, CODE_REVOKED, CODE_USED

AUTH = ["auth"]

EXAMPLE_USER_ID = "5d1f4c7e-2b9a-4e1c-9f0a-3c2b1a0d9e8f"
EXAMPLE_ACCESS = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwidXNlcl9pZCI6"
    "IjVkMWY0YzdlIn0.access-signature"
)
EXAMPLE_REFRESH = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsInVzZXJfaWQi"
    "OiI1ZDFmNGM3ZSJ9.refresh-signature"
)
EXAMPLE_ACCOUNT = {
    "id": EXAMPLE_USER_ID,
    "email": "ana@example.com",
    "name": "Ana Silva",
    "timezone": "Europe/Lisbon",
    "role": "patient",
    "in_care": True,
}


def throttled_response(path: str, *, lockout: bool = False) -> dict[Any, Any]:
    examples = [
        problem_example(
            "Throttled",
            429,
            "throttled",
            "Request was throttled. Expected available in 42 seconds.",
            instance=path,
        )
    ]
    description = "Too many requests from this client: wait `Retry-After` seconds."
    if lockout:
        examples.append(
            problem_example(
                "Locked out",
                429,
                "locked_out",
                f"{LOCKED_OUT} Expected available in 900 seconds.",
                instance=path,
            )
        )
        description = (
            "Throttled (code `throttled`), or locked out after repeated failed logins "
            "for this email from this address (code `locked_out`; even the right "
            "password is refused until the wait is over). Wait `Retry-After` seconds."
        )
    return problem_responses(s429=problem_response(429, description, *examples))


def token_not_valid(path: str, detail: str = "Token is blacklisted") -> Any:
    return problem_responses(
        s401=problem_response(
            401,
            "The refresh token is malformed, expired, already used (rotated) or revoked "
            "(logged out, password changed, account erased): log in again.",
            problem_example(
                "Token not valid", 401, "token_not_valid", detail, instance=path
            ),
        )
    )


def missing_field(path: str, field: str, *, name: str, description: str) -> Any:
    """The 400 of a request that left out a required field (one example)."""
    return problem_responses(
        s400=problem_response(
            400,
            description,
            problem_example(
                name,
                400,
                "invalid",
                "This field is required.",
                instance=path,
                errors=[
                    {
                        "field": field,
                        "code": "required",
                        "message": "This field is required.",
                    }
                ],
            ),
        )
    )


def refresh_token_errors(path: str) -> dict[Any, Any]:
    """400 (no refresh token), 401 (not valid) and 429 of the views that take one."""
    return {
        **missing_field(
            path,
            "refresh",
            name="Missing refresh",
            description="Missing refresh token.",
        ),
        **token_not_valid(path),
        **throttled_response(path),
    }


def invite_code_examples(instance: str) -> list[OpenApiExample]:
    """The four invitation-code problems, each with its own code."""
    return [
        problem_example(name, 400, code, message, instance=instance)
        for name, code, message in (
            ("Wrong code", "invite_code_invalid", CODE_INVALID),
            ("Used code", "invite_code_used", CODE_USED),
            ("Expired code", "invite_code_expired", CODE_EXPIRED),
            ("Revoked invitation", "invite_code_revoked", CODE_REVOKED),
        )
    ]


INVITE_CODE_EXAMPLES = invite_code_examples("/api/v1/auth/register/")

register_schema = extend_schema_view(
    post=extend_schema(
        operation_id="auth_register",
        tags=AUTH,
        summary="Register a patient account",
        request=RegisterSerializer,
        responses={
            201: OpenApiResponse(
                AccountSerializer,
                description=(
                    "Registration accepted: the same answer whether or not the email "
                    "already has an account (the account's owner is told by email; "
                    "nothing is created or changed for them). Log in next with "
                    "`auth/token/`: a `401` there means the email belongs to an earlier "
                    "account with another password. Read the account id from `me/` "
                    "after logging in."
                ),
            ),
            **problem_responses(
                s400=problem_response(
                    400,
                    "Invalid fields: email malformed, password too weak, unknown time "
                    "zone, missing name (`errors` lists each; never whether the email "
                    "has an account); or a wrong, used, "
                    "expired or withdrawn `invite_code` (its own problem `code`; nothing "
                    "is created).",
                    *INVITE_CODE_EXAMPLES,
                    problem_example(
                        "Weak password",
                        400,
                        "invalid",
                        "The request has invalid fields; see errors.",
                        instance="/api/v1/auth/register/",
                        errors=[
                            {
                                "field": "password",
                                "code": "password_too_short",
                                "message": (
                                    "This password is too short. "
                                    "It must contain at least 8 characters."
                                ),
                            },
                            {
                                "field": "password",
                                "code": "password_too_common",
                                "message": "This password is too common.",
                            },
                        ],
                    ),
                )
            ),
            **throttled_response("/api/v1/auth/register/"),
        },
        parameters=THROTTLE_PARAMETERS,
        examples=[
            OpenApiExample(
                "Register with an invitation",
                value={
                    "email": "ana@example.com",
                    "password": "knee-bends-at-dawn",
                    "name": "Ana Silva",
                    "timezone": "Europe/Lisbon",
                    "invite_code": "7KQ2M-X9PDA",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Register",
                value={
                    "email": "ana@example.com",
                    "password": "knee-bends-at-dawn",
                    "name": "Ana Silva",
                    "timezone": "Europe/Lisbon",
                },
                request_only=True,
            ),
            OpenApiExample("Created", value=EXAMPLE_ACCOUNT, response_only=True),
        ],
    )
)

login_schema = extend_schema_view(
    post=extend_schema(
        operation_id="auth_token",
        tags=AUTH,
        summary="Log in (get access and refresh tokens)",
        request=LoginSerializer,
        responses={
            200: OpenApiResponse(TokenPairSerializer, description="Logged in."),
            **missing_field(
                "/api/v1/auth/token/",
                "password",
                name="Missing password",
                description="Missing email or password.",
            ),
            **problem_responses(
                s401=problem_response(
                    401,
                    "Wrong email or password, or the account is disabled.",
                    problem_example(
                        "Wrong credentials",
                        401,
                        "no_active_account",
                        "No active account found with the given credentials",
                        instance="/api/v1/auth/token/",
                    ),
                )
            ),
            **throttled_response("/api/v1/auth/token/", lockout=True),
        },
        parameters=THROTTLE_PARAMETERS,
        examples=[
            OpenApiExample(
                "Log in",
                value={"email": "ana@example.com", "password": "knee-bends-at-dawn"},
                request_only=True,
            ),
            OpenApiExample(
                "Tokens",
                value={"access": EXAMPLE_ACCESS, "refresh": EXAMPLE_REFRESH},
                response_only=True,
            ),
        ],
    )
)

refresh_schema = extend_schema_view(
    post=extend_schema(
        operation_id="auth_token_refresh",
        tags=AUTH,
        summary="Refresh tokens (rotating)",
        request=RefreshSerializer,
        responses={
            200: OpenApiResponse(
                TokenPairSerializer,
                description="A new access token and a new refresh token.",
            ),
            **refresh_token_errors("/api/v1/auth/token/refresh/"),
        },
        parameters=THROTTLE_PARAMETERS,
        examples=[
            OpenApiExample(
                "Refresh", value={"refresh": EXAMPLE_REFRESH}, request_only=True
            ),
            OpenApiExample(
                "New pair",
                value={"access": EXAMPLE_ACCESS, "refresh": EXAMPLE_REFRESH},
                response_only=True,
            ),
        ],
    )
)

logout_schema = extend_schema_view(
    post=extend_schema(
        operation_id="auth_logout",
        tags=AUTH,
        summary="Log out (revoke a refresh token)",
        request=LogoutSerializer,
        responses={
            204: OpenApiResponse(description="Revoked: the refresh token is dead."),
            **refresh_token_errors("/api/v1/auth/logout/"),
        },
        parameters=THROTTLE_PARAMETERS,
        examples=[
            OpenApiExample(
                "Log out", value={"refresh": EXAMPLE_REFRESH}, request_only=True
            ),
        ],
    )
)
