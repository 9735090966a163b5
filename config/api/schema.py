"""drf-spectacular extensions and reusable schema pieces shared by every API module.

- ``ProblemSerializer``: the RFC 9457 error document (config.api.exceptions) as a component.
- ``problem_responses(400, 404, 429)``: documented ``application/problem+json`` error
  responses with examples, for ``@extend_schema(responses={...})``.
- ``CONDITIONAL_GET_PARAMETERS`` / ``NOT_MODIFIED``: the ETag / If-None-Match / 304
  behaviour of GET operations (django.middleware.http.ConditionalGetMiddleware).
- ``THROTTLE_PARAMETERS``: the Retry-After header of a 429.
- ``SelectorFilterBackend``: documents a view's ``filterset_class`` when its selector,
  not the view, applies the FilterSet.
- ``LINKS`` (config/api/links.py): OpenAPI links between operations, added to responses.
"""

from __future__ import annotations

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

from config.api.authentication import TOKEN_EXPIRED
from config.api.exceptions import PROBLEM_CONTENT_TYPE, TYPE_PREFIX, problem
from config.api.links import LINKS

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from rest_framework.request import Request
    from rest_framework.views import APIView


class AutoSchema(BaseAutoSchema):
    def get_auth(self) -> list[dict[str, list[str]]]:
        """Security requirements; none at all for operations that take no credentials.

        drf-spectacular writes ``security: [{}]`` for a view without authenticators
        (e.g. registration). OpenAPI reads that as "no credentials", the same as no
        ``security`` key, but openapi-python-client reads any non-empty list as
        "credentials required" and made ``auth_register`` demand an
        ``AuthenticatedClient``. Leaving the key out says the same thing to every reader,
        and matches the token endpoints.
        """
        auths: list[dict[str, list[str]]] = super().get_auth()
        return [] if all(not requirement for requirement in auths) else auths

    # Text never contains NUL (U+0000): PostgreSQL cannot store it, so every text input
    # refuses it (400). Saying so lets clients, and the fuzzer, know it is invalid.
    def _map_serializer_field(
        self, field: Any, direction: Any, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_serializer_field(
            field, direction, bypass_extensions
        )
        if direction == "request" and isinstance(field, serializers.CharField):
            _forbid_nul(schema)
        return schema

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)
        _blank_one_of_collapse(schema)

    def _get_parameters(self) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._get_parameters()
        for parameter in parameters:
            if parameter.get("in") == "query":
                _forbid_nul(parameter.get("schema", {}))
        return parameters

    # Responses an operation can give whatever its view says, found undocumented by the
    # contract fuzzer (docs/testing.md): added where the view did not declare them.
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        """The view's responses, plus 304, 401, 406, 413, 415, 429 and 503 where they apply.

        - 304: ConditionalGetMiddleware answers a matching ``If-None-Match`` on any GET.
        - 401: an invalid or expired token is refused even where none is needed.
        - 406: an ``Accept`` header that excludes JSON (the only media type produced).
        - 413: a body over the size limit (config.middleware.BodySizeLimitMiddleware).
        - 415: a body that is not ``application/json`` (the only one parsed).
        - 429: any throttled view (every view has the anon/user rate limits).
        - 503: the database unreachable or too slow (config.api.exceptions).
        - links: LINKS, where a response feeds another operation.
        """
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        extra: dict[int, OpenApiResponse] = {}
        if self._conditional_get():
            extra[304] = NOT_MODIFIED
        auths = self.get_auth()
        if auths:
            extra[401] = problem_response(
                401, UNAUTHORIZED_OPTIONAL if {} in auths else ""
            )
        extra[406] = problem_response(406)
        if self.method in {"POST", "PUT", "PATCH"} and self.get_request_serializer():
            extra[413] = problem_response(413)
            extra[415] = problem_response(415)
        if self._is_throttled():
            extra[429] = problem_response(429)
        extra[503] = problem_response(503)
        for status, response in extra.items():
            if str(status) not in responses:
                media = None if status == 304 else (PROBLEM_CONTENT_TYPE,)
                responses[str(status)] = self._get_response_for_code(
                    response, str(status), media, direction
                )
        for code, links in LINKS.get(self.get_operation_id(), {}).items():
            if code in responses:
                responses[code]["links"] = links
        return dict(sorted(responses.items()))

    def get_override_parameters(self) -> list[Any]:
        """GET operations also get ``If-None-Match`` / ``ETag`` (ConditionalGetMiddleware);
        every operation the ``Retry-After`` of its 503 (and of its 429 if throttled).
        """
        parameters = list(super().get_override_parameters())
        named = {p.name for p in parameters if isinstance(p, OpenApiParameter)}
        if self._conditional_get():
            parameters += [p for p in CONDITIONAL_GET_PARAMETERS if p.name not in named]
        if "Retry-After" not in named:
            parameters.append(
                RETRY_AFTER_THROTTLED if self._is_throttled() else RETRY_AFTER
            )
        return parameters

    def _conditional_get(self) -> bool:
        """A GET answered in one piece (ConditionalGetMiddleware gives it an ETag and
        304s); a streamed one (``conditional_get = False`` on the view) has neither."""
        return self.method == "GET" and getattr(self.view, "conditional_get", True)

    def _is_throttled(self) -> bool:
        return bool(getattr(self.view, "throttle_classes", None))


