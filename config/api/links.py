"""OpenAPI links: how one response feeds the next request.

Documentation for integrators (the app's flows), and the paths schemathesis follows in its
stateful tests. ``config.api.schema.AutoSchema`` adds them to the responses named here.
"""

from __future__ import annotations

from typing import Any


def _link(operation_id: str, description: str, **fields: Any) -> dict[str, Any]:
    return {"operationId": operation_id, "description": description, **fields}


def _first_result(operation_id: str, description: str) -> dict[str, Any]:
    return _link(
        operation_id, description, parameters={"id": "$response.body#/results/0/id"}
    )


_SESSION_FOLLOW_UPS = {
    "ReadSession": _link(
        "sessions_retrieve",
        "Read the stored session.",
        parameters={"id": "$response.body#/id"},
    ),
    "EditSession": _link(
        "sessions_partial_update",
        "Edit it, with the ETag just received as If-Match.",
        parameters={
            "id": "$response.body#/id",
            "header.If-Match": "$response.header.ETag",
        },
    ),
    "DeleteSession": _link(
        "sessions_destroy",
        "Delete it, with the ETag just received as If-Match.",
        parameters={
            "id": "$response.body#/id",
            "header.If-Match": "$response.header.ETag",
        },
    ),
}
_TOKEN_FOLLOW_UPS = {
    "RefreshTokens": _link(
        "auth_token_refresh",
        "Exchange the refresh token for a new pair.",
        requestBody={"refresh": "$response.body#/refresh"},
    ),
    "LogOut": _link(
        "auth_logout",
        "Revoke the refresh token.",
        requestBody={"refresh": "$response.body#/refresh"},
    ),
}
_PLAN_FOLLOW_UPS = {
    "ReadPlan": _link(
        "plans_retrieve", "Read the plan.", parameters={"id": "$response.body#/id"}
    ),
    "AdjustPlan": _link(
        "plans_partial_update",
        "Adjust the plan.",
        parameters={"id": "$response.body#/id"},
    ),
}
_FIRST_PATIENT = "$response.body#/results/0/id"

# operationId -> status -> links (documentation for integrators; schemathesis follows
# them in its stateful tests).
LINKS: dict[str, dict[str, dict[str, Any]]] = {
    "auth_register": {
        "201": {
            "LogIn": _link(
                "auth_token",
                "Log in with the email and password just registered.",
                requestBody={
                    "email": "$request.body#/email",
                    "password": "$request.body#/password",
                },
            )
        }
    },
    "auth_token": {"200": _TOKEN_FOLLOW_UPS},
    "auth_token_refresh": {"200": _TOKEN_FOLLOW_UPS},
    "exercises_list": {
        "200": {"ReadExercise": _first_result("exercises_retrieve", "Read one.")}
    },
    "routines_list": {
        "200": {"ReadRoutine": _first_result("routines_retrieve", "Read one.")}
    },
    "patients_list": {
        "200": {
            "ReadPatient": _first_result("patients_retrieve", "Read one."),
            "PatientPlans": _link(
                "plans_list",
                "Their plans.",
                parameters={"query.patient": _FIRST_PATIENT},
            ),
            "PatientSessions": _link(
                "sessions_list",
                "Their session logs.",
                parameters={"query.patient": _FIRST_PATIENT},
            ),
            "PatientProgress": _link(
                "progress_retrieve",
                "Their progress.",
                parameters={"query.patient": _FIRST_PATIENT},
            ),
        }
    },
    "plans_list": {"200": {"ReadPlan": _first_result("plans_retrieve", "Read one.")}},
    "plans_create": {"201": _PLAN_FOLLOW_UPS},
    "sessions_create": {"200": _SESSION_FOLLOW_UPS, "201": _SESSION_FOLLOW_UPS},
    "sessions_retrieve": {
        "200": {
            name: link
            for name, link in _SESSION_FOLLOW_UPS.items()
            if name != "ReadSession"
        }
    },
    "sessions_partial_update": {"200": _SESSION_FOLLOW_UPS},
    "sessions_list": {
        "200": {"ReadSession": _first_result("sessions_retrieve", "Read one.")}
    },
}
