"""drf-spectacular extensions and reusable schema pieces shared by every API module.

- ``ProblemSerializer``: the RFC 9457 error document (config.api.exceptions) as a component.
- ``problem_responses(400, 404, 429)``: documented ``application/problem+json`` error
  responses with examples, for ``@extend_schema(responses={...})``.
- ``CONDITIONAL_GET_PARAMETERS`` / ``NOT_MODIFIED``: the ETag / If-None-Match / 304
  behaviour of GET operations (django.middleware.http.ConditionalGetMiddleware).
- ``THROTTLE_PARAMETERS``: the Retry-After header of a 429.
- ``SelectorFilterBackend``: documents a view's ``filterset_class`` when its selector,
  not the view, applies the FilterSet.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
)
from rest_framework import serializers

from config.api.exceptions import PROBLEM_CONTENT_TYPE, TYPE_PREFIX

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from rest_framework.request import Request
    from rest_framework.views import APIView


class AutoSchema(BaseAutoSchema):
    pass


class SelectorFilterBackend(DjangoFilterBackend):
    """Puts the view's ``filterset_class`` parameters in the schema; filters nothing itself.

    For views whose ``get_queryset()`` calls a selector that already applied (and
    validated) the FilterSet: filtering twice would repeat joins, and detail views must
    not be narrowed by list filters.
    """

    def filter_queryset(
        self, request: Request, queryset: QuerySet[Any], view: APIView
    ) -> QuerySet[Any]:
        return queryset


# ---------------------------------------------------------------------------
# Problem details (RFC 9457)
# ---------------------------------------------------------------------------
class ProblemFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        help_text=(
            "Where the error is: a query parameter name, a dotted path into the request "
            "body, or non_field_errors for the input as a whole."
        )
    )
    code = serializers.CharField(
        help_text='Machine-readable error code, e.g. "invalid_choice", "required".'
    )
    message = serializers.CharField(help_text="Human-readable explanation (English).")


class ProblemSerializer(serializers.Serializer):
    type = serializers.CharField(
        help_text=f"URI identifying the problem type, e.g. {TYPE_PREFIX}not-found."
    )
    title = serializers.CharField(help_text="Short summary: the HTTP status phrase.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="Explanation specific to this occurrence.")
    instance = serializers.CharField(
        required=False, help_text="The request path that caused the problem."
    )
    code = serializers.CharField(
        help_text='Machine-readable code, e.g. "invalid", "not_found", "throttled".'
    )
    errors = ProblemFieldErrorSerializer(
        many=True,
        required=False,
        help_text="Validation errors, one per field and message (400 responses only).",
    )


def _problem_example(
    status: int,
    code: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    instance: str = "/api/v1/exercises/",
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{code.replace('_', '-')}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    return body


PROBLEM_DESCRIPTIONS: dict[int, str] = {
    400: "Invalid input: a query parameter or body field failed validation; `errors` lists each.",
    401: "Missing, invalid or expired credentials.",
    403: "Authenticated, but not allowed to do this.",
    404: "No such resource, or not visible to the caller.",
    405: "Method not allowed on this endpoint.",
    409: "Conflicts with the current state of the resource.",
    412: "A precondition (If-Match) failed.",
    429: "Too many requests: retry after the number of seconds in `Retry-After`.",
}

PROBLEM_EXAMPLES: dict[int, OpenApiExample] = {
    400: OpenApiExample(
        "Invalid query parameter",
        value=_problem_example(
            400,
            "invalid",
            "Select a valid choice. expert is not one of the available choices.",
            errors=[
                {
                    "field": "difficulty",
                    "code": "invalid_choice",
                    "message": "Select a valid choice. expert is not one of the available choices.",
                }
            ],
        ),
    ),
    404: OpenApiExample(
        "Not found",
        value=_problem_example(
            404,
            "not_found",
            "Not found.",
            instance="/api/v1/exercises/0b7e7c62-3f3a-4f5e-9a55-6f2d1c1e9b10/",
        ),
    ),
    429: OpenApiExample(
        "Throttled",
        value=_problem_example(
            429, "throttled", "Request was throttled. Expected available in 42 seconds."
        ),
    ),
}


def problem_response(status: int, description: str = "") -> OpenApiResponse:
    """One documented problem-details response (with an example when one is defined)."""
    example = PROBLEM_EXAMPLES.get(status)
    return OpenApiResponse(
        response=ProblemSerializer,
        description=description or PROBLEM_DESCRIPTIONS[status],
        examples=[example] if example else None,
    )


def problem_responses(*statuses: int) -> dict[tuple[int, str], OpenApiResponse]:
    """Responses for ``@extend_schema(responses=...)``: each status as application/problem+json."""
    return {
        (status, PROBLEM_CONTENT_TYPE): problem_response(status) for status in statuses
    }


# ---------------------------------------------------------------------------
# Conditional GET and rate limiting headers
# ---------------------------------------------------------------------------
NOT_MODIFIED = OpenApiResponse(
    description=(
        "Not modified: the `If-None-Match` value matches the current `ETag`. "
        "The body is empty; reuse the cached representation."
    )
)

CONDITIONAL_GET_PARAMETERS = [
    OpenApiParameter(
        "If-None-Match",
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        required=False,
        description=(
            "An `ETag` from an earlier response: the server answers 304 with an empty "
            "body while the representation is unchanged."
        ),
    ),
    OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        response=[200],
        description="Validator of this representation; send it back in `If-None-Match`.",
    ),
]

THROTTLE_PARAMETERS = [
    OpenApiParameter(
        "Retry-After",
        OpenApiTypes.INT,
        location=OpenApiParameter.HEADER,
        response=[429],
        description="Seconds to wait before retrying.",
    ),
]
