"""OpenAPI documentation of the outcomes API (summaries, examples, error responses)."""

from __future__ import annotations

from collections.abc import Mapping

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
from outcomes.api.serializers import (
    AlertActionSerializer,
    AlertQuerySerializer,
    AlertSerializer,
    AlertSettingsSerializer,
)
from outcomes.services.alerts import ALERT_RESOLVED

ALERT_ID = "8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
ALERT_EXAMPLE = {
    "id": ALERT_ID,
    "patient": {"id": "5b2a7e0c-8f7d-4c1e-b3a9-2d6e1f0a9c33", "name": "Sam Patient"},
    "kind": "pain_flare",
    "status": "open",
    "message": "Pain flare: 3/10 before the session, 8/10 after.",
    "evidence": {"pain_before": 3, "pain_after": 8},
    "session": "0f6d7c1a-2b3c-4d5e-8f90-a1b2c3d4e5f6",
    "plan": "2e4c6a8b-1d3f-4a5b-9c7d-0e1f2a3b4c5d",
    "created_at": "2026-11-30T08:02:11Z",
    "acknowledged_at": None,
    "acknowledged_by": None,
    "resolved_at": None,
    "resolved_by": None,
    "note": "",
}
CLINICIAN = {"id": "7a0e1b2c-3d4e-4f5a-8b6c-7d8e9f0a1b2c", "name": "Dr Lee"}
ACKNOWLEDGED_EXAMPLE = {
    **ALERT_EXAMPLE,
    "status": "acknowledged",
    "acknowledged_at": "2026-11-30T09:15:00Z",
    "acknowledged_by": CLINICIAN,
    "note": "Called Sam; reduce the band to light for a week.",
}
RESOLVED_EXAMPLE = {
    **ACKNOWLEDGED_EXAMPLE,
    "status": "resolved",
    "resolved_at": "2026-12-02T10:00:00Z",
    "resolved_by": CLINICIAN,
    "note": "Pain back to 2/10 after two sessions with the light band.",
}
ACCESS = (
    "Clinicians see the alerts of the patients in their care, admins every alert; "
    "patients get 403 (alerts are for the care team). Each patient whose alert is "
    "returned is recorded in their access log."
)
ACTION_BODY = [
    OpenApiExample(
        "With a note",
        value={"note": "Called Sam; reduce the band to light for a week."},
        request_only=True,
    ),
    OpenApiExample("Without a note", value={}, request_only=True),
]
RESOLVED_CONFLICT = problem_response(
    409,
    "The alert is resolved: it cannot be acknowledged any more.",
    problem_example(
        "Already resolved",
        409,
        "alert_resolved",
        ALERT_RESOLVED,
        instance=f"/api/v1/alerts/{ALERT_ID}/acknowledge/",
    ),
)


def _alert_example(name: str, value: Mapping[str, object]) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=["200"])


ALERT_SCHEMA = extend_schema_view(
    list=extend_schema(
        summary="List my patients' alerts",
        description=(
            "Alerts raised by the rules (docs/outcomes.md): pain flares, high pain "
            "during an exercise, no session for days on an active plan, a worsening "
            "pain trend, an outcome measure worse by its MCID. Newest first; one alert "
            "per cause (a retried upload never raises two). Filter by `patient`, "
            "`status` and `kind`; paginated with `limit` and `offset`. " + ACCESS
        ),
        tags=["alerts"],
        parameters=[AlertQuerySerializer],
        responses={
            200: AlertSerializer(many=True),
            **problem_responses(400, 401, 403),
        },
        examples=[_alert_example("Open flare", ALERT_EXAMPLE)],
    ),
    retrieve=extend_schema(
        summary="Read an alert",
        description="One alert; others' alerts answer 404 like missing ones. " + ACCESS,
        tags=["alerts"],
        parameters=[
            OpenApiParameter("id", str, OpenApiParameter.PATH, description="Alert id."),
        ],
        responses={
            200: AlertSerializer,
            **problem_responses(401, 403, 404),
        },
        examples=[_alert_example("Open flare", ALERT_EXAMPLE)],
    ),
    acknowledge=extend_schema(
        summary="Acknowledge an alert",
        description=(
            "Records who acknowledged the alert and when (someone is on it); it stays "
            "in the digest until resolved and leaves the `open_alerts` count of "
            "`patients/`. Acknowledging again changes nothing and answers 200 (safe "
            "to retry); a resolved alert answers 409. A `note` replaces the stored "
            "note. " + ACCESS
        ),
        tags=["alerts"],
        parameters=[
            OpenApiParameter("id", str, OpenApiParameter.PATH, description="Alert id.")
        ],
        request=AlertActionSerializer,
        responses={
            200: AlertSerializer,
            **problem_responses(400, 401, 403, 404, s409=RESOLVED_CONFLICT),
        },
        examples=[*ACTION_BODY, _alert_example("Acknowledged", ACKNOWLEDGED_EXAMPLE)],
    ),
    resolve=extend_schema(
        summary="Resolve an alert",
        description=(
            "Closes the alert, recording who and when (and acknowledges it too if "
            "nobody had). Resolving again changes nothing and answers 200 (safe to "
            "retry). The same cause never raises a new alert. " + ACCESS
        ),
        tags=["alerts"],
        parameters=[
            OpenApiParameter("id", str, OpenApiParameter.PATH, description="Alert id.")
        ],
        request=AlertActionSerializer,
        responses={
            200: AlertSerializer,
            **problem_responses(400, 401, 403, 404),
        },
        examples=[*ACTION_BODY, _alert_example("Resolved", RESOLVED_EXAMPLE)],
    ),
)

SETTINGS_EXAMPLE = OpenApiExample(
    "Digest on", value={"daily_digest": True}, status_codes=["200"]
)
ALERT_SETTINGS_SCHEMA = extend_schema_view(
    get=extend_schema(
        summary="Read my alert settings",
        description=(
            "A clinician's alert settings: `daily_digest` (off until turned on) sends "
            "one email a day, from 07:00 in the clinician's time zone, listing their "
            "patients' unresolved alerts. Clinicians only (others get 403)."
        ),
        tags=["alerts"],
        responses={
            200: AlertSettingsSerializer,
            **problem_responses(401, 403),
        },
        examples=[SETTINGS_EXAMPLE],
    ),
    patch=extend_schema(
        summary="Change my alert settings",
        description=(
            "Turn the daily digest on or off. A partial update: fields left out keep "
            "their value (an empty body changes nothing). Clinicians only (others get "
            "403)."
        ),
        tags=["alerts"],
        request=AlertSettingsSerializer,
        responses={
            200: AlertSettingsSerializer,
            **problem_responses(400, 401, 403),
        },
        examples=[SETTINGS_EXAMPLE],
    ),
)
