"""FHIR R4 HTTP layer: ``application/fhir+json``, OperationOutcome errors, JWT auth.

Not OpenAPI operations (``schema = None``): the CapabilityStatement describes them.
Thin views: parse the search, call the resource type, log patient reads, render.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.http import Http404
from django.http.response import HttpResponseBase
from django.utils.decorators import method_decorator
from rest_framework import exceptions
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.throttling import (
    AnonRateThrottle,
    ScopedRateThrottle,
    UserRateThrottle,
    round_trip_found,
)
from integrations.fhir import mapping, search
from integrations.fhir.capability import capability_statement
from integrations.fhir.resources import RESOURCE_TYPES, Gone, ResourceType
from sessions.cache import patient_keys, patient_response
from users.models import User
from users.services import access_log_record_many

FHIR_JSON = "application/fhir+json"
JSON_FORMATS = {"json", "application/json", FHIR_JSON, "application/json+fhir"}
UNKNOWN_TYPE = "Resource type {name!r} is not supported here (see /fhir/r4/metadata)."
NOT_FOUND = "{name}/{pk} is not known."
DELETED = "{name}/{pk} was deleted."
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    410: "deleted",
    415: "not-supported",
    429: "throttled",
}


class FHIRJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir"


class ResourceGone(exceptions.APIException):
    status_code = 410
    default_code = "gone"


def fhir_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every refusal as an OperationOutcome (headers such as Retry-After kept)."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    detail = exc.detail
    text = detail if isinstance(detail, str) else "; ".join(map(str, detail))
    response = Response(
        mapping.operation_outcome(
            severity="error",
            code=ISSUE_CODES.get(exc.status_code, "exception"),
            diagnostics=str(text),
        ),
        status=exc.status_code,
    )
    if getattr(exc, "auth_header", None):
        response["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None):
        response["Retry-After"] = str(math.ceil(exc.wait))  # type: ignore[attr-defined]
    return response


# Reads only: outside ATOMIC_REQUESTS (a cached answer opens no transaction; a read's
# access-log entry is one INSERT).
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class FHIRView(APIView):
    schema = None  # not in /api/schema/: the CapabilityStatement describes it
    renderer_classes = [FHIRJSONRenderer, JSONRenderer]
    permission_classes = [IsAuthenticated]
    throttle_classes = [AnonRateThrottle, UserRateThrottle, ScopedRateThrottle]
    throttle_scope = "fhir"

    def get_exception_handler(self) -> Any:
        return fhir_exception_handler

    def perform_content_negotiation(
        self, request: Request, force: bool = False
    ) -> tuple[BaseRenderer, str]:
        wanted = request.query_params.get("_format")
        if wanted is None or force:
            return super().perform_content_negotiation(request, force)
        if wanted not in JSON_FORMATS:
            raise exceptions.NotAcceptable(f"_format {wanted!r}: only JSON is served.")
        return FHIRJSONRenderer(), FHIR_JSON

    def resource_type(self, name: str) -> ResourceType:
        if name not in RESOURCE_TYPES:
            raise exceptions.NotFound(UNKNOWN_TYPE.format(name=name))
        return RESOURCE_TYPES[name]

    def caller(self) -> User:
        """The signed-in user (IsAuthenticated ran before the handler)."""
        user = self.request.user
        assert isinstance(user, User)
        return user

    def log(self, resource: ResourceType, patient_ids: list[Any], action: str) -> None:
        if resource.logged and patient_ids:
            access_log_record_many(
                actor=self.caller(),
                patient_ids=patient_ids,
                action=f"fhir.{resource.name}.{action}",
                path=self.request.get_full_path(),
            )


class MetadataView(FHIRView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        base = request.build_absolute_uri("/fhir/r4")
        return Response(capability_statement(base_url=base))


# A patient's reads of these are cached with their other answers (sessions/cache.py):
# a CarePlan shows the plan, whose writes make the patient's cached answers stale.
PATIENT_CACHED = frozenset({"CarePlan"})


class ReadView(FHIRView):
    def get(self, request: Request, resource_type: str, pk: str) -> HttpResponseBase:
        if resource_type in PATIENT_CACHED:
            return patient_response(
                request,
                lambda: self._read(resource_type, pk),
                round_trip_found(request),
            )
        return self._read(resource_type, pk)

    def round_trip_reads(self, request: Request) -> list[str]:
        """The cache keys of a patient's own cached resource, read with the throttles."""
        if self.kwargs.get("resource_type") in PATIENT_CACHED:
            return patient_keys(request)
        return []

    def _read(self, resource_type: str, pk: str) -> Response:
        resource = self.resource_type(resource_type)
        try:
            found = resource.read(self.caller(), pk)
        except Gone:
            raise ResourceGone(DELETED.format(name=resource.name, pk=pk)) from None
        if found is None:
            raise exceptions.NotFound(NOT_FOUND.format(name=resource.name, pk=pk))
        if found.patient_id is not None:
            self.log(resource, [found.patient_id], "read")
        return Response(found.resource)


class SearchView(FHIRView):
    def get(self, request: Request, resource_type: str) -> Response:
        resource = self.resource_type(resource_type)
        strict = "handling=strict" in request.headers.get("Prefer", "").replace(" ", "")
        try:
            query = search.parse(
                dict(request.query_params.lists()), resource.params, strict=strict
            )
        except search.SearchError as exc:
            raise exceptions.ValidationError(str(exc)) from None
        page = resource.search(self.caller(), query)
        self.log(resource, page.patient_ids, "search")
        base = request.build_absolute_uri(f"/fhir/r4/{resource.name}")
        return Response(_bundle(base, resource.name, query, page))


def _bundle(base: str, name: str, query: search.Search, page: Any) -> dict[str, Any]:
    def link(relation: str, offset: int) -> dict[str, str]:
        params = [*query.used, ("_count", str(query.count)), ("_offset", str(offset))]
        return {"relation": relation, "url": f"{base}?{urlencode(params)}"}

    links = [link("self", query.offset)]
    if query.count and query.offset + query.count < page.total:
        links.append(link("next", query.offset + query.count))
    if query.offset > 0:
        links.append(link("previous", max(query.offset - query.count, 0)))
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": page.total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in page.resources
        ],
    }


class NotFoundView(FHIRView):
    """Anything else below /fhir/r4/: a 404 OperationOutcome."""

    permission_classes = [AllowAny]

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise exceptions.NotFound("No such FHIR endpoint (see /fhir/r4/metadata).")
