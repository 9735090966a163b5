"""Every API error leaves as an RFC 9457 problem document (application/problem+json).

Shape: ``{type, title, status, detail, instance, code, errors?}`` where ``errors`` lists
``{field, code, message}`` for validation errors (``field`` is a dotted path into the
request body or the query parameter's name; ``non_field_errors`` for the body as a whole).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections
from django.db.utils import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:rehabit:problem:"
NON_FIELD_KEY = "__all__"  # Django's key for errors of a model or form as a whole
# Seconds a client should wait before retrying when the database is down or too slow.
UNAVAILABLE_RETRY_AFTER = 5


def problem(
    status: int,
    *,
    code: str,
    detail: str,
    instance: str = "",
    errors: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Build the problem document for a status and a machine-readable code."""
    body: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    return body


def flatten_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn DRF's nested error detail into a flat list of {field, code, message}."""
    out: list[dict[str, str]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "non_field_errors" if key == NON_FIELD_KEY else str(key)
            field = f"{prefix}.{name}" if prefix else name
            out.extend(flatten_errors(value, field))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                out.extend(
                    flatten_errors(value, f"{prefix}.{index}" if prefix else str(index))
                )
            else:
                out.extend(flatten_errors(value, prefix))
    else:
        out.append(
            {
                "field": prefix or "non_field_errors",
                "code": getattr(detail, "code", None) or "invalid",
                "message": str(detail),
            }
        )
    return out


def _is_non_atomic(view: Any) -> bool:
    return bool(getattr(getattr(view, "dispatch", None), "_non_atomic_requests", None))


@contextmanager
def _rollback_flags_kept() -> Iterator[None]:
    """Undo DRF's ``set_rollback`` for a view that runs outside ATOMIC_REQUESTS.

    DRF marks the innermost open atomic block for rollback on an error, taking it for
    the request's. A non-atomic view (the catalog reads) has none: a block open there is
    the caller's (a test's transaction) and must not be doomed by a 404.
    """
    saved = {
        conn.alias: conn.needs_rollback
        for conn in connections.all(initialized_only=True)
        if conn.in_atomic_block
    }
    try:
        yield
    finally:
        for alias, needs_rollback in saved.items():
            connections[alias].needs_rollback = needs_rollback


def problem_exception_handler(
    exc: Exception, context: dict[str, Any]
) -> Response | None:
    """DRF exception handler: DRF's own handling, then the body rewritten as a problem."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    if _is_non_atomic(context.get("view")):
        with _rollback_flags_kept():
            response = exception_handler(exc, context)
    else:
        response = exception_handler(exc, context)
    if response is None:
        return None

    request = context.get("request")
    instance = request.path if request is not None else ""
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        detail = "The request has invalid fields; see errors."
        if len(errors) == 1:
            detail = errors[0]["message"]
        body = problem(
            response.status_code,
            code="invalid",
            detail=detail,
            instance=instance,
            errors=errors,
        )
    else:
        detail_value = getattr(exc, "detail", str(exc))
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = (
            codes if isinstance(codes, str) else getattr(exc, "default_code", "error")
        )
        if isinstance(detail_value, dict | list):
            # e.g. simplejwt's token errors: keep the first message as the detail.
            flat = flatten_errors(detail_value)
            detail_text = flat[0]["message"] if flat else str(exc)
        else:
            detail_text = str(detail_value)
        body = problem(
            response.status_code, code=code, detail=detail_text, instance=instance
        )
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _plain_problem(
    request: HttpRequest, status: int, code: str, detail: str
) -> HttpResponse:
    body = problem(status, code=code, detail=detail, instance=request.path)
    return HttpResponse(
        json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE
    )


def not_found_view(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for URLs no view matched: a problem document under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return _plain_problem(request, 404, "not_found", "No such resource.")
    return defaults.page_not_found(request, exception)


def server_error_view(request: HttpRequest) -> HttpResponse:
    """500: a problem document under /api/, Django's page elsewhere.

    A database that is unreachable, restarting or past statement_timeout is a 503
    with Retry-After instead: the request did not fail for good, and clients retry.
    """
    if request.path.startswith("/api/"):
        # Django calls this view inside its `except` block: the exception is at hand.
        if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
            response = _plain_problem(
                request,
                503,
                "service_unavailable",
                "The database is unavailable or too slow; retry later.",
            )
            response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
            return response
        return _plain_problem(
            request, 500, "server_error", "An unexpected error occurred."
        )
    return defaults.server_error(request)
