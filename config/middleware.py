"""Request guards that run before any view: the body size cap."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from config.api.exceptions import PROBLEM_CONTENT_TYPE, problem


class BodySizeLimitMiddleware:
    """Refuse a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE with a 413 problem, unread.

    Django enforces that limit only when ``request.body`` or ``request.POST`` is read;
    DRF's JSON parser reads the stream directly and would accept any size. Checking the
    declared Content-Length refuses the request before its body is read at all (a body
    without Content-Length, i.e. chunked, is read as empty by Django's WSGI handler).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            body = problem(
                413,
                code="too_large",
                detail=f"The request body is {length} bytes; the limit is {limit}.",
                instance=request.path,
            )
            # No Connection: close (a hop-by-hop header WSGI apps may not set): gunicorn
            # discards the unread body itself before the next request on the connection.
            return HttpResponse(
                json.dumps(body), status=413, content_type=PROBLEM_CONTENT_TYPE
            )
        return self.get_response(request)
