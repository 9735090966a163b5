"""Request guards and response rules around every view: body size cap, no caching of
personal data; cheaper versions of library middlewares (the Content-Security-Policy
header built once, flash messages only where pages show them) and the browser-only
middlewares that a token-authenticated API request skips: docs/performance.md."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, cast

from asgiref.sync import iscoroutinefunction
from corsheaders.middleware import CorsMiddleware as _Cors
from csp.constants import HEADER as CSP_HEADER
from csp.constants import HEADER_REPORT_ONLY as CSP_HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware as _Authentication
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware as _Session
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware as _XFrameOptions
from django.middleware.common import CommonMiddleware as _Common
from django.middleware.csrf import CsrfViewMiddleware as _Csrf
from django.middleware.http import ConditionalGetMiddleware as _ConditionalGet
from django.middleware.security import SecurityMiddleware as _Security
from django.utils.cache import patch_vary_headers
from django.utils.decorators import sync_and_async_middleware
from simple_history.middleware import HistoryRequestMiddleware as _History

from common.etags import response_etag_set
from config.api.exceptions import PROBLEM_CONTENT_TYPE, problem
from config.headers import header_setdefault, vary_add

# Where the API lives (config/urls.py): token-authenticated JSON, no admin pages.
API_PREFIX = "/api/"
# The token-authenticated JSON APIs (not the docs pages under /api/docs/, /api/redoc/
# and /api/schema/, which browsers open).
TOKEN_API_PREFIXES = ("/api/v1/", "/fhir/")


def browser_free(request: HttpRequest) -> bool:
    """A request that the browser-only middlewares have nothing to do for.

    A call to the JSON API without any cookie (a mobile app or an integration with a
    bearer token, or anonymous; an empty Cookie header holds none): no session to load
    or save, no CSRF cookie to read (DRF's views are csrf_exempt; DRF's
    SessionAuthentication checks CSRF itself, and only for a session user), no Django
    user to attach (DRF authenticates and sets ``request.user``), no flash messages.
    A request with a cookie, or to any other path (the admin, the API docs pages),
    takes every middleware as before.
    """
    # Django's test client sends an empty Cookie header when it holds no cookie.
    return not request.META.get("HTTP_COOKIE") and request.path_info.startswith(
        TOKEN_API_PREFIXES
    )


class BrowserOnlyMixin:
    """For a ``MiddlewareMixin`` middleware: skipped whole for a browser-free request.

    The middleware stays in MIDDLEWARE, in its place (the admin's system checks find
    it; a request with a cookie sees the stack it always saw). Its ``process_view`` and
    ``process_exception`` hooks, which Django's handler calls directly, still run: the
    CSRF check of a view that is not exempt (no cookie: 403) is unchanged.
    """

    get_response: Any
    async_mode: bool

    def __call__(self, request: HttpRequest) -> Any:
        if not self.async_mode and browser_free(request):
            return self.skipped(request)
        return super().__call__(request)  # type: ignore[misc]

    def skipped(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)


class SessionMiddleware(BrowserOnlyMixin, _Session):
    """Django's sessions; a browser-free request has no session to load or save.

    Its answer still says ``Vary: Cookie``, as the same answer did when the session
    was looked at (DRF's SessionAuthentication, the no-store check): what the API
    answers depends on a session cookie, which shared caches must know.
    """

    def skipped(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        vary_add(response, "Cookie")
        return response


class CsrfViewMiddleware(BrowserOnlyMixin, _Csrf):
    """Django's CSRF middleware; without a cookie there is no token to read or rotate.

    ``process_view`` (the check itself) runs for every request, browser-free or not.
    """


class AuthenticationMiddleware(BrowserOnlyMixin, _Authentication):
    """Django's ``request.user`` from the session; a browser-free request has none.

    DRF's authenticators (JWT; SessionAuthentication finds no user) set
    ``request.user`` on the request when the view asks who calls.
    """


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
        if request.META.get("HTTP_COOKIE") and settings.SESSION_COOKIE_NAME in (
            request.COOKIES
        ):
            session = request.session
            seen = session.get(SESSION_SEEN_KEY)
            now = int(time.time())
            if session.get("_auth_user_id") and (
                not isinstance(seen, int) or now - seen >= SESSION_TOUCH_SECONDS
            ):
                session[SESSION_SEEN_KEY] = now
        return self.get_response(request)


# Per-response CSP overrides (django-csp's decorators set these on the response
# object itself, so they are in its __dict__).
_CSP_OVERRIDES = frozenset(
    (
        "_csp_config",
        "_csp_update",
        "_csp_replace",
        "_csp_exempt",
        "_csp_config_ro",
        "_csp_update_ro",
        "_csp_replace_ro",
        "_csp_exempt_ro",
    )
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
        if getattr(
            request, "_csp_nonce", None
        ) is not None or not _CSP_OVERRIDES.isdisjoint(vars(response)):
            return super().process_response(request, response)
        if response.status_code in (404, 500) and settings.DEBUG:
            return response
        for report_only, header in (
            (False, CSP_HEADER),
            (True, CSP_HEADER_REPORT_ONLY),
        ):
            policy, excluded = self._built(report_only)
            if policy and not request.path_info.startswith(excluded):
                header_setdefault(response, header, policy)
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


class AdminMessageMiddleware(BrowserOnlyMixin, MessageMiddleware):
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


# The request headers that make a GET conditional (RFC 9110, section 13.1).
_PRECONDITIONS = frozenset(
    (
        "HTTP_IF_MATCH",
        "HTTP_IF_NONE_MATCH",
        "HTTP_IF_MODIFIED_SINCE",
        "HTTP_IF_UNMODIFIED_SINCE",
    )
)


class ConditionalGetMiddleware(_ConditionalGet):
    """Django's ETag on every GET answer and its 304/412, without the empty checks.

    The ETag is ``common.etags``' hash of the body (xxh3-128, not Django's md5), unless
    the view set one or said no-store. A GET without any precondition header cannot be
    answered 304 or 412: the answer gets its ETag and goes out, without parsing four
    absent headers and the response's dates. A GET with a precondition takes Django's
    own path, with the ETag already set.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if request.method != "GET":
            return response
        # Django's headers by their lowercased names: no KeyError raised per absent one.
        store = response.headers._store
        if "etag" not in store and (
            "cache-control" not in store or self.needs_etag(response)
        ):
            response_etag_set(response)
        if not _PRECONDITIONS.isdisjoint(request.META):
            return super().process_response(request, response)
        return response


