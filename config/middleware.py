"""Request guards and response rules around every view: body size cap, no caching of
personal data."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

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


class PrivateNoStoreMiddleware:
    """Authenticated API answers carry ``Cache-Control: no-store`` (one rule, every view).

    What a signed-in caller reads is theirs (profile, export, sessions, plans, progress,
    patients) or staff-only content: no browser, proxy or app HTTP cache may keep a copy.
    ETags still work for ``If-Match`` and for clients that send ``If-None-Match``
    themselves. Anonymous answers (the public library) keep their own caching.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/"):
            return response
        # DRF puts the user its authenticators found (token or session) on the request.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = "no-store"
            patch_vary_headers(response, ("Authorization", "Cookie"))
        return response


# Session key holding when the session was last seen (Unix seconds).
SESSION_SEEN_KEY = "_seen_at"
# At most one session write per this many seconds: idle expiry is exact to a minute.
SESSION_TOUCH_SECONDS = 60


def session_seen_stamp(
    sender: Any, request: HttpRequest, user: Any, **kwargs: Any
) -> None:
    """user_logged_in receiver: a new session starts as just seen."""
    request.session[SESSION_SEEN_KEY] = int(time.time())


class SessionIdleMiddleware:
    """Admin sessions expire after SESSION_COOKIE_AGE without a request (idle timeout).

    Saving the session pushes its expiry forward by SESSION_COOKIE_AGE; doing it on
    every request (SESSION_SAVE_EVERY_REQUEST) would add a write to each admin page, so
    a session is saved only when it was last seen a minute ago or more.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            session = request.session
            seen = session.get(SESSION_SEEN_KEY)
            now = int(time.time())
            if session.get("_auth_user_id") and (
                not isinstance(seen, int) or now - seen >= SESSION_TOUCH_SECONDS
            ):
                session[SESSION_SEEN_KEY] = now
        return self.get_response(request)
