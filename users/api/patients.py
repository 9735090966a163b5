"""Patients API (`patients/`): a clinician's care list with recent activity at a glance.

Clinicians see the patients in their care, admins every patient, patients get 403.
Each listed or read patient is recorded in their access log (one entry per patient per
request: the rows show pain and adherence).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from config.api.schema import (
    CONDITIONAL_GET_PARAMETERS,
    NOT_MODIFIED,
    problem_responses,
)
from sessions.progress import adherence_recent, annotate_recent_activity
from users.models import User
from users.selectors import patient_list
from users.services import access_log_record_many

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from rest_framework.request import Request


class IsClinicianOrAdmin(BasePermission):
    """Clinicians and admins (superusers) only."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            user.is_authenticated
            and (
                user.is_superuser or getattr(user, "role", None) == User.Role.CLINICIAN
            )
        )


class RoundedFloatField(serializers.FloatField):
    """A float rounded to two decimals (PostgreSQL averages come back as Decimal)."""

    def to_representation(self, value: Any) -> float:
        return round(float(value), 2)


# Reads the annotations of sessions.progress.annotate_recent_activity and the
# adherence_last_4_weeks attribute set by the view: no queries per row.
class PatientSerializer(serializers.Serializer):
    """A patient in the caller's care with their recent activity at a glance."""

    id = serializers.UUIDField(
        help_text="The patient's user id (use it as `?patient=`)."
    )
    name = serializers.CharField(help_text="Display name.")
    email = serializers.EmailField(help_text="Login email.")
    timezone = serializers.CharField(
        help_text="IANA time zone; weeks are computed in it."
    )
    last_session_at = serializers.DateTimeField(
        allow_null=True,
        help_text="Start of the most recent (non-deleted) session; null if none.",
    )
    recent_pain_after = RoundedFloatField(
        allow_null=True,
        help_text="Mean pain after (0-10) of the 5 most recent sessions that recorded it, 2 decimals; null if none.",
    )
    adherence_last_4_weeks = serializers.FloatField(
        allow_null=True,
        help_text="Sessions done / scheduled over the last 28 days up to the patient's today (rules of `progress/`); null if nothing was scheduled.",
    )


PATIENT_EXAMPLE = {
    "id": "5b2a7e0c-8f7d-4c1e-b3a9-2d6e1f0a9c33",
    "name": "Sam Patient",
    "email": "sam@example.com",
    "timezone": "Europe/Berlin",
    "last_session_at": "2026-11-23T07:30:00Z",
    "recent_pain_after": 2.6,
    "adherence_last_4_weeks": 0.83,
}

ACCESS = (
    "Clinicians see the patients in their care (nobody else); admins see every "
    "patient; patients get 403. Each patient returned is recorded in their access log."
)


@extend_schema_view(
    list=extend_schema(
        summary="List my patients",
        description=(
            "Patients ordered by name, with their last session, recent pain after "
            "sessions and adherence over the last 4 weeks. Paginated with `limit` and "
            "`offset`. " + ACCESS
        ),
        tags=["patients"],
        parameters=CONDITIONAL_GET_PARAMETERS,
        responses={
            200: PatientSerializer,
            304: NOT_MODIFIED,
            **problem_responses(400, 401, 403),
        },
        examples=[
            OpenApiExample(
                "Patients",
                value=PATIENT_EXAMPLE,
                response_only=True,
                status_codes=["200"],
            )
        ],
    ),
    retrieve=extend_schema(
        summary="Read a patient",
        description="One patient with the same fields as the list; others answer 404. "
        + ACCESS,
        tags=["patients"],
        parameters=CONDITIONAL_GET_PARAMETERS,
        responses={
            200: PatientSerializer,
            304: NOT_MODIFIED,
            **problem_responses(401, 403, 404),
        },
        examples=[
            OpenApiExample(
                "A patient",
                value=PATIENT_EXAMPLE,
                response_only=True,
                status_codes=["200"],
            )
        ],
    ),
)
class PatientViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The caller's patients with recent activity (fixed number of queries per page)."""

    queryset = User.objects.none()
    serializer_class = PatientSerializer
    permission_classes = [IsAuthenticated, IsClinicianOrAdmin]
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[User]:
        return annotate_recent_activity(patient_list(user=self.request.user)).order_by(
            "name", "email", "pk"
        )

    def _with_adherence(self, patients: list[User], action: str) -> list[User]:
        adherence = adherence_recent(patients=patients)
        for patient in patients:
            patient.adherence_last_4_weeks = adherence[patient.pk]  # type: ignore[attr-defined]
        access_log_record_many(
            actor=self.request.user,
            patient_ids=[patient.pk for patient in patients],
            action=f"patients.{action}",
            path=self.request.path,
        )
        return patients

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        patients = self._with_adherence(list(page or []), "list")
        return self.get_paginated_response(PatientSerializer(patients, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            pk = uuid.UUID(str(kwargs["pk"]))
        except ValueError:
            raise NotFound from None  # a malformed id is as unknown as a missing one
        patient = self.get_queryset().filter(pk=pk).first()
        if patient is None:
            raise NotFound
        self._with_adherence([patient], "retrieve")
        return Response(PatientSerializer(patient).data)
