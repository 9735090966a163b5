"""Request guards and response rules around every view: body size cap, no caching of
personal data; cheaper versions of two library middlewares (the Content-Security-Policy
header built once, flash messages only where pages show them): docs/performance.md."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from csp.constants import HEADER as CSP_HEADER
from csp.constants import HEADER_REPORT_ONLY as CSP_HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_vary_headers

from config.api.exceptions import PROBLEM_CONTENT_TYPE, problem

# Where the API lives (config/urls.py): token-authenticated JSON, no admin pages.
API_PREFIX = "/api/"


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
        if not request.path.startswith(API_PREFIX):
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


# Per-response CSP overrides (django-csp's decorators set these on the response).
_CSP_OVERRIDES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)
# Report-only or not -> the policy built from the settings alone and its excluded path
# prefixes; cleared when a setting changes (tests).
_CSP_BUILT: dict[bool, tuple[str, tuple[str, ...]]] = {}


def _csp_forget(**kwargs: Any) -> None:
    _CSP_BUILT.clear()


setting_changed.connect(_csp_forget, dispatch_uid="config.middleware.csp_forget")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, building the policy once instead of on every response.

    A response without a nonce (none was asked for) and without per-view overrides gets
    the policy of the settings alone, which does not change between requests: it is
    built once per setting (django-csp builds it twice per response, a tenth of an API
    request's fixed cost). Anything else takes django-csp's own path.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in _CSP_OVERRIDES
        ):
            return super().process_response(request, response)
        if response.status_code in (404, 500) and settings.DEBUG:
            return response
        for report_only, header in (
            (False, CSP_HEADER),
            (True, CSP_HEADER_REPORT_ONLY),
        ):
            policy, excluded = self._built(report_only)
            if (
                policy
                and header not in response
                and not request.path_info.startswith(excluded)
            ):
                response[header] = policy
        # As django-csp: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response

    @staticmethod
    def _built(report_only: bool) -> tuple[str, tuple[str, ...]]:
        built = _CSP_BUILT.get(report_only)
        if built is None:
            name = "CONTENT_SECURITY_POLICY" + ("_REPORT_ONLY" if report_only else "")
            prefixes = (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES")
            built = _CSP_BUILT[report_only] = (
                build_policy(report_only=report_only),
                tuple(prefixes or ()),
            )
        return built


class AdminMessageMiddleware(MessageMiddleware):
    """django.contrib.messages for the pages that show messages (the admin), not the API.

    No API view adds or reads a flash message (they answer JSON); setting up the message
    storage on every API request and saving it on the way out was about 20 us of each.
    """

    def process_request(self, request: HttpRequest) -> None:
        if not request.path_info.startswith(API_PREFIX):
            super().process_request(request)

    def process_response(
        self, request: HttpRequest, response: HttpResponse
    ) -> HttpResponse:
        if not hasattr(request, "_messages"):
            return response
        return super().process_response(request, response)
