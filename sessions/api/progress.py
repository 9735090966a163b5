"""Progress API (`progress/`): weekly adherence and pain for a patient.

Patients read their own; clinicians name one of their patients with `?patient=` (admins
any patient). The numbers come from sessions.progress; docs/plans-and-progress.md
states the rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.schema import problem_responses
from sessions.api.plans import is_care_staff
from sessions.progress import Direction, progress_get
from users.models import User
from users.selectors import patient_get_for
from users.services import access_log_record

if TYPE_CHECKING:
    from rest_framework.request import Request

PATIENT_REQUIRED = "Name the patient: clinicians and admins must pass ?patient=<id>."


class ProgressQuerySerializer(serializers.Serializer):
    to = serializers.DateField(
        required=False,
        help_text="Last day (YYYY-MM-DD, the patient's local date); default today.",
    )
    patient = serializers.UUIDField(
        required=False, help_text="The patient (required for clinicians and admins)."
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "from" is a Python keyword, so it cannot be a class attribute.
        fields["from"] = serializers.DateField(
            required=False,
            help_text="First day (YYYY-MM-DD); default the Monday seven weeks before `to`'s week.",
        )
        return fields


class ProgressWeekSerializer(serializers.Serializer):
    week_start = serializers.DateField(
        help_text="Monday of the ISO week (patient's time zone)."
    )
    sessions_done = serializers.IntegerField(
        help_text="Sessions logged this week within the range (deleted ones excluded)."
    )
    sessions_scheduled = serializers.IntegerField(
        help_text="Sessions the plans scheduled this week within the range, up to today."
    )
    adherence = serializers.FloatField(
        allow_null=True,
        help_text="sessions_done / sessions_scheduled, rounded to 2 decimals, not capped (may exceed 1); null when nothing was scheduled.",
    )
    pain_before_avg = serializers.FloatField(
        allow_null=True,
        help_text="Mean pain before (0-10) of the week's sessions that recorded it, 2 decimals; null if none.",
    )
    pain_after_avg = serializers.FloatField(
        allow_null=True,
        help_text="Mean pain after (0-10) of the week's sessions that recorded it, 2 decimals; null if none.",
    )
    sessions_with_pain = serializers.IntegerField(
        help_text="Sessions this week that recorded pain before or after."
    )


class ProgressTrendSerializer(serializers.Serializer):
    pain_after_change_per_week = serializers.FloatField(
        allow_null=True,
        help_text="Least-squares slope of the weekly pain-after means, in points per week (negative = less pain); null with fewer than 2 such weeks.",
    )
    direction = serializers.ChoiceField(
        choices=Direction.choices,
        help_text="improving (slope <= -0.25), worsening (>= 0.25), stable, or insufficient_data.",
    )


class ProgressSummarySerializer(serializers.Serializer):
    sessions_done = serializers.IntegerField(help_text="Sessions logged in the range.")
    sessions_scheduled = serializers.IntegerField(
        help_text="Sessions scheduled in the range (sum of the weeks)."
    )
    adherence = serializers.FloatField(
        allow_null=True,
        help_text="Done / scheduled over the range; null if nothing scheduled.",
    )
    pain_before_avg = serializers.FloatField(
        allow_null=True, help_text="Mean pain before over all sessions in range."
    )
    pain_after_avg = serializers.FloatField(
        allow_null=True, help_text="Mean pain after over all sessions in range."
    )
    trend = ProgressTrendSerializer(help_text="How pain after sessions is moving.")


class ProgressSerializer(serializers.Serializer):
    patient = serializers.UUIDField(source="patient_id", help_text="The patient.")
    timezone = serializers.CharField(
        help_text="The patient's time zone the weeks are computed in."
    )
    to = serializers.DateField(source="date_to", help_text="Last day of the range.")
    weeks = ProgressWeekSerializer(
        many=True, help_text="One row per ISO week touching the range, oldest first."
    )
    summary = ProgressSummarySerializer(help_text="Totals over the whole range.")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            source="date_from", help_text="First day of the range."
        )
        return fields


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
    "summary": {
        "sessions_done": 5,
        "sessions_scheduled": 6,
        "adherence": 0.83,
        "pain_before_avg": 4.4,
        "pain_after_avg": 3.4,
        "trend": {"pain_after_change_per_week": -1.0, "direction": "improving"},
    },
    "from": "2026-11-02",
}


class ProgressView(APIView):
    """A patient's weekly progress: adherence, pain before/after and the pain trend."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
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
                description="First day (YYYY-MM-DD); default the Monday 7 weeks before `to`'s week.",
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
        examples=[
            OpenApiExample(
                "Two weeks",
                value=PROGRESS_EXAMPLE,
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    def get(self, request: Request) -> Response:
        # A plain dict: DRF reads a QueryDict like a form, where a blank value means
        # "not sent"; here ?to= or ?patient= is a malformed value (400), as elsewhere.
        query = ProgressQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        params: dict[str, Any] = query.validated_data
        user = request.user
        patient_id = params.get("patient")

        if is_care_staff(user):
            if patient_id is None:
                raise ValidationError({"patient": [PATIENT_REQUIRED]})
            patient = patient_get_for(user=user, patient_id=patient_id)
            if patient is None:
                raise NotFound
        elif getattr(user, "role", None) == User.Role.PATIENT:
            if patient_id is not None and patient_id != user.pk:
                raise NotFound
            patient = user
        else:
            raise PermissionDenied

        progress = progress_get(
            patient=patient, date_from=params.get("from"), date_to=params.get("to")
        )
        access_log_record(
            actor=user, patient=patient, action="progress.retrieve", path=request.path
        )
        return Response(ProgressSerializer(progress).data)
