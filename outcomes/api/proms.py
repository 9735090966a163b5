"""HTTP interface of outcome measures: questionnaires, what is due, answers, assignments.

Thin: parse, call one service or selector, render (docs in outcomes/api/openapi_proms.py).
"""

from __future__ import annotations

import zoneinfo
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.decorators import method_decorator
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.throttling import round_trip_found
from outcomes.api.openapi_proms import (
    ASSIGNMENT_SCHEMA,
    DUE_SCHEMA,
    QUESTIONNAIRE_SCHEMA,
    RESPONSE_SCHEMA,
)
from outcomes.api.permissions import IsPatient, signed_in_user
from outcomes.api.serializers import (
    AssignmentCreateSerializer,
    AssignmentSerializer,
    DueQuestionnaireSerializer,
    QuestionnaireResponseCreateSerializer,
    QuestionnaireResponseQuerySerializer,
    QuestionnaireResponseSerializer,
    QuestionnaireSerializer,
)
from outcomes.models import (
    Questionnaire,
    QuestionnaireAssignment,
    QuestionnaireResponse,
)
from outcomes.selectors.proms import questionnaires_due, response_get, response_list
from outcomes.services.proms import (
    ResponseConflict,
    assignment_create,
    questionnaire_response_submit,
)
from sessions.cache import patient_keys, patient_response
from users.models import User
from users.services import access_log_record_many

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.db.models import QuerySet
    from rest_framework.request import Request

ONLY_PATIENTS_ANSWER = "Only patients answer questionnaires."


class ResponseConflictError(exceptions.APIException):
    status_code = 409
    default_detail = "Answers with this id already exist with different content."
    default_code = "conflict"


@QUESTIONNAIRE_SCHEMA
class QuestionnaireViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The active questionnaires (no patient data)."""

    serializer_class = QuestionnaireSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Questionnaire]:
        return Questionnaire.objects.filter(
            status=Questionnaire.Status.ACTIVE
        ).order_by("title", "version", "id")


@DUE_SCHEMA
# A read: outside ATOMIC_REQUESTS (a cached answer opens no transaction).
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class DueQuestionnairesView(APIView):
    """What the signed-in patient should answer now."""

    permission_classes = [IsAuthenticated, IsPatient]

    def get(self, request: Request) -> HttpResponseBase:
        # Cached per patient and local date (sessions/cache.py): an occurrence falls
        # due on a date in the patient's time zone, so what is due changes only at
        # their midnight (a new entry) or with a write (assignments and answers make
        # the patient's answers stale: outcomes/receivers.py).
        return patient_response(
            request, lambda: self._due(request), round_trip_found(request)
        )

    def round_trip_reads(self, request: Request) -> Sequence[str]:
        """The cache keys of the patient's due questionnaires, read with the throttles."""
        return patient_keys(request)

    def _due(self, request: Request) -> Response:
        patient = signed_in_user(request)
        today = timezone.now().astimezone(zoneinfo.ZoneInfo(patient.timezone)).date()
        due = questionnaires_due(patient=patient, today=today)
        return Response(DueQuestionnaireSerializer(due, many=True).data)


@RESPONSE_SCHEMA
class QuestionnaireResponseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Answers: patients upload theirs (idempotent); the care team reads them (audited)."""

    queryset = QuestionnaireResponse.objects.none()
    serializer_class = QuestionnaireResponseSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[QuestionnaireResponse]:
        # A plain dict: DRF reads a blank query value as "not sent", here it is a 400.
        query = QuestionnaireResponseQuerySerializer(
            data=dict(self.request.query_params.items())
        )
        query.is_valid(raise_exception=True)
        return response_list(
            user=self.request.user,
            patient_id=query.validated_data.get("patient"),
            questionnaire_id=query.validated_data.get("questionnaire"),
        )

    def _logged(self, responses: list[QuestionnaireResponse], what: str) -> None:
        access_log_record_many(
            actor=signed_in_user(self.request),
            patient_ids=[response.patient_id for response in responses],
            action=f"questionnaire_responses.{what}",
            path=self.request.path,
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = list(self.paginate_queryset(self.get_queryset()) or [])
        self._logged(page, "list")
        return self.get_paginated_response(
            QuestionnaireResponseSerializer(page, many=True).data
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        found = response_get(user=request.user, response_id=kwargs["pk"])
        if found is None:
            raise exceptions.NotFound
        self._logged([found], "retrieve")
        return Response(QuestionnaireResponseSerializer(found).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if signed_in_user(request).role != User.Role.PATIENT:
            raise exceptions.PermissionDenied(ONLY_PATIENTS_ANSWER)
        body = QuestionnaireResponseCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            stored, created = questionnaire_response_submit(
                patient=signed_in_user(request),
                data=body.validated_data,
            )
        except ResponseConflict as error:
            raise ResponseConflictError(error.message, error.code) from error
        stored = response_get(user=request.user, response_id=stored.pk) or stored
        return Response(
            QuestionnaireResponseSerializer(stored).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@ASSIGNMENT_SCHEMA
class AssignmentViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Clinicians assign a questionnaire to a plan of one of their patients."""

    queryset = QuestionnaireAssignment.objects.none()
    serializer_class = AssignmentSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list[Any] = []

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = signed_in_user(request)
        if not (user.is_superuser or user.is_clinician):
            raise exceptions.PermissionDenied
        body = AssignmentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        assignment = assignment_create(
            by=user,
            plan_id=data["plan"],
            questionnaire_id=data["questionnaire"],
            every_weeks=data["every_weeks"],
            start_date=data["start_date"],
        )
        return Response(
            AssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED
        )