NO_NUL_PATTERN = r"^[^\u0000]*$"


def _forbid_nul(schema: dict[str, Any]) -> None:
    """Add NO_NUL_PATTERN to a plain string schema (not one with a format, enum or pattern)."""
    if schema.get("type") == "string" and not {"format", "enum", "pattern"} & set(
        schema
    ):
        schema["pattern"] = NO_NUL_PATTERN


def _blank_one_of_collapse(schema: dict[str, Any]) -> None:
    """One string schema (in place) where drf-spectacular wrote ``oneOf: [string, empty
    string]`` for a blank-allowed field whose only constraint is the no-NUL pattern
    (``_forbid_nul``).

    That pattern matches "" too, so "" matched both branches of the ``oneOf``: the
    schema called the empty string invalid while the API accepts it (the contract
    fuzzer sent "" as a negative example). Fields with a format or a minimum length
    keep their ``oneOf`` (there "" is only the second branch).
    """
    branches = schema.get("oneOf")
    if not (isinstance(branches, list) and len(branches) == 2):
        return
    inner, blank = branches
    if blank != {"type": "string", "maxLength": 0}:
        return
    if inner.get("pattern") != NO_NUL_PATTERN or {"format", "minLength"} & set(inner):
        return
    del schema["oneOf"]
    schema.update(inner)


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
class ProblemFieldErrorSerializer(serializers.Serializer[Any]):
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


