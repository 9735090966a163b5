"""Viewsets of the sessions API: parse, call one service or selector, render.

Schema documentation: sessions/api/openapi; bodies: sessions/api/serializers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db import transaction
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import parse_etags
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.auth import signed_in_user
from config.api.schema import SelectorFilterBackend
from config.api.throttling import round_trip_found
from config.api.validation import fields_read, invalid_body
from outcomes.selectors.proms import measures_progress
from sessions.api.errors import PreconditionRequiredError, session_errors
from sessions.api.openapi.logs import SESSION_SCHEMA
from sessions.api.openapi.plans import PLAN_SCHEMA
from sessions.api.openapi.progress import PROGRESS_SCHEMA
from sessions.api.pagination import SessionCursorPagination
from sessions.api.permissions import IsPatientForWrites, IsPrescriberForWrites
from sessions.api.serializers import (
    PlanCreateSerializer,
    PlanQuerySerializer,
    PlanSerializer,
    PlanUpdateSerializer,
    ProgressMeasureSerializer,
    ProgressQuerySerializer,
    ProgressSerializer,
    SessionCreateSerializer,
    SessionSerializer,
    SessionUpdateSerializer,
)
from sessions.cache import patient_keys, patient_response
from sessions.models import Plan, Session
from sessions.selectors.logs import (
    SessionFilterSet,
    session_browse_cursor,
    session_get,
    session_list,
    session_page_cursor,
    sessions_represent,
)
from sessions.selectors.plans import PlanFilterSet, plan_get, plan_list, plans_as_of
from sessions.services.logs import (
    session_delete,
    session_update,
    session_update_errors,
    session_upload,
    session_upload_errors,
)
from sessions.services.plan_changes import plan_adjust, plan_adjust_errors
from sessions.services.plan_compose import plan_create_by_ids, plan_create_errors
from sessions.services.reads import plans_read, progress_read, sessions_read

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.db.models import QuerySet
    from rest_framework.request import Request


@SESSION_SCHEMA
# Outside ATOMIC_REQUESTS: every write is a service in its own transaction
# (sessions.services.logs), reads need none; the request's transaction only added a
# savepoint and its release around each upload (docs/performance.md).
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class SessionViewSet(viewsets.GenericViewSet[Any]):
    """Session logs: upload, read, edit and delete; list or sync with tombstones."""

    queryset = Session.objects.none()
    serializer_class = SessionSerializer
    permission_classes = [IsAuthenticated, IsPatientForWrites]
    pagination_class = SessionCursorPagination
    filter_backends = [SelectorFilterBackend]
    filterset_class = SessionFilterSet
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Session]:
        if getattr(self, "swagger_fake_view", False):
            return Session.objects.none()
        return session_list(
            user=signed_in_user(self.request), filters=self.request.query_params
        )

    def get_object(self) -> Session:
        session = session_get(
            user=signed_in_user(self.request), session_id=self.kwargs["pk"]
        )
        if session is None:
            raise exceptions.NotFound()
        self.check_object_permissions(self.request, session)
        return session

    def _written(self, session_id: Any, status: int = 200) -> Response:
        """The answer to a write: the stored session as read back (the writer's own)."""
        session = session_get(user=signed_in_user(self.request), session_id=session_id)
        if session is None:  # pragma: no cover - just written by this request
            raise exceptions.NotFound()
        row = sessions_represent([session])[0]
        return Response(row, status=status, headers={"ETag": session.etag})

    def _if_match(self) -> list[str] | None:
        header = self.request.headers.get("If-Match")
        if header is None or not header.strip():
            return None
        # Malformed values parse to [] and so match nothing: a 412, like a stale tag.
        return parse_etags(header)

    def list(self, request: Request) -> HttpResponseBase:
        # A patient's own pages are cached (sessions/cache.py): most syncs find nothing.
        return patient_response(
            request, lambda: self._page(request), round_trip_found(request)
        )

    def round_trip_reads(self, request: Request) -> Sequence[str]:
        """The cache keys of a patient's own page, read with the throttles."""
        return patient_keys(request) if self.action == "list" else []

    def _page(self, request: Request) -> Response:
        queryset = self.get_queryset()  # validates the filters (400)
        # pagination_class below: the stubs know only BasePagination | None.
        params, paginator = (
            request.query_params,
            cast(SessionCursorPagination, self.paginator),
        )
        first_page = not params.get(paginator.cursor_query_param)
        # Read before the page: a change committed later reaches the next sync.
        before = session_browse_cursor(
            user=signed_in_user(request), filters=params, first=first_page
        )
        page = paginator.paginate_queryset(queryset, request, view=self) or []
        rows = sessions_read(
            reader=signed_in_user(request),
            sessions=page,
            action="sessions.list",
            path=request.path,
        )
        cursor = session_page_cursor(filters=params, page=page, default=before)
        return paginator.get_paginated_response(rows, sync_cursor=cursor)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        session = self.get_object()
        row = sessions_read(
            reader=signed_in_user(request),
            sessions=[session],
            action="sessions.retrieve",
            path=request.path,
        )[0]
        return Response(row, headers={"ETag": session.etag})

    def create(self, request: Request) -> Response:
        serializer = SessionCreateSerializer(data=request.data)
        if not serializer.is_valid():
            # Every broken field in one answer: the service's rules on what was read.
            values, errors, unread = fields_read(serializer)
            raise invalid_body(
                errors,
                session_upload_errors(
                    patient=signed_in_user(request), data=values, unread=unread
                ),
            )
        with session_errors():
            session, created = session_upload(
                patient=signed_in_user(request), data=serializer.validated_data
            )
        # The session as stored (just written, or the stored one for a retry): a new
        # session's answer is built from the rows just inserted, nothing read back.
        row = sessions_represent([session])[0]
        response = Response(
            row, status=201 if created else 200, headers={"ETag": session.etag}
        )
        if created:
            response["Location"] = reverse(
                "api:sessions-api:session-detail", kwargs={"pk": session.pk}
            )
        return response

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        session = self.get_object()
        if_match = self._if_match()
        if if_match is None:
            raise PreconditionRequiredError()
        serializer = SessionUpdateSerializer(data=request.data)
        if not serializer.is_valid():
            values, errors, unread = fields_read(serializer)
            rules = session_update_errors(session=session, data=values, unread=unread)
            raise invalid_body(errors, rules)
        with session_errors():
            session_update(
                session=session, if_match=if_match, data=serializer.validated_data
            )
        return self._written(session.pk)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        session = self.get_object()
        with session_errors():
            session_delete(session=session, if_match=self._if_match())
        return Response(status=204)


@PLAN_SCHEMA
# Reads outside ATOMIC_REQUESTS (a cached answer opens no transaction; a read gains
# nothing from one at READ COMMITTED); each write is one transaction, its answer included.
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class PlanViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Plans: scoped reads for patients and their clinicians; writes for clinicians/admins."""

    queryset = Plan.objects.none()
    serializer_class = PlanSerializer
    permission_classes = [IsAuthenticated, IsPrescriberForWrites]
    filter_backends = [SelectorFilterBackend]
    filterset_class = PlanFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Plan]:
        return plan_list(
            user=signed_in_user(self.request), filters=self.request.query_params
        )

    def get_object(self) -> Plan:
        plan = plan_get(user=signed_in_user(self.request), plan_id=self.kwargs["pk"])
        if plan is None:
            raise exceptions.NotFound
        self.check_object_permissions(self.request, plan)
        return plan

    def _on(self) -> Any:
        """The ``on`` date asked for (400 when malformed), or None for today."""
        if "on" not in self.request.query_params:
            return None
        query = PlanQuerySerializer(data={"on": self.request.query_params["on"]})
        query.is_valid(raise_exception=True)
        return query.validated_data["on"]

    # A cached answer is a plain HttpResponse, which DRF's finalize_response passes through.
    def list(  # type: ignore[override]
        self, request: Request, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        return patient_response(
            request, lambda: self._plans(request), round_trip_found(request)
        )

    def round_trip_reads(self, request: Request) -> Sequence[str]:
        """The cache keys of a patient's own plans, read with the throttles."""
        return patient_keys(request) if self.action in ("list", "retrieve") else []

    def _plans(self, request: Request) -> Response:
        on = self._on()
        page = self.paginate_queryset(self.get_queryset())
        plans = list(page) if page is not None else list(self.get_queryset())
        plans_read(
            reader=signed_in_user(request),
            plans=plans,
            action="plans.list",
            path=request.path,
        )
        data = PlanSerializer(plans_as_of(plans=plans, on=on), many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    # A cached answer is a plain HttpResponse, which DRF's finalize_response passes through.
    def retrieve(  # type: ignore[override]
        self, request: Request, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        return patient_response(
            request, lambda: self._plan(request), round_trip_found(request)
        )

    def _plan(self, request: Request) -> Response:
        on = self._on()
        plan = self.get_object()
        plans_read(
            reader=signed_in_user(request),
            plans=[plan],
            action="plans.retrieve",
            path=request.path,
        )
        return Response(PlanSerializer(plans_as_of(plans=[plan], on=on)[0]).data)

    def _answer(self, plan: Plan, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = plan_get(user=self.request.user, plan_id=plan.pk)
        assert fresh is not None
        # The answer shows the patient's plan: a read like any other (issue 10, 9).
        plans_read(
            reader=signed_in_user(self.request),
            plans=[fresh],
            action=f"plans.{self.action}",
            path=self.request.path,
        )
        data = PlanSerializer(plans_as_of(plans=[fresh], on=None)[0]).data
        return Response(data, status=status_code)

    @transaction.atomic
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = PlanCreateSerializer(data=request.data)
        if not serializer.is_valid():
            values, errors, unread = fields_read(serializer)
            rules = plan_create_errors(
                prescriber=signed_in_user(request), data=values, unread=unread
            )
            raise invalid_body(errors, rules)
        plan = plan_create_by_ids(
            prescriber=signed_in_user(request), **serializer.validated_data
        )
        return self._answer(plan, status.HTTP_201_CREATED)

    @transaction.atomic
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = self.get_object()
        serializer = PlanUpdateSerializer(data=request.data)
        if not serializer.is_valid():
            values, errors, unread = fields_read(serializer)
            rules = plan_adjust_errors(
                plan=plan, actor=signed_in_user(request), data=values, unread=unread
            )
            raise invalid_body(errors, rules)
        changes = dict(serializer.validated_data)
        plan_adjust(
            plan=plan,
            actor=signed_in_user(request),
            items=changes.pop("items", []),
            effective_from=changes.pop("effective_from", None),
            add_items=changes.pop("add_items", []),
            end_items=changes.pop("end_items", []),
            changes=changes,
        )
        return self._answer(plan)


@PROGRESS_SCHEMA
# A read: outside ATOMIC_REQUESTS (a cached answer opens no transaction).
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class ProgressView(APIView):
    """A patient's weekly progress: adherence, pain before/after and the pain trend."""

    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> HttpResponseBase:
        return patient_response(
            request, lambda: self._progress(request), round_trip_found(request)
        )

    def round_trip_reads(self, request: Request) -> Sequence[str]:
        """The cache keys of a patient's own progress, read with the throttles."""
        return patient_keys(request)

    def _progress(self, request: Request) -> Response:
        # A plain dict: DRF reads a QueryDict like a form, where a blank value means
        # "not sent"; here ?to= or ?patient= is a malformed value (400), as elsewhere.
        query = ProgressQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        params: dict[str, Any] = query.validated_data
        progress = progress_read(
            reader=signed_in_user(request),
            patient_id=params.get("patient"),
            date_from=params.get("from"),
            date_to=params.get("to"),
            path=request.path,
        )
        data = ProgressSerializer(progress).data
        # Composed here: the outcomes app sits above sessions (docs/outcomes.md).
        data["measures"] = ProgressMeasureSerializer(
            measures_progress(patient_id=progress.patient_id), many=True
        ).data
        return Response(data)
