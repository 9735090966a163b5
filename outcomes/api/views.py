"""HTTP interface of outcomes: alerts for the care team and a clinician's alert settings.

Thin: parse, call one service or selector, render (docs in outcomes/api/openapi.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.decorators import method_decorator
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.throttling import round_trip_found
from outcomes.api.openapi import ALERT_SCHEMA, ALERT_SETTINGS_SCHEMA
from outcomes.api.permissions import IsCareTeam, IsClinician, signed_in_user
from outcomes.api.serializers import (
    AlertActionSerializer,
    AlertQuerySerializer,
    AlertSerializer,
    AlertSettingsSerializer,
)
from outcomes.cache import alert_keys, alert_response
from outcomes.models import Alert
from outcomes.selectors.alerts import alert_get, alert_list
from outcomes.services.alerts import (
    AlertStateConflict,
    alert_acknowledge,
    alert_resolve,
)
from outcomes.services.digests import alert_settings_get, alert_settings_update
from users.services import access_log_record_many

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.db.models import QuerySet
    from django.http.response import HttpResponseBase
    from rest_framework.request import Request


# The list's filters (the query serializer's fields; limit and offset are the pager's).
FILTERS = tuple(AlertQuerySerializer().fields)


class AlertConflictError(exceptions.APIException):
    status_code = 409
    default_detail = "The alert's status does not allow this."
    default_code = "conflict"


@ALERT_SCHEMA
# Reads outside ATOMIC_REQUESTS (at READ COMMITTED a read gains nothing from a
# transaction; its access log rows are one INSERT); a state change is one transaction,
# its log rows and answer included.
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class AlertViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Alerts on the caller's patients; state changes are POST actions."""

    queryset = Alert.objects.none()
    serializer_class = AlertSerializer
    permission_classes = [IsAuthenticated, IsCareTeam]
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Alert]:
        params = self.request.query_params
        if not any(name in params for name in FILTERS):  # the unfiltered list
            return alert_list(user=self.request.user)
        # A plain dict: DRF reads a blank query value as "not sent", here it is a 400.
        query = AlertQuerySerializer(data=dict(params.items()))
        query.is_valid(raise_exception=True)
        return alert_list(
            user=self.request.user,
            patient_id=query.validated_data.get("patient"),
            status=query.validated_data.get("status"),
            kind=query.validated_data.get("kind"),
        )

    def _logged(self, alerts: Sequence[Alert], what: str) -> None:
        self._patients_logged([alert.patient_id for alert in alerts], what)

    def _patients_logged(self, patient_ids: Sequence[Any], what: str) -> None:
        access_log_record_many(
            actor=signed_in_user(self.request),
            patient_ids=patient_ids,
            action=f"alerts.{what}",
            path=self.request.path,
        )

    def _alert(self) -> Alert:
        alert = alert_get(user=self.request.user, alert_id=self.kwargs["pk"])
        if alert is None:
            raise exceptions.NotFound
        return alert

    # A clinician's list comes from the alert cache when it can (outcomes/cache.py): a
    # plain HttpResponse, which DRF's finalize_response passes through. Hit or miss,
    # the patients of the page are written to the access log.
    def list(  # type: ignore[override]
        self, request: Request, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        shown: list[Any] = []

        def render() -> Response:
            alerts = list(self.paginate_queryset(self.get_queryset()) or [])
            shown.extend(alert.patient_id for alert in alerts)
            self._patients_logged(shown, "list")
            return self.get_paginated_response(AlertSerializer(alerts, many=True).data)

        return alert_response(
            request,
            render,
            shown=lambda: shown,
            on_hit=lambda patient_ids: self._patients_logged(patient_ids, "list"),
            found=round_trip_found(request),
        )

    def round_trip_reads(self, request: Request) -> Sequence[str]:
        """The alert cache's keys, read with the throttles (config/api/throttling.py)."""
        return alert_keys(request) if self.action == "list" else []

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        alert = self._alert()
        self._logged([alert], "retrieve")
        return Response(AlertSerializer(alert).data)

    @transaction.atomic
    def _transition(self, request: Request, service: Any) -> Response:
        alert = self._alert()
        body = AlertActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            service(
                alert=alert,
                by=signed_in_user(request),
                note=body.validated_data["note"],
            )
        except AlertStateConflict as error:
            raise AlertConflictError(error.message, error.code) from error
        self._logged([alert], self.action)
        return Response(AlertSerializer(self._alert()).data)

    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, alert_acknowledge)

    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, alert_resolve)


@ALERT_SETTINGS_SCHEMA
class AlertSettingsView(APIView):
    """The signed-in clinician's alert settings (the daily digest switch)."""

    permission_classes = [IsAuthenticated, IsClinician]

    def get(self, request: Request) -> Response:
        found = alert_settings_get(clinician=signed_in_user(request))
        return Response(AlertSettingsSerializer(found).data)

    def patch(self, request: Request) -> Response:
        # A partial update: a body without daily_digest changes nothing.
        body = AlertSettingsSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        clinician = signed_in_user(request)
        if "daily_digest" in body.validated_data:
            found = alert_settings_update(
                clinician=clinician, daily_digest=body.validated_data["daily_digest"]
            )
        else:
            found = alert_settings_get(clinician=clinician)
        return Response(AlertSettingsSerializer(found).data)
