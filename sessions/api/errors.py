"""HTTP errors of the sessions API (RFC 9457 problems via config.api.exceptions)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rest_framework import exceptions

from sessions.models import Session
from sessions.services.logs import (
    SessionConflict,
    SessionPreconditionFailed,
    SessionQuotaExceeded,
)


class SessionConflictError(exceptions.APIException):
    status_code = 409
    default_detail = "A session with this id already exists with different content."
    default_code = "conflict"


class PreconditionFailedError(exceptions.APIException):
    status_code = 412
    default_detail = "The session changed since you read it."
    default_code = "precondition_failed"


class PreconditionRequiredError(exceptions.APIException):
    status_code = 428
    default_detail = (
        "Send the session's ETag in If-Match (GET the session to read it); "
        "edits without it could overwrite another device's change."
    )
    default_code = "precondition_required"


class UploadQuotaExceededError(exceptions.Throttled):
    """429 with its own code: this account's 24-hour upload limits, not a rate limit."""

    default_detail = "You uploaded as much as one account may in 24 hours."
    default_code = "upload_quota_exceeded"


@contextmanager
def session_errors() -> Iterator[None]:
    """Map the session services' domain errors to their HTTP problems (409, 412, 404, 429)."""
    try:
        yield
    except SessionConflict as exc:
        raise SessionConflictError(detail=exc.message, code=exc.code) from exc
    except SessionQuotaExceeded as exc:
        raise UploadQuotaExceededError(
            wait=exc.retry_after, detail=str(exc), code="upload_quota_exceeded"
        ) from exc
    except SessionPreconditionFailed as exc:
        raise PreconditionFailedError(detail=str(exc)) from exc
    except Session.DoesNotExist as exc:  # deleted while this request waited for it
        raise exceptions.NotFound() from exc
