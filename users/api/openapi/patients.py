"""OpenAPI documentation of ``patients/``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view

from config.api.schema import (
    problem_responses,
)
from users.api.serializers import PatientQuerySerializer, PatientSerializer

PATIENT_EXAMPLE = {
    "id": "5b2a7e0c-8f7d-4c1e-b3a9-2d6e1f0a9c33",
    "name": "Sam Patient",
    "email": "sam@example.com",
    "timezone": "Europe/Berlin",
    "last_session_at": "2026-11-23T07:30:00Z",
    "recent_pain_after": 2.6,
    "adherence_last_4_weeks": 0.83,
    "open_alerts": 1,
}

ACCESS = (
    "Clinicians see the patients in their care (nobody else); admins see every "
    "patient; patients get 403. Each patient returned is recorded in their access log."
)


def _read(
    *,
    summary: str,
    description: str,
    errors: tuple[int, ...],
    example: str,
    parameters: tuple[Any, ...] = (),
) -> Any:
    """A read of patients: 200 (+ETag) / 304 and the given problem statuses."""
    return extend_schema(
        summary=summary,
        description=description + ACCESS,
        tags=["patients"],
        parameters=[*parameters],
        responses={
            200: PatientSerializer,
            **problem_responses(*errors),
        },
        examples=[
            OpenApiExample(
                example, value=PATIENT_EXAMPLE, response_only=True, status_codes=["200"]
            )
        ],
    )


patient_schema = extend_schema_view(
    list=_read(
        summary="List my patients",
        description=(
            "Patients ordered by name (or `ordering`, e.g. `-open_alerts`), with their "
            "last session, recent pain after sessions, adherence over the last 4 weeks "
            "and open alerts. Paginated with `limit` and `offset`. "
        ),
        errors=(400, 401, 403),
        example="Patients",
        parameters=(PatientQuerySerializer,),
    ),
    retrieve=_read(
        summary="Read a patient",
        description="One patient with the same fields as the list; others answer 404. ",
        errors=(401, 403, 404),
        example="A patient",
    ),
)