class ProblemSerializer(serializers.Serializer[Any]):
    type = serializers.CharField(
        help_text=f"URI identifying the problem type, e.g. {TYPE_PREFIX}not_found."
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
    # A declared field named like Serializer.errors: DRF allows it, the stubs do not.
    errors = ProblemFieldErrorSerializer(  # type: ignore[assignment]
        many=True,
        required=False,
        help_text="Validation errors, one per field and message (400 responses only).",
    )


EXAMPLE_INSTANCE = "/api/v1/exercises/"


def problem_example(
    name: str,
    status: int,
    code: str,
    detail: str,
    *,
    instance: str = EXAMPLE_INSTANCE,
    errors: list[dict[str, str]] | None = None,
    **options: Any,
) -> OpenApiExample:
    """An example problem document, made by the exception handler's own builder."""
    value = problem(status, code=code, detail=detail, instance=instance, errors=errors)
    return OpenApiExample(name, value=value, **options)


PROBLEM_DESCRIPTIONS: dict[int, str] = {
    400: "Invalid input: a query parameter or body field failed validation; `errors` lists each.",
    401: (
        "Missing, invalid or expired credentials. `token_expired`: refresh the access "
        "token and repeat the request; other codes: log in again."
    ),
    403: "Authenticated, but not allowed to do this.",
    404: "No such resource, or not visible to the caller.",
    405: "Method not allowed on this endpoint.",
    409: "Conflicts with the current state of the resource.",
    406: "The `Accept` header excludes `application/json`, the only media type served.",
    412: "A precondition (If-Match) failed.",
    413: "The body is larger than the limit (1 MiB by default); nothing was read.",
    415: "The body is not `application/json`, the only media type accepted.",
    429: "Too many requests: retry after the number of seconds in `Retry-After`.",
    503: (
        "The database is unavailable or too slow (a restart, a failover): retry after "
        "the number of seconds in `Retry-After` (uploads are safe to retry)."
    ),
}
UNAUTHORIZED_OPTIONAL = (
    "Credentials were sent but are invalid or expired (no credentials are needed "
    "here): refresh the token, or send none."
)

TOKEN_EXPIRED_EXAMPLE = problem_example(
    "Token expired", 401, "token_expired", TOKEN_EXPIRED
)

PROBLEM_EXAMPLES: dict[int, OpenApiExample] = {
    400: problem_example(
        "Invalid query parameter",
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
    401: problem_example(
        "Token not valid",
        401,
        "token_not_valid",
        "Given token not valid for any token type",
    ),
    404: problem_example(
        "Not found",
        404,
        "not_found",
        "Not found.",
        instance="/api/v1/exercises/0b7e7c62-3f3a-4f5e-9a55-6f2d1c1e9b10/",
    ),
    406: problem_example(
        "Not acceptable",
        406,
        "not_acceptable",
        "Could not satisfy the request Accept header.",
    ),
    413: problem_example(
        "Too large",
        413,
        "too_large",
        "The request body is 2097152 bytes; the limit is 1048576.",
    ),
    415: problem_example(
        "Unsupported media type",
        415,
        "unsupported_media_type",
        'Unsupported media type "text/plain" in request.',
    ),
    503: problem_example(
        "Database unavailable",
        503,
        "service_unavailable",
        "The database is unavailable or too slow; retry later.",
    ),
    429: problem_example(
        "Throttled",
        429,
        "throttled",
        "Request was throttled. Expected available in 42 seconds.",
    ),
}


def problem_response(
    status: int, description: str = "", *examples: OpenApiExample
) -> OpenApiResponse:
    """One documented problem-details response: the given examples, else the shared ones."""
    shared = PROBLEM_EXAMPLES.get(status)
    if not examples and shared:
        # A 401 may be an expired token (refresh) or another bad one (log in again).
        examples = (shared, TOKEN_EXPIRED_EXAMPLE) if status == 401 else (shared,)
    return OpenApiResponse(
        response=ProblemSerializer,
        description=description or PROBLEM_DESCRIPTIONS[status],
        examples=list(examples) or None,
    )


def problem_responses(
    *statuses: int, **custom: OpenApiResponse
) -> dict[tuple[int, str], OpenApiResponse]:
    """Responses for ``@extend_schema(responses=...)``, each as application/problem+json.

    ``statuses`` get the shared description and example; ``custom`` responses are keyed
    ``s<status>`` (``s409=problem_response(409, "...", example)``).
    """
    responses = {
        (status, PROBLEM_CONTENT_TYPE): problem_response(status) for status in statuses
    }
    for key, response in custom.items():
        responses[(int(key.removeprefix("s")), PROBLEM_CONTENT_TYPE)] = response
    return responses


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


def _retry_after(*statuses: int) -> OpenApiParameter:
    """The ``Retry-After`` header of these responses."""
    return OpenApiParameter(
        "Retry-After",
        OpenApiTypes.INT,
        location=OpenApiParameter.HEADER,
        response=list(statuses),
        description="Seconds to wait before retrying.",
    )


RETRY_AFTER = _retry_after(503)
RETRY_AFTER_THROTTLED = _retry_after(429, 503)
THROTTLE_PARAMETERS = [RETRY_AFTER_THROTTLED]


# ---------------------------------------------------------------------------
# Enum member names for generated clients
# ---------------------------------------------------------------------------
def name_enum_members(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Postprocessing hook: ``x-enum-varnames`` on string enums whose values are not names.

    Client generators name enum members after the values; a descending sort key such as
    ``-name`` is not an identifier, so openapi-python-client fell back to ``VALUE_0``,
    ``VALUE_1``... The extension (read by openapi-python-client and OpenAPI Generator)
    names them ``NAME_DESC``; enums whose values are all identifiers are left alone.
    """
    _add_enum_varnames(result)
    return result


def _add_enum_varnames(node: Any) -> None:
    if isinstance(node, dict):
        values = node.get("enum")
        if node.get("type") == "string" and isinstance(values, list):
            names = _enum_member_names(values)
            if names is not None:
                node.setdefault("x-enum-varnames", names)
        for value in node.values():
            _add_enum_varnames(value)
    elif isinstance(node, list):
        for value in node:
            _add_enum_varnames(value)


def _enum_member_names(values: list[Any]) -> list[str] | None:
    """``["-name", "name", ""]`` -> ``["NAME_DESC", "NAME", "DEFAULT"]``.

    None when no names are needed or possible.
    """
    if not all(isinstance(value, str) for value in values) or all(
        value.isidentifier() for value in values
    ):
        return None
    names = []
    for value in values:
        if value.startswith("-") and value[1:].isidentifier():
            names.append(f"{value[1:]}_desc".upper())
        elif value.isidentifier():
            names.append(value.upper())
        elif value == "":  # a blank choice: "the default" (e.g. a blank ordering)
            names.append("DEFAULT")
        else:
            return None
    return names if len(set(names)) == len(names) else None