class CorsMiddleware(_Cors):
    """django-cors-headers; a request without ``Origin`` gets only ``Vary: origin``.

    Without an ``Origin`` header (every mobile app and server-side integration) the
    library adds nothing but ``Vary: origin`` on the paths it serves; this does the
    same without building ``request.headers``. Preflights (``OPTIONS``) and requests
    with an ``Origin`` take the library's own path.
    """

    def __call__(self, request: HttpRequest) -> Any:
        if (
            self.async_mode
            or "HTTP_ORIGIN" in request.META
            or request.method == "OPTIONS"
        ):
            return super().__call__(request)
        enabled = self.is_enabled(request)
        response = cast(HttpResponseBase, self.get_response(request))
        if enabled:
            vary_add(response, "origin")
        return response


class SecurityMiddleware(_Security):
    """Django's security headers and HTTPS redirect, the header values built once.

    Django composes the HSTS and Referrer-Policy values from its settings on every
    response and asks twice whether the request is secure (each time reading
    SECURE_PROXY_SSL_HEADER through the lazy settings); the settings themselves are
    read when the stack is built, as Django's middleware reads them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        super().__init__(get_response)
        self._headers: list[tuple[str, str]] = []
        if self.content_type_nosniff:
            self._headers.append(("X-Content-Type-Options", "nosniff"))
        policy = settings.SECURE_REFERRER_POLICY
        if policy:
            self._headers.append(
                (
                    "Referrer-Policy",
                    ",".join(
                        [v.strip() for v in policy.split(",")]
                        if isinstance(policy, str)
                        else policy
                    ),
                )
            )
        opener_policy = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
        if opener_policy:
            self._headers.append(("Cross-Origin-Opener-Policy", opener_policy))
        self._sts = ""
        if self.sts_seconds:
            self._sts = f"max-age={self.sts_seconds}"
            if self.sts_include_subdomains:
                self._sts += "; includeSubDomains"
            if self.sts_preload:
                self._sts += "; preload"

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return super().__call__(request)
        secure = request.is_secure()
        response: HttpResponseBase | None = None
        if self.redirect and not secure:
            response = self.process_request(request)  # the redirect to HTTPS, or None
        if response is None:
            response = cast(HttpResponseBase, self.get_response(request))
        if self._sts and secure:
            header_setdefault(response, "Strict-Transport-Security", self._sts)
        for name, value in self._headers:
            header_setdefault(response, name, value)
        return response


class XFrameOptionsMiddleware(_XFrameOptions):
    """Django's X-Frame-Options (same value, same exemptions), set as one prepared entry."""

    def process_response(
        self, request: HttpRequest, response: HttpResponse
    ) -> HttpResponse:
        if not getattr(response, "xframe_options_exempt", False):
            header_setdefault(
                response,
                "X-Frame-Options",
                self.get_xframe_options_value(request, response),
            )
        return response


# Methods that change nothing (RFC 9110, 9.2.1): no view of the project writes on them.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@sync_and_async_middleware
def HistoryRequestMiddleware(get_response: Callable[[HttpRequest], Any]) -> Any:
    """simple_history's middleware for the requests that can write (not GET/HEAD...).

    It puts the request in a context-local so that a historical record saved during
    the request names its user; a safe method saves no record (no view of the project
    writes on one; docs/performance.md), and setting and clearing the context-local
    was about 5 us of every such request.
    """
    history = _History(get_response)
    if iscoroutinefunction(history):
        return history

    def middleware(request: HttpRequest) -> Any:
        if request.method in SAFE_METHODS:
            return get_response(request)
        return history(request)

    return middleware


class CommonMiddleware(_Common):
    """Django's CommonMiddleware; a found answer's Content-Length set as one entry.

    A 404 (the APPEND_SLASH redirect) and a stream take Django's path; any other
    answer without a Content-Length gets the length of its body, the digits stored as
    the entry Django would store.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if response.status_code == 404 or response.streaming:
            return super().process_response(request, response)
        store = response.headers._store
        if "content-length" not in store:
            length = str(len(response.content))  # type: ignore[attr-defined]
            store["content-length"] = ("Content-Length", length)
        return response
